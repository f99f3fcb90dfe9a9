import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compilePolicy,
  parseJSON,
  RegoError,
  StrictBuiltinError,
  toJSON,
  type EvalOptions,
  type Value,
} from '../index.ts';

/** Evaluates `query` against one module and returns the bindings of every result as JSON text. */
function run(module: string, query: string, opts: EvalOptions & { data?: string; input?: Value } = {}): string[] {
  const policy = compilePolicy({
    modules: [{ file: 'test.rego', text: module }],
    ...(opts.data !== undefined ? { data: parseJSON(opts.data) } : {}),
  });
  return policy
    .prepare(query)
    .eval(opts)
    .map((r) => bindingsJSON(r.bindings));
}

function bindingsJSON(b: Map<string, Value>): string {
  return '{' + [...b].map(([k, v]) => JSON.stringify(k) + ':' + toJSON(v)).join(',') + '}';
}

function one(module: string, query: string, opts: EvalOptions & { data?: string } = {}): string {
  const policy = compilePolicy({
    modules: [{ file: 'test.rego', text: module }],
    ...(opts.data !== undefined ? { data: parseJSON(opts.data) } : {}),
  });
  const rs = policy.prepare(query).eval(opts);
  return rs.map((r) => bindingsJSON(r.bindings)).join(' | ');
}

function evalError(module: string, query: string, opts: EvalOptions = {}): RegoError {
  const policy = compilePolicy({ modules: [{ file: 'test.rego', text: module }] });
  try {
    policy.prepare(query).eval(opts);
  } catch (e) {
    assert.ok(e instanceof RegoError, `not a RegoError: ${String(e)}`);
    return e;
  }
  assert.fail('no error');
}

test('complete rules, defaults and else chains', () => {
  const m = `package t
default p := "none"
p := "big" if input.n > 10
q := "a" if input.n == 1
else := "b" if input.n == 2
else := "c"
`;
  assert.equal(one(m, 'x := data.t.p', { input: parseJSON('{"n": 11}') }), '{"x":"big"}');
  assert.equal(one(m, 'x := data.t.p', { input: parseJSON('{"n": 1}') }), '{"x":"none"}');
  assert.equal(one(m, 'x := data.t.q', { input: parseJSON('{"n": 2}') }), '{"x":"b"}');
  assert.equal(one(m, 'x := data.t.q', { input: parseJSON('{"n": 5}') }), '{"x":"c"}');
});

test('partial sets and objects, general ref heads', () => {
  const m = `package t
s contains x if some x in [3, 1, 2, 1]
o[k] := v if some k, v in {"a": 1, "b": 2}
g[a].r[b] := a if { some a in ["x", "y"]; some b in [1] }
`;
  assert.equal(one(m, 'x := data.t.s'), '{"x":[1,2,3]}');
  assert.equal(one(m, 'x := data.t.o'), '{"x":{"a":1,"b":2}}');
  assert.equal(one(m, 'x := data.t.g'), '{"x":{"x":{"r":{"1":"x"}},"y":{"r":{"1":"y"}}}}');
  assert.equal(one(m, 'x := data.t.g.y.r'), '{"x":{"1":"y"}}');
});

test('iteration over refs binds query vars in order of appearance', () => {
  const rs = run('package t', 'data.xs[i] = v; v > 1', { data: '{"xs": [1, 2, 3]}' });
  assert.deepEqual(rs, ['{"i":1,"v":2}', '{"i":2,"v":3}']);
});

test('functions: several bodies, else, default and conflicts', () => {
  const m = `package t
f(x) := "neg" if x < 0
f(x) := "pos" if x > 0
default f(_) := "zero"
g(x) := 1 if x == 1
else := 2
h(_) := 1
h(_) := 2
`;
  assert.equal(one(m, 'a := data.t.f(-1); b := data.t.f(0); c := data.t.g(5)'), '{"a":"neg","b":"zero","c":2}');
  const e = evalError(m, 'x := data.t.h(1)');
  assert.equal(e.code, 'eval_conflict_error');
  assert.match(e.message, /functions must not produce multiple outputs for same inputs/);
});

test('complete rule conflicts and object key conflicts are errors', () => {
  const e1 = evalError('package t\np := x if some x in [1, 2]', 'y := data.t.p');
  assert.equal(e1.code, 'eval_conflict_error');
  assert.equal(e1.message, 'complete rules must not produce multiple outputs');
  const e2 = evalError('package t\np[k] := v if { some v in [1, 2]; k := "a" }', 'y := data.t.p');
  assert.equal(e2.message, 'object keys must be unique');
});

test('some, every, not and comprehensions', () => {
  const m = `package t
all_pos if every x in input.xs { x > 0 }
none_big if not big
big if { some x in input.xs; x > 100 }
squares := [y | some x in input.xs; y := x * x]
idx := {x: i | some i, x in input.xs}
`;
  const input = parseJSON('{"xs": [1, 2, 3]}');
  assert.equal(
    one(m, 'a := data.t.all_pos; b := data.t.none_big; c := data.t.squares; d := data.t.idx', { input }),
    '{"a":true,"b":true,"c":[1,4,9],"d":{"1":0,"2":1,"3":2}}',
  );
  assert.equal(one(m, 'a := data.t.all_pos', { input: parseJSON('{"xs": [1, -1]}') }), '');
});

