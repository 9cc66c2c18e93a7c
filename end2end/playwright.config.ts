import { defineConfig } from '@playwright/test';

// Debian's Chromium (Playwright cannot download a browser here). The background-networking flags
// keep Chromium from flooding the closed network with refused connections.
const chromium = {
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
};

export default defineConfig({
  testDir: './tests',
  workers: 1,
  retries: 0,
  // A stray test.only would silently skip the rest of the suite: refused on CI (scripts/test).
  forbidOnly: !!process.env.CI,
  timeout: 60_000,
  // The whole run has a bound too: a hang fails CI with a message instead of eating its budget.
  globalTimeout: 30 * 60_000,
  // The JSON report is read by scripts/playwright_counts.py (expected, passed, skipped and why).
  reporter: [['list'], ['json', { outputFile: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME || 'test-results/report.json' }]],
  use: {
    baseURL: process.env.SHARDSCOPE_E2E_URL || 'http://127.0.0.1:3000',
    launchOptions: chromium,
  },
  projects: [
    { name: 'js', use: { javaScriptEnabled: true } },
    { name: 'nojs', use: { javaScriptEnabled: false } },
  ],
});
