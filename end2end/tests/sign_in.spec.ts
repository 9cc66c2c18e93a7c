import { test, expect } from '@playwright/test';
import { PASSWORD, Role, email, fillSignIn, signIn } from './auth';

const FLEET_PAGES = ['Fleet overview', 'Shards', 'Pools', 'Requests', 'Slow queries'];
const TENANT_PAGES = ['Tenants', 'Routing', 'Compliance', 'Placement'];
// The top bar lists the sections a role may open; the row under it the current section's pages.
const SECTIONS: Record<Role, string[]> = {
  superadmin: ['Fleet', 'Tenants', 'Patients', 'Audit'],
  support: ['Fleet', 'Tenants', 'Patients'],
  viewer: ['Fleet'],
};

for (const role of ['superadmin', 'support', 'viewer'] as Role[]) {
  test(`${role}: sign in, see the right navigation, sign out`, async ({ page }) => {
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

    // A protected page sends us to sign in, and back to it afterwards.
    await page.goto('/?sort=1');
    await expect(page).toHaveURL(/\/login\?next=%2F%3Fsort%3D1$/);
    await fillSignIn(page, role);
    await expect(page).toHaveURL(/\/\?sort=1$/);
    await expect(page.getByRole('heading', { name: 'Fleet overview' })).toBeVisible();

    const header = page.locator('header.topbar');
    await expect(header.locator('.who')).toHaveText(email(role));
    await expect(header.locator('.role')).toHaveText(role);
    await expect(header.getByRole('navigation', { name: 'Sections' }).getByRole('link')).toHaveText(SECTIONS[role]);
    await expect(header.getByRole('navigation', { name: 'Pages' }).getByRole('link')).toHaveText(FLEET_PAGES);
    await expect(header.getByRole('link', { name: 'Fleet overview' })).toHaveAttribute('aria-current', 'page');
    if (role !== 'viewer') {
      // Another section: its pages, and the section marked as the current one.
      await header.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Tenants' }).click();
      await expect(page.getByRole('heading', { name: 'Tenants', level: 1 })).toBeVisible();
      await expect(header.getByRole('navigation', { name: 'Pages' }).getByRole('link')).toHaveText(TENANT_PAGES);
      await expect(header.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Tenants' })).toHaveAttribute('aria-current', 'true');
      await page.goto('/');
    }

    // The audit is the superadmin's alone; the others get a clear refusal, not a blank page.
    const audit = await page.goto('/audit');
    if (role === 'superadmin') {
      expect(audit?.status()).toBe(200);
      await expect(page.getByRole('heading', { name: 'Access audit' })).toBeVisible();
      await expect(page.locator('tr[data-action="sign_in"]').first()).toContainText(email(role));
    } else {
      expect(audit?.status()).toBe(403);
      // The browser logs the refused navigation itself; that one is expected.
      const refused = errors.findIndex((e) => e.includes('status of 403'));
      expect(refused).toBeGreaterThanOrEqual(0);
      errors.splice(refused, 1);
      await expect(page.getByRole('alert')).toContainText(`Your role (${role}) may not open this page`);
      await page.goto('/');
    }

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/login\?signed_out=1$/);
    await expect(page.getByRole('status')).toHaveText('You are signed out.');
    await page.goto('/');
    await expect(page).toHaveURL(/\/login\?next=%2F$/);
    // No CSP violation, failed request or script error along the way.
    expect(errors).toEqual([]);
  });
}

test('a wrong password is refused with a message, and nothing else changes', async ({ page }) => {
  await page.goto('/login');
  await fillSignIn(page, 'viewer', PASSWORD + '-wrong');
  await expect(page.getByRole('alert')).toHaveText('Email or password is incorrect.');
  await expect(page.getByLabel('Email')).toHaveValue(email('viewer'));
  await expect(page.getByLabel('Password')).toHaveValue('');
  expect((await page.context().cookies()).filter((c) => c.name.includes('shardscope'))).toEqual([]);
});