test('unification with composite patterns on both sides', () => {
  assert.equal(one('package t', '[x, 1] = [2, y]'), '{"x":2,"y":1}');
  assert.equal(one('package t', '{"a": [x, y]} = {"a": [1, y2]}; y2 = 5; y = y2'), '{"x":1,"y":5,"y2":5}');
  assert.equal(one('package t', 'data.c[i] = [true, x]', { data: '{"c": [[false, 0], [true, 7]]}' }), '{"i":1,"x":7}');
});

test('with replaces input, data (incl. virtual documents), functions and builtins', () => {
  const m = `package t
p := input.x
q := data.t.p
c := count([1, 2, 3])
f(x) := x + 1
mock(x) := 100
r := f(1)
`;
  assert.equal(one(m, 'x := data.t.p with input.x as 7'), '{"x":7}');
  assert.equal(one(m, 'x := data.t.q with data.t.p as "v"'), '{"x":"v"}');
  assert.equal(one(m, 'x := data.t.c with count as 42'), '{"x":42}');
  assert.equal(one(m, 'x := data.t.r with data.t.f as data.t.mock'), '{"x":100}');
  assert.equal(one(m, 'x := data.t.r with data.t.f as 9'), '{"x":9}');
  assert.equal(one(m, 'x := data.t.c'), '{"x":3}');
});

test('base and virtual documents merge under data', () => {
  const m = 'package a.b\nv := 1';
  assert.equal(one(m, 'x := data.a', { data: '{"a": {"base": true}}' }), '{"x":{"b":{"v":1},"base":true}}');
  assert.equal(one(m, 'data.a[k]', { data: '{"a": {"base": true}}' }), '{"k":"b"} | {"k":"base"}');
});

test('undefined is not an error; builtin errors are undefined unless strict', () => {
  assert.equal(one('package t\np := input.missing', 'x := data.t.p', { input: parseJSON('{}') }), '');
  assert.equal(one('package t\np := 1 / 0', 'x := data.t.p'), '');
  const e = evalError('package t\np := 1 / 0', 'x := data.t.p', { strictBuiltinErrors: true });
  assert.equal(e.code, 'eval_builtin_error');
  assert.match(e.message, /^div: /);
  const t = evalError('package t\np := count(input)', 'x := data.t.p', { strictBuiltinErrors: true, input: 5 });
  assert.equal(t.code, 'eval_type_error');
  assert.match(t.message, /^count: operand 1 must be/);
});

test('print writes to EvalOptions.print, undefined operands as <undefined>', () => {
  const out: string[] = [];
  one('package t\np if { print("hi", input.nope, [1, "a"]) }', 'data.t.p', {
    print: (m) => out.push(m),
    input: parseJSON('{}'),
  });
  assert.deepEqual(out, ['hi <undefined> [1, "a"]']);
});

test('big integers stay exact', () => {
  assert.equal(one('package t', 'x := 12345678901234567890 + 1'), '{"x":12345678901234567891}');
  assert.equal(one('package t', 'x := 9007199254740993 * 3'), '{"x":27021597764222979}');
});

test('compile once, evaluate many times with different inputs', () => {
  const p = compilePolicy({ modules: [{ file: 'a.rego', text: 'package t\nallow if input.user == "admin"' }] });
  const q = p.prepare('data.t.allow');
  assert.equal(q.eval({ input: parseJSON('{"user": "admin"}') }).length, 1);
  assert.equal(q.eval({ input: parseJSON('{"user": "bob"}') }).length, 0);
  const r = q.eval({ input: parseJSON('{"user": "admin"}') })[0];
  assert.equal(r?.expressions[0]?.value, true);
  assert.equal(r?.expressions[0]?.text, 'data.t.allow');
});

test('rego.parse_module returns the AST in OPA JSON form', () => {
  const r = one(
    'package t\np := m.package.path[1].value if rego.parse_module("m.rego", "package foo.bar\\nq := 1", m)',
    'x := data.t.p',
  );
  assert.equal(r, '{"x":"foo"}');
});

test('rego.metadata.rule and chain see the annotations of the rule being evaluated', () => {
  const m = `# METADATA
# title: pkg
package t

# METADATA
# title: the rule
p := rego.metadata.rule()
c := rego.metadata.chain()
`;
  assert.equal(one(m, 'x := data.t.p'), '{"x":{"scope":"rule","title":"the rule"}}');
  assert.equal(
    one(m, 'x := data.t.c'),
    '{"x":[{"path":["t","c"]},{"annotations":{"scope":"package","title":"pkg"},"path":["t"]}]}',
  );
});

test('rules of one package are visible across its modules; sets are indexed by element', () => {
  const p = compilePolicy({
    modules: [
      { file: 'a.rego', text: 'package t\nq := 2' },
      { file: 'b.rego', text: 'package t\np := q + 1\ns := {"a"}\nr if s["a"]' },
    ],
  });
  const rs = p.prepare('x := data.t.p; data.t.r').eval();
  assert.equal(rs.length, 1);
  assert.equal(rs[0]?.bindings.get('x'), 3);
});

