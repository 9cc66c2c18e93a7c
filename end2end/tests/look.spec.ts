import { test, expect, Page, TestInfo } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import * as path from 'path';
import { Role, signIn } from './auth';

// How every page looks and reads, for every role, with JavaScript on and off (the two Playwright
// projects run this whole file): axe-core finds no serious or critical violation in either
// theme, the document has a real title, one h1 and its landmarks, and a full-page screenshot of
// each theme is saved under target/screenshots/ for people to look at (CI keeps them as
// artifacts). A last test walks the overview with the keyboard. With JavaScript off, axe reads a
// copy of the page as that browser built it (see pageForAxe).

const ROOT = path.resolve(__dirname, '..', '..');
const SCREENSHOTS = path.join(ROOT, 'target', 'screenshots');

// The rule sets the suite holds pages to, and the impacts that fail it (minor and moderate
// findings are left to review: they are reported by axe but do not fail the run).
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
const FAILING_IMPACTS = ['serious', 'critical'];

type Who = Role | 'anonymous';

type PageCase = {
  path: string;
  // The status the document itself is served with.
  status: number;
  // The page's one h1.
  heading: string;
  // Whether the page must have a <nav> (every signed-in page: the header's page links).
  nav: boolean;
  // Something that arrives last on a streamed page; the page is settled once it is there.
  last?: string;
  // Text the page's role=alert must contain, for the pages that refuse something.
  alert?: string;
  // A patient lookup to submit through the page's form (a POST): the answer is what is checked.
  lookup?: string;
};

// The overview streams its rows as shards answer; "N of M shards answered" needs every shard,
// so it is the last thing in the HTML.
const OVERVIEW = { status: 200, heading: 'Fleet overview', nav: true, last: '[data-answered]' };
const NOT_FOUND = { path: '/no-such-page', status: 404, heading: 'Not found', nav: true };
// A signed-in role refused a page gets the 403 document (server/src/auth/refused.rs).
const REFUSED = { path: '/audit', status: 403, heading: 'Not allowed', nav: true, alert: 'may not open this page' };

// Only the sign-in page is open to anonymous visitors (whatever else they ask for, they are sent
// to it; sign_in.spec.ts checks that).
const ANONYMOUS: PageCase[] = [
  { path: '/login', status: 200, heading: 'Sign in', nav: false },
  { path: '/login?next=%2F', status: 200, heading: 'Sign in', nav: false },
];

// The telemetry pages: every role that may open the fleet pages may open these.
const TELEMETRY: PageCase[] = [
  { path: '/pools', status: 200, heading: 'Connection pools', nav: true },
  { path: '/telemetry?group=route', status: 200, heading: 'Requests', nav: true },
  { path: '/telemetry/slow-queries', status: 200, heading: 'Slow queries', nav: true },
  { path: '/shards', status: 200, heading: 'Shards', nav: true },
  { path: '/shards/us-1?range=15m', status: 200, heading: 'Shard us-1', nav: true },
];

// The tenant pages: support and superadmin (a viewer is refused, 403).
const TENANTS: PageCase[] = [
  { path: '/tenants', status: 200, heading: 'Tenants', nav: true },
  { path: '/tenants?q=cl&sort=patients&dir=desc', status: 200, heading: 'Tenants', nav: true },
  { path: '/tenants/2', status: 200, heading: 'Clínica São José', nav: true },
  { path: '/routing', status: 200, heading: 'Routing truth', nav: true },
  { path: '/compliance', status: 200, heading: 'RLS compliance', nav: true },
  { path: '/placement?region=us-east-1&patients=12000', status: 200, heading: 'Placement', nav: true },
];
const VIEWER_REFUSED_TENANTS = { ...REFUSED, path: '/tenants' };

// The patient lookup: support and superadmin, the empty form and a lookup's answer (a family
// phone of the demo: two people, their clinics, for a superadmin the break-glass forms).
const PATIENTS: PageCase[] = [
  { path: '/patients', status: 200, heading: 'Patient lookup', nav: true },
  { path: '/patients', status: 200, heading: 'Patient lookup', nav: true, lookup: '(555) 100-0069', last: '[data-people]' },
];
const VIEWER_REFUSED_PATIENTS = { ...REFUSED, path: '/patients' };

