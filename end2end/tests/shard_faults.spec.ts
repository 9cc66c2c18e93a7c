import { test, expect, Page } from '@playwright/test';
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { signIn } from './auth';

// Shard faults seen in the browser: a stopped primary on the console that scripts/test runs (no
// cache); the freshness promise on a second console this file starts with a short cache and stale
// bound (a value older than the bound is never counted as an answer); and the slow shard (600 ms
// per reply, set up by scripts/test) on a third console whose deadline it cannot meet. The
// consoles are stopped and the stopped node is started again whatever happens.

const ROOT = path.resolve(__dirname, '..', '..');
const SHARDS = (process.env.SHARDSCOPE_E2E_SHARDS || 'us-1,us-2,eu-1,org-101').split(',');
const SLOW = process.env.SHARDSCOPE_E2E_SLOW_SHARD || 'eu-1';
const VICTIM = SHARDS.includes('us-2') ? 'us-2' : SHARDS.filter((s) => s !== SLOW)[0];
const N = SHARDS.length;
const BASE_PORT = Number(process.env.SHARDSCOPE_HTTP_PORT || '3100');
const FRESH = `http://127.0.0.1:${BASE_PORT + 10}`;
const IMPATIENT = `http://127.0.0.1:${BASE_PORT + 12}`;
const TTL_MS = 1000;
const BOUND_MS = 8000;

const consoles: { child: ChildProcess; pidFile: string }[] = [];

function fleet(...args: string[]) {
  execFileSync(path.join(ROOT, 'scripts', 'fleet'), args, { stdio: 'pipe' });
}

async function waitFor(url: string) {
  for (let i = 0; i < 150; i++) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within 30 s`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test.describe.configure({ mode: 'serial' });

// Another console on the same fleet, with its own port, cache namespace, log and settings.
async function startConsole(url: string, name: string, env: Record<string, string>) {
  const logDir = path.join(process.env.SHARDSCOPE_FLEET_DIR || path.join(ROOT, '.fleet-test'), 'logs');
  const log = fs.openSync(path.join(logDir, `e2e-console-${name}.log`), 'a');
  // The build under test (scripts/test runs the suite on the release build).
  const bin = process.env.SHARDSCOPE_E2E_BIN || path.join(ROOT, 'target', 'debug', 'shardscope-server');
  const child = spawn(bin, ['serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      LEPTOS_SITE_ADDR: url.replace('http://', ''),
      SHARDSCOPE_CACHE_NAMESPACE: `e2e-${name}-${process.pid}`,
      ...env,
    },
    stdio: ['ignore', log, log],
  });
  // Known to `scripts/fleet down` too (it stops every run/*.pid), should this run be interrupted.
  const pidFile = path.join(path.dirname(logDir), 'run', `e2e-console-${name}.pid`);
  fs.writeFileSync(pidFile, String(child.pid));
  consoles.push({ child, pidFile });
  await waitFor(`${url}/login`);
}

async function stopConsoles() {
  for (const { child, pidFile } of consoles.splice(0)) {
    const running = () => child.exitCode === null && child.signalCode === null;
    if (running()) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(6000)]);
      if (running()) child.kill('SIGKILL');
    }
    fs.rmSync(pidFile, { force: true });
  }
}

test.beforeAll(async () => {
  await startConsole(FRESH, 'fresh', {
    SHARDSCOPE_CACHE_TTL_MS: String(TTL_MS),
    SHARDSCOPE_STALE_MAX_MS: String(BOUND_MS),
    SHARDSCOPE_SHARD_DEADLINE_MS: '5000',
  });
  await startConsole(IMPATIENT, 'impatient', {
    SHARDSCOPE_CACHE_TTL_MS: '0',
    SHARDSCOPE_SHARD_DEADLINE_MS: '1000',
  });
});

test.afterAll(async () => {
  try {
    await stopConsoles();
  } finally {
    fleet('start-node', VICTIM);
  }
});

async function banner(page: Page) {
  return page.locator('.answered');
}

test('the first viewer after a quiet spell sees a stopped primary; within the bound, cached values are served with their age', async ({ page }) => {
  test.setTimeout(120_000);
  const row = page.locator(`[role=row][data-shard="${VICTIM}"]`);
  await signIn(page, 'viewer', `${FRESH}/`);
  await expect(await banner(page)).toContainText(`${N} of ${N} shards answered`);

  // Within the bound: stop the primary and look again at once — the cached values are served
  // without waiting, with their age.
  fleet('stop-node', VICTIM);
  await sleep(TTL_MS + 300); // past the TTL (so the age is shown), well within the bound
  await page.goto(`${FRESH}/`);
  await expect(await banner(page)).toContainText(`${N} of ${N} shards answered`);
  await expect(row).toContainText('cached');

  // The shard comes back; after a quiet spell longer than the bound, its old failure (seen by
  // the background refresh) is not served: the first viewer sees it answering.
  fleet('start-node', VICTIM);
  await sleep(BOUND_MS + 1000);
  await page.goto(`${FRESH}/`);
  await expect(await banner(page)).toContainText(`${N} of ${N} shards answered`);
  await expect(row).not.toHaveClass(/failed/);

  // Quiet again past the bound, then the primary stops: the first viewer sees it failed.
  await sleep(BOUND_MS + 1000);
  fleet('stop-node', VICTIM);
  await page.goto(`${FRESH}/`);
  await expect(await banner(page)).toContainText(`${N - 1} of ${N} shards answered`);
  await expect(await banner(page)).toContainText(VICTIM);
  await expect(row).toHaveClass(/failed/);
  await expect(row).toContainText('not answering now');
  await expect(row).toContainText(/showing values from \d+ s ago/);
  await expect(row.locator('.failure')).toHaveAttribute('data-kind', 'refused');
  fleet('start-node', VICTIM);
});

test('a stopped primary fails alone on the overview, with its reason and last good values', async ({ page }) => {
  await signIn(page, 'viewer');
  await expect(await banner(page)).toContainText(`${N} of ${N} shards answered`);
  fleet('stop-node', VICTIM);
  try {
    await page.goto('/');
    await expect(await banner(page)).toContainText(`${N - 1} of ${N} shards answered`);
    const row = page.locator(`[role=row][data-shard="${VICTIM}"]`);
    await expect(row).toHaveClass(/failed/);
    await expect(row.locator('.failure')).toHaveAttribute('data-kind', 'refused');
    await expect(row).toContainText(/showing values from \d+ s ago/);
    await expect(row.locator('.patients')).toBeVisible();
    for (const id of SHARDS.filter((s) => s !== VICTIM)) {
      await expect(page.locator(`[role=row][data-shard="${id}"]`)).not.toHaveClass(/failed/);
    }
  } finally {
    fleet('start-node', VICTIM);
  }
});

test('a shard slower than the deadline is a timeout in its own row; the rest of the page renders', async ({ page }) => {
  await signIn(page, 'viewer', `${IMPATIENT}/`);
  await expect(await banner(page)).toContainText(`${N - 1} of ${N} shards answered`);
  await expect(await banner(page)).toContainText(SLOW);
  const row = page.locator(`[role=row][data-shard="${SLOW}"]`);
  await expect(row).toHaveClass(/failed/);
  await expect(row.locator('.failure')).toHaveAttribute('data-kind', 'timeout');
  for (const id of SHARDS.filter((s) => s !== SLOW)) {
    await expect(page.locator(`[role=row][data-shard="${id}"]`)).not.toHaveClass(/failed/);
  }
});
