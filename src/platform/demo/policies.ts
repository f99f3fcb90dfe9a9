// The demo policies from examples/demo/policies: one Rego source per policy, used twice — as the code of
// a Gatekeeper ConstraintTemplate (templates/<name>.yaml gets spec.targets[0].rego from rego/<name>.rego
// and libs from rego/lib/*.rego) and by the Conftest-style check of a change (rego/main.rego reviews each
// rendered manifest with every constraint under gatekeeper/constraints).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import type { KubeObject } from '../../kube/index.ts';
import { runTest, type CheckResult } from '../../policy/index.ts';
import { DemoError } from './errors.ts';

export interface DemoPolicies {
  dir: string;
  regoDir: string;
  /** the folder given to the policy check as data (holds constraints/<name>/constraint.yaml) */
  dataDir: string;
  templates: KubeObject[];
  constraints: KubeObject[];
}

function readYaml(file: string): KubeObject {
  const text = readFileSync(file, 'utf8');
  const doc = parseDocument(text, { prettyErrors: false });
  const err = doc.errors[0];
  if (err) {
    const lp = err.linePos?.[0];
    throw new DemoError('demo_bad_example', `${file}:${lp?.line ?? 0}:${lp?.col ?? 0}: ${err.message}`, {
      location: { file, row: lp?.line ?? 0, col: lp?.col ?? 0 },
      cause: err,
    });
  }
  const v = doc.toJS() as unknown;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || typeof (v as KubeObject).kind !== 'string')
    throw new DemoError('demo_bad_example', `${file}:1:1: expected one Kubernetes object`, {
      location: { file, row: 1, col: 1 },
    });
  return v as KubeObject;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

export function loadPolicies(dir: string): DemoPolicies {
  const regoDir = join(dir, 'rego');
  const libDir = join(regoDir, 'lib');
  const libs = existsSync(libDir)
    ? readdirSync(libDir)
        .filter((f) => f.endsWith('.rego'))
        .sort()
        .map((f) => readFileSync(join(libDir, f), 'utf8'))
    : [];
  const templates = yamlFiles(join(dir, 'templates')).map((file) => {
    const t = readYaml(file);
    const name = t.metadata.name ?? '';
    const regoFile = join(regoDir, `${name}.rego`);
    if (!existsSync(regoFile))
      throw new DemoError('demo_bad_example', `${file}:1:1: template ${name} has no Rego source ${regoFile}`, {
        location: { file, row: 1, col: 1 },
      });
    const spec = (t as { spec?: { targets?: Array<Record<string, unknown>> } }).spec;
    const target = spec?.targets?.[0];
    if (!target)
      throw new DemoError('demo_bad_example', `${file}:1:1: template ${name} has no spec.targets`, {
        location: { file, row: 1, col: 1 },
      });
    target.rego = readFileSync(regoFile, 'utf8');
    if (libs.length > 0) target.libs = libs;
    return t;
  });
  const dataDir = join(dir, 'gatekeeper');
  const cdir = join(dataDir, 'constraints');
  const constraints = readdirSync(cdir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .flatMap((n) => yamlFiles(join(cdir, n)).map(readYaml));
  return { dir, regoDir, dataDir, templates, constraints };
}

export interface PolicyCheck {
  passed: boolean;
  failures: string[];
  warnings: string[];
  results: CheckResult[];
}

/** `sekisho policy test -p <rego> -d <gatekeeper> <files>` (namespace main), as a value. */
export async function checkManifests(p: DemoPolicies, files: string[]): Promise<PolicyCheck> {
  const run = await runTest(files, { policyPaths: [p.regoDir], dataPaths: [p.dataDir], namespaces: ['main'] });
  if (run.errors.length > 0)
    throw new DemoError(
      'demo_step_failed',
      `the policy check could not read its input: ${run.errors.map((e) => e.message).join('; ')}`,
      {
        cause: run.errors[0],
      },
    );
  const failures = run.results.flatMap((r) => (r.failures ?? []).map((f) => f.msg));
  const warnings = run.results.flatMap((r) => (r.warnings ?? []).map((f) => f.msg));
  return { passed: failures.length === 0, failures, warnings, results: run.results };
}
