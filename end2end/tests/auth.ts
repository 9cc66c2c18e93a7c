import { Page, expect } from '@playwright/test';

// The demo accounts the fleet's seeder creates, with the password scripts/test chose.
export const PASSWORD = process.env.SHARDSCOPE_DEMO_PASSWORD || 'shardscope-demo';
export type Role = 'superadmin' | 'support' | 'viewer';
export const email = (role: Role) => `${role}@shardscope.test`;

// Sign in through the form the way a person does (works with JavaScript on or off). Call it on
// the sign-in page, e.g. after being sent there by a protected page.
export async function fillSignIn(page: Page, role: Role, password = PASSWORD) {
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.getByLabel('Email').fill(email(role));
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function signIn(page: Page, role: Role, path = '/') {
  await page.goto(path);
  await fillSignIn(page, role);
  await expect(page.locator('.whoami .role')).toHaveText(role);
}
