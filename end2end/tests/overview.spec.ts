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
    // A healthy, freshly seeded fleet: every replica has replayed a commit, so its lag is a
    // number ("unknown" would mean the lag could not be read).
    await expect(row.locator('li.replica').first()).toContainText(/\d+(\.\d+)? s/);
    await expect(row.locator('li.replica').first()).not.toContainText('unknown');
    await expect(row).not.toContainText('did not answer');
  }
  // The count is last in the HTML (it needs every shard) but shown above the table.
  const bannerTop = await page.locator('.answered').evaluate((e) => e.getBoundingClientRect().top);
  const gridTop = await page.locator('.shard-grid').evaluate((e) => e.getBoundingClientRect().top);
  expect(bannerTop).toBeLessThan(gridTop);
  const chart = page.locator('.chart-frame img');
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
  // Each row's arrival is recorded as the document streams in (an observer installed before the
  // first byte is parsed): the order is checked, not how fast this machine renders.
  await page.addInitScript(() => {
    const seen: Record<string, number> = {};
    (window as any).__rowSeen = seen;
    new MutationObserver(() => {
      for (const el of document.querySelectorAll('[role=row][data-shard]')) {
        const id = el.getAttribute('data-shard') || '';
        if (!(id in seen)) seen[id] = performance.now();
      }
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto('/', { waitUntil: 'commit' });
  const fast = SHARDS.filter((s) => s !== SLOW);
  // The slow shard (600 ms per reply) fills in when it answers...
  await expect(page.locator(`[role=row][data-shard="${SLOW}"]`)).toBeVisible({ timeout: 15_000 });
  await expect(page.locator('.answered')).toContainText(`${SHARDS.length} of ${SHARDS.length} shards answered`);
  // ...after every fast one was already on the page.
  const seen: Record<string, number> = await page.evaluate(() => (window as any).__rowSeen);
  for (const id of fast) {
    expect(seen[id], `${id} arrived before ${SLOW}: ${JSON.stringify(seen)}`).toBeLessThan(seen[SLOW]);
  }
});

// The sort headers are links (`?sort=`): without JavaScript the server places every row for the
// key in the URL; with it the router changes the query and the rows move in place, no page load.
test('sort headers sort by a column, with JavaScript and without', async ({ page }, info) => {
  const js = info.project.name === 'js';
  await page.goto('/');
  await expect(page.locator('.answered')).toBeVisible();
  const initial = (await visibleRows(page)).map((r) => r.id);
  expect(initial).toEqual([...initial].sort());
  const header = (name: string) => page.getByRole('columnheader', { name });
  await expect(header('Shard')).toHaveAttribute('aria-sort', 'ascending');

  // Marks this document: it survives only if no page load happens.
  if (js) await page.evaluate(() => { (window as any).__sameDocument = true; });
  const sortByPatients = async () => {
    await header('Patients').getByRole('link').click();
    await expect(page).toHaveURL(/\?sort=patients$/);
    await expect(header('Patients')).toHaveAttribute('aria-sort', 'descending', { timeout: 2000 });
  };
  // With JavaScript, clicks before hydration are ordinary links; retry until the router has it.
  if (js) await expect(sortByPatients).toPass({ timeout: 30_000 }); else await sortByPatients();
  await expect(page.locator('.answered')).toBeVisible();
  const rows = await visibleRows(page);
  const counts = rows.map((r) => r.patients);
  expect(counts).toEqual([...counts].sort((a, b) => b - a));
  expect(rows.map((r) => r.id)).not.toEqual(initial);

  await header('Shard').getByRole('link').click();
  await expect(page).toHaveURL(/\?sort=shard$/);
  await expect(header('Shard')).toHaveAttribute('aria-sort', 'ascending');
  await expect(page.locator('.answered')).toBeVisible();
  expect((await visibleRows(page)).map((r) => r.id)).toEqual(initial);
  if (js) expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
});

test('an unknown sort key sorts by shard rather than failing', async ({ page }) => {
  const response = await page.goto('/?sort=nonsense');
  expect(response?.status()).toBe(200);
  await expect(page.locator('.answered')).toBeVisible();
  const ids = (await visibleRows(page)).map((r) => r.id);
  expect(ids).toEqual([...ids].sort());
});
