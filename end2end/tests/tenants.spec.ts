import { test, expect } from '@playwright/test';
import { signIn } from './auth';

// Support finds a tenant the way a clinic's call goes: type part of its name (no accents, any
// case) in the search box every page has, press Find (one click), pick it from the results (two
// clicks) — with JavaScript on and off (both projects run every test).

test('support: from the search box to a tenant page in two clicks', async ({ page }) => {
  await signIn(page, 'support', '/pools');
  const search = page.getByRole('search', { name: 'Find a tenant' });
  await search.getByRole('searchbox').fill('sao jo');
  await search.getByRole('button', { name: 'Find' }).click();
  await expect(page).toHaveURL(/\/tenants\?q=sao(\+|%20)jo/);
  await expect(page.getByRole('heading', { level: 1, name: 'Tenants' })).toBeVisible();
  const results = page.getByRole('region', { name: 'Tenants' });
  await results.getByRole('link', { name: 'Clínica São José' }).click();
  await expect(page).toHaveURL(/\/tenants\/2$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Clínica São José' })).toBeVisible();
  // Everything the platform knows: routing, cache, the shard, its own counts, telemetry.
  await expect(page.getByRole('heading', { name: 'Routing', exact: true })).toBeVisible();
  await expect(page.locator('[data-counts="rls"]')).toBeVisible();
  await expect(page.locator('[data-cache]')).toBeVisible();
  await expect(page.getByRole('heading', { name: /Its requests/ })).toBeVisible();
  await expect(page.getByText('Counts unavailable')).toHaveCount(0);
});

test('support: search, sort and page through the directory; a bad filter says what to type', async ({ page }) => {
  await signIn(page, 'support', '/tenants');
  const table = page.getByRole('region', { name: 'Tenants' });
  await table.getByRole('link', { name: /Patients/ }).click();
  await expect(page).toHaveURL(/sort=patients/);
  await expect(table.locator('th[aria-sort="ascending"]')).toHaveText(/Patients/);
  await page.getByLabel('Org id or name').fill('clinic');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/q=clinic/);
  await expect(page).toHaveURL(/sort=patients/);
  const response = await page.goto('/tenants?shard=mars');
  expect(response?.status()).toBe(400);
  await expect(page.getByRole('alert')).toContainText('unknown shard "mars"');
  // The form shown with the 400 still offers every shard: pick a real one.
  await page.getByLabel('Shard').selectOption('us-1');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/shard=us-1/);
  await expect(table.locator('tbody tr').first()).toContainText('us-1');
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test('support: routing truth and compliance on a clean fleet say so, with every shard answering', async ({ page }) => {
  await signIn(page, 'support', '/routing');
  await expect(page.getByRole('heading', { level: 1, name: 'Routing truth' })).toBeVisible();
  await expect(page.locator('[data-findings="0"]')).toBeVisible();
  await page.goto('/compliance');
  await expect(page.locator('[data-issues="0"]')).toBeVisible();
  await expect(page.getByRole('region', { name: 'RLS per table and shard' })).toContainText('forced');
});

test('viewer: the tenant pages are refused', async ({ page }) => {
  await signIn(page, 'viewer');
  await expect(page.getByRole('search', { name: 'Find a tenant' })).toHaveCount(0);
  const response = await page.goto('/tenants/2');
  expect(response?.status()).toBe(403);
});

// Staff type what the caller gives them. A phone typed into the search box, or into the tenant
// list's own search, goes to the patient lookup and never into an address: not the address bar,
// not any request's URL (with JavaScript on and off).
test('support: a phone typed into a tenant search never reaches an address', async ({ page }) => {
  const requested: string[] = [];
  page.on('request', (r) => requested.push(r.url()));
  await signIn(page, 'support', '/tenants');
  const search = page.getByRole('search', { name: 'Find a tenant' });
  await search.getByRole('searchbox').fill('(555) 867-5309');
  await search.getByRole('button', { name: 'Find' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Patient lookup' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'Looked up phone' })).toBeVisible();
  expect(new URL(page.url()).pathname).toBe('/patients');

  await page.goto('/tenants');
  await page.getByLabel('Org id or name').fill('555.867.5309');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Patient lookup' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'Looked up phone' })).toBeVisible();
  for (const u of [page.url(), ...requested]) {
    expect(u, 'no address carries the phone').not.toMatch(/867|5309/);
  }
});

// Opening a tenant is recorded in the staff member's name, so a link from another site (an email,
// a ticket tool) does not open it by itself: the console answers 409 with the reason and a link to
// the same page, and following that link (now from the console) opens it.
test('support: a tenant link from another site asks to confirm, and the confirm link opens it', async ({ page }) => {
  await signIn(page, 'support', '/pools');
  const consoleUrl = new URL(page.url());
  const target = `${consoleUrl.origin}/tenants/2`;
  // Another site, served by the browser itself: its page links to the tenant.
  const other = 'http://ticket-tool.example/';
  await page.route(other, (route) => route.fulfill({
    status: 200,
    contentType: 'text/html; charset=utf-8',
    body: `<!DOCTYPE html><title>Ticket</title><a href="${target}">the clinic's tenant page</a>`,
  }));
  await page.goto(other);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url() === target),
    page.getByRole('link', { name: "the clinic's tenant page" }).click(),
  ]);
  expect(response.status(), 'a cross-site link is not followed into the tenant').toBe(409);
  await expect(page.getByRole('alert')).toContainText('came from another site, so the tenant was not opened');
  await expect(page.locator('[data-counts="rls"]'), 'none of the tenant is shown').toHaveCount(0);
  await page.getByRole('link', { name: 'Open tenant 2' }).click();
  await expect(page).toHaveURL(/\/tenants\/2$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Clínica São José' })).toBeVisible();
  await expect(page.locator('[data-counts="rls"]')).toBeVisible();
});
