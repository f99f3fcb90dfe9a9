// Rule-indexing benchmark: many rules of one name, each guarded by the kind of the admitted object (the shape
// of OPA's own rule-indexing benchmarks), evaluated with the rule index and without it (EvalOptions
// ruleIndexing: false) in the same run, beside `opa-0.31 bench` on the same policy and input when that binary
// is on PATH; and the shared admission fixture both ways, to show the index costs nothing where every rule
// matches.
//
//   npm run bench:rego-indexing [-- --quick] [-- --rules 200,1000]
//
// Each figure is the best of three alternating rounds (index off, index on), as warm per-evaluation medians
// in µs; the load average is printed before and after.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compilePolicy, parseJSON, RSet, type Value } from '../../src/rego/index.ts';
import { fmt, measure, type Stats } from './measure.ts';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const sharedBench = resolve(repo, '..', 'shared', 'bench');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const rulesArg = args.indexOf('--rules');
const ruleCounts = (rulesArg >= 0 ? (args[rulesArg + 1] ?? '') : '200,1000')
  .split(',')
  .map((x) => Number(x))
  .filter((x) => Number.isInteger(x) && x > 0);

/** N deny rules, each for one kind (v0 syntax, so that OPA 0.31 runs the same text). */
function indexedPolicy(n: number): string {
  let s = 'package k8s.indexed\n\n';
  for (let i = 0; i < n; i++) {
    s +=
      `deny[msg] {\n  input.request.kind.kind == "Kind${i}"\n  input.request.operation == "CREATE"\n` +
      `  msg := sprintf("%v %v: kind Kind${i} is not admitted", [input.request.namespace, input.request.object.metadata.name])\n}\n\n`;
  }
  return s;
}

function indexedInput(n: number): string {
  const kind = `Kind${Math.floor(n / 2)}`;
  return JSON.stringify({
    request: {
      kind: { group: '', version: 'v1', kind },
      operation: 'CREATE',
      namespace: 'default',
      object: { metadata: { name: 'sample', namespace: 'default' }, spec: {} },
    },
  });
}

interface Case {
  name: string;
  file: string;
  text: string;
  inputText: string;
  query: string;
  expect: number;
}

function opaMedian(c: Case, dir: string): number | string {
  const probe = spawnSync('opa-0.31', ['version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return 'opa-0.31 not on PATH';
  const regoFile = existsSync(c.file) ? c.file : join(dir, c.file);
  if (!existsSync(regoFile)) writeFileSync(regoFile, c.text);
  const inputFile = join(dir, `${c.name}-input.json`);
  writeFileSync(inputFile, c.inputText);
  const r = spawnSync('opa-0.31', ['bench', '--format', 'json', '-d', regoFile, '-i', inputFile, c.query], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) return `opa-0.31 bench failed: ${r.stderr || r.stdout}`;
  const out = JSON.parse(r.stdout) as { N: number; T: number; Extra?: Record<string, number> };
  const key = Object.keys(out.Extra ?? {}).find((k) => /timer_rego_query_eval_ns.*median/.test(k));
  const v = key ? out.Extra?.[key] : undefined;
  return v !== undefined ? v / 1000 : out.T / out.N / 1000;
}

function best(a: Stats | undefined, b: Stats): Stats {
  return a === undefined || b.median < a.median ? b : a;
}

function main(): number {
  const cases: Case[] = [];
  for (const n of ruleCounts) {
    cases.push({
      name: `indexed-${n}`,
      file: `indexed-${n}.rego`,
      text: indexedPolicy(n),
      inputText: indexedInput(n),
      query: 'data.k8s.indexed.deny',
      expect: 1,
    });
  }
  const admission = join(sharedBench, 'admission-10-rules.rego');
  const admissionInput = join(sharedBench, 'admission-pod-input.json');
  if (existsSync(admission) && existsSync(admissionInput)) {
    cases.push({
      name: 'admission',
      file: admission,
      text: readFileSync(admission, 'utf8'),
      inputText: readFileSync(admissionInput, 'utf8'),
      query: 'data.k8s.admission.deny',
      expect: 7,
    });
  } else process.stdout.write(`(admission fixture absent under ${sharedBench}: skipped)\n`);

  const load0 = loadavg();
  process.stdout.write(
    `rego rule-indexing bench (node ${process.version}); load average ${load0.map((x) => x.toFixed(2)).join(' ')}\n\n`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-bench-index-'));
  const rows: string[][] = [
    ['workload', 'rules', 'index off', 'cpu', 'index on', 'cpu', 'speed-up', 'opa-0.31', 'ratio on/opa'],
  ];
  try {
    for (const c of cases) {
      const policy = compilePolicy({ modules: [{ file: c.file, text: c.text }], regoVersion: 0 });
      const pq = policy.prepare(c.query);
      const input = parseJSON(c.inputText) as Value;
      for (const ruleIndexing of [false, true]) {
        const v = pq.eval({ input, ruleIndexing })[0]?.expressions[0]?.value;
        const got = v instanceof RSet ? v.size : -1;
        if (got !== c.expect) throw new Error(`${c.name}: expected ${c.expect} messages, got ${got}`);
      }
      const ruleCount = (c.text.match(/^deny\[/gm) ?? []).length;
      let off: Stats | undefined;
      let on: Stats | undefined;
      const ms = quick ? 300 : 2000;
      for (let round = 0; round < 3; round++) {
        off = best(
          off,
          measure(() => pq.eval({ input, ruleIndexing: false }), quick ? 50 : 300, 20, ms),
        );
        on = best(
          on,
          measure(() => pq.eval({ input }), quick ? 50 : 300, 20, ms),
        );
      }
      const opa = opaMedian(c, dir);
      const offS = off as Stats;
      const onS = on as Stats;
      rows.push([
        c.name,
        String(ruleCount),
        fmt(offS.median),
        fmt(offS.cpu),
        fmt(onS.median),
        fmt(onS.cpu),
        `${(offS.median / onS.median).toFixed(2)}x`,
        typeof opa === 'number' ? fmt(opa) : '-',
        typeof opa === 'number' ? (onS.median / opa).toFixed(3) : '-',
      ]);
      if (typeof opa === 'string') process.stdout.write(`${c.name}: ${opa}\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  for (const r of rows)
    process.stdout.write(
      r.map((x, i) => (i === 0 ? x.padEnd(widths[i] as number) : x.padStart(widths[i] as number))).join('  ') + '\n',
    );
  process.stdout.write(
    `\n(µs per evaluation: best median of 3 rounds; cpu: mean CPU µs per evaluation; opa-0.31: its eval median)\n` +
      `load average after: ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}\n`,
  );
  return 0;
}

try {
  process.exitCode = main();
} catch (err) {
  process.stderr.write(`bench:rego-indexing: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
