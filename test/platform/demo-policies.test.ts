// The demo's policies are one Rego source with one verdict: the Conftest-style check (rego/main.rego over
// the rendered manifests) and the Gatekeeper engine (the ConstraintTemplates the demo builds from the same
// .rego files) flag the same constraints with the same messages, for the config as shipped and for each
// way of breaking it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { AdmissionEngine, requestForObject } from '../../src/admission/index.ts';
import { Renderer, spawnRunner } from '../../src/gitops/index.ts';
import { checkManifests, EXAMPLES_DIR, loadPolicies } from '../../src/platform/demo/index.ts';

const policies = loadPolicies(path.join(EXAMPLES_DIR, 'policies'));

const VARIANTS: Array<[string, (dir: string) => void, string[]]> = [
  ['as shipped', () => {}, []],
  [
    'root container',
    (dir) =>
      edit(dir, 'deployment.yaml', (t) =>
        t.replace('runAsNonRoot: true', 'runAsNonRoot: false').replace('runAsUser: 1000', 'runAsUser: 0'),
      ),
    ['demo-run-as-non-root', 'demo-run-as-non-root'],
  ],
  [
    'image from another registry',
    (dir) =>
      edit(dir, 'kustomization.yaml', (t) =>
        t.replace('newName: 127.0.0.1:5000/demo/app', 'newName: docker.io/library/nginx'),
      ),
    ['demo-allowed-repos'],
  ],
  [
    'Service without its labels',
    (dir) => edit(dir, 'service.yaml', (t) => t.replace(/\n  labels:\n(    .*\n)+/, '\n')),
    ['demo-required-labels'],
  ],
];

function edit(dir: string, file: string, f: (t: string) => string): void {
  const p = path.join(dir, 'app', file);
  const before = readFileSync(p, 'utf8');
  const after = f(before);
  assert.notEqual(after, before, `the edit of ${file} changed nothing`);
  writeFileSync(p, after);
}

test('the policy check and admission give the same verdict from one Rego source', async () => {
  // the templates carry the Rego of rego/<name>.rego and the libs, not a copy kept in the YAML
  for (const t of policies.templates) {
    const target = (t as any).spec.targets[0];
    assert.equal(target.rego, readFileSync(path.join(policies.regoDir, `${t.metadata.name}.rego`), 'utf8'));
    assert.equal(target.libs.length, 1);
  }
  const engine = new AdmissionEngine();
  for (const t of policies.templates) engine.addTemplate(t as any);
  for (const c of policies.constraints) engine.addConstraint(c as any);
  const tmp = mkdtempSync(path.join(tmpdir(), 'sekisho-demo-policies-'));
  try {
    for (const [name, change, expected] of VARIANTS) {
      const dir = path.join(tmp, name.replace(/\W+/g, '-'));
      cpSync(path.join(EXAMPLES_DIR, 'config'), dir, { recursive: true });
      change(dir);
      const { objects } = await new Renderer({ run: spawnRunner }).render(dir, name, { repoURL: dir, path: 'app' });
      const file = path.join(dir, 'rendered.yaml');
      writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
      const ci = await checkManifests(policies, [file]);
      const admission = objects.flatMap((o) => {
        const r = engine.review(requestForObject(o as any), {
          namespaceObject: { metadata: { name: 'sekisho-demo' } },
        });
        assert.deepEqual(r.errors, [], `${name}: admission errors`);
        return r.violations.map((v) => `[${v.constraint.name}] ${v.msg}`);
      });
      assert.deepEqual(
        ci.failures.map((m) => /^\[([\w-]+)\]/.exec(m)?.[1]).sort(),
        [...expected].sort(),
        `${name}: policy check: ${ci.failures.join('; ')}`,
      );
      assert.deepEqual([...admission].sort(), [...ci.failures].sort(), `${name}: admission and the policy check agree`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
