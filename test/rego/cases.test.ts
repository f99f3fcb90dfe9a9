// Runs our own Rego cases (test/rego/cases/{v1,v0}/*.yaml, OPA's YAML case format) in-process through the
// same code the conformance runner uses, one test per case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { judge, loadCases, runCaseInProcess } from '../conformance/rego-cases.ts';

const dir = (v: string): string => fileURLToPath(new URL(`./cases/${v}`, import.meta.url));

for (const [version, regoVersion] of [
  ['v1', 1],
  ['v0', 0],
] as const) {
  const cases = loadCases(dir(version));
  test(`our ${version} cases are loaded`, () => {
    assert.ok(cases.length > 0, `no cases under test/rego/cases/${version}`);
  });
  for (const c of cases) {
    test(`${version}/${c.note}`, () => {
      const verdict = judge(c, runCaseInProcess(c, { regoVersion }));
      assert.ok(verdict.pass, verdict.reason);
    });
  }
}
