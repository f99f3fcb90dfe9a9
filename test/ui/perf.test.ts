// The applications view at scale: 2,000 Applications in the sandbox cluster, served by the real API server
// and rendered in headless Chromium. Measured in the page: the time from navigation start to the first
// screen of rows painted (must be under 1 s), and requestAnimationFrame intervals while the list and the
// tiles are scrolled from top to bottom, loading every page on the way (no frame may exceed 50 ms; on a machine
// too busy to keep static HTML under 50 ms, measured alongside, no worse than 1.5 times that baseline).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { applicationCrd } from '../../src/gitops/index.ts';
import { KubeClient, type KubeObject } from '../../src/kube/index.ts';
import type { Platform } from '../../src/platform/index.ts';
import {
  apiAs,
  axe,
  assertNoSeriousAxe,
  ensureUiBuilt,
  launchBrowser,
  loginUi,
  newContext,
  screenshot,
  startTestPlatform,
  writeArtifact,
  type Api,
} from './harness.ts';

const N = 2000;
const APP_API = 'gitops.sekisho.dev/v1alpha1';
const dir = mkdtempSync(path.join(tmpdir(), 'sekisho-ui-perf-'));
let platform: Platform;
let password = '';
let api: Api;
let browser: Browser;
let page: Page;
const figures: Record<string, unknown> = {};

const SYNCS = ['Synced', 'Synced', 'Synced', 'OutOfSync', 'Unknown'];
const HEALTHS = ['Healthy', 'Healthy', 'Progressing', 'Degraded', 'Missing', 'Healthy'];
const TEAMS = ['web', 'data', 'payments', 'search'];

function app(i: number): KubeObject {
  const name = `app-${String(i).padStart(4, '0')}`;
  return {
    apiVersion: APP_API,
    kind: 'Application',
    metadata: { name, namespace: 'default', labels: { team: TEAMS[i % TEAMS.length]! } },
    spec: {
      project: i % 10 === 0 ? 'platform' : 'default',
      source: { repoURL: `http://127.0.0.1:1/team-${i % 40}/config.git`, path: `apps/${name}`, targetRevision: 'main' },
      destination: { server: 'https://kubernetes.default.svc', namespace: name },
    },
    status: {
      sync: {
        status: SYNCS[i % SYNCS.length]!,
        revision: `${(i * 2654435761).toString(16).padStart(8, '0')}`.repeat(5).slice(0, 40),
      },
      health: { status: HEALTHS[i % HEALTHS.length]! },
      reconciledAt: new Date(1_700_000_000_000 + i * 1000).toISOString(),
    },
  };
}

