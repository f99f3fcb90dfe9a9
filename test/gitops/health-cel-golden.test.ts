// Golden tests for custom health checks in CEL: test/gitops/golden/health-cel/sekisho-cm.yaml is the data
// of the ConfigMap sekisho-cm (keys resource.customizations.celHealth.<group>_<kind>); each
// <kind>-<state>.yaml is a live object and <kind>-<state>.expected.yaml its assessment through
// assessHealth with the checks as override (UPDATE_GOLDEN=1 rewrites them). The state in the file name must
// be the assessed status, so a wrong assessment fails even when rewritten.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { assessHealth, compileCustomHealth, type HealthStatus } from '../../src/gitops/index.ts';
import type { KubeObject } from '../../src/kube/index.ts';

const DIR = join(import.meta.dirname, 'golden', 'health-cel');
const checks = compileCustomHealth(parse(readFileSync(join(DIR, 'sekisho-cm.yaml'), 'utf8')) as Record<string, string>);
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml') && !f.endsWith('.expected.yaml') && f !== 'sekisho-cm.yaml')
  .sort();

test('the CEL checks compile', () => {
  assert.deepEqual(
    checks.errors.map((e) => e.message),
    [],
  );
  assert.ok(files.length >= 9);
});

for (const f of files) {
  test(`CEL health ${f}`, () => {
    const obj = parse(readFileSync(join(DIR, f), 'utf8')) as KubeObject;
    const got = assessHealth(obj, (o) => checks.assess(o));
    const state = /-([a-z]+)\.yaml$/.exec(f)![1]!;
    assert.equal(got?.status.toLowerCase(), state, `${f} is assessed ${got?.status}`);
    const exp = join(DIR, f.replace(/\.yaml$/, '.expected.yaml'));
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(exp)) writeFileSync(exp, stringify(got));
    assert.deepEqual(got, parse(readFileSync(exp, 'utf8')) as HealthStatus);
  });
}

test('a ConfigMap the CEL check gives no verdict for (null) has no health, as without a check', () => {
  const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { other: 'x' } };
  assert.equal(checks.assess(cm), undefined);
  assert.equal(
    assessHealth(cm, (o) => checks.assess(o)),
    undefined,
  );
});
