// Rego engine benchmark: warm per-evaluation medians (and p90) of prepared queries, plus compile time.
//
//   npm run bench:rego [-- --quick]
//
// Workloads:
//   (a) admission — the shared Kubernetes admission fixture (../shared/bench/admission-10-rules.rego, v0 syntax,
//       10 deny rules over a Pod, 7 messages), read at run time from outside the repo;
//   (b) rbac      — an RBAC policy scanning a generated 1,000-entry data document;
//   (c) conftest  — Conftest-style deny/warn rules over 500 generated Deployments in one input;
//   (d) functions — helper functions called with the same arguments again and again (1,000 containers, 6 images).
// When `opa-0.31` is on PATH (see bench/rego/README.md), `opa-0.31 bench` runs on (a) in the same run and the
// ratio is printed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compilePolicy, parseJSON, RSet, type PolicyOptions, type Value } from '../../src/rego/index.ts';
import {
  CONFTEST_POLICY,
  deployments,
  FUNCTIONS_POLICY,
  functionsData,
  functionsInput,
  RBAC_POLICY,
  rbacData,
  rbacInput,
} from './policies.ts';
import { fmt, measure } from './measure.ts';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const sharedBench = resolve(repo, '..', 'shared', 'bench');
const quick = process.argv.includes('--quick');

interface Workload {
  name: string;
  what: string;
  policy: PolicyOptions;
  query: string;
  input: Value;
  check: (result: Value | undefined) => string | undefined;
}

function setSize(v: Value | undefined): number | undefined {
  return v instanceof RSet ? v.size : undefined;
}

function workloads(): Workload[] {
  const regoFile = join(sharedBench, 'admission-10-rules.rego');
  const inputFile = join(sharedBench, 'admission-pod-input.json');
  if (!existsSync(regoFile) || !existsSync(inputFile)) {
    throw new Error(
      `the shared admission fixture is missing: expected ${regoFile} and ${inputFile} ` +
        `(they live outside the repo, in ../shared/bench relative to it; see bench/rego/README.md)`,
    );
  }
  const rbac = rbacData(1000);
  return [
    {
      name: 'admission',
      what: '10 deny rules over a Pod (shared fixture, v0 syntax)',
      policy: { modules: [{ file: regoFile, text: readFileSync(regoFile, 'utf8') }], regoVersion: 0 },
      query: 'data.k8s.admission.deny',
      input: parseJSON(readFileSync(inputFile, 'utf8')),
      check: (v) => (setSize(v) === 7 ? undefined : `expected 7 deny messages, got ${setSize(v) ?? 'no set'}`),
    },
    {
      name: 'rbac',
      what: 'RBAC allow over a 1,000-entry data document',
      policy: { modules: [{ file: 'rbac.rego', text: RBAC_POLICY }], data: rbac },
      query: 'data.rbac.allow',
      input: rbacInput(rbac),
      check: (v) => (typeof v === 'boolean' ? undefined : 'expected a boolean'),
    },
    {
      name: 'conftest',
      what: 'Conftest-style deny/warn rules over 500 Deployments',
      policy: { modules: [{ file: 'deployments.rego', text: CONFTEST_POLICY }] },
      query: 'data.main.deny',
      input: deployments(500),
      check: (v) => ((setSize(v) ?? 0) > 0 ? undefined : 'expected deny messages'),
    },
    {
      name: 'functions',
      what: 'helper functions over 500 Pods with recurring images',
      policy: { modules: [{ file: 'images.rego', text: FUNCTIONS_POLICY }], data: functionsData() },
      query: 'data.images.deny',
      input: functionsInput(500),
      check: (v) => ((setSize(v) ?? 0) > 0 ? undefined : 'expected deny messages'),
    },
  ];
}

interface OpaFigures {
  nsPerOp: number;
  medianNs: number | undefined;
}

function opaPeer(): OpaFigures | string {
  const probe = spawnSync('opa-0.31', ['version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return 'opa-0.31 not on PATH (see bench/rego/README.md to build it); no ratio';
  const r = spawnSync(
    'opa-0.31',
    [
      'bench',
      '--format',
      'json',
      '-d',
      join(sharedBench, 'admission-10-rules.rego'),
      '-i',
      join(sharedBench, 'admission-pod-input.json'),
      'data.k8s.admission.deny',
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) return `opa-0.31 bench failed: ${r.stderr || r.stdout}`;
  const out = JSON.parse(r.stdout) as { N: number; T: number; Extra?: Record<string, number> };
  const medianKey = Object.keys(out.Extra ?? {}).find((k) => /timer_rego_query_eval_ns.*median/.test(k));
  return { nsPerOp: out.T / out.N, medianNs: medianKey ? out.Extra?.[medianKey] : undefined };
}

function main(): number {
  const list = workloads();
  const warm = quick ? 50 : 500;
  const minIters = quick ? 20 : 50;
  const minMs = quick ? 300 : 3000;
  process.stdout.write(`rego bench (node ${process.version}; warm medians per evaluation, µs)\n\n`);
  const rows: string[][] = [
    ['workload', 'eval median', 'eval p90', 'eval cpu', 'evals', 'compile median', 'compile p90', 'compile cpu'],
  ];
  let admissionMedian = 0;
  for (const w of list) {
    const policy = compilePolicy(w.policy);
    const pq = policy.prepare(w.query);
    const first = pq.eval({ input: w.input });
    const problem = w.check(first[0]?.expressions[0]?.value);
    if (problem) throw new Error(`${w.name}: ${problem}`);
    const ev = measure(() => pq.eval({ input: w.input }), warm, minIters, minMs);
    const comp = measure(
      () => compilePolicy(w.policy).prepare(w.query),
      quick ? 5 : 20,
      quick ? 20 : 100,
      quick ? 200 : 1000,
    );
    if (w.name === 'admission') admissionMedian = ev.median;
    rows.push([
      `${w.name} — ${w.what}`,
      fmt(ev.median),
      fmt(ev.p90),
      fmt(ev.cpu),
      String(ev.n),
      fmt(comp.median),
      fmt(comp.p90),
      fmt(comp.cpu),
    ]);
  }
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  for (const r of rows)
    process.stdout.write(
      r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ') + '\n',
    );
  process.stdout.write(
    '\n(median/p90: wall-clock time of each evaluation; cpu: mean CPU time per evaluation, which stays\n' +
      'meaningful when other processes compete for the cores — compare it with the median to see contention)\n\n',
  );

  const peer = opaPeer();
  if (typeof peer === 'string') process.stdout.write(`peer: ${peer}\n`);
  else {
    const opaMedian = peer.medianNs !== undefined ? peer.medianNs / 1000 : undefined;
    process.stdout.write(
      `peer: opa-0.31 bench on admission: ${fmt(peer.nsPerOp / 1000)} µs/op` +
        (opaMedian !== undefined ? `, eval median ${fmt(opaMedian)} µs` : '') +
        `\nratio (sekisho eval median / opa ${opaMedian !== undefined ? 'eval median' : 'µs/op'}): ` +
        `${(admissionMedian / (opaMedian ?? peer.nsPerOp / 1000)).toFixed(2)}\n`,
    );
  }
  return 0;
}

try {
  process.exitCode = main();
} catch (err) {
  process.stderr.write(`bench:rego: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
