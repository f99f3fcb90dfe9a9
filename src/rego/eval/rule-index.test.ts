import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compilePolicy } from '../policy.ts';
import { fromJS, toJSON, type Value } from '../value.ts';

function policyOf(text: string, data?: unknown, regoVersion: 0 | 1 = 1) {
  return compilePolicy({
    modules: [{ file: 'p.rego', text }],
    ...(data !== undefined ? { data: fromJS(data) } : {}),
    regoVersion,
  });
}

/** The query's results and the rules entered, with and without the index. */
function run(text: string, query: string, input: unknown, data?: unknown) {
  const q = policyOf(text, data).prepare(query);
  const out = (ruleIndexing: boolean) => {
    const entered: string[] = [];
    const rows = q.eval({
      input: fromJS(input),
      ruleIndexing,
      onEnter: (name, rule) => entered.push(`${name}@${rule.loc.row}`),
    });
    const values = rows.map((r) => r.expressions.map((e) => toJSON(e.value as Value)).join(' '));
    return { values, entered };
  };
  const indexed = out(true);
  const full = out(false);
  assert.deepEqual(indexed.values, full.values, 'the index must not change results');
  return { values: indexed.values, entered: indexed.entered, all: full.entered };
}

const kinds = Array.from({ length: 200 }, (_, i) => `K${i}`);
const manyRules =
  'package k\n' +
  kinds.map((k) => `deny contains "${k}" if {\n  input.request.kind.kind == "${k}"\n  input.x > 0\n}`).join('\n') +
  '\ndeny contains "any" if input.x > 1\n';

describe('rule index', () => {
  it('evaluates only the rules whose input guard matches (200 rules)', () => {
    const r = run(manyRules, 'data.k.deny', { request: { kind: { kind: 'K17' } }, x: 2 });
    assert.deepEqual(r.values, ['["K17","any"]']);
    assert.deepEqual(r.entered, ['data.k.deny@70', 'data.k.deny@802']);
    assert.equal(r.all.length, 201);
  });

  it('admits nothing for an undefined or composite guard value, keeps unguarded rules', () => {
    assert.deepEqual(run(manyRules, 'data.k.deny', { x: 2 }).entered, ['data.k.deny@802']);
    const r = run(manyRules, 'data.k.deny', { request: { kind: { kind: ['K1'] } }, x: 2 });
    assert.deepEqual(r.values, ['["any"]']);
  });

  it('compares numbers by value and follows `with input`', () => {
    const text = `package n
p := "one" if input.v == 1
p := "two" if 2 = input.v
q := x if { x := p with input as {"v": 2} }`;
    assert.deepEqual(run(text, 'data.n.p', { v: 1.0 }).values, ['"one"']);
    assert.deepEqual(run(text, 'data.n.p', { v: 2 }).entered, ['data.n.p@3']);
    assert.deepEqual(run(text, 'data.n.q', { v: 1 }).values, ['"two"']);
  });

  it('indexes `in` over literal collections and `x := ref` followed by equality', () => {
    const text = `package m
a contains "ab" if input.k in {"a", "b"}
a contains "c" if input.k in ["c"]
a contains "d" if {
  k := input.k
  k == "d"
}
a contains "e" if {
  some k in ["e"]
  input.k == k
}`;
    const r = run(text, 'data.m.a', { k: 'b' });
    assert.deepEqual(r.values, ['["ab"]']);
    assert.deepEqual(r.entered, ['data.m.a@2', 'data.m.a@8']);
    assert.deepEqual(run(text, 'data.m.a', { k: 'd' }).values, ['["d"]']);
    assert.deepEqual(run(text, 'data.m.a', { k: 'e' }).values, ['["e"]']);
  });

  it('keeps else chains and defaults, checking each rule of a chain on its own', () => {
    const text = `package e
default p := "none"
p := 1 if input.k == "a"
else := 2 if input.k == "b"
else := 3 if input.j == 1
p := 9 if input.k == "z"`;
    assert.deepEqual(run(text, 'data.e.p', { k: 'a' }).values, ['1']);
    const b = run(text, 'data.e.p', { k: 'b' });
    assert.deepEqual(b.values, ['2']);
    assert.deepEqual(b.entered, ['data.e.p@4']);
    assert.deepEqual(run(text, 'data.e.p', { k: 'q', j: 1 }).values, ['3']);
    assert.deepEqual(run(text, 'data.e.p', { k: 'z' }).values, ['9']);
    assert.deepEqual(run(text, 'data.e.p', { k: 'q' }).values, ['"none"']);
  });

  it('indexes function arguments and constant parameters', () => {
    const text = `package f
f(x) := 1 if x == "a"
f(x) := 2 if x.kind == "b"
f("c") := 3
g := [f("a"), f({"kind": "b"}), f("c")]`;
    const r = run(text, 'data.f.g', {});
    assert.deepEqual(r.values, ['[1,2,3]']);
    assert.deepEqual(r.entered, ['data.f.g@5', 'data.f.f@2', 'data.f.f@3', 'data.f.f@4']);
  });

  it('guards on base documents but not on documents rules define', () => {
    const text = `package d
p contains "base" if data.cfg.mode == "strict"
p contains "rule" if data.d.mode == "strict"
mode := input.mode`;
    const r = run(text, 'data.d.p', { mode: 'strict' }, { cfg: { mode: 'strict' } });
    assert.deepEqual(r.values, ['["base","rule"]']);
    assert.deepEqual(run(text, 'data.d.p', { mode: 'x' }, { cfg: { mode: 'lax' } }).values, ['[]']);
    const w = run(text, 'x := data.d.p with data.cfg.mode as "strict"', { mode: 'x' }, { cfg: { mode: 'lax' } });
    assert.deepEqual(w.values, ['true']);
  });

  it('ignores negated expressions, `with`, and refs with variables', () => {
    const text = `package g
p contains 1 if not input.k == "a"
p contains 2 if input.k == "a" with input.k as "a"
p contains 3 if input.xs[_] == "a"
p contains 4 if input.k != "a"`;
    const r = run(text, 'data.g.p', { k: 'b', xs: ['a'] });
    assert.deepEqual(r.values, ['[1,2,3,4]']);
    assert.equal(r.entered.length, 4);
  });

  it('v0 partial rules and object rules', () => {
    const text = `package o
obj[k] = v { input.kind == "A"; k := "a"; v := 1 }
obj[k] = v { input.kind == "B"; k := "b"; v := 2 }
s[x] { input.kind = "A"; x := "sa" }
s[x] { "B" = input.kind; x := "sb" }`;
    const q = policyOf(text, undefined, 0).prepare('x := [data.o.obj, data.o.s]');
    for (const kind of ['A', 'B', 'C']) {
      const a = q.eval({ input: fromJS({ kind }) });
      const b = q.eval({ input: fromJS({ kind }), ruleIndexing: false });
      assert.deepEqual(toJSON(a[0]?.bindings.get('x') as Value), toJSON(b[0]?.bindings.get('x') as Value));
    }
    assert.equal(toJSON(q.eval({ input: fromJS({ kind: 'B' }) })[0]?.bindings.get('x') as Value), '[{"b":2},["sb"]]');
  });
});

