// AdmissionReview latency over HTTPS with gatekeeper-library constraints installed (Rego, then CEL), and
// reviews/s at saturation; baseline: the same reviews decided in-process (no HTTP, no TLS).
// Usage: node --import tsx bench/admission/run.ts [path/to/gatekeeper-library/library] [--requests N]
import { join } from 'node:path';
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AdmissionEngine,
  decide,
  ensureServingCert,
  loadDocuments,
  Metrics,
  startWebhook,
  verify,
} from '../../src/admission/index.ts';

const args = process.argv.slice(2);
const lib = args.find((a) => !a.startsWith('--')) ?? join('..', 'corpora', 'gatekeeper-library/library');
const ri = args.indexOf('--requests');
const N = ri >= 0 ? Number(args[ri + 1]) : 3000;
const CONCURRENCY = 32;

async function install(enableCel: boolean): Promise<{ engine: AdmissionEngine; constraints: number }> {
  const engine = new AdmissionEngine({ enableCel });
  const suites = await verify([`${lib}/...`], { run: '^$' }); // discover suite files without running cases
  let constraints = 0;
  for (const s of suites) {
    const { readFile } = await import('node:fs/promises');
    const { parse } = await import('yaml');
    const suite = parse(await readFile(s.path, 'utf8')) as { tests?: { template: string; constraint: string }[] };
    for (const t of suite.tests ?? []) {
      if (constraints >= 50) break;
      const dir = path.dirname(s.path);
      const [tpl] = await loadDocuments(path.join(dir, t.template));
      const [con] = await loadDocuments(path.join(dir, t.constraint));
      if (!tpl || !con) continue;
      const compiled = engine.addTemplate(tpl);
      if (compiled.errors.length > 0) continue;
      const meta = con.metadata as { name: string };
      meta.name = `${meta.name}-${constraints}`;
      engine.addConstraint(con);
      constraints++;
    }
  }
  return { engine, constraints };
}

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'bench', namespace: 'default', labels: { app: 'bench', owner: 'me.agilebank.demo' } },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'openpolicyagent/opa:0.9.2',
        resources: { limits: { cpu: '100m', memory: '1Gi' }, requests: { cpu: '100m', memory: '1Gi' } },
        securityContext: { runAsNonRoot: true, runAsUser: 1000 },
      },
    ],
  },
};

const review = (uid: string) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid,
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    name: 'bench',
    namespace: 'default',
    operation: 'CREATE',
    userInfo: { username: 'bench' },
    object: pod,
    dryRun: false,
  },
});

function pct(xs: number[], p: number): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

async function main(): Promise<void> {
  const { loadavg, cpus } = await import('node:os');
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} on ${cpus().length} CPUs (tails are unreliable on a loaded machine)`,
  );
  const dir = mkdtempSync(path.join(tmpdir(), 'sekisho-bench-admission-'));
  const tls = await ensureServingCert(dir);
  const agent = new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca: tls.caCert });
  for (const enableCel of [false, true]) {
    const { engine, constraints } = await install(enableCel);
    const server = await startWebhook({ engine, host: '127.0.0.1', port: 0, tls });
    const post = (uid: string) =>
      new Promise<number>((resolve, reject) => {
        const t0 = performance.now();
        const req = https.request(
          `${server.url}/v1/admit`,
          { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
          (res) => {
            res.resume();
            res.on('end', () => resolve(performance.now() - t0));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(review(uid)));
      });
    // baseline: in-process decisions
    const metrics = new Metrics();
    const base: number[] = [];
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      decide({ engine, host: '', port: 0, tls }, metrics, review(`b${i}`).request);
      base.push(performance.now() - t0);
    }
    const first = decide({ engine, host: '', port: 0, tls }, metrics, review('x').request);
    for (let i = 0; i < 200; i++) await post(`w${i}`); // warm-up
    const lat: number[] = [];
    for (let i = 0; i < N; i++) lat.push(await post(`s${i}`));
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < N) {
          next++;
          await post(`c${next}`);
        }
      }),
    );
    const rps = N / ((performance.now() - t0) / 1000);
    const label = enableCel ? 'CEL (K8sNativeValidation where present)' : 'Rego';
    console.log(
      `${label}: ${constraints} constraints, sample pod ${first.allowed ? 'allowed' : `denied (${(first.status?.message ?? '').split('\n').length} violations)`}`,
    );
    console.log(`  in-process  p50 ${pct(base, 50).toFixed(3)} ms  p99 ${pct(base, 99).toFixed(3)} ms`);
    console.log(
      `  HTTPS       p50 ${pct(lat, 50).toFixed(3)} ms  p99 ${pct(lat, 99).toFixed(3)} ms  (ratio p50 ${(pct(lat, 50) / pct(base, 50)).toFixed(1)}x)`,
    );
    console.log(`  saturation  ${rps.toFixed(0)} reviews/s with ${CONCURRENCY} concurrent clients`);
    await server.close();
  }
  agent.destroy();
  rmSync(dir, { recursive: true, force: true });
}

await main();
