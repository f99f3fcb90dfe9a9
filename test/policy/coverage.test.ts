// verify --coverage: the lines of policy expressions the tests reached, as `opa test --coverage` reports them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runVerify } from '../../src/policy/index.ts';

test('coverage marks reached and unreached expression lines', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'policy-cov-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'cov.rego');
  writeFileSync(
    file,
    [
      'package cov', // 1
      'import rego.v1', // 2
      'deny contains "a" if {', // 3
      '  input.x == 1', // 4
      '  input.y == 2', // 5
      '}', // 6
      'warn contains "b" if input.z', // 7
      'deny contains "c" if {', // 8
      '  input.x == 5', // 9
      '  input.w == 3', // 10
      '}', // 11
      'test_deny if {', // 12
      '  deny["a"] with input as {"x": 1, "y": 2}', // 13
      '}', // 14
      '',
    ].join('\n'),
  );
  const { tests, coverage } = await runVerify({ policyPaths: [dir], coverage: true });
  assert.deepEqual(tests.map((x) => `${x.name}:${x.outcome}`), ['test_deny:pass']);
  const f = coverage?.files[file];
  assert.ok(f, JSON.stringify(coverage));
  // The rule giving "c" needs input.x == 5: the rule index leaves it out for x = 1 (as OPA's does), so none
  // of its expressions is reached.
  assert.deepEqual(f.covered, [{ start: { row: 4 }, end: { row: 5 } }]);
  assert.deepEqual(f.not_covered, [
    { start: { row: 7 }, end: { row: 7 } },
    { start: { row: 9 }, end: { row: 10 } },
  ]);
  assert.equal(f.coverage, 40);
});