test('the audit filters by action through the URL', async ({ page }) => {
  await page.goto('/audit');
  await fillSignIn(page, 'superadmin');
  await expect(page.getByRole('heading', { name: 'Access audit' })).toBeVisible();
  // The actions are a known list: a select, not free text.
  await page.getByLabel('Action').selectOption('sign_in');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/action=sign_in/);
  const actions = await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
  expect(actions.length).toBeGreaterThan(0);
  expect(new Set(actions)).toEqual(new Set(['sign_in']));
  await expect(page.getByLabel('Action')).toHaveValue('sign_in');
  await page.getByLabel('Since (UTC)').fill('tomorrow');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page.getByRole('alert')).toContainText('"since" must be a date like 2026-11-28');
  // What was typed stays in the form, so it can be corrected.
  await expect(page.getByLabel('Since (UTC)')).toHaveValue('tomorrow');
  await expect(page.getByLabel('Action')).toHaveValue('sign_in');
});

test('the audit form and pager follow the view: clear, older, newest', async ({ page, baseURL }) => {
  test.setTimeout(120_000);
  // Its own data: more than one page (100) of records, whatever ran before — failed sign-ins of
  // accounts that do not exist, sent as the form would (same origin).
  const run = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  for (let i = 0; i < 101; i++) {
    const r = await page.request.post('/login', {
      form: { email: `nobody-${run}-${i}@e2e.shardscope.test`, password: 'not-a-password', next: '/' },
      headers: { origin: new URL(baseURL || 'http://127.0.0.1:3000').origin },
      maxRedirects: 0,
    });
    expect(r.status(), `failed sign-in ${i} is refused and audited`).toBe(401);
  }
  await page.goto('/audit?action=sign_in');
  await fillSignIn(page, 'superadmin');
  await expect(page.getByLabel('Action')).toHaveValue('sign_in');
  // Page loads, with JavaScript or without (only islands hydrate): the form follows each one.
  await page.getByRole('link', { name: 'Clear' }).click();
  await expect(page).toHaveURL(/\/audit$/);
  await expect(page.getByLabel('Action')).toHaveValue('');
  // More than one page of records exists (the 101 above).
  await page.getByRole('link', { name: 'Older →' }).click();
  await expect(page).toHaveURL(/before=\d+/);
  await expect(page.getByRole('link', { name: 'Newest' })).toBeVisible();
  await page.getByRole('link', { name: 'Newest' }).click();
  await expect(page).toHaveURL(/\/audit\?$|\/audit$/);
  await expect(page.getByRole('link', { name: 'Newest' })).toHaveCount(0);
});

// Only islands hydrate: a navigation link is an ordinary page load, with or without JavaScript,
// and the page it loads arrives complete and without a script error.
test('the navigation links load their pages, complete and without a script error', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await fillSignIn(page, 'superadmin');
  await expect(page.getByRole('heading', { name: 'Fleet overview' })).toBeVisible();
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Audit' }).click();
  await expect(page).toHaveURL(/\/audit$/);
  await expect(page.getByRole('heading', { name: 'Access audit' })).toBeVisible();
  await expect(page.locator('tbody tr').first()).toBeVisible();
  expect(errors).toEqual([]);
});

// At 1 280 px the top bar (brand, sections, search, who is signed in) is one row and the
// section's pages another, with more than half of that row free for pages still to come.
test('the navigation fits at 1 280 px: one row of sections, one of pages, room for more', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, 'superadmin');
  const boxes = (sel: string) => page.locator(sel).evaluateAll((els) => els.map((e) => {
    const b = e.getBoundingClientRect();
    return { top: b.top, bottom: b.bottom, left: b.left, right: b.right, text: (e.textContent || '').trim() };
  }));
  const first = await boxes('header.topbar > .brand, header.topbar nav.sections a, header.topbar .tenant-search, header.topbar .whoami');
  expect(first.length, "brand, four sections, search, who is signed in").toBe(7);
  // One row: every item overlaps the brand's line vertically.
  const brand = first[0];
  for (const b of first) {
    expect(b.top < brand.bottom && b.bottom > brand.top, `${b.text} is on the brand's row: ${JSON.stringify(first)}`).toBe(true);
  }
  const pages = await boxes('header.topbar nav.pages a');
  expect(pages.map((b) => b.text)).toEqual(FLEET_PAGES);
  expect(new Set(pages.map((b) => Math.round(b.top))).size, `the pages are one row: ${JSON.stringify(pages)}`).toBe(1);
  expect(pages[0].top, 'the pages row is under the sections').toBeGreaterThanOrEqual(brand.bottom);
  const used = Math.max(...pages.map((b) => b.right)) - Math.min(...pages.map((b) => b.left));
  expect(used, `the pages row uses ${used} px of 1 280`).toBeLessThan(640);
});
