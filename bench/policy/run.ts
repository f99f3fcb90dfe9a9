// Benchmark for `sekisho policy test` (not a timed test):
//  1. 1,000 Kubernetes manifests checked against 50 deny rules — files/s, median of runs;
//  2. a ~60 MB Terraform plan JSON against a plan policy — the case Conftest users reported in
//     conftest#1347 (5 min before their fix, 1.7 s after; their numbers, not measured here).
// The inputs are generated into a temporary directory (nothing is fetched). Baseline in the same run:
// parsing alone (no policy), so the ratio shows what evaluation costs on top.
//
//   node --import tsx bench/policy/run.ts [--files 1000] [--rules 50] [--plan-mb 60] [--runs 3]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseInputs, runTest, expandFileList, totals } from '../../src/policy/index.ts';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const FILES = arg('--files', 1000);
const RULES = arg('--rules', 50);
const PLAN_MB = arg('--plan-mb', 60);
const RUNS = arg('--runs', 3);

const dir = mkdtempSync(join(tmpdir(), 'sekisho-policy-bench-'));
const manifests = join(dir, 'manifests');
const policyDir = join(dir, 'policy');
mkdirSync(manifests);
mkdirSync(policyDir);

function deployment(i: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-${i}
  namespace: team-${i % 7}
  labels:
    app: app-${i}
    team: t${i % 7}
spec:
  replicas: ${(i % 5) + 1}
  selector:
    matchLabels:
      app: app-${i}
  template:
    metadata:
      labels:
        app: app-${i}
    spec:
      securityContext:
        runAsNonRoot: ${i % 3 !== 0}
      containers:
        - name: main
          image: registry.example/app-${i}:${i % 10 === 0 ? 'latest' : '1.' + i}
          ports:
            - containerPort: ${8000 + (i % 100)}
          resources:
            limits:
              cpu: "${(i % 4) + 1}"
              memory: ${(i % 8) + 1}Gi
        - name: sidecar
          image: registry.example/proxy:2.${i % 3}
---
apiVersion: v1
kind: Service
metadata:
  name: app-${i}
spec:
  type: ${i % 9 === 0 ? 'NodePort' : 'ClusterIP'}
  ports:
    - port: 80
      targetPort: ${8000 + (i % 100)}
`;
}

for (let i = 0; i < FILES; i++) writeFileSync(join(manifests, `app-${i}.yaml`), deployment(i));

// 50 deny rules of the usual shapes (field checks, iteration over containers, string functions, sprintf).
const rules: string[] = [];
const shapes = [
  (n: number) => `deny contains msg if {\n\tinput.kind == "Deployment"\n\tnot input.spec.template.spec.securityContext.runAsNonRoot\n\tmsg := sprintf("r${n}: %s must not run as root", [input.metadata.name])\n}`,
  (n: number) => `deny contains msg if {\n\tsome c in input.spec.template.spec.containers\n\tendswith(c.image, ":latest")\n\tmsg := sprintf("r${n}: %s uses latest", [c.name])\n}`,
  (n: number) => `deny contains msg if {\n\tinput.kind == "Deployment"\n\tnot input.metadata.labels.team\n\tmsg := "r${n}: team label missing"\n}`,
  (n: number) => `deny contains msg if {\n\tsome c in input.spec.template.spec.containers\n\tnot c.resources.limits.memory\n\tmsg := sprintf("r${n}: %s has no memory limit", [c.name])\n}`,
  (n: number) => `deny contains msg if {\n\tinput.kind == "Service"\n\tinput.spec.type == "NodePort"\n\tmsg := sprintf("r${n}: %s is a NodePort", [input.metadata.name])\n}`,
  (n: number) => `deny contains msg if {\n\tinput.kind == "Deployment"\n\tinput.spec.replicas > ${(n % 5) + 3}\n\tmsg := sprintf("r${n}: too many replicas (%d)", [input.spec.replicas])\n}`,
  (n: number) => `deny contains msg if {\n\tsome c in input.spec.template.spec.containers\n\tnot startswith(c.image, "registry.example/")\n\tmsg := sprintf("r${n}: %s from an untrusted registry", [c.image])\n}`,
  (n: number) => `deny contains msg if {\n\tsome c in input.spec.template.spec.containers\n\tsome p in c.ports\n\tp.containerPort < 1024\n\tmsg := sprintf("r${n}: privileged port %d", [p.containerPort])\n}`,
  (n: number) => `deny contains msg if {\n\tinput.kind == "Deployment"\n\tnot regex.match("^[a-z0-9-]+$", input.metadata.name)\n\tmsg := "r${n}: bad name"\n}`,
  (n: number) => `deny contains msg if {\n\tinput.kind == "Deployment"\n\tcount(input.spec.template.spec.containers) > 5\n\tmsg := "r${n}: too many containers"\n}`,
];
for (let n = 0; n < RULES; n++) rules.push((shapes[n % shapes.length] ?? shapes[0]!)(n));
writeFileSync(join(policyDir, 'k8s.rego'), `package main\n\nimport rego.v1\n\n${rules.join('\n\n')}\n`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

async function time<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const r = await f();
  return [performance.now() - t, r];
}

console.log(`policy bench: ${FILES} manifests (2 documents each), ${RULES} deny rules, ${RUNS} runs`);
const files = expandFileList([manifests]);
const parseTimes: number[] = [];
const testTimes: number[] = [];
let summary = '';
for (let r = 0; r < RUNS; r++) {
  const [pt] = await time(() => parseInputs(files, {}));
  parseTimes.push(pt);
  const [tt, run] = await time(() => runTest([manifests], { policyPaths: [policyDir], namespaces: ['main'] }));
  testTimes.push(tt);
  const t = totals(run.results);
  summary = `${t.tests} tests, ${t.successes} passed, ${t.failures} failures`;
}
const mp = median(parseTimes);
const mt = median(testTimes);
console.log(`  parse only (baseline):   median ${mp.toFixed(0)} ms  ${(FILES / (mp / 1000)).toFixed(0)} files/s`);
console.log(`  policy test:             median ${mt.toFixed(0)} ms  ${(FILES / (mt / 1000)).toFixed(0)} files/s  (${summary})`);
console.log(`  evaluation cost ratio:   ${(mt / mp).toFixed(2)}x parse time`);

// The Terraform plan case: a plan JSON of ~PLAN_MB MB with many resource_changes.
const planFile = join(dir, 'plan.json');
{
  const changes: string[] = [];
  let size = 0;
  let i = 0;
  while (size < PLAN_MB * 1024 * 1024) {
    const c = JSON.stringify({
      address: `aws_instance.web[${i}]`,
      mode: 'managed',
      type: i % 4 === 0 ? 'aws_s3_bucket' : 'aws_instance',
      name: 'web',
      index: i,
      provider_name: 'registry.terraform.io/hashicorp/aws',
      change: {
        actions: [i % 50 === 0 ? 'delete' : 'create'],
        before: null,
        after: { ami: 'ami-0123456789', instance_type: 't3.micro', tags: { Name: `web-${i}`, team: `t${i % 7}` }, acl: i % 97 === 0 ? 'public-read' : 'private', user_data: 'x'.repeat(200) },
      },
    });
    changes.push(c);
    size += c.length + 1;
    i++;
  }
  writeFileSync(planFile, `{"format_version":"1.2","terraform_version":"1.9.0","resource_changes":[${changes.join(',')}]}`);
  const planPolicy = join(dir, 'plan-policy');
  mkdirSync(planPolicy);
  writeFileSync(join(planPolicy, 'plan.rego'), `package main

import rego.v1

deny contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_s3_bucket"
	rc.change.after.acl == "public-read"
	msg := sprintf("%s is public", [rc.address])
}

deny contains msg if {
	some rc in input.resource_changes
	"delete" in rc.change.actions
	msg := sprintf("%s would be deleted", [rc.address])
}

warn contains msg if {
	count(input.resource_changes) > 1000
	msg := sprintf("%d resource changes", [count(input.resource_changes)])
}
`);
  const mb = statSync(planFile).size / 1024 / 1024;
  const [pt] = await time(() => parseInputs([planFile], {}));
  const before = process.memoryUsage().rss;
  const [tt, run] = await time(() => runTest([planFile], { policyPaths: [planPolicy], namespaces: ['main'] }));
  const t = totals(run.results);
  console.log(`terraform plan ${mb.toFixed(1)} MB (${i} resource_changes):`);
  console.log(`  parse only: ${(pt / 1000).toFixed(2)} s; policy test: ${(tt / 1000).toFixed(2)} s (${t.failures} failures, ${t.warnings} warnings); rss ${(Math.max(before, process.memoryUsage().rss) / 1024 / 1024).toFixed(0)} MB`);
  console.log(`  conftest#1347 reported: 300 s before their fix, 1.7 s after (their machine; not run here)`);
}

rmSync(dir, { recursive: true, force: true });