const SIGNED_IN: Record<Role, PageCase[]> = {
  superadmin: [
    { path: '/', ...OVERVIEW },
    { path: '/?sort=patients', ...OVERVIEW },
    { path: '/audit', status: 200, heading: 'Access audit', nav: true },
    { path: '/audit?action=sign_in', status: 200, heading: 'Access audit', nav: true },
    ...TELEMETRY,
    ...TENANTS,
    ...PATIENTS,
    NOT_FOUND,
  ],
  support: [{ path: '/', ...OVERVIEW }, { path: '/?sort=patients', ...OVERVIEW }, ...TELEMETRY, ...TENANTS, ...PATIENTS, REFUSED, NOT_FOUND],
  viewer: [{ path: '/', ...OVERVIEW }, { path: '/?sort=patients', ...OVERVIEW }, ...TELEMETRY, REFUSED, VIEWER_REFUSED_TENANTS, VIEWER_REFUSED_PATIENTS, NOT_FOUND],
};

// A file-name-safe name for a page: '/' is the overview, anything else its path and query with
// every run of other characters as one '-' (e.g. '/audit?action=sign_in' → 'audit-action-sign-in').
function slug(pagePath: string, lookup?: string): string {
  if (lookup) return `${slug(pagePath)}-lookup`;
  const [pathname, query] = pagePath.split('?');
  const base = pathname.replace(/^\/+/, '') || 'overview';
  return [base, query]
    .filter(Boolean)
    .join('-')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

// Open the page and wait until it is complete: the document has loaded and, on a streamed page,
// its last part has arrived.
async function open(page: Page, c: PageCase) {
  const response = await page.goto(c.path);
  expect(response?.status(), `status of ${c.path}`).toBe(c.status);
  await page.waitForLoadState('load');
  if (c.lookup) {
    await page.getByLabel('Phone, email or user id').fill(c.lookup);
    await page.getByRole('button', { name: 'Look up' }).click();
    await page.waitForLoadState('load');
  }
  if (c.last) await page.locator(c.last).first().waitFor({ state: 'attached' });
  // The first h1 only: checkStructure reports a second one with a clearer message.
  await expect(page.locator('h1').first()).toHaveText(c.heading);
  if (c.alert) await expect(page.getByRole('alert')).toContainText(c.alert);
}

// What a person needs from every document: a title that names the page, one h1, and landmarks
// to jump between. Soft assertions: one run reports every gap on the page, not just the first.
async function checkStructure(page: Page, c: PageCase) {
  await expect.soft(page, 'the title names the page, then the product').toHaveTitle(/^.+ · shardscope$/);
  // A hydration marker leaking into the title would still match the pattern above.
  expect.soft(await page.title(), 'no hydration marker in the title').not.toContain('<!>');
  await expect.soft(page.locator('h1'), 'exactly one h1').toHaveCount(1);
  await expect.soft(page.locator('main'), 'exactly one main landmark').toHaveCount(1);
  await expect.soft(page.getByRole('banner'), 'a header (banner) landmark').toHaveCount(1);
  if (c.nav) await expect.soft(page.locator('nav').first(), 'a nav landmark').toBeAttached();
}

// "rule (impact): help — target, target, target (+N more)", one line per failing rule: enough to
// find what to fix from the test report alone.
type Violation = Awaited<ReturnType<AxeBuilder['analyze']>>['violations'][number];
function describeViolation(v: Violation): string {
  // A target is a list of selectors: one per iframe or shadow root on the way to the element.
  const selector = (n: Violation['nodes'][number]) =>
    n.target.map((s) => (Array.isArray(s) ? s.join(' >>> ') : String(s))).join(' → ');
  const targets = v.nodes.slice(0, 3).map(selector);
  const more = v.nodes.length > 3 ? ` (+${v.nodes.length - 3} more)` : '';
  return `${v.id} (${v.impact}): ${v.help} — ${targets.join(', ')}${more} [${v.helpUrl}]`;
}

// Run axe on the page as it is now (in the theme currently emulated) and fail on any serious or
// critical violation. Soft, so the other theme is still checked and screenshotted.
async function checkAxe(page: Page, where: string) {
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  const failing = results.violations
    .filter((v) => FAILING_IMPACTS.includes(v.impact ?? ''))
    .map(describeViolation);
  expect.soft(failing, `serious or critical axe violations on ${where}:\n${failing.join('\n')}`).toEqual([]);
}

// The page axe reads. axe-core runs inside the page and awaits its own promises, which a page with
// JavaScript off never settles (analyze() fails: "Resulting promise was garbage collected"; see
// dequelabs/axe-core-npm#529). So with JavaScript off axe reads a copy of the document exactly as
// that browser built it, scripts removed and <noscript> content kept as the elements it showed,
// served at the same address to a page of its own with JavaScript on: same origin, cookies,
// stylesheet, images and viewport, and nothing there can hydrate or change it. (One difference:
// a `@media (scripting: none)` rule would not apply in the copy.)
async function pageForAxe(page: Page, info: TestInfo): Promise<{ page: Page; close: () => Promise<void> }> {
  if (info.project.use.javaScriptEnabled !== false) return { page, close: async () => {} };
  const html = await page.evaluate(() => {
    const root = document.documentElement.cloneNode(true) as HTMLElement;
    root.querySelectorAll('script').forEach((s) => s.remove());
    root.querySelectorAll('noscript').forEach((n) => n.replaceWith(...Array.from(n.childNodes)));
    return `<!DOCTYPE html>${root.outerHTML}`;
  });
  const browser = page.context().browser();
  if (!browser) throw new Error('no browser to open the copy for axe in');
  const context = await browser.newContext({ viewport: page.viewportSize(), javaScriptEnabled: true });
  await context.addCookies(await page.context().cookies());
  const copy = await context.newPage();
  const url = page.url();
  await copy.route((u) => u.href === url, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
  await copy.goto(url);
  return { page: copy, close: () => context.close() };
}

// In each theme: a full-page screenshot first (so a failing page is still on record), then axe
// (colour contrast is different in each theme).
async function checkThemes(page: Page, info: TestInfo, who: Who, c: PageCase) {
  const axe = await pageForAxe(page, info);
  try {
    const seen: Record<string, { bg: string; bgLum: number; fgLum: number }> = {};
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      seen[colorScheme] = await page.evaluate(() => {
        // Relative luminance (WCAG) of a computed rgb()/rgba() colour.
        const lum = (css: string) => {
          const [r, g, b] = (css.match(/[\d.]+/g) ?? ['0', '0', '0']).slice(0, 3).map((v) => {
            const c = Number(v) / 255;
            return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
          });
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        // The page's background: the body's, or (transparent body) the root's, as the canvas shows.
        const body = getComputedStyle(document.body);
        const opaque = (css: string) => !/^rgba\(.*,\s*0\)$|^transparent$/.test(css);
        const bg = opaque(body.backgroundColor)
          ? body.backgroundColor
          : getComputedStyle(document.documentElement).backgroundColor;
        return { bg, bgLum: lum(bg), fgLum: lum(body.color) };
      });
      const file = `${info.project.name}-${who}-${slug(c.path, c.lookup)}-${colorScheme}.png`;
      await page.screenshot({ path: path.join(SCREENSHOTS, file), fullPage: true });
      if (axe.page !== page) await axe.page.emulateMedia({ colorScheme });
      await checkAxe(axe.page, `${c.path} as ${who}, ${colorScheme} theme, ${info.project.name}`);
    }
    // The theme follows the system: dark text on a light page, light text on a dark one.
    const themes = JSON.stringify(seen);
    expect.soft(seen.light.bgLum, `light theme: a light background under darker text; ${themes}`).toBeGreaterThan(seen.light.fgLum);
    expect.soft(seen.dark.bgLum, `dark theme: a dark background under lighter text; ${themes}`).toBeLessThan(seen.dark.fgLum);
    expect.soft(seen.dark.bg, `the background changes with the system's theme; ${themes}`).not.toBe(seen.light.bg);
  } finally {
    await axe.close();
  }
}

test.describe('anonymous', () => {
  for (const c of ANONYMOUS) {
    test(`${c.path}: structure, axe and screenshots in both themes`, async ({ page }, info) => {
      await open(page, c);
      await checkStructure(page, c);
      await checkThemes(page, info, 'anonymous', c);
    });
  }
});

for (const role of ['superadmin', 'support', 'viewer'] as Role[]) {
  test.describe(role, () => {
    // Each test has its own browser context, so each signs in (through the form, as a person).
    test.beforeEach(async ({ page }) => {
      await signIn(page, role);
    });

    for (const c of SIGNED_IN[role]) {
      test(`${c.path}${c.lookup ? " (a lookup's answer)" : ""}: structure, axe and screenshots in both themes`, async ({ page }, info) => {
        await open(page, c);
        await checkStructure(page, c);
        await checkThemes(page, info, role, c);
      });
    }
  });
}

// One stop of the keyboard walk: the focused element and how its focus is drawn.
type Stop = {
  tag: string;
  href: string | null;
  text: string;
  inNav: boolean;
  inTable: boolean;
  inViewport: boolean;
  outlineStyle: string;
  outlineWidth: string;
  boxShadow: string;
};

// A focus indicator a person can see: an outline of some width, or a box-shadow the element does
// not have when it is not focused (the current page's nav link always has one).
const hasIndicator = (s: Stop, unfocusedShadow: Record<string, string>) =>
  (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
  || (s.boxShadow !== 'none' && s.boxShadow !== unfocusedShadow[`${s.href}|${s.text}`]);

const show = (s: Stop) => `${s.tag}${s.href ? `[href="${s.href}"]` : ''} "${s.text}"`;

test('the overview works from the keyboard: skip link first, every control reachable, focus visible', async ({ page }) => {
  await signIn(page, 'superadmin');
  await open(page, { path: '/', ...OVERVIEW });
  await expect(page.locator('main#main'), 'the skip link\'s target').toHaveCount(1);

  // How links and buttons look before anything has focus, to tell a focus ring from a permanent
  // decoration.
  const unfocusedShadow: Record<string, string> = await page.evaluate(() => Object.fromEntries(
    Array.from(document.querySelectorAll('a, button')).map((el) => [
      `${el.getAttribute('href')}|${(el.textContent || '').replace(/\s+/g, ' ').trim()}`,
      getComputedStyle(el).boxShadow,
    ])));

  // Tab through the page from the top, noting each element that takes focus, until focus leaves
  // the document or comes back round to the start.
  const stops: Stop[] = [];
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate((): Stop | null => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const style = getComputedStyle(el);
      const box = el.getBoundingClientRect();
      return {
        tag: el.tagName.toLowerCase(),
        href: el.getAttribute('href'),
        text: (el.textContent || '').replace(/\s+/g, ' ').trim(),
        inNav: !!el.closest('nav'),
        inTable: !!el.closest('table, [role=table], [role=grid], [role=treegrid]'),
        inViewport: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
          && box.top < window.innerHeight && box.left < window.innerWidth,
        outlineStyle: style.outlineStyle,
        outlineWidth: style.outlineWidth,
        boxShadow: style.boxShadow,
      };
    });
    if (!stop) break;
    if (stops.length > 0 && stop.href === stops[0].href && stop.text === stops[0].text) break;
    stops.push(stop);
  }
  const order = `tab order: ${stops.map(show).join(' | ')}`;

  // First stop: the skip link, on screen while it has focus.
  expect(stops[0], order).toMatchObject({ tag: 'a', href: '#main', text: 'Skip to content', inViewport: true });
  // Every part of the page is reachable: both rows of the navigation, the table's sort headers,
  // sign-out.
  const reached = (what: string, found: (s: Stop) => boolean) =>
    expect(stops.some(found), `focus reaches ${what}; ${order}`).toBe(true);
  reached('the section link "Audit"', (s) => s.tag === 'a' && s.inNav && s.text === 'Audit');
  reached('the page link "Slow queries"', (s) => s.tag === 'a' && s.inNav && s.text === 'Slow queries');
  reached('a sort link in the shard table', (s) => s.tag === 'a' && s.inTable && (s.href ?? '').includes('sort='));
  reached('the "Sign out" button', (s) => s.tag === 'button' && s.text === 'Sign out');

  // Focus is drawn where keyboard users land first: the skip link and the nav links.
  const mustShowFocus = stops.filter((s, i) => i === 0 || (s.tag === 'a' && s.inNav));
  const invisible = mustShowFocus
    .filter((s) => !hasIndicator(s, unfocusedShadow))
    .map((s) => `${show(s)}: outline ${s.outlineStyle} ${s.outlineWidth}, box-shadow ${s.boxShadow}`);
  expect(mustShowFocus.length, `the skip link and at least one nav link were focused; ${order}`).toBeGreaterThan(1);
  expect(invisible, 'focused elements without a visible focus indicator').toEqual([]);
});

test('the skip link moves the keyboard into the page content', async ({ page }) => {
  await signIn(page, 'superadmin');
  await open(page, { path: '/', ...OVERVIEW });
  await page.keyboard.press('Tab');
  await expect(page.locator(':focus')).toHaveText('Skip to content');
  await page.keyboard.press('Enter');
  // Focus is now at <main> (or inside it), and the next Tab lands on the page's first control,
  // not back in the header.
  expect(await page.evaluate(() => !!document.activeElement?.closest('main'))).toBe(true);
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => {
    const el = document.activeElement;
    return !!el && !!el.closest('main') && !el.closest('header');
  })).toBe(true);
});

