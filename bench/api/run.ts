// Benchmark (outside CI) of the platform API against the in-process sandbox:
//  1. latency of the application list with N Applications (default 2,000): a page of 100, a filtered
//     query, and the whole list — p50/p99 — beside the baseline of listing the same Applications
//     straight from the cluster (what the API did before it had its informer cache);
//  2. live-update fan-out: S server-sent-event subscribers (default 100); each Application change is
//     timed from the PATCH leaving the client to every subscriber receiving its event — p50/p99/max —
//     one change at a time, then a burst of changes for throughput.
// Usage: npm run bench:api -- [--apps 2000] [--subscribers 100] [--requests 300] [--events 100]
import { spawn } from 'node:child_process';
import { request, type IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { install } from '../../src/gitops/index.ts';
import { KubeClient } from '../../src/kube/index.ts';
import { AuditLog, AuthStore, startApiServer } from '../../src/server/index.ts';

const arg = (name: string, d: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const APPS = arg('apps', 2000);
const SUBS = arg('subscribers', 100);
const REQUESTS = arg('requests', 300);
const EVENTS = arg('events', 100);
const API = 'gitops.sekisho.dev/v1alpha1';
const binPath = fileURLToPath(new URL('../../bin/sekisho.js', import.meta.url));
const NS = 'sekisho-gitops';

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};
const fmt = (ms: number): string => `${ms.toFixed(2)} ms`;
const now = (): number => Number(process.hrtime.bigint()) / 1e6;

const dir = mkdtempSync(join(tmpdir(), 'sekisho-bench-api-'));
// the cluster runs in its own process (`sekisho cluster serve`), as under `sekisho up` it shares nothing
// with the API server's event loop but the machine
const cluster = spawn(
  process.execPath,
  [binPath, 'cluster', 'serve', '--data-dir', join(dir, 'cluster'), '--listen', '127.0.0.1:0'],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
await new Promise<void>((resolve, reject) => {
  createInterface({ input: cluster.stdout! }).on('line', (l) => l.startsWith('listening on') && resolve());
  cluster.once('exit', (c) => reject(new Error(`cluster serve exited with ${c}`)));
});
const kube = await KubeClient.fromKubeconfig({ path: join(dir, 'cluster', 'kubeconfig') });
await install(kube, NS);
const auth = new AuthStore({ dir: join(dir, 'auth') });
await auth.setUser('bench', 'bench-long-password', 'viewer');
const { token } = auth.createToken('bench', 'bench', 'viewer');
const api = await startApiServer({
  host: '127.0.0.1',
  port: 0,
  auth,
  audit: new AuditLog(join(dir, 'audit.jsonl')),
  kube,
  heartbeatMs: 60_000,
});

try {
  // ---------------------------------------------------------------- N applications
  let t = now();
  const projects = ['team-a', 'team-b', 'team-c', 'team-d'];
  for (let i = 0; i < APPS; i += 50)
    await Promise.all(
      Array.from({ length: Math.min(50, APPS - i) }, (_, k) => {
        const n = i + k;
        return kube.create({
          apiVersion: API,
          kind: 'Application',
          metadata: {
            name: `app-${String(n).padStart(5, '0')}`,
            namespace: NS,
            labels: { tier: n % 3 ? 'web' : 'db' },
          },
          spec: {
            project: projects[n % projects.length],
            source: { repoURL: 'https://example.invalid/config.git', path: `apps/${n}`, targetRevision: 'main' },
            destination: { server: 'https://kubernetes.default.svc', namespace: `app-${n}` },
          },
          status: {
            sync: { status: n % 5 ? 'Synced' : 'OutOfSync', revision: 'a'.repeat(40) },
            health: { status: n % 7 ? 'Healthy' : 'Degraded' },
          },
        });
      }),
    );
  console.log(`created ${APPS} Applications in ${((now() - t) / 1000).toFixed(1)} s`);

  const get = async (path: string): Promise<{ ms: number; body: { total?: number; items: unknown[] } }> => {
    const t0 = now();
    const r = await fetch(api.url + path, { headers: { authorization: `Bearer ${token}` } });
    const body = (await r.json()) as { total?: number; items: unknown[] };
    const ms = now() - t0;
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${JSON.stringify(body)}`);
    return { ms, body };
  };
  // wait for the informer to hold every application
  for (;;) {
    const r = await get('/api/v1/applications?limit=1');
    if (r.body.total === APPS) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  const measure = async (label: string, fn: () => Promise<number>, n: number): Promise<number[]> => {
    for (let i = 0; i < 10; i++) await fn(); // warm up
    const xs: number[] = [];
    for (let i = 0; i < n; i++) xs.push(await fn());
    console.log(
      `${label.padEnd(58)} p50 ${fmt(pct(xs, 50)).padStart(10)}  p99 ${fmt(pct(xs, 99)).padStart(10)}  (${n} requests)`,
    );
    return xs;
  };
  console.log(`\napplication list, ${APPS} applications (sequential requests, one client):`);
  let cont: string | undefined;
  const pageXs = await measure(
    'GET /api/v1/applications?limit=100 (walking continue)',
    async () => {
      const r = await get(`/api/v1/applications?limit=100${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
      cont = (r.body as { continue?: string }).continue;
      return r.ms;
    },
    REQUESTS,
  );
  await measure(
    'GET …?project=team-b&health=Healthy&selector=tier=web&limit=100',
    async () => (await get('/api/v1/applications?project=team-b&health=Healthy&selector=tier%3Dweb&limit=100')).ms,
    REQUESTS,
  );
  await measure(
    'GET …?search=app-01&sort=-name&limit=100 (1,000 match)',
    async () => (await get('/api/v1/applications?search=app-01&sort=-name&limit=100')).ms,
    REQUESTS,
  );
  const fullXs = await measure(
    `GET /api/v1/applications (all ${APPS})`,
    async () => (await get('/api/v1/applications')).ms,
    Math.max(20, REQUESTS / 5),
  );
  const baseXs = await measure(
    `baseline: cluster list of ${APPS} Applications (KubeClient)`,
    async () => {
      const t0 = now();
      const l = await kube.list(API, 'Application', { namespace: NS });
      if (l.items.length !== APPS) throw new Error(`cluster listed ${l.items.length}`);
      return now() - t0;
    },
    Math.max(20, REQUESTS / 5),
  );
  const basePage = await measure(
    'baseline: cluster list, limit=100 (KubeClient)',
    async () => {
      const t0 = now();
      await kube.list(API, 'Application', { namespace: NS, limit: 100 });
      return now() - t0;
    },
    REQUESTS,
  );
  console.log(
    `ratio p99 API page / cluster page: ${(pct(pageXs, 99) / pct(basePage, 99)).toFixed(2)}; API full list / cluster full list: ${(pct(fullXs, 99) / pct(baseXs, 99)).toFixed(2)}`,
  );

  // ---------------------------------------------------------------- SSE fan-out
  console.log(`\nlive-update fan-out to ${SUBS} subscribers:`);
  const sent = new Map<number, number>();
  const lat: number[] = [];
  const perSeq = new Map<number, number>();
  let waiter: { seq: number; resolve: () => void } | undefined;
  const streams: IncomingMessage[] = [];
  await Promise.all(
    Array.from(
      { length: SUBS },
      () =>
        new Promise<void>((resolve, reject) => {
          const u = new URL('/api/v1/stream?name=app-00000', api.url);
          const req = request(u, { headers: { authorization: `Bearer ${token}` } }, (res) => {
            if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
            streams.push(res);
            res.setEncoding('utf8');
            let buf = '';
            res.on('data', (chunk: string) => {
              const at = now();
              buf += chunk;
              let i;
              while ((i = buf.indexOf('\n\n')) >= 0) {
                const frame = buf.slice(0, i);
                buf = buf.slice(i + 2);
                const m = /"seq":"(\d+)"/.exec(frame);
                if (!m) continue;
                const seq = Number(m[1]);
                const t0 = sent.get(seq);
                if (t0 === undefined) continue;
                lat.push(at - t0);
                const c = (perSeq.get(seq) ?? 0) + 1;
                perSeq.set(seq, c);
                if (c === SUBS && waiter?.seq === seq) waiter.resolve();
              }
            });
            resolve();
          });
          req.on('error', reject);
          req.end();
        }),
    ),
  );
  while (api.subscribers < SUBS) await new Promise((r) => setTimeout(r, 10));
  const change = (seq: number) =>
    kube.patch(API, 'Application', 'app-00000', NS, { metadata: { labels: { seq: String(seq) } } }, 'merge');
  // one change at a time: latency
  for (let seq = 1; seq <= EVENTS; seq++) {
    const all = new Promise<void>((resolve) => (waiter = { seq, resolve }));
    sent.set(seq, now());
    await change(seq);
    await all;
  }
  console.log(
    `${'one change at a time, PATCH → each subscriber'.padEnd(58)} p50 ${fmt(pct(lat, 50)).padStart(10)}  p99 ${fmt(pct(lat, 99)).padStart(10)}  max ${fmt(Math.max(...lat))}  (${lat.length} deliveries)`,
  );
  // a burst: throughput of deliveries
  lat.length = 0;
  const burst = EVENTS;
  t = now();
  const last = EVENTS + burst;
  const done = new Promise<void>((resolve) => (waiter = { seq: last, resolve }));
  for (let seq = EVENTS + 1; seq <= last; seq++) {
    sent.set(seq, now());
    await change(seq);
  }
  await done;
  const wall = now() - t;
  console.log(
    `${`burst of ${burst} changes`.padEnd(58)} p50 ${fmt(pct(lat, 50)).padStart(10)}  p99 ${fmt(pct(lat, 99)).padStart(10)}  ${Math.round((burst * SUBS) / (wall / 1000))} deliveries/s`,
  );
  for (const s of streams) s.destroy();
} finally {
  await api.close();
  kube.close();
  await new Promise<void>((r) => {
    cluster.once('exit', () => r());
    cluster.kill('SIGTERM');
  });
  rmSync(dir, { recursive: true, force: true });
}
