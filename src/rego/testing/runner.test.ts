import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runTests, formatDuration } from './index.ts';

const policy = `package p

allow if input.user == "admin"

f(x) := x * 2
`;

const tests = `package p

test_allow if allow with input as {"user": "admin"}

test_deny if not allow with input as {"user": "bob"}

test_fails if allow with input as {"user": "bob"}

k := 1 if input.a
k := 2 if input.a

test_error if k with input as {"a": true}

test_allow if f(2) == 4

todo_test_later if false

test_not_true := 2

test_prints if {
	print("hello", 1)
	false
}
`;

test('runs test rules: pass, fail, error, skip, duplicates and non-true values', () => {
  const { results } = runTests({ modules: [{ file: 'p.rego', text: policy }, { file: 'p_test.rego', text: tests }], now: () => 0 });
  const byName = new Map(results.map((r) => [r.name, r]));
  assert.deepEqual(
    results.map((r) => r.name),
    ['test_allow', 'test_deny', 'test_fails', 'test_error', 'test_allow#01', 'todo_test_later', 'test_not_true', 'test_prints'],
  );
  assert.equal(byName.get('test_allow')?.fail, undefined);
  assert.equal(byName.get('test_allow#01')?.fail, undefined);
  assert.equal(byName.get('test_deny')?.fail, undefined);
  assert.equal(byName.get('test_fails')?.fail, true);
  assert.equal(byName.get('test_error')?.error?.code, 'eval_conflict_error');
  assert.equal(byName.get('todo_test_later')?.skip, true);
  assert.equal(byName.get('test_not_true')?.fail, true);
  assert.equal(byName.get('test_prints')?.output, 'hello 1\n');
  assert.equal(byName.get('test_allow')?.package, 'data.p');
  assert.equal(byName.get('test_allow')?.location.file, 'p_test.rego');
  assert.equal(byName.get('test_allow')?.location.row, 3);
});

test('--run filters on the full name', () => {
  const { results } = runTests({ modules: [{ file: 'p.rego', text: policy }, { file: 'p_test.rego', text: tests }], run: /data\.p\.test_de/ });
  assert.deepEqual(results.map((r) => r.name), ['test_deny']);
});

test('coverage marks reached expressions and heads, per line', () => {
  const pol = 'package c\n\na if {\n\tinput.x == 1\n\tinput.y == 2\n}\n\nb if {\n\tinput.z == 3\n}\n';
  const tst = 'package c\n\ntest_a if a with input as {"x": 1, "y": 2}\n';
  const { coverage } = runTests({ modules: [{ file: 'c.rego', text: pol }, { file: 'c_test.rego', text: tst }], coverage: true });
  assert.ok(coverage);
  const c = coverage.files['c.rego'];
  assert.deepEqual(c?.covered, [{ start: { row: 3 }, end: { row: 5 } }]);
  assert.deepEqual(c?.not_covered, [{ start: { row: 8 }, end: { row: 9 } }]);
  assert.equal(c?.coverage, 60);
  assert.equal(coverage.files['c_test.rego']?.coverage, 100);
});

test('durations print as Go does', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(999), '999ns');
  assert.equal(formatDuration(1500), '1.5µs');
  assert.equal(formatDuration(1234567), '1.234567ms');
  assert.equal(formatDuration(2_500_000_000), '2.5s');
  assert.equal(formatDuration(61_000_000_000), '1m1s');
});

test('negation: undefined operands of user functions fail the body, of builtins make the negation succeed', () => {
  const mod = `package n

f(_) := true

g(x) := 1 if x == 1

get_default(obj, k, d) := obj[k]

get_default(obj, k, d) := d if {
	not obj[k]
	not obj[k] == false
}

test_user_fn_undefined_arg if {
	not r1
}

r1 if not f(input.missing)

test_user_fn_defined_arg if not g(input.x) with input as {"x": 2}

test_builtin_undefined_operand if not input.missing == false

test_get_default if get_default({}, "a", 7) == 7
`;
  const { results } = runTests({ modules: [{ file: 'n.rego', text: mod }] });
  assert.deepEqual(
    results.map((r) => [r.name, !r.fail && !r.error]),
    [
      ['test_user_fn_undefined_arg', true],
      ['test_user_fn_defined_arg', true],
      ['test_builtin_undefined_operand', true],
      ['test_get_default', true],
    ],
  );
});
