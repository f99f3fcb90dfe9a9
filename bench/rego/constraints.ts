// Gatekeeper constraints on one object, through the admission engine (template Rego compiled once, one
// review per call): per-review medians and reviews/s for 1, 10 and 100 constraints of gatekeeper-library's
// k8srequiredlabels and k8spspprivilegedcontainer templates over a Pod; and each template's Rego alone,
// evaluated as Gatekeeper does (`violation[{"msg": msg}]` with input.review and input.parameters).
//
//   node --import tsx bench/rego/constraints.ts [path/to/gatekeeper-library/library] [--quick]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { AdmissionEngine, requestForObject } from '../../src/admission/index.ts';
import { compilePolicy, fromJS } from '../../src/rego/index.ts';

const args = process.argv.slice(2);
const lib = args.find((a) => !a.startsWith('--')) ?? join('..', 'corpora', 'gatekeeper-library/library');
const quick = args.includes('--quick');

type Obj = Record<string, unknown>;
const TEMPLATES = [
  {
    dir: 'general/requiredlabels',
    kind: 'K8sRequiredLabels',
    params: (i: number) => ({ labels: [{ key: 'app' }, { key: `team-${i}` }] }),
  },
  { dir: 'pod-security-policy/privileged-containers', kind: 'K8sPSPPrivilegedContainer', params: () => ({}) },
];

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'bench', namespace: 'default', labels: { app: 'bench' } },
  spec: {
    containers: [
      { name: 'app', image: 'registry.example.com/app:1.0', securityContext: { privileged: true } },
      { name: 'sidecar', image: 'registry.example.com/proxy:2.1', securityContext: { privileged: false } },
    ],
  },
};

function template(dir: string): Obj {
  return parse(readFileSync(join(lib, dir, 'template.yaml'), 'utf8')) as Obj;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function time(f: () => void, minMs: number): { medianUs: number; perSecond: number; n: number } {
  for (let i = 0; i < 200; i++) f();
  const samples: number[] = [];
  const start = performance.now();
  while (performance.now() - start < minMs || samples.length < 50) {
    const t0 = process.hrtime.bigint();
    f();
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  const total = samples.reduce((a, b) => a + b, 0);
  return { medianUs: median(samples), perSecond: (samples.length / total) * 1e6, n: samples.length };
}

function main(): void {
  const minMs = quick ? 300 : 2000;
  process.stdout.write(`gatekeeper-library templates over one Pod (node ${process.version})\n\n`);
  // each template's Rego alone
  for (const t of TEMPLATES) {
    const tpl = template(t.dir);
    const spec = tpl.spec as {
      targets: Array<{
        rego?: string;
        libs?: string[];
        code?: Array<{ engine: string; source: { rego?: string; libs?: string[] } }>;
      }>;
    };
    const t0 = spec.targets[0]!;
    // v1 templates carry the Rego under code[engine=Rego].source, older ones directly
    const target = t0.code?.find((c) => c.engine === 'Rego')?.source ?? t0;
    const rego = target.rego ?? '';
    const modules = [
      { file: `${t.dir}.rego`, text: rego },
      ...(target.libs ?? []).map((text, i) => ({ file: `lib${i}.rego`, text })),
    ];
    // gatekeeper-library templates are written in Rego v0 (the engine's default for templates)
    const pq = compilePolicy({ modules, regoVersion: 0 }).prepare(
      `data.${/package\s+([\w.]+)/.exec(rego)![1]}.violation`,
    );
    const input = fromJS({ review: requestForObject(pod), parameters: t.params(0) });
    const r = time(() => pq.eval({ input }), minMs);
    process.stdout.write(`  ${t.kind} template Rego alone: median ${r.medianUs.toFixed(1)} µs per evaluation\n`);
  }
  process.stdout.write('\n  constraints  median per review  reviews/s   violations\n');
  for (const n of [1, 10, 100]) {
    const engine = new AdmissionEngine();
    for (const t of TEMPLATES) engine.addTemplate(template(t.dir));
    for (let i = 0; i < n; i++) {
      const t = TEMPLATES[i % TEMPLATES.length]!;
      engine.addConstraint({
        apiVersion: 'constraints.gatekeeper.sh/v1beta1',
        kind: t.kind,
        metadata: { name: `c-${i}` },
        spec: { match: { kinds: [{ apiGroups: [''], kinds: ['Pod'] }] }, parameters: t.params(i) },
      });
    }
    const req = requestForObject(pod);
    const violations = engine.review(req).violations.length;
    const r = time(() => engine.review(req), minMs);
    process.stdout.write(
      `  ${String(n).padStart(11)}  ${r.medianUs.toFixed(1).padStart(14)} µs  ${r.perSecond.toFixed(0).padStart(9)}  ${String(violations).padStart(11)}\n`,
    );
  }
}

main();
