// Shared by the browser tests of the web UI: builds ui/dist when it is missing or older than its sources,
// starts the platform in-process on 127.0.0.1:0 with a temporary data dir, launches Debian's Chromium
// through playwright-core, logs in, runs axe-core on a view and saves screenshots under test-artifacts/ui/.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startPlatform, type Platform, type PlatformOptions } from '../../src/platform/index.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '..', '..');
export const UI = path.join(ROOT, 'ui');
export const DIST = path.join(UI, 'dist');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'ui');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

function newestMtime(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = 0;
  for (const e of readdirSync(p)) m = Math.max(m, newestMtime(path.join(p, e)));
  return m;
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

/** True when ui/dist is missing or older than any source of the UI. */
export function uiStale(): boolean {
  const index = path.join(DIST, 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  const src = Math.max(
    newestMtime(path.join(UI, 'src')),
    newestMtime(path.join(UI, 'index.html')),
    newestMtime(path.join(UI, 'vite.config.ts')),
  );
  return src > built;
}

/** Builds the UI (as `npm run build:ui` does) when ui/dist is missing or stale, one builder at a time. */
export async function ensureUiBuilt(): Promise<void> {
  if (!uiStale()) return;
  const lock = path.join(UI, '.build.lock');
  const end = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // another test file is building; a lock older than 3 minutes is left over from a killed run
      try {
        if (Date.now() - statSync(lock).mtimeMs > 180_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      if (Date.now() > end) throw new Error(`timed out waiting for ${lock}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (!uiStale()) return;
    const tmp = path.join(UI, `.dist-${process.pid}`);
    const vite = path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
    const r = await run(
      process.execPath,
      [
        vite,
        'build',
        '--config',
        path.join(UI, 'vite.config.ts'),
        '--outDir',
        tmp,
        '--emptyOutDir',
        '--logLevel',
        'warn',
      ],
      ROOT,
    );
    if (r.code !== 0) throw new Error(`building the UI failed (${r.code}):\n${r.out}`);
    const old = path.join(UI, `.dist-old-${process.pid}`);
    if (existsSync(DIST)) renameSync(DIST, old);
    renameSync(tmp, DIST);
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is required by the UI tests and was not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`,
    );
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless'], headless: true });
}

export async function newContext(browser: Browser, baseURL: string): Promise<BrowserContext> {
  return browser.newContext({ baseURL, viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' });
}

export interface Api {
  url: string;
  token: string;
  call<T = any>(method: string, p: string, body?: unknown): Promise<T>;
}

/** Logs in over the API as admin and makes an admin API token for seeding. */
export async function apiAs(platform: Platform, password: string): Promise<Api> {
  const url = platform.apiUrl;
  const login = await fetch(`${url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  assert.equal(login.status, 200, await login.clone().text());
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  const t = await fetch(`${url}/api/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
    body: JSON.stringify({ name: 'ui test seeding', role: 'admin' }),
  });
  assert.equal(t.status, 201, await t.clone().text());
  const token = ((await t.json()) as { token: string }).token;
  return {
    url,
    token,
    async call(method, p, body) {
      const r = await fetch(`${url}/api/v1${p}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await r.text();
      if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${text}`);
      return (text ? JSON.parse(text) : undefined) as never;
    },
  };
}

export async function startTestPlatform(
  dataDir: string,
  extra: Partial<PlatformOptions> = {},
): Promise<{ platform: Platform; password: string }> {
  const errors: string[] = [];
  const platform = await startPlatform({
    dataDir,
    listen: '127.0.0.1:0',
    log: (level, msg, fields) => {
      if (level === 'error') errors.push(`${msg} ${JSON.stringify(fields ?? {})}`);
    },
    ...extra,
  });
  const password = platform.admin.password;
  assert.ok(password, 'a fresh data dir gets a generated admin password');
  return { platform, password };
}

/** Logs in through the login view. */
export async function loginUi(page: Page, password: string, next = '/'): Promise<void> {
  await page.goto(next);
  await page.waitForURL(/\/login/);
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

export interface AxeResult {
  view: string;
  violations: { id: string; impact: string | null; help: string; nodes: number }[];
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core (WCAG 2.x A/AA and best practices) on the page as it is now. */
export async function axe(page: Page, view: string): Promise<AxeResult> {
  const has = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe !== 'undefined');
  if (!has) await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const a = (window as unknown as { axe: { run: (ctx: unknown, o: unknown) => Promise<any> } }).axe;
    const r = await a.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return (r.violations as any[]).map((v) => ({
      id: v.id as string,
      impact: v.impact as string | null,
      help: v.help as string,
      nodes: (v.nodes as unknown[]).length,
      targets: (v.nodes as { target: string[] }[]).slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  return { view, violations };
}

export function assertNoSeriousAxe(r: AxeResult): void {
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `axe on ${r.view}: serious or critical violations:\n${JSON.stringify(bad, null, 2)}`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: false });
}

export function writeArtifact(name: string, text: string): void {
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(path.join(ARTIFACTS, name), text);
}
