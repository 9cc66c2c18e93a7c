import { test, expect, Page } from '@playwright/test';
import { signIn } from './auth';

// The shards the test fleet was started with (scripts/test exports them) and the one it slowed.
const SHARDS = (process.env.SHARDSCOPE_E2E_SHARDS || 'us-1,us-2,eu-1,org-101').split(',');
const SLOW = process.env.SHARDSCOPE_E2E_SLOW_SHARD || 'eu-1';

type Row = { id: string; y: number; patients: number };

// Every fleet page is behind sign-in; the viewer is the least-privileged role that sees it.
test.beforeEach(async ({ page }) => {
  await signIn(page, 'viewer');
});

// Rows in the order the user sees them (visual order is CSS `order`, not DOM order).
async function visibleRows(page: Page): Promise<Row[]> {
  const rows = await page.locator('.shard-grid [role=row][data-shard]').evaluateAll((els) =>
    els.map((el) => ({
      id: el.getAttribute('data-shard') || '',
      y: el.getBoundingClientRect().top,
      patients: Number(el.querySelector('.patients')?.getAttribute('data-value') ?? '-1'),
    })),
  );
  return rows.sort((a, b) => a.y - b.y);
}

test('the overview renders every shard, its replicas and the answered count', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  await expect(page.getByRole('heading', { name: 'Fleet overview' })).toBeVisible();
  await expect(page.locator('.answered')).toContainText(`${SHARDS.length} of ${SHARDS.length} shards answered`);
  expect((await visibleRows(page)).map((r) => r.id).sort()).toEqual([...SHARDS].sort());
  for (const id of SHARDS) {
    const row = page.locator(`[role=row][data-shard="${id}"]`);
    await expect(row.locator('li.replica').first()).toContainText(/\d+(\.\d+)? s|unknown/);
    await expect(row).not.toContainText('did not answer');
  }
  // The count is last in the HTML (it needs every shard) but shown above the table.
  const bannerTop = await page.locator('.answered').evaluate((e) => e.getBoundingClientRect().top);
  const gridTop = await page.locator('.shard-grid').evaluate((e) => e.getBoundingClientRect().top);
  expect(bannerTop).toBeLessThan(gridTop);
  const chart = page.locator('.chart img');
  await expect(chart).toBeVisible();
  expect(await chart.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  expect(errors).toEqual([]);
});

test('rows are in shard order, fastest-first in the HTML', async ({ page }) => {
  await page.goto('/');
  const ids = (await visibleRows(page)).map((r) => r.id);
  expect(ids).toEqual([...ids].sort());
  const domOrder = await page.locator('.shard-grid [role=row][data-shard]').evaluateAll((els) =>
    els.map((el) => el.getAttribute('data-shard')),
  );
  expect(domOrder[domOrder.length - 1]).toBe(SLOW);
});

test('fast shards are on screen before the slow one arrives', async ({ page }, info) => {
  test.skip(info.project.name === 'nojs', 'watches the page while it streams; the nojs run checks the complete page');
  await page.goto('/', { waitUntil: 'commit' });
  const fast = SHARDS.filter((s) => s !== SLOW);
  await expect(page.locator(`[role=row][data-shard="${fast[0]}"]`)).toBeVisible({ timeout: 5000 });
  for (const id of fast) {
    await expect(page.locator(`[role=row][data-shard="${id}"]`)).toBeVisible();
  }
  // The slow shard (600 ms per reply) is not there yet...
  expect(await page.locator(`[role=row][data-shard="${SLOW}"]`).count()).toBe(0);
  // ...and fills in when it answers.
  await expect(page.locator(`[role=row][data-shard="${SLOW}"]`)).toBeVisible({ timeout: 10_000 });
  await expect(page.locator('.answered')).toContainText(`${SHARDS.length} of ${SHARDS.length} shards answered`);
});

test('after hydration, sorting happens in the browser', async ({ page }, info) => {
  test.skip(info.project.name === 'nojs', 'sorting is a client-side control: needs JavaScript');
  await page.goto('/');
  const initial = (await visibleRows(page)).map((r) => r.id);
  // Wait until the wasm bundle has hydrated the page: clicking before that is a no-op.
  await expect(async () => {
    await page.getByRole('button', { name: 'patients' }).click();
    await expect(page.getByRole('button', { name: 'patients' })).toHaveAttribute('aria-pressed', 'true', { timeout: 500 });
  }).toPass({ timeout: 30_000 });
  const rows = await visibleRows(page);
  const counts = rows.map((r) => r.patients);
  expect(counts).toEqual([...counts].sort((a, b) => b - a));
  expect(rows.map((r) => r.id)).not.toEqual(initial);
  // Back to shard order, without a page load.
  await page.getByRole('button', { name: 'shard' }).click();
  expect((await visibleRows(page)).map((r) => r.id)).toEqual(initial);
});
