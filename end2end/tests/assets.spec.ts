import { test, expect } from '@playwright/test';
import { signIn } from './auth';

// What the browser downloads for a page, on the build under test (scripts/test runs this suite on
// the release build): asset names carry a content hash and are cached for a year, they arrive
// compressed (brotli, precompressed at build time), the wasm bundle stays under its size target,
// and pages themselves are never cached. Set SHARDSCOPE_E2E_RELEASE=1 for the release-only
// checks (hashed names, the size target).
const RELEASE = process.env.SHARDSCOPE_E2E_RELEASE === '1';
const WASM_GZIP_TARGET = 150 * 1024;

test('assets are compressed, cached by content hash, and the page is not cached', async ({ page, request }, info) => {
  test.skip(info.project.name === 'nojs', 'the scripts and the wasm bundle are what JavaScript loads');
  await signIn(page, 'viewer');
  const assets: { url: string; encoding: string; cache: string; type: string }[] = [];
  page.on('response', (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith('/pkg/')) {
      const h = r.headers();
      assets.push({ url: url.pathname, encoding: h['content-encoding'] || '', cache: h['cache-control'] || '', type: h['content-type'] || '' });
    }
  });
  const response = await page.goto('/');
  expect(response?.headers()['cache-control']).toBe('no-store');
  await expect(page.locator('.answered')).toBeVisible();
  // The wasm bundle is fetched by the hydration script: wait until the page is interactive.
  await expect.poll(() => assets.filter((a) => a.url.endsWith('.wasm')).length, { timeout: 30_000 }).toBeGreaterThan(0);

  const kinds = ['.css', '.js', '.wasm'];
  for (const kind of kinds) {
    const a = assets.find((x) => x.url.endsWith(kind));
    expect(a, `the page loaded a ${kind} asset: ${JSON.stringify(assets)}`).toBeTruthy();
    if (RELEASE) {
      // shardscope.<hash>.<ext>, served for a year: a new build has new names.
      expect(a!.url).toMatch(new RegExp(`^/pkg/shardscope\\.[A-Za-z0-9_-]{8,}\\${kind}$`));
      expect(a!.cache).toBe('public, max-age=31536000, immutable');
      expect(a!.encoding, `${a!.url} arrives compressed`).toBe('br');
    } else {
      expect(a!.cache).toBe('no-cache');
    }
  }
  expect(assets.find((x) => x.url.endsWith('.wasm'))!.type).toBe('application/wasm');

  if (RELEASE) {
    // The size a browser that only speaks gzip downloads (the figure docs/performance.md gives).
    const wasm = assets.find((x) => x.url.endsWith('.wasm'))!.url;
    const gz = await request.get(wasm, { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers()['content-encoding']).toBe('gzip');
    const onTheWire = Number(gz.headers()['content-length']);
    expect(onTheWire, `wasm bundle gzipped: ${onTheWire} bytes`).toBeLessThan(WASM_GZIP_TARGET);
    console.log(`wasm bundle on the wire: ${(onTheWire / 1024).toFixed(1)} KiB gzip`);
  }
});
