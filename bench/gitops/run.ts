// Benchmark (outside CI): N Applications of M resources each against the in-process sandbox.
// Prints time to first full sync (all synced and healthy), CPU and wall time of a no-change refresh of
// every app, and the process's memory. Usage: npm run bench:gitops -- [--apps 200] [--resources 50]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../../src/kube/index.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { API_VERSION, startController, type Application } from '../../src/gitops/index.ts';

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const APPS = arg('apps', 200);
const RES = arg('resources', 50);
const dir = mkdtempSync(join(tmpdir(), 'sekisho-bench-gitops-'));
const sandbox = await startSandbox({ dataDir: join(dir, 'cluster'), durability: 'normal' });
const client = await KubeClient.fromKubeconfig({ path: sandbox.kubeconfigPath });
try {
  const repo = join(dir, 'repo');
  mkdirSync(repo);
  const git = (...a: string[]) => execFileSync('git', a, { cwd: repo });
  git('init', '-q', '-b', 'main');
  for (let a = 0; a < APPS; a++) {
    const d = join(repo, `app${a}`);
    mkdirSync(d);
    const docs: string[] = [];
    for (let r = 0; r < RES; r++) {
      if (r % 10 === 0)
        docs.push(
          `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d${r}}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: d${r}}}\n  template:\n    metadata: {labels: {app: d${r}}}\n    spec: {containers: [{name: c, image: nginx}]}\n`,
        );
      else docs.push(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${r}}\ndata: {k: "${a}-${r}"}\n`);
    }
    writeFileSync(join(d, 'all.yaml'), docs.join('---\n'));
  }
  git('add', '-A');
  git('-c', 'user.email=b@example.com', '-c', 'user.name=b', 'commit', '-q', '-m', 'bench');
  const ctl = await startController({ client, dataDir: join(dir, 'ctl'), resync: 3_600_000, workers: 16 });
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: APPS }, (_, a) =>
      client.create({
        apiVersion: API_VERSION,
        kind: 'Application',
        metadata: { name: `app${a}`, namespace: ctl.namespace },
        spec: {
          project: 'default',
          source: { repoURL: 'file://' + repo, path: `app${a}` },
          destination: { server: 'https://kubernetes.default.svc', namespace: `bench${a}` },
          syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] },
        },
      }),
    ),
  );
  let lastReport = Date.now();
  for (;;) {
    const list = await client.listAll<Application>(API_VERSION, 'Application', { namespace: ctl.namespace });
    const done = list.items.filter(
      (a) => a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy',
    ).length;
    if (done === APPS) break;
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      process.stderr.write(`${((Date.now() - t0) / 1000).toFixed(0)} s: ${done}/${APPS} apps synced and healthy\n`);
    }
    if (Date.now() - t0 > 15 * 60_000) throw new Error(`only ${done}/${APPS} apps synced after 15 min`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const firstSync = Date.now() - t0;
  const cpuSync = process.cpuUsage(cpu0);
  await ctl.idle();
  const rounds: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < 3; i++) {
    const c0 = process.cpuUsage();
    const s = Date.now();
    ctl.refresh();
    await ctl.idle();
    rounds.push(Date.now() - s);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1000);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const mem = process.memoryUsage();
  console.log(`apps ${APPS} x resources ${RES} = ${APPS * RES} objects (sandbox in the same process)`);
  console.log(
    `first full sync (synced + healthy): ${(firstSync / 1000).toFixed(1)} s, CPU ${((cpuSync.user + cpuSync.system) / 1e6).toFixed(1)} s`,
  );
  console.log(
    `no-change hard refresh of all apps: median ${med(rounds)} ms wall, ${med(cpus).toFixed(0)} ms CPU (rounds: ${rounds.join(', ')})`,
  );
  console.log(`memory: rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB, heap ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB`);
  await ctl.close();
} finally {
  client.close();
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
}
