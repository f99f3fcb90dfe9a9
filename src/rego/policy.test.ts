import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicy } from './index.ts';

const policy = compilePolicy({
  modules: [{ file: 'p.rego', text: 'package t\nallow := false\nf(x) := x > 1\n' }],
});

function values(query: string): unknown[] {
  return policy
    .prepare(query)
    .eval()
    .map((r) => r.expressions.map((e) => e.value));
}

test('a one-expression query reports a false value, as opa eval does', () => {
  assert.deepEqual(values('data.t.allow'), [[false]]);
  assert.deepEqual(values('1 == 2'), [[false]]);
  assert.deepEqual(values('data.t.f(0)'), [[false]]);
});

test('false stays undefined with several expressions, iteration, or nothing defined', () => {
  assert.deepEqual(values('data.t.allow; true'), []);
  assert.deepEqual(values('[false][_]'), []);
  assert.deepEqual(values('data.t.missing'), []);
  assert.deepEqual(values('not data.t.allow'), [[true]]);
});
