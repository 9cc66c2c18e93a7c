import { test, expect, Page } from '@playwright/test';

// The shards the test fleet was started with (scripts/test exports them).
const SHARDS = (process.env.SHARDSCOPE_E2E_SHARDS || 'us-1,us-2,eu-1,org-101').split(',');

async function rowIds(page: Page): Promise<string[]> {
  return page.locator('table.shards tbody tr').evaluateAll((rows) =>
    rows.map((r) => r.getAttribute('data-shard') || ''),
  );
}

async function patientCounts(page: Page): Promise<number[]> {
  return page.locator('table.shards tbody tr').evaluateAll((rows) =>
    rows.map((r) => Number((r.querySelectorAll('td')[4]?.textContent || '0').replace(/,/g, ''))),
  );
}

test('the overview renders every shard, its replicas and the answered count', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  await expect(page.getByRole('heading', { name: 'Fleet overview' })).toBeVisible();
  await expect(page.locator('.answered')).toContainText(`${SHARDS.length} of ${SHARDS.length} shards answered`);
  expect((await rowIds(page)).sort()).toEqual([...SHARDS].sort());
  for (const id of SHARDS) {
    const row = page.locator(`tr[data-shard="${id}"]`);
    await expect(row.locator('li.replica').first()).toContainText(/\d+(\.\d+)? s|unknown/);
    await expect(row).not.toContainText('did not answer');
  }
  await expect(page.locator('.chart svg')).toBeVisible();
  expect(errors).toEqual([]);
});

test('after hydration, sorting happens in the browser', async ({ page }, info) => {
  test.skip(info.project.name === 'nojs', 'sorting is a client-side control: needs JavaScript');
  await page.goto('/');
  const initial = await rowIds(page);
  expect(initial).toEqual([...initial].sort());
  // Wait until the wasm bundle has hydrated the page: clicking before that is a no-op.
  await expect(async () => {
    await page.getByRole('button', { name: 'patients' }).click();
    await expect(page.getByRole('button', { name: 'patients' })).toHaveAttribute('aria-pressed', 'true', { timeout: 500 });
  }).toPass({ timeout: 30_000 });
  const counts = await patientCounts(page);
  expect(counts).toEqual([...counts].sort((a, b) => b - a));
  expect(await rowIds(page)).not.toEqual(initial);
  // Back to shard order, without a page load.
  await page.getByRole('button', { name: 'shard' }).click();
  expect(await rowIds(page)).toEqual(initial);
});