before(async () => {
  const built = ensureUiBuilt();
  built.catch(() => undefined);
  ({ platform, password } = await startTestPlatform(path.join(dir, 'data'), { controller: false, auditIntervalMs: 0 }));
  await built;
  api = await apiAs(platform, password);
  const kube = await KubeClient.fromKubeconfig({ path: platform.kubeconfigPath });
  const t0 = Date.now();
  await kube.create(applicationCrd()).catch((e: { status?: number }) => {
    if (e.status !== 409) throw e;
  });
  // the CRD is served once established; the first create tells
  for (let tries = 0; ; tries++) {
    try {
      await kube.create(app(0));
      break;
    } catch (e) {
      if (tries > 100) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  for (let i = 1; i < N; i += 50)
    await Promise.all(Array.from({ length: Math.min(50, N - i) }, (_, k) => kube.create(app(i + k))));
  kube.close();
  // the API server's application cache catches up through its watch
  const end = Date.now() + 60_000;
  for (;;) {
    const r = await api.call<{ total?: number }>('GET', '/applications?limit=1');
    if (r.total === N) break;
    if (Date.now() > end) throw new Error(`the API lists ${r.total} applications, not ${N}`);
    await new Promise((r2) => setTimeout(r2, 100));
  }
  figures.seedMs = Date.now() - t0;
  browser = await launchBrowser();
  const ctx = await newContext(browser, platform.apiUrl);
  page = await ctx.newPage();
  await loginUi(page, password, '/applications');
});

after(async () => {
  await browser?.close();
  await platform?.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(`# ui perf figures: ${JSON.stringify(figures)}`);
  writeArtifact('perf.json', JSON.stringify(figures, null, 2));
});

// In-page code is passed as text: tsx would wrap named functions in helpers the page does not have.
const FIRST_PAINT = `new Promise((resolve) => {
  const sel = sessionStorage.getItem('perf-selector');
  const check = () => {
    if (document.querySelector(sel)) requestAnimationFrame(() => resolve(performance.now()));
    else requestAnimationFrame(check);
  };
  check();
})`;

/** Navigates to `url` and returns ms from navigation start until the first data row is painted. */
async function firstScreen(url: string, selector: string): Promise<number> {
  await page.evaluate(`sessionStorage.setItem('perf-selector', ${JSON.stringify(selector)})`);
  await page.goto(url);
  return (await page.evaluate(FIRST_PAINT)) as number;
}

interface ScrollStats {
  /** main-thread tasks of the page over 50 ms (PerformanceObserver longtask) */
  longTasks: number;
  longestTaskMs: number;
  frames: number;
  longestMs: number;
  p95Ms: number;
  over50: number;
  scrolledPx: number;
  rowsLoaded: number | null;
  durationMs: number;
}

/** Scrolls the list to the end with a fixed step per animation frame, recording frame intervals. */
async function scrollAll(step: number): Promise<ScrollStats> {
  return (await page.evaluate(`new Promise((resolve, reject) => {
    const el = document.querySelector('[data-testid="app-scroll"]');
    if (!el) return reject(new Error('no scroll container'));
    const deltas = [];
    const longTasks = [];
    const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) longTasks.push(e.duration); });
    obs.observe({ type: 'longtask' });
    let last = -1;
    let frames = 0;
    const t0 = performance.now();
    const done = () => el.scrollTop + el.clientHeight >= el.scrollHeight - 2 && !document.querySelector('.load-more');
    const tick = (t) => {
      if (last >= 0) deltas.push(t - last);
      last = t;
      frames++;
      if (done() || frames > 5000) {
        const sorted = [...deltas].sort((a, b) => a - b);
        obs.disconnect();
        resolve({
          longTasks: longTasks.length,
          longestTaskMs: Math.round(Math.max(0, ...longTasks)),
          frames,
          longestMs: Math.round(Math.max(...deltas) * 10) / 10,
          p95Ms: Math.round((sorted[Math.floor(sorted.length * 0.95)] ?? 0) * 10) / 10,
          over50: deltas.filter((d) => d > 50).length,
          scrolledPx: Math.round(el.scrollTop),
          rowsLoaded: document.querySelector('[aria-rowcount]')
            ? Number(document.querySelector('[aria-rowcount]').getAttribute('aria-rowcount')) - 1
            : null,
          durationMs: Math.round(performance.now() - t0),
        });
        return;
      }
      el.scrollTop += ${step};
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  })`)) as ScrollStats;
}

/** 2,000 rows of static HTML (no script) in the same kind of scroll box: the machine's own frame times. */
const BASELINE = `<!doctype html><html><body style="margin:0;font:15px sans-serif">
<div data-testid="app-scroll" style="height:700px;overflow:auto;contain:strict">${Array.from(
  { length: N },
  (_, i) =>
    `<div style="display:grid;grid-template-columns:2fr 1fr 1fr 8rem 8rem 3fr;height:44px;align-items:center;border-bottom:1px solid #ccc"><a href="#">app-${i}</a><span>default</span><span>default</span><b>Synced</b><b>Healthy</b><span>http://127.0.0.1:1/team/config.git</span></div>`,
).join('')}</div></body></html>`;

interface Attempt {
  /** the same scroll over static HTML just before, on a page of its own */
  baseline: ScrollStats;
  ui: ScrollStats;
}

/**
 * Scrolls a freshly loaded view to the end (every page fetched on the way), right after scrolling static
 * HTML of the same size as a baseline. The machine may be shared with other work, so up to three attempts
 * are made; every attempt is reported. An attempt passes when no frame of the UI took over 50 ms or, when
 * the machine itself could not keep frames under 50 ms for static HTML, when the UI's longest frame stays
 * within 1.5 times the baseline's.
 */
async function scrollRuns(url: string, selector: string, step: number): Promise<{ attempts: Attempt[]; ok: boolean }> {
  const attempts: Attempt[] = [];
  // one tab for both: a page in a background tab gets no animation frames
  for (let i = 0; i < 3; i++) {
    await page.setContent(BASELINE);
    const baseline = await scrollAll(step);
    await firstScreen(url, selector);
    const ui = await scrollAll(step);
    attempts.push({ baseline, ui });
    if (passes(attempts.at(-1)!)) return { attempts, ok: true };
  }
  return { attempts, ok: false };
}

function passes(a: Attempt): boolean {
  if (a.ui.over50 === 0) return true;
  return a.baseline.longestMs > 50 && a.ui.longestMs <= a.baseline.longestMs * 1.5;
}

test(`list view with ${N} applications: first screen under 1 s, scrolling without frames over 50 ms`, async () => {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) runs.push(await firstScreen('/applications', '[role="row"][aria-rowindex="2"]'));
  figures.listFirstScreenMs = runs.map((x) => Math.round(x));
  await page
    .getByTestId('app-count')
    .filter({ hasText: `${N} applications` })
    .waitFor();
  await screenshot(page, 'perf-list-2000');
  const a = await axe(page, 'applications list (2,000)');
  figures.axeList = a.violations.map((v) => `${v.id}:${v.impact}`);
  assertNoSeriousAxe(a);
  const scrolls = await scrollRuns('/applications', '[role="row"][aria-rowindex="2"]', 160);
  figures.listScroll = scrolls.attempts;
  figures.loadavg = loadavg().map((x) => Math.round(x * 10) / 10);
  // the last application is on screen once every page has loaded
  assert.ok(await page.getByRole('link', { name: `app-${String(N - 1).padStart(4, '0')}`, exact: true }).isVisible());
  assert.equal(scrolls.attempts.at(-1)!.ui.rowsLoaded, N);
  for (const r of runs) assert.ok(r < 1000, `first screen took ${Math.round(r)} ms (runs: ${runs.join(', ')})`);
  assert.ok(scrolls.ok, `frames over 50 ms while scrolling the list: ${JSON.stringify(scrolls.attempts)}`);
});

test(`tiles view with ${N} applications: first screen under 1 s, scrolling without frames over 50 ms`, async () => {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) runs.push(await firstScreen('/applications?view=tiles', '[role="listitem"] a'));
  figures.tilesFirstScreenMs = runs.map((x) => Math.round(x));
  await screenshot(page, 'perf-tiles-2000');
  const scrolls = await scrollRuns('/applications?view=tiles', '[role="listitem"] a', 200);
  figures.tilesScroll = scrolls.attempts;
  assert.ok(await page.getByRole('link', { name: `app-${String(N - 1).padStart(4, '0')}`, exact: true }).isVisible());
  for (const r of runs) assert.ok(r < 1000, `first screen took ${Math.round(r)} ms (runs: ${runs.join(', ')})`);
  assert.ok(scrolls.ok, `frames over 50 ms while scrolling the tiles: ${JSON.stringify(scrolls.attempts)}`);
});

test('filters are applied by the server and kept in the URL; search narrows the list', async () => {
  const t0 = Date.now();
  await page.goto('/applications?sync=OutOfSync&health=Degraded&labels=team%3Ddata');
  const expected = Array.from({ length: N }, (_, i) => i).filter(
    (i) => SYNCS[i % SYNCS.length] === 'OutOfSync' && HEALTHS[i % HEALTHS.length] === 'Degraded' && i % 4 === 1,
  );
  assert.ok(expected.length > 10);
  await page
    .getByTestId('app-count')
    .filter({ hasText: `${expected.length} applications match` })
    .waitFor();
  figures.filteredMs = Date.now() - t0;
  const names = await page.locator('[role="row"] .c-name a').allTextContents();
  assert.deepEqual(
    names,
    expected.slice(0, names.length).map((i) => `app-${String(i).padStart(4, '0')}`),
  );
  assert.equal(await page.getByLabel('Sync').inputValue(), 'OutOfSync');
  await screenshot(page, 'perf-filtered');
  // sorting is the server's too: newest name first
  await page.goto('/applications?sort=-name');
  await page
    .locator('[role="row"][aria-rowindex="2"] .c-name a')
    .filter({ hasText: `app-${N - 1}` })
    .waitFor();
  assert.equal(await page.getByLabel('Sort by').inputValue(), '-name');
  // search as you type narrows the list without a page load
  await page.goto('/applications');
  await page
    .getByTestId('app-count')
    .filter({ hasText: `${N} applications` })
    .waitFor();
  await page.getByLabel('Search').fill('app-19');
  await page.waitForURL(/search=app-19/);
  await page.getByTestId('app-count').filter({ hasText: '100 applications match' }).waitFor();
  for (const name of await page.locator('[role="row"] .c-name a').allTextContents()) assert.match(name, /^app-19/);
});
