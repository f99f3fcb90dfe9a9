// Shared by the browser tests of the web UI: builds ui/dist when it is missing or older than its sources,
// starts the platform in-process on 127.0.0.1:0 with a temporary data dir, launches Debian's Chromium
// through playwright-core, logs in, runs axe-core on a view and saves screenshots under test-artifacts/ui/.
// startUi does all of that for a test file's before hook and gives back one fixture to close in its after hook.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { KubeClient } from '../../src/kube/index.ts';
import { startPlatform, type Platform, type PlatformOptions } from '../../src/platform/index.ts';
import { installCiCrds } from '../support/ci-crds.ts';

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

export const GIT = process.env.GIT ?? '/usr/bin/git';

/**
 * git in `cwd`, asynchronously (the platform's git server answering the pushes runs in this process), with
 * `home` as HOME, no system config, no prompts and a fixed identity; resolves to the trimmed stdout.
 */
export function git(args: string[], cwd: string, home: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      GIT,
      args,
      {
        cwd,
        encoding: 'utf8',
        env: {
          ...process.env,
          HOME: home,
          GIT_TERMINAL_PROMPT: '0',
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_AUTHOR_NAME: 'UI Test',
          GIT_AUTHOR_EMAIL: 'ui@example.com',
          GIT_COMMITTER_NAME: 'UI Test',
          GIT_COMMITTER_EMAIL: 'ui@example.com',
        },
      },
      (err, stdout, stderr) => {
        if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT' && !existsSync(GIT))
          reject(new Error(`git is required by the UI tests and was not found at ${GIT} (install git, or set GIT)`));
        else if (err) reject(new Error(`git ${args.join(' ')}: ${stderr || err.message}`));
        else resolve(stdout.trim());
      },
    );
  });
}

/** What a test file's seed gets: the platform is up, the browser not yet. */
export interface UiPlatform {
  /** the temporary folder of the test file (the platform's data dir is data/ in it); removed by close() */
  dir: string;
  /** a folder for the test's own git checkout: dir/work (not created) */
  work: string;
  platform: Platform;
  /** the generated admin password */
  password: string;
  /** the API as admin, with a token */
  api: Api;
  kube: KubeClient;
  /** git (see git()) in `cwd`, by default work, with dir as HOME */
  git(args: string[], cwd?: string): Promise<string>;
}

export interface UiFixture extends UiPlatform {
  browser: Browser;
  /** a page of a new browser context with the platform's URL as base */
  page: Page;
  /** the results of every check(), in order */
  axeResults: AxeResult[];
  /** runs axe-core on `p` (the fixture's page by default) and fails on serious or critical violations */
  check(view: string, p?: Page): Promise<void>;
  /** closes the browser, the kube client and the platform and removes dir */
  close(): Promise<void>;
}

export interface UiOptions {
  /** options of the platform (the data dir and the listen address are the fixture's) */
  platform?: Partial<PlatformOptions>;
  /** install the ci.sekisho.dev CRDs and the CI namespace first */
  ciCrds?: boolean;
  /** puts the test file's fixtures on the platform while the UI builds, before the browser starts */
  seed?: (ui: UiPlatform) => Promise<void>;
  /** log in as admin through the login view at this path; without it the page is left logged out */
  loginAt?: string;
}

/**
 * Starts what a browser test file needs, for its before hook: ui/dist built (in parallel with the rest), the
 * platform on a temporary data dir, an admin API token, a kube client, the seed, Chromium with a page, and
 * the login. On a failure, what was started is closed again before the error is thrown.
 */
export async function startUi(name: string, o: UiOptions = {}): Promise<UiFixture> {
  const dir = mkdtempSync(path.join(tmpdir(), `sekisho-ui-${name}-`));
  const work = path.join(dir, 'work');
  const built = ensureUiBuilt();
  built.catch(() => undefined);
  let platform: Platform | undefined;
  let kube: KubeClient | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    kube?.close();
    await platform?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const started = await startTestPlatform(path.join(dir, 'data'), o.platform);
    platform = started.platform;
    const api = await apiAs(platform, started.password);
    kube = await KubeClient.fromKubeconfig({ path: platform.kubeconfigPath });
    if (o.ciCrds) await installCiCrds(kube);
    const up: UiPlatform = {
      dir,
      work,
      platform,
      password: started.password,
      api,
      kube,
      git: (args, cwd = work) => git(args, cwd, dir),
    };
    await o.seed?.(up);
    await built;
    browser = await launchBrowser();
    const page = await (await newContext(browser, platform.apiUrl)).newPage();
    if (o.loginAt !== undefined) await loginUi(page, started.password, o.loginAt);
    const axeResults: AxeResult[] = [];
    return {
      ...up,
      browser,
      page,
      axeResults,
      async check(view, p = page) {
        const r = await axe(p, view);
        axeResults.push(r);
        assertNoSeriousAxe(r);
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