describe('rule index: glob.match and replaced functions', () => {
  const text = `package gl
p contains "img" if glob.match("registry.example.com/*", ["/"], input.image)
p contains "any" if glob.match("*", null, input.image)
p contains "k" if {
  input.kind == "Pod"
  glob.match("*:latest", [], input.image)
}
mocked := x if { x := p with glob.match as true }`;

  it('indexes glob.match with a constant pattern and delimiters', () => {
    const a = run(text, 'data.gl.p', { image: 'registry.example.com/app', kind: 'Pod' });
    assert.deepEqual(a.values, ['["any","img"]']);
    assert.deepEqual(a.entered, ['data.gl.p@2', 'data.gl.p@3']);
    const b = run(text, 'data.gl.p', { image: 'other/app:latest', kind: 'Pod' });
    assert.deepEqual(b.values, ['["any","k"]']);
    assert.deepEqual(run(text, 'data.gl.p', { image: 7, kind: 'Pod' }).values, ['[]']);
  });

  it('evaluates every rule under `with` replacing a function', () => {
    const r = run(text, 'data.gl.mocked', { image: 'x', kind: 'Pod' });
    assert.deepEqual(r.values, ['["any","img","k"]']);
  });
});

describe('Enter events', () => {
  it('come after the Eval of the expression that refers to the rule, once per candidate rule', () => {
    const text = `package t
is_service if input.kind == "Service"
is_deployment if input.kind == "Deployment"
warn contains msg if {
  is_deployment
  msg := "deployment"
}
warn contains msg if {
  is_service
  msg := "service"
}
f(x) := 1 if x == 1
else := 2
g := f(input.n)`;
    const q = policyOf(text).prepare('data.t.warn');
    const events: string[] = [];
    q.eval({
      input: fromJS({ kind: 'Service', n: 3 }),
      onEval: (e) => events.push(`${e.loc.row} Eval ${e.loc.text}`),
      onEnter: (name, rule) => events.push(`${rule.loc.row} Enter ${name}`),
    });
    assert.deepEqual(events, [
      '4 Enter data.t.warn',
      '5 Eval is_deployment',
      '8 Enter data.t.warn',
      '9 Eval is_service',
      '2 Enter data.t.is_service',
      '2 Eval input.kind == "Service"',
      '10 Eval msg := "service"',
    ]);
    const chain: string[] = [];
    policyOf(text)
      .prepare('data.t.g')
      .eval({ input: fromJS({ n: 3 }), onEnter: (name, rule) => chain.push(`${rule.loc.row} Enter ${name}`) });
    // f(3): the first rule's guard x == 1 fails, so only the else rule is entered
    assert.deepEqual(chain, ['14 Enter data.t.g', '13 Enter data.t.f']);
  });
});
