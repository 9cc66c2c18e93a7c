import { test, expect } from '@playwright/test';
import { signIn } from './auth';

// An org name as a hostile clinic admin might choose it (the seed's HOSTILE_NAME, in
// src/demo/seed/plan.rs): it closes <title>, adds a meta refresh, a script, an image with an
// error handler and a spreadsheet formula. Every page that shows names shows it as text — with
// JavaScript on and off (both projects run this): no navigation, no dialog, no element created.
const NAME =
  '=1+2 Northgate</title><meta http-equiv="refresh" content="0;url=http://attacker.invalid/">' +
  '<script>alert(1)</script><img src=x onerror=alert(2)>';

test('a hostile org name stays text on every page that shows names', async ({ page }) => {
  const dialogs: string[] = [];
  page.on('dialog', async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  const strayRequests: string[] = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.hostname.endsWith('attacker.invalid') || u.pathname.endsWith('/x')) strayRequests.push(r.url());
  });

  // Found from the search box (a POST that redirects to the tenants list).
  await signIn(page, 'superadmin', '/');
  const search = page.getByRole('search', { name: 'Find a tenant' });
  await search.getByRole('searchbox').fill('northgate');
  await search.getByRole('button', { name: 'Find' }).click();
  await expect(page).toHaveURL(/\/tenants\?q=northgate$/);
  const link = page.getByRole('region', { name: 'Tenants' }).getByRole('link', { name: NAME });
  await expect(link).toBeVisible();
  const href = (await link.getAttribute('href')) || '';
  const id = /^\/tenants\/(\d+)$/.exec(href)?.[1];
  expect(id, `the hostile org's link: ${href}`).toBeTruthy();

  const pages: [string, boolean][] = [
    ['/tenants?q=northgate', true],
    [`/tenants/${id}`, true],
    ['/tenants', false],
    ['/placement', false],
    ['/routing', false],
    ['/compliance', false],
    ['/telemetry?group=org', false],
    [`/telemetry?org=${id}`, false],
  ];
  for (const [path, showsIt] of pages) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(200);
    await page.waitForLoadState('load');
    // Still here: a meta refresh in the markup would have left for attacker.invalid.
    expect(new URL(page.url()).pathname + new URL(page.url()).search, path).toBe(path);
    const injected = await page.evaluate(() => ({
      metas: document.querySelectorAll('meta[http-equiv]').length,
      images: document.querySelectorAll('img[src="x"], img[onerror]').length,
      // The name's own <script> as an element (the hydration data carries the name as an
      // escaped string inside Leptos' script: data, not this element).
      scripts: [...document.querySelectorAll('script')].filter((s) => (s.textContent || '').trim() === 'alert(1)').length,
    }));
    expect(injected, path).toEqual({ metas: 0, images: 0, scripts: 0 });
    if (showsIt) {
      await expect(page.getByText(NAME, { exact: true }).first(), `${path} shows the name as text`).toBeVisible();
    }
  }
  // Its shard's page lists it by name, as text, linking its tenant page.
  const shards = (process.env.SHARDSCOPE_E2E_SHARDS || '').split(',').filter(Boolean);
  const listedOn: string[] = [];
  for (const shard of shards) {
    await page.goto(`/shards/${shard}`);
    expect(new URL(page.url()).pathname, 'no navigation away').toBe(`/shards/${shard}`);
    const link = page.getByRole('region', { name: 'Orgs on this shard' }).getByRole('link', { name: NAME, exact: true });
    if ((await link.count()) > 0) {
      await expect(link).toHaveAttribute('href', `/tenants/${id}`);
      listedOn.push(shard);
    }
  }
  expect(listedOn, `the hostile org is listed by name on exactly one of ${shards}`).toHaveLength(1);
  // The tab shows the plain name, server-rendered and (JS on) after hydration: no &lt; in it.
  await page.goto(`/tenants/${id}`);
  await expect(page).toHaveTitle(`${NAME} · shardscope`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(NAME);
  expect(dialogs, 'no dialog opened').toEqual([]);
  expect(strayRequests, 'nothing the markup would have loaded').toEqual([]);
});
