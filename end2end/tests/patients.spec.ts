import { test, expect, Page } from '@playwright/test';
import { execFileSync } from 'child_process';
import * as path from 'path';
import { signIn } from './auth';

// The patient lookup as staff use it, with JavaScript on and off (both projects run every test):
// support types a phone the way a patient says it and sees every clinic the person is registered
// at, across shards; a superadmin opens the full profile only after giving a reason. Every form
// is a POST: no request the browser makes carries the phone, the email or the name in its URL.

type Example = { key: string; typed: string; region: string; kind: string; people: number[]; orgs: number[] };

// What the demo seeder planted (the same code docs/demo-fleet.md points to).
function examples(): Record<string, Example> {
  const bin = process.env.SHARDSCOPE_E2E_BIN || path.resolve(__dirname, '..', '..', 'target', 'debug', 'shardscope-server');
  const fleet = process.env.SHARDSCOPE_FLEET_FILE;
  if (!fleet) throw new Error('SHARDSCOPE_FLEET_FILE is not set (run via scripts/test)');
  const out = execFileSync(bin, ['patient-examples', '--fleet', fleet, '--json'], { encoding: 'utf8' });
  return Object.fromEntries((JSON.parse(out) as Example[]).map((e) => [e.key, e]));
}
const EX = examples();

// Every URL the page requests (documents, scripts, server functions, images).
function watchUrls(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  return urls;
}

function digitsOf(s: string): string {
  return s.replace(/\D/g, '');
}

async function lookUp(page: Page, e: Example) {
  await page.getByLabel('Phone, email or user id').fill(e.typed);
  await page.getByLabel('Read it as').selectOption(e.kind === 'user' ? 'user' : 'auto');
  await page.getByLabel('Phone region').selectOption(e.region);
  await page.getByRole('button', { name: 'Look up' }).click();
}

test('support: a phone typed as the patient says it finds every clinic, across shards', async ({ page }) => {
  const urls = watchUrls(page);
  const e = EX.cross_shard;
  await signIn(page, 'support', '/patients');
  await expect(page.getByRole('heading', { level: 1, name: 'Patient lookup' })).toBeVisible();
  await lookUp(page, e);
  await expect(page.getByRole('heading', { name: 'Results' })).toBeVisible();
  await expect(page).toHaveURL(/\/patients$/);
  const person = page.locator(`article[data-person="${e.people[0]}"]`);
  await expect(person).toBeVisible();
  for (const org of e.orgs) await expect(person.locator(`tr[data-org="${org}"]`)).toBeVisible();
  // Two shards: the links are on different ones.
  const shards = await person.locator('tr[data-org]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-shard')));
  expect(new Set(shards).size).toBeGreaterThan(1);
  await expect(page.locator('[data-answered]')).toContainText('shards answered');
  // Support sees names and clinics only.
  await expect(page.getByRole('button', { name: 'Open full profile' })).toHaveCount(0);
  await expect(page.getByText('Portable profile')).toHaveCount(0);
  // The same person by platform user id, and a phone a family shares: two people.
  await lookUp(page, EX.user_id);
  await expect(page.locator(`article[data-person="${e.people[0]}"]`)).toBeVisible();
  await lookUp(page, EX.family);
  await expect(page.locator('[data-people="2"]')).toBeVisible();
  const tail = digitsOf(e.typed).slice(-7);
  for (const u of urls) expect(u, `a URL the browser requested: ${u}`).not.toContain(tail);
});

test('support: input that is not a phone or email says what to type, and is corrected in place', async ({ page }) => {
  await signIn(page, 'support', '/patients');
  await page.getByLabel('Phone, email or user id').fill('hello there');
  await page.getByRole('button', { name: 'Look up' }).click();
  await expect(page.getByRole('alert')).toContainText('looks like a word');
  await page.getByLabel('Phone, email or user id').fill(EX.email.typed);
  await page.getByRole('button', { name: 'Look up' }).click();
  await expect(page.locator(`article[data-person="${EX.email.people[0]}"]`)).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test('superadmin: break-glass — the full profile opens only with a reason, which is audited', async ({ page }) => {
  const urls = watchUrls(page);
  const e = EX.cross_shard;
  await signIn(page, 'superadmin', '/patients');
  await lookUp(page, e);
  const person = page.locator(`article[data-person="${e.people[0]}"]`);
  await expect(person).toBeVisible();
  await expect(page.getByText('Portable profile')).toHaveCount(0);
  // No reason: refused, and the opening form is offered again right there.
  await person.getByRole('button', { name: 'Open full profile' }).click();
  await expect(page.getByRole('alert')).toContainText('give a reason');
  await expect(page.getByText('Portable profile')).toHaveCount(0);
  // A reason no other test writes (the router suite also opens profiles with 'SUP-4821 …' on this
  // fleet), so the audit row found below is this opening's.
  const reason = `SUP-4821 identity check ${Array.from({ length: 8 }, () => 'abcdefghijkmnpqrstuvwxyz'[Math.floor(Math.random() * 24)]).join('')}`;
  await page.getByLabel('Reason for opening the full profile').fill(reason);
  await page.getByRole('button', { name: 'Open full profile' }).click();
  await expect(page.getByRole('heading', { name: 'Full profile' })).toBeVisible();
  await expect(page.getByText('Portable profile')).toBeVisible();
  await expect(page.getByText('Date of birth')).toBeVisible();
  // Which clinics the patient consented to share the profile with.
  await expect(page.locator('td[data-shared]').first()).toBeVisible();
  await expect(page).toHaveURL(/\/patients$/);
  // The audit shows the opening with its reason.
  await page.goto('/audit?action=open_patient_profile');
  await expect(page.locator('tr[data-action="open_patient_profile"]', { hasText: reason })).toHaveCount(1);
  const tail = digitsOf(e.typed).slice(-7);
  for (const u of urls) expect(u, `a URL the browser requested: ${u}`).not.toContain(tail);
});

test('viewer: the patient lookup is refused and not offered', async ({ page }) => {
  await signIn(page, 'viewer');
  await expect(page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Patients' })).toHaveCount(0);
  const response = await page.goto('/patients');
  expect(response?.status()).toBe(403);
});