test('operands of a negated call are evaluated before it: an undefined operand makes the body fail', () => {
  // OPA's RewriteDynamicTerms: `not f(params.ranges)` is `x = params.ranges; not f(x)`.
  const v0 = compilePolicy({
    regoVersion: 0,
    modules: [
      {
        file: 'u.rego',
        text: 'package u\naccept_value("RunAsAny", _, _)\na { params := {"rule": "RunAsAny"}; not accept_value(params.rule, 1000, params.ranges) }',
      },
    ],
  });
  assert.equal(v0.prepare('data.u.a').eval().length, 0);
  const m = `package t
b if not startswith(input.missing, "x")
c if not count(input.missing) == 0
d if { obj := {"a": 1}; not obj.b == false }
e if { obj := {"a": 1}; not obj.a == false }
f if { xs := [1 | not startswith(input.missing, "x")]; count(xs) == 0 }
g if not input.missing
`;
  assert.equal(one(m, 'x := data.t'), '{"x":{"d":true,"e":true,"f":true,"g":true}}');
  assert.equal(one(m, 'not startswith(input.missing, "x")'), '');
  // In queries `==` stays a call (OPA's query compiler has no RewriteEquals stage).
  assert.equal(one(m, 'obj := {"a": 1}; not obj.b == 1'), '');
  assert.equal(one(m, 'obj := {"a": 1}; not obj.b = 1'), '{"obj":{"a":1}}');
});

test('http.send: requests are validated (type errors), the network is off unless allowed, with mocks it', () => {
  const m = `package t
bad := http.send({"method": "GET", "url": "http://127.0.0.1:1", "bad_key": 1})
missing := http.send({"method": "GET"})
off := http.send({"method": "GET", "url": "http://127.0.0.1:1"})
mock(_) := {"status_code": 200}
mocked := x if {
	x := http.send({"method": "GET", "url": "http://127.0.0.1:1"}) with http.send as mock
}
`;
  const strict = { strictBuiltinErrors: true };
  const bad = evalError(m, 'x := data.t.bad', strict);
  assert.equal(bad.code, 'eval_type_error');
  assert.match(bad.message, /http\.send: operand 1 invalid request parameters\(s\): \{"bad_key"\}/);
  assert.match(evalError(m, 'x := data.t.missing', strict).message, /missing required request parameters\(s\): \{"url"\}/);
  assert.equal(evalError(m, 'x := data.t.off', strict).code, 'eval_builtin_error');
  assert.equal(one(m, 'x := data.t.off'), '');
  assert.equal(one(m, 'x := data.t.mocked'), '{"x":{"status_code":200}}');
});

test('strict builtin errors: evaluation goes on, eval throws the first error with the results found', () => {
  // OPA records builtin errors (the failing call is undefined) and Query.Run returns results and the error.
  const m = 'package t\np[x] := y if {\n\tsome x in [1, 0, 2]\n\ty := 10 / x\n}';
  const q = compilePolicy({ modules: [{ file: 'test.rego', text: m }] }).prepare('v := data.t.p');
  const e = (() => {
    try {
      q.eval({ strictBuiltinErrors: true });
    } catch (err) {
      return err;
    }
    return undefined;
  })();
  assert.ok(e instanceof StrictBuiltinError, String(e));
  assert.equal(String(e), 'test.rego:4: eval_builtin_error: div: divide by zero');
  assert.deepEqual(e.results.map((r) => bindingsJSON(r.bindings)), ['{"v":{"1":10,"2":5}}']);
  assert.equal(e.errors.length, 1);
  // Without strict mode the error is only reported to a caller-supplied list.
  const list: RegoError[] = [];
  assert.equal(q.eval({ builtinErrors: list }).length, 1);
  assert.deepEqual(list.map(String), ['test.rego:4: eval_builtin_error: div: divide by zero']);
  assert.equal(q.eval().length, 1);
});

test('function results are memoised within one evaluation (and per with scope)', () => {
  const m = `package t
f(x) := y if {
\tprint("f", x)
\ty := x * 2
}
g(o) := o.n + input.k
p := [f(1), f(1), f(2), f(1)]
q := [g({"n": 1}), g({"n": 1})]
r := [a, b] if {
	a := g({"n": 1})
	b := g({"n": 1}) with input.k as 10
}
`;
  const q = compilePolicy({ modules: [{ file: 'test.rego', text: m }] }).prepare('x := data.t');
  const printed: string[] = [];
  const rs = q.eval({ input: parseJSON('{"k": 1}'), print: (s) => void printed.push(s) });
  assert.equal(toJSON(rs[0]?.bindings.get('x') as Value), '{"p":[2,2,4,2],"q":[2,2],"r":[2,11]}');
  assert.deepEqual(printed, ['f 1', 'f 2']);
  // A new evaluation starts with an empty cache.
  q.eval({ input: parseJSON('{"k": 1}'), print: (s) => void printed.push(s) });
  assert.deepEqual(printed, ['f 1', 'f 2', 'f 1', 'f 2']);
});
