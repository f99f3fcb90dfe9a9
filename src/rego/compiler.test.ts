import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicy, compilerStages, RegoErrors } from './index.ts';

function compileErrors(text: string, opts: { strict?: boolean; query?: string } = {}): string[] {
  try {
    const p = compilePolicy({ modules: [{ file: 'x.rego', text }], strict: opts.strict ?? false });
    if (opts.query) p.prepare(opts.query);
  } catch (e) {
    assert.ok(e instanceof RegoErrors, `not RegoErrors: ${String(e)}`);
    return e.errors.map((x) => String(x));
  }
  return [];
}

test('the compiler is an ordered table of named stages', () => {
  const names = compilerStages.map((s) => s.name);
  assert.ok(names.indexOf('ResolveRefs') < names.indexOf('RewriteLocalVars'));
  assert.ok(names.indexOf('SetRuleTree') < names.indexOf('CheckRuleConflicts'));
  assert.ok(names.indexOf('CheckSafety') < names.indexOf('CheckRecursion'));
});

test('unsafe vars are reported with their location', () => {
  assert.deepEqual(compileErrors('package t\np if {\n\tx > 1\n}'), [
    'x.rego:3: rego_unsafe_var_error: var x is unsafe',
  ]);
  assert.deepEqual(compileErrors('package t\np := y if true'), ['x.rego:2: rego_unsafe_var_error: var y is unsafe']);
  assert.deepEqual(compileErrors('package t', { query: 'x > 1' }), ['query:1: rego_unsafe_var_error: var x is unsafe']);
});

test('safety reorders bodies so vars are bound before use', () => {
  assert.deepEqual(compileErrors('package t\np if {\n\tx > 1\n\tx = input.n\n}'), []);
  assert.deepEqual(compileErrors('package t\np if {\n\ty == 2\n\t[y, z] = [2, input.q]\n\tz\n}'), []);
});

test('recursion is an error', () => {
  const errs = compileErrors('package t\np if q\nq if p');
  assert.equal(errs.length >= 1, true);
  assert.match(
    errs[0] ?? '',
    /rego_recursion_error: rule data\.t\.[pq] is recursive: data\.t\.[pq] -> data\.t\.[pq] -> data\.t\.[pq]/,
  );
  assert.match(compileErrors('package t\nf(x) := f(x)')[0] ?? '', /rego_recursion_error/);
});

test('undefined functions and arity mismatches are type errors', () => {
  assert.deepEqual(compileErrors('package t\np if nope(1)'), ['x.rego:2: rego_type_error: undefined function nope']);
  assert.match(compileErrors('package t\np if count(1, 2, 3)')[0] ?? '', /rego_type_error: count: arity mismatch/);
});

test('conflicting rule kinds and multiple defaults', () => {
  assert.match(
    compileErrors('package t\np := 1\np contains 2')[0] ?? '',
    /rego_type_error: conflicting rules data\.t\.p found/,
  );
  assert.match(compileErrors('package t\nf(x) := 1\nf(x, y) := 2')[0] ?? '', /conflicting rules data\.t\.f found/);
  assert.match(
    compileErrors('package t\ndefault p := 1\ndefault p := 2')[0] ?? '',
    /multiple default rules data\.t\.p found/,
  );
});

test('redeclared local vars', () => {
  assert.match(
    compileErrors('package t\np if {\n\tx := 1\n\tx := 2\n}')[0] ?? '',
    /rego_compile_error: var x assigned above/,
  );
});

test('deprecated builtins are refused in v1', () => {
  assert.match(
    compileErrors('package t\np if any([true])')[0] ?? '',
    /deprecated built-in function calls in expression: any/,
  );
});

test('strict mode: unused imports and unused assigned vars', () => {
  const errs = compileErrors('package t\nimport data.foo\np if {\n\tx := 1\n\ttrue\n}', { strict: true });
  assert.ok(
    errs.some((e) => /import data\.foo unused/.test(e)),
    errs.join('\n'),
  );
  assert.ok(
    errs.some((e) => /assigned var x unused/.test(e)),
    errs.join('\n'),
  );
  assert.deepEqual(compileErrors('package t\nimport data.foo\np if {\n\tx := 1\n\ttrue\n}'), []);
});

