import { test, expect, Page } from '@playwright/test';
import { signIn } from './auth';

// The telemetry pages (ClickHouse), with JavaScript on and off (both projects run every test):
// the range and filters live in the URL, changing them through the form works either way, every
// chart loads as an image and its numbers are on the page, and bad input says what to type.
const SHARDS = (process.env.SHARDSCOPE_E2E_SHARDS || 'us-1,us-2,eu-1,org-101').split(',');

test.beforeEach(async ({ page }) => {
  await signIn(page, 'viewer');
});

async function imagesLoaded(page: Page) {
  const imgs = page.locator('.chart-frame img');
  const n = await imgs.count();
  expect(n).toBeGreaterThan(0);
  for (let i = 0; i < n; i++) {
    const img = imgs.nth(i);
    await expect(img).toBeVisible();
    await expect
      .poll(() => img.evaluate((e: HTMLImageElement) => e.complete && e.naturalWidth > 0))
      .toBe(true);
  }
}

test('/pools: connection math per shard, pools busiest first, the range changed through the form', async ({ page }) => {
  const response = await page.goto('/pools');
  expect(response?.status()).toBe(200);
  await expect(page.getByRole('heading', { level: 1, name: 'Connection pools' })).toBeVisible();
  const math = page.getByRole('region', { name: 'Connection math per shard' });
  for (const id of SHARDS) {
    await expect(math.locator(`tr[data-shard="${id}"]`)).toHaveCount(1);
  }
  await page.getByLabel('Range').selectOption('24h');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/[?&]range=24h/);
  await expect(page.locator('.scope-line')).toContainText('Last 24 hours');
  await expect(page.getByLabel('Range')).toHaveValue('24h');
  // The demo's back-filled day has pools on every shard, the busy one waiting.
  const pools = page.getByRole('region', { name: 'Pools, busiest first' });
  await expect(pools.locator('tbody tr').first()).toBeVisible();
  const waits = await pools.locator('tbody tr').first().locator('td').nth(4).textContent();
  expect(Number((waits || '0').replace(/,/g, ''))).toBeGreaterThan(0);
  await imagesLoaded(page);
  const src = await page.locator('.chart-frame img').first().getAttribute('src');
  expect(src).toBe('/charts/pools.svg?range=24h');
});

test('/telemetry: grouped by route over 24 h, three charts with alert lines, CSV of the same view', async ({ page }) => {
  await page.goto('/telemetry');
  await expect(page.getByRole('heading', { level: 1, name: 'Requests' })).toBeVisible();
  await page.getByLabel('Range').selectOption('24h');
  await page.getByLabel('Group by').selectOption('route');
  await page.getByLabel('How many groups').fill('3');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/range=24h/);
  await expect(page).toHaveURL(/group=route/);
  const table = page.getByRole('region', { name: 'Request statistics by group' });
  await expect(table.locator('thead th').first()).toHaveText('Route');
  await expect(table.locator('tbody tr')).toHaveCount(3);
  await expect(table.locator('tbody tr').first()).toContainText(/^(GET|POST|PATCH) \/v1\//);
  await expect(page.locator('.chart-frame img')).toHaveCount(3);
  await imagesLoaded(page);
  const csvLink = page.locator('[data-export="groups"]').getByRole('link', { name: 'CSV', exact: true });
  const href = await csvLink.getAttribute('href');
  expect(href).toContain('range=24h');
  expect(href).toContain('group=route');
  const csv = await page.request.get(href!);
  expect(csv.status()).toBe(200);
  expect(csv.headers()['content-type']).toContain('text/csv');
  expect((await csv.text()).split('\r\n')[0]).toBe('route,requests,per_second,p50_ms,p95_ms,p99_ms,errors_5xx,error_percent');
  // The JSON of the same table has the page's header as its columns and one row per table row.
  const json = await (await page.request.get(href!.replace('format=csv', 'format=json'))).json();
  expect(json.columns.map((c: { label: string }) => c.label)).toEqual(await table.locator('thead th').allTextContents());
  expect(json.rows).toHaveLength(3);
  const p99 = await page.request.get('/charts/requests.svg?range=24h&metric=p99');
  expect(await p99.text()).toContain('alert: p99 &gt; 1 s');
});

test('/telemetry/slow-queries: statements without their values, and where pg_stat_statements is missing', async ({ page }) => {
  await page.goto('/telemetry/slow-queries?range=24h');
  await expect(page.getByRole('heading', { level: 1, name: 'Slow queries' })).toBeVisible();
  const log = page.getByRole('region', { name: 'Slow queries by statement' });
  await expect(log.locator('tbody tr').first()).toBeVisible();
  await expect(log).toContainText('organization_id = ?');
  await expect(log).not.toContainText(/organization_id = \d/);
  await expect(page.locator('[data-pgss="missing"]')).toHaveCount(1);
  await expect(page.locator('[data-pgss="missing"]')).toContainText('pg_stat_statements is not installed');
  expect(await page.locator('[data-pgss="installed"]').count()).toBeGreaterThan(0);
});

test('a bad filter says what to type and keeps the form', async ({ page }) => {
  const response = await page.goto('/pools?shard=mars-9&range=6h');
  expect(response?.status()).toBe(400);
  await expect(page.getByRole('alert')).toContainText('unknown shard "mars-9"');
  await expect(page.getByLabel('Range')).toHaveValue('6h');
  // Fixing it through the form gives the page.
  await page.getByLabel('Shard').selectOption('');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page.getByRole('heading', { name: 'Connection math' })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
});
