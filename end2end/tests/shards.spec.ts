import { test, expect } from '@playwright/test';
import { Role, signIn } from './auth';

// The shard pages, for every role, with JavaScript on and off (both projects run every test):
// the list names every shard of the fleet and links to each; a shard's page shows its primary,
// its replicas and its audit partitions; org names only for roles that may open tenants.

const SHARDS = (process.env.SHARDSCOPE_E2E_SHARDS || 'us-1,us-2,eu-1,org-101').split(',');
const ROLES: Role[] = ['viewer', 'support', 'superadmin'];

for (const role of ROLES) {
  test(`${role}: from the navigation to the shard list to one shard's page`, async ({ page }) => {
    await signIn(page, role, '/');
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Shards' }).click();
    await expect(page).toHaveURL(/\/shards$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Shards' })).toBeVisible();
    for (const id of SHARDS) {
      await expect(page.locator(`tr[data-shard="${id}"][data-endpoint="known"]`)).toBeVisible();
    }
    const first = SHARDS[0];
    await page.getByRole('link', { name: first, exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`/shards/${first}$`));
    await expect(page.getByRole('heading', { level: 1, name: `Shard ${first}` })).toBeVisible();
    await expect(page.getByRole('heading', { name: /^Primary / })).toBeVisible();
    // "answering" alone would also match the "not answering" badge of a down primary.
    const primary = page.locator('[data-node="primary"]');
    await expect(primary).toContainText(/answering in \d+ ms/);
    await expect(primary).not.toContainText('not answering');
    await expect(primary.locator('[data-failure]')).toHaveCount(0);
    await expect(page.getByRole('table').filter({ hasText: 'Client connections' }).first()).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Replicas' })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Audit-log partitions' })).toBeVisible();
    const orgs = page.getByRole('region', { name: 'Orgs on this shard' });
    if (role === 'viewer') {
      await expect(orgs).toContainText('their names need the support or superadmin role');
      await expect(orgs.getByRole('link')).toHaveCount(0);
    } else {
      await expect(orgs.getByRole('link').first()).toHaveAttribute('href', /^\/tenants\/\d+$/);
    }
  });
}

test('viewer: filter the list by type; an unknown region says what to choose', async ({ page }) => {
  await signIn(page, 'viewer', '/shards');
  await page.getByLabel('Type').selectOption('enterprise');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/type=enterprise/);
  await expect(page.locator('tr[data-shard]')).not.toHaveCount(0);
  for (const row of await page.locator('tr[data-shard]').all()) {
    await expect(row).toContainText('enterprise');
  }
  const response = await page.goto('/shards?region=mars-1');
  expect(response?.status()).toBe(400);
  await expect(page.getByRole('alert')).toContainText('unknown region "mars-1": choose one of');
});

test('viewer: an unknown shard is a 404 that links to the list', async ({ page }) => {
  await signIn(page, 'viewer', '/');
  const response = await page.goto('/shards/no-such-shard');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('alert')).toContainText('no shard "no-such-shard"');
  await page.getByRole('link', { name: 'Every shard the routing database knows' }).click();
  await expect(page).toHaveURL(/\/shards$/);
});
