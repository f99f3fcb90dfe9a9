// Sandbox cluster benchmark (outside CI): create 10,000 ConfigMaps over 20 namespaces through the HTTPS
// API, then measure list latency (all namespaces, one namespace, paginated), watch delivery latency and
// memory. Usage: node --import tsx bench/sandbox/run.ts [--objects N] [--concurrency C] [--durability full|normal]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { KubeClient, type KubeObject } from '../../src/kube/index.ts';
import { startSandbox } from '../../src/sandbox/index.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const N = Number(arg('objects', '10000'));
const C = Number(arg('concurrency', '32'));
const durability = arg('durability', 'full') as 'full' | 'normal';
const NS = 20;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!;

const dir = mkdtempSync(join(tmpdir(), 'sekisho-bench-'));
const sb = await startSandbox({ dataDir: dir, durability, controllers: true });
const client = await KubeClient.fromKubeconfig({ path: sb.kubeconfigPath });
try {
  for (let n = 0; n < NS; n++)
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `bench-${n}` } } as KubeObject);
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < N) {
        const i = next++;
        await client.create({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `cm-${i}`, namespace: `bench-${i % NS}`, labels: { shard: String(i % 10) } },
          data: { i: String(i), payload: 'x'.repeat(200) },
        } as KubeObject);
      }
    }),
  );
  const createS = (performance.now() - t0) / 1000;
  console.log(
    `create: ${N} objects in ${createS.toFixed(2)} s = ${(N / createS).toFixed(0)} objects/s (durability=${durability}, concurrency=${C})`,
  );
  const cpu = process.cpuUsage(cpu0);
  const cpuMsPerObject = (cpu.user + cpu.system) / 1000 / N;
  console.log(
    `create CPU (client and server in one process): ${cpuMsPerObject.toFixed(3)} ms per object = ${(1000 / cpuMsPerObject).toFixed(0)} objects per CPU-second`,
  );

  const timeIt = async (f: () => Promise<unknown>, runs = 7) => {
    const xs: number[] = [];
    for (let r = 0; r < runs; r++) {
      const s = performance.now();
      await f();
      xs.push(performance.now() - s);
    }
    return xs;
  };
  const all = await timeIt(async () => {
    const l = await client.list('v1', 'ConfigMap', { namespace: '' });
    if (l.items.length < N) throw new Error(`listed ${l.items.length}`);
  });
  console.log(
    `list all ${N} (all namespaces): median ${median(all).toFixed(1)} ms, max ${Math.max(...all).toFixed(1)} ms`,
  );
  const one = await timeIt(() => client.list('v1', 'ConfigMap', { namespace: 'bench-3' }));
  console.log(`list one namespace (${N / NS}): median ${median(one).toFixed(1)} ms`);
  const sel = await timeIt(() => client.list('v1', 'ConfigMap', { namespace: '', labelSelector: 'shard=3' }));
  console.log(`list with labelSelector (${N / 10}): median ${median(sel).toFixed(1)} ms`);
  const paged = await timeIt(() => client.listAll('v1', 'ConfigMap', { namespace: '', limit: 500 }), 3);
  console.log(`list all paginated (limit=500): median ${median(paged).toFixed(1)} ms`);

  // watch latency: from the write's acknowledgement to the event on an open watch
  const ac = new AbortController();
  const rv = (await client.list('v1', 'ConfigMap', { namespace: 'bench-0', limit: 1 })).metadata.resourceVersion!;
  const pending = new Map<string, number>();
  const lat: number[] = [];
  const M = 300;
  const watching = (async () => {
    for await (const ev of client.watch('v1', 'ConfigMap', {
      namespace: 'bench-0',
      resourceVersion: rv,
      signal: ac.signal,
    })) {
      const t = pending.get(ev.object.metadata.name!);
      if (t !== undefined && ev.type === 'ADDED') {
        lat.push(performance.now() - t);
        if (lat.length === M) break;
      }
    }
  })();
  for (let i = 0; i < M; i++) {
    const name = `w-${i}`;
    pending.set(name, performance.now());
    await client.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'bench-0' },
    } as KubeObject);
  }
  await watching;
  ac.abort();
  console.log(
    `watch: ${M} events, latency from write start median ${median(lat).toFixed(2)} ms, p99 ${p99(lat).toFixed(2)} ms`,
  );
  const mem = process.memoryUsage();
  console.log(
    `memory (server and client in one process): rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB with ${sb.cluster.store.count()} objects`,
  );
} finally {
  await sb.close();
  rmSync(dir, { recursive: true, force: true });
}
