// Golden tests for every health assessment: test/gitops/golden/health/<kind>-<state>.yaml holds a
// live object; <kind>-<state>.expected.yaml the assessment (UPDATE_GOLDEN=1 rewrites them). The state
// in the file name must be the assessed status, so a wrong assessment fails even when rewritten.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { assessHealth, type HealthStatus } from '../../src/gitops/index.ts';
import type { KubeObject } from '../../src/kube/index.ts';

const DIR = join(import.meta.dirname, 'golden', 'health');
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml') && !f.endsWith('.expected.yaml'))
  .sort();

for (const f of files) {
  test(`health ${f}`, () => {
    const obj = parse(readFileSync(join(DIR, f), 'utf8')) as KubeObject;
    const got = assessHealth(obj);
    const state = /-([a-z]+)\.yaml$/.exec(f)![1]!;
    assert.equal(got?.status.toLowerCase(), state, `${f} is assessed ${got?.status}`);
    const exp = join(DIR, f.replace(/\.yaml$/, '.expected.yaml'));
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(exp)) writeFileSync(exp, stringify(got));
    assert.deepEqual(got, parse(readFileSync(exp, 'utf8')) as HealthStatus);
  });
}

test('a missing live object is Missing; kinds without an assessment have no health', () => {
  assert.deepEqual(assessHealth(undefined), { status: 'Missing' });
  assert.equal(assessHealth({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }), undefined);
});