test('imports and package-relative refs resolve', () => {
  const p = compilePolicy({
    modules: [
      { file: 'a.rego', text: 'package lib\nf(x) := x * 2\nlimit := 10' },
      { file: 'b.rego', text: 'package app\nimport data.lib\nimport data.lib.limit as max\np := lib.f(q)\nq := max' },
    ],
  });
  const r = p.prepare('x := data.app.p').eval();
  assert.equal(r[0]?.bindings.get('x'), 20);
});

test('with targets must be input, data or a function', () => {
  assert.match(
    compileErrors('package t\np if { true with foo as 1 }')[0] ?? '',
    /with keyword target must reference existing input, data, or a function/,
  );
  assert.deepEqual(compileErrors('package t\np if { count([]) == 1 with count as 1 }'), []);
});

test('complete and partial-object rules at one path conflict', () => {
  assert.match(
    compileErrors('package t\np := {}\np[x] := 1 if some x in ["a"]')[0] ?? '',
    /conflicting rules data\.t\.p found/,
  );
});

test('vars declared with some must be used', () => {
  assert.match(
    compileErrors('package t\np if {\n\tsome x\n\ttrue\n}')[0] ?? '',
    /x\.rego:3: rego_compile_error: declared var x unused/,
  );
  assert.deepEqual(compileErrors('package t\np if {\n\tsome x\n\tinput[x]\n}'), []);
});

test('operands of known type are checked against builtin signatures', () => {
  const errs = compileErrors('package t\np if count(1) > 0');
  assert.match(
    errs[0] ?? '',
    /^x\.rego:2: rego_type_error: count: invalid argument\(s\)\n\thave: \(number\)\n\twant: /,
  );
  assert.match(compileErrors('package t\nq if {\n\tx := "a"\n\tx + 1 > 0\n}')[0] ?? '', /plus: invalid argument\(s\)/);
  assert.deepEqual(compileErrors('package t\nq if count(input.x) > 0'), []);
});

test('a var declared with some and used only inside comprehensions is bound by them', () => {
  // Conftest's examples/combine policy: `some i` in the rule body, `input[i]` only in comprehensions.
  const m = 'package t\np contains x if {\n\tsome i\n\tx := [y | input[i] == 1; y := i]\n}';
  assert.deepEqual(compileErrors(m), []);
  const errs = compileErrors('package t\np contains x if {\n\tsome i\n\tx := [y | y := i]\n}');
  assert.match(errs[0] ?? '', /rego_unsafe_var_error: var [iy] is unsafe/);
});

test('strict mode: unused function arguments (else branches and head values count as uses)', () => {
  const hint = '. (hint: use _ (wildcard variable) instead)';
  const strict = (text: string): string[] => compileErrors('package test\n' + text, { strict: true });
  assert.deepEqual(strict('func(x, y) if {\n\tx = 1\n}'), [`x.rego:2: rego_compile_error: unused argument y${hint}`]);
  assert.deepEqual(strict('a.b.c.func(x, y) if {\n\tx = 1\n}'), [`x.rego:2: rego_compile_error: unused argument y${hint}`]);
  assert.deepEqual(strict('func(x, y) if {\n\tinput.baz = 1\n}'), [
    `x.rego:2: rego_compile_error: unused argument x${hint}`,
    `x.rego:2: rego_compile_error: unused argument y${hint}`,
  ]);
  assert.deepEqual(strict('func(x, _) if {\n\tx = 1\n}'), []);
  assert.deepEqual(strict('func(x) := x if {\n\tinput.test == "foo"\n}'), []);
  assert.deepEqual(strict('a := {"foo": 1}\nfunc(x) := { x: v | v := a[x] } if input.test == "foo"'), []);
  assert.deepEqual(
    strict('a := {"foo": 1}\nfunc(x) := { x: v | x := "foo"; v := a[x] } if input.test == "foo"'),
    [`x.rego:3: rego_compile_error: unused argument x${hint}`],
  );
  assert.deepEqual(strict('func(x, y, z) if input.test == x\nelse if input.test == y\nelse if input.test == z'), []);
  assert.deepEqual(strict('func(x, y, z) if input.test == x\nelse if input.test == "b"\nelse if input.test == z'), [
    `x.rego:2: rego_compile_error: unused argument y${hint}`,
  ]);
  assert.deepEqual(strict('func(x) if input.test == x\nelse := false'), []);
  assert.deepEqual(strict('default func(x) := 0'), [`x.rego:2: rego_compile_error: unused argument x${hint}`]);
  assert.deepEqual(compileErrors('package test\nfunc(x, y) if x = 1'), []);
});