// Every page works from the keyboard alone: Tab from the top reaches every control a pointer
// could use (links, buttons, form fields, disclosure summaries, in document order), and each
// shows where focus is. The overview's walk above also checks what comes first.
for (const c of SIGNED_IN.superadmin.filter((c) => c.path !== '/')) {
  test(`${c.path}${c.lookup ? " (a lookup's answer)" : ''}: every control is reached by Tab and shows its focus`, async ({ page }) => {
    await signIn(page, 'superadmin');
    await open(page, c);
    // Number the controls a person could use, in document order.
    const controls: string[] = await page.evaluate(() => {
      const all = Array.from(document.querySelectorAll<HTMLElement>(
        'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]'));
      return all
        .filter((el) => el.tabIndex >= 0 && !(el as HTMLButtonElement).disabled
          && el.checkVisibility({ visibilityProperty: true })
          && !el.closest('details:not([open]) > :not(summary)'))
        .map((el, i) => {
          el.dataset.kbd = String(i);
          const label = (el.getAttribute('aria-label') || el.textContent || (el as HTMLInputElement).name || '')
            .replace(/\s+/g, ' ').trim().slice(0, 40);
          return `${el.tagName.toLowerCase()} "${label}"`;
        });
    });
    expect(controls.length, `${c.path} has controls to reach`).toBeGreaterThan(0);
    const unfocused: Record<string, string> = await page.evaluate(() => Object.fromEntries(
      Array.from(document.querySelectorAll<HTMLElement>('[data-kbd]')).map((el) => [
        el.dataset.kbd, `${getComputedStyle(el).outlineStyle}|${getComputedStyle(el).boxShadow}`])));
    const reached = new Set<string>();
    const noIndicator: string[] = [];
    for (let i = 0; i < controls.length + 5; i++) {
      await page.keyboard.press('Tab');
      const stop = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) return null;
        const style = getComputedStyle(el);
        return {
          kbd: el.dataset.kbd ?? null,
          outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
          boxShadow: style.boxShadow,
        };
      });
      if (!stop || stop.kbd === null) break;
      if (reached.has(stop.kbd)) break;
      reached.add(stop.kbd);
      const before = unfocused[stop.kbd] ?? '';
      if (!stop.outline && (stop.boxShadow === 'none' || before.endsWith(`|${stop.boxShadow}`))) {
        noIndicator.push(controls[Number(stop.kbd)]);
      }
    }
    const missed = controls.filter((_, i) => !reached.has(String(i)));
    expect(missed, `controls on ${c.path} that Tab never reaches (reached ${reached.size} of ${controls.length})`).toEqual([]);
    expect(noIndicator, `controls on ${c.path} that take focus without showing it`).toEqual([]);
  });
}
