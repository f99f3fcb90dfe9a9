import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { moduleToJSON, parseModule, parseQuery, parseTerm } from './parser.ts';
import { RegoErrors, type RegoError } from './errors.ts';
import type { Expr, Module, Rule, Term } from './ast.ts';
import { termString } from './parser/util.ts';
import { BigNum } from './value.ts';

const t = (src: string): string => termString(parseTerm(src));

function exprString(e: Expr): string {
  let s: string;
  switch (e.type) {
    case 'expr':
      s = termString(e.term);
      break;
    case 'some':
      s = `some ${e.symbols.map(termString).join(', ')}`;
      break;
    case 'every':
      s = `every ${e.key ? e.key.name + ', ' : ''}${e.value.name} in ${termString(e.domain)} { ${e.body.map(exprString).join('; ')} }`;
      break;
  }
  if (e.negated) s = 'not ' + s;
  for (const w of e.with) s += ` with ${termString(w.target)} as ${termString(w.value)}`;
  return s;
}

const q = (src: string, regoVersion: 0 | 1 = 1): string[] => parseQuery(src, { regoVersion }).map(exprString);

function headString(r: Rule): string {
  const h = r.head;
  let s =
    (r.default ? 'default ' : '') + h.ref.map((x, i) => (i === 0 ? termString(x) : `[${termString(x)}]`)).join('');
  if (h.args) s += `(${h.args.map(termString).join(', ')})`;
  if (h.key) s += ` contains ${termString(h.key)}`;
  if (h.value) s += ` ${h.assign ? ':=' : '='} ${termString(h.value)}`;
  return s;
}

function rules(m: Module): string[] {
  const out: string[] = [];
  for (const r of m.rules) {
    let x: Rule | undefined = r;
    let prefix = '';
    while (x) {
      out.push(`${prefix}${headString(x)} { ${x.body.map(exprString).join('; ')} }`);
      x = x.else;
      prefix = 'else ';
    }
  }
  return out;
}

const mod = (src: string, regoVersion: 0 | 1 = 1): Module => parseModule('test.rego', src, { regoVersion });

function errorsOf(f: () => unknown): RegoError[] {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof RegoErrors, `expected RegoErrors, got ${String(e)}`);
    return e.errors;
  }
  assert.fail('expected a parse error');
}

function firstError(f: () => unknown): string {
  const e = errorsOf(f)[0] as RegoError;
  assert.equal(e.code, 'rego_parse_error');
  return `${e.location?.row}:${e.location?.col}: ${e.message}`;
}

describe('terms', () => {
  test('scalars', () => {
    assert.equal(t('null'), 'null');
    assert.equal(t('true'), 'true');
    assert.equal(t('false'), 'false');
    assert.equal(t('"a\\nb"'), '"a\\nb"');
    assert.equal(t('`raw\\n`'), '"raw\\\\n"');
    assert.equal(t('-1.5'), '-1.5');
    assert.equal(t('.5'), '0.5');
    assert.equal(t('1e3'), '1000');
  });

  test('numbers keep precision', () => {
    const big = parseTerm('123456789012345678901234567890');
    assert.equal(big.type, 'number');
    assert.ok(big.type === 'number' && big.value instanceof BigNum);
    assert.equal(t('123456789012345678901234567890'), '123456789012345678901234567890');
  });

  test('composites and the empty set', () => {
    assert.equal(t('[1, "a", [true]]'), '[1, "a", [true]]');
    assert.equal(t('{"a": 1, "b": [2]}'), '{"a": 1, "b": [2]}');
    assert.equal(t('{1, 2}'), '{1, 2}');
    assert.equal(t('set()'), 'set()');
    assert.equal(parseTerm('set()').type, 'set');
    assert.equal(parseTerm('{}').type, 'object');
    assert.equal(t('[1, 2,]'), '[1, 2]');
    assert.equal(t('{1 | 2}'), '{1 | 2}');
    assert.equal(parseTerm('{1 | 2}').type, 'setcompr');
  });

  test('comprehensions', () => {
    const a = parseTerm('[x | x := xs[_]; x > 1]');
    assert.equal(a.type, 'arraycompr');
    assert.ok(a.type === 'arraycompr' && a.body.length === 2);
    assert.equal(parseTerm('{x | some x in xs}').type, 'setcompr');
    const o = parseTerm('{k: v | some k, v in obj}');
    assert.equal(o.type, 'objectcompr');
    assert.equal(parseTerm('{k + 1: v | k := 1; v := 2}').type, 'objectcompr');
    assert.equal(parseTerm('[x |\n  x := 1\n  x > 0\n]').type, 'arraycompr');
  });

  test('refs with dots and brackets on any head', () => {
    assert.equal(t('input.a.b[0]["c"]'), 'input.a.b[0].c');
    assert.equal(t('data'), 'data');
    assert.equal(parseTerm('input').type, 'ref');
    assert.equal(parseTerm('x').type, 'var');
    assert.equal(t('[1, 2][0]'), '[1, 2][0]');
    assert.equal(t('{"a": 1}.a'), '{"a": 1}.a');
    assert.equal(t('f(x).y[0]'), 'f(x).y[0]');
    assert.equal(t('x[y[z]]'), 'x[y[z]]');
    assert.equal(t('data.foo.if'), 'data.foo.if');
  });

  test('whitespace ends a ref or call', () => {
    assert.deepEqual(q('x [0]'), ['x', '[0]']);
    assert.deepEqual(q('f (x)'), ['f', 'x']);
  });

  test('calls with dotted names', () => {
    assert.equal(t('count(x)'), 'count(x)');
    assert.equal(t('json.marshal({"a": 1})'), 'json.marshal({"a": 1})');
    assert.equal(t('data.lib.f(1, 2)'), 'data.lib.f(1, 2)');
    assert.equal(t('time.now_ns()'), 'time.now_ns()');
    const c = parseTerm('a.b.c(1)');
    assert.ok(c.type === 'call');
    assert.equal(c.operator.terms.length, 3);
    assert.equal(c.args.length, 1);
    assert.equal(t('contains("abc", "b")'), 'contains("abc", "b")');
  });

  test('operator precedence follows OPA', () => {
    assert.equal(t('1 + 2 * 3'), 'plus(1, mul(2, 3))');
    assert.equal(t('1 - 2 - 3'), 'minus(minus(1, 2), 3)');
    assert.equal(t('a | b & c'), 'or(a, and(b, c))');
    assert.equal(t('a + 1 | b'), 'or(plus(a, 1), b)');
    assert.equal(t('a | b == c'), 'equal(or(a, b), c)');
    assert.equal(t('a < b == true'), 'equal(lt(a, b), true)');
    assert.equal(t('(1 + 2) * 3'), 'mul(plus(1, 2), 3)');
    assert.equal(t('x % 2 != 0'), 'neq(rem(x, 2), 0)');
    assert.equal(t('a / b >= c'), 'gte(div(a, b), c)');
    assert.equal(t('x in {1} == true'), 'internal.member_2(x, equal({1}, true))');
  });

  test('unary minus on number literals; x-1 is subtraction', () => {
    assert.equal(t('-1'), '-1');
    assert.equal(t('x-1'), 'minus(x, 1)');
    assert.equal(t('x - -1'), 'minus(x, -1)');
    assert.equal(t('[1, -2]'), '[1, -2]');
    assert.match(
      firstError(() => parseTerm('-x')),
      /unexpected identifier token: expected number/,
    );
  });

  test('in and k, v in: expressions, call args, comprehension bodies', () => {
    assert.deepEqual(q('x in xs'), ['internal.member_2(x, xs)']);
    assert.deepEqual(q('k, v in xs'), ['internal.member_3(k, v, xs)']);
    assert.deepEqual(q('f(x in xs)'), ['f(internal.member_2(x, xs))']);
    assert.deepEqual(q('f(k, v in xs)'), ['f(k, internal.member_2(v, xs))']);
    const a = parseQuery('y := [x | x in xs]')[0];
    assert.ok(a?.type === 'expr' && a.term.type === 'call');
    const compr = a.term.args[1];
    assert.ok(compr?.type === 'arraycompr');
    assert.deepEqual(compr.body.map(exprString), ['internal.member_2(x, xs)']);
    const s = parseQuery('y := {x | k, x in xs}')[0];
    assert.ok(s?.type === 'expr' && s.term.type === 'call');
    const sc = s.term.args[1];
    assert.ok(sc?.type === 'setcompr');
    assert.deepEqual(sc.body.map(exprString), ['internal.member_3(k, x, xs)']);
    assert.deepEqual(q('not 1 in xs'), ['not internal.member_2(1, xs)']);
    assert.deepEqual(q('x := 1 in xs'), ['assign(x, internal.member_2(1, xs))']);
  });

  test('input_term values', () => {
    assert.equal(t('{"x": [1, {"y": null}], "z": set()}'), '{"x": [1, {"y": null}], "z": set()}');
    assert.throws(() => parseTerm('1; 2'), RegoErrors);
  });
});

describe('queries and bodies', () => {
  test('semicolons and newlines separate expressions', () => {
    assert.deepEqual(q('x := 1; y = x\nz == 2'), ['assign(x, 1)', 'eq(y, x)', 'equal(z, 2)']);
    assert.deepEqual(rules(mod('package p\np if {\n  x := 1; y := 2\n  x < y\n}')), [
      'p = true { assign(x, 1); assign(y, 2); lt(x, y) }',
    ]);
  });

  test('expressions on one line without ; are an error in rule bodies', () => {
    assert.equal(
      firstError(() => mod('package p\np if { x := 1 y := 2 }')),
      '2:15: unexpected identifier token: expected \\n or ; or }',
    );
  });

  test('some, every, not, with', () => {
    assert.deepEqual(q('some x, y'), ['some x, y']);
    assert.deepEqual(q('some x in xs'), ['some internal.member_2(x, xs)']);
    assert.deepEqual(q('some k, v in xs'), ['some internal.member_3(k, v, xs)']);
    assert.deepEqual(q('every x in xs { x > 0 }'), ['every x in xs { gt(x, 0) }']);
    assert.deepEqual(q('every k, v in xs { k == v; v }'), ['every k, v in xs { equal(k, v); v }']);
    assert.deepEqual(q('not p'), ['not p']);
    assert.deepEqual(q('p with input as 1 with data.x.y as {"a": 2}'), ['p with input as 1 with data.x.y as {"a": 2}']);
    assert.deepEqual(q('f(1) with f as g'), ['f(1) with f as g']);
    assert.deepEqual(q('not x.y with input.a as 1'), ['not x.y with input.a as 1']);
    assert.deepEqual(q('every x in xs { x } with input as 1'), ['every x in xs { x } with input as 1']);
  });

  test('some/every errors', () => {
    assert.equal(
      firstError(() => parseQuery('not some x')),
      "1:5: unexpected some keyword: illegal negation of 'some'",
    );
    assert.equal(
      firstError(() => parseQuery('every x in xs')),
      '1:14: unexpected eof token: missing body',
    );
    assert.match(
      firstError(() => parseQuery('every 1 in xs { true }')),
      /expected value to be a variable/,
    );
    assert.match(
      firstError(() => parseQuery('some 1')),
      /unexpected number token: expected var/,
    );
  });

  test('with locations and text', () => {
    const e = parseQuery('a with b as c\n\t\twith d as e')[0] as Expr;
    assert.deepEqual(
      e.with.map((w) => [w.loc.row, w.loc.col, w.loc.text]),
      [
        [1, 3, 'with b as c'],
        [2, 3, 'with d as e'],
      ],
    );
  });

  test('expression locations and text', () => {
    const body = parseQuery('x := 1\n  y := [1,\n 2]');
    assert.equal(body[0]?.loc.row, 1);
    assert.equal(body[0]?.loc.col, 1);
    assert.equal(body[0]?.loc.text, 'x := 1');
    assert.equal(body[1]?.loc.row, 2);
    assert.equal(body[1]?.loc.col, 3);
    assert.equal(body[1]?.loc.text, 'y := [1,\n 2]');
    assert.equal(body[1]?.loc.file, 'query');
    assert.equal(body[1]?.index, 1);
  });
});

describe('modules', () => {
  test('package and imports', () => {
    const m = mod(
      'package a.b["c-d"]\nimport data.x.y\nimport input.z as w\nimport rego.v1\nimport future.keywords.in\np := 1',
    );
    assert.equal(termString(m.package.path), 'data.a.b["c-d"]');
    assert.deepEqual(
      m.imports.map((i) => [termString(i.path), i.alias]),
      [
        ['data.x.y', undefined],
        ['input.z', 'w'],
        ['rego.v1', undefined],
        ['future.keywords.in', undefined],
      ],
    );
    assert.equal(m.regoVersion, 1);
    assert.equal(m.file, 'test.rego');
  });

  test('complete rules, default rules, if without braces', () => {
    assert.deepEqual(
      rules(mod('package p\np := 1\nq = 2\nr if true\ns := 3 if { input.x }\ndefault t := false\nu if input.a == 1')),
      [
        'p := 1 { true }',
        'q = 2 { true }',
        'r = true { true }',
        's := 3 { input.x }',
        'default t := false { true }',
        'u = true { equal(input.a, 1) }',
      ],
    );
  });

  test('partial sets and objects; general ref heads', () => {
    assert.deepEqual(
      rules(
        mod(
          'package p\nq contains x if { some x in [1] }\nr contains 1\ns[k] := v if { k := "a"; v := 1 }\nt[x] if { x := 1 }\na.b[x].c := 1 if { x := 1 }\na.b contains y if { y := 2 }\nd.e.f if true',
        ),
      ),
      [
        'q contains x { some internal.member_2(x, [1]) }',
        'r contains 1 { true }',
        's[k] := v { assign(k, "a"); assign(v, 1) }',
        't[x] = true { assign(x, 1) }',
        'a["b"][x]["c"] := 1 { assign(x, 1) }',
        'a["b"] contains y { assign(y, 2) }',
        'd["e"]["f"] = true { true }',
      ],
    );
  });

  test('functions with several bodies and else chains', () => {
    assert.deepEqual(
      rules(
        mod(
          'package p\nf(x) := y if { y := x + 1 }\nf(x) := 2 if x == 0\ng(x, _) := 1 if { x > 0 } else := 2 if { x < 0 } else := 3\nh if { false } else if { true }\ni := 1 if false else = 2',
        ),
      ),
      [
        'f(x) := y { assign(y, plus(x, 1)) }',
        'f(x) := 2 { equal(x, 0) }',
        'g(x, _) := 1 { gt(x, 0) }',
        'else g(x, _) := 2 { lt(x, 0) }',
        'else g(x, _) := 3 { true }',
        'h = true { false }',
        'else h = true { true }',
        'i := 1 { false }',
        'else i = 2 { true }',
      ],
    );
  });

  test('else chain locations and text', () => {
    const r = mod('package p\nr1 = x if {\n\ta == "foo"\n} else = y if {\n\tb == "bar"\n}\n\nelse if {\n\tc\n}')
      .rules[0] as Rule;
    assert.equal(r.head.loc.text, 'r1 = x');
    const e1 = r.else as Rule;
    assert.deepEqual([e1.loc.row, e1.loc.col], [4, 3]);
    assert.equal(e1.loc.text, 'else = y if {\n\tb == "bar"\n}\n\nelse if {\n\tc\n}');
    assert.equal(e1.head.loc.text, 'else = y');
    assert.equal(e1.else?.head.loc.text, 'else');
    assert.equal(e1.else?.loc.row, 8);
  });

  test('chained bodies get their own locations', () => {
    const m = mod('package p\np contains x if {\n\tx = "hi"\n} {\n\tx = "bye"\n}');
    assert.equal(m.rules.length, 2);
    assert.equal(m.rules[0]?.loc.text, 'p contains x if {\n\tx = "hi"\n}');
    assert.equal(m.rules[1]?.loc.row, 4);
    assert.equal(m.rules[1]?.loc.text, '{\n\tx = "bye"\n}');
    assert.equal(m.rules[1]?.head.key?.type, 'var');
    assert.notEqual(m.rules[1]?.head.key, m.rules[0]?.head.key);
  });

  test('rules are never given an empty body', () => {
    for (const r of mod('package p\np := 1\nq contains 2\ndefault r := 3').rules) {
      assert.equal(r.body.length, 1);
    }
  });

  test('rule and head locations', () => {
    const m = mod('package p\n\n  q contains x if {\n\tx := 1\n}\n');
    const r = m.rules[0] as Rule;
    assert.deepEqual([r.loc.row, r.loc.col], [3, 3]);
    assert.equal(r.loc.text, 'q contains x if {\n\tx := 1\n}');
    assert.deepEqual([r.head.loc.row, r.head.loc.col], [3, 3]);
    const e = r.body[0] as Expr;
    assert.deepEqual([e.loc.row, e.loc.col], [4, 2]);
    assert.equal(r.head.key?.loc.col, 14);
  });

  test('comments and METADATA annotations', () => {
    const m = mod(
      '# METADATA\n# title: pkg\n# description: the package\npackage p\n\n# a comment\n# METADATA\n# title: rule p\n# custom:\n#   severity: high\np := 1\n\nq := 2 # trailing',
    );
    assert.equal(m.comments.length, 9);
    assert.equal(m.annotations.length, 2);
    assert.equal(m.annotations[0]?.scope, 'package');
    assert.equal(m.annotations[0]?.raw['title'], 'pkg');
    const p = m.rules[0] as Rule;
    assert.equal(p.annotations?.scope, 'rule');
    assert.deepEqual(p.annotations?.raw, { title: 'rule p', custom: { severity: 'high' } });
    assert.equal(p.annotations?.loc.row, 7);
    assert.equal(m.rules[1]?.annotations, undefined);
  });

  test('annotation errors', () => {
    assert.match(
      firstError(() => mod('package p\n# METADATA\n# scope: package\np := 1')),
      /^2:1: annotation scope 'package' must be applied to package \(have rule\)/,
    );
    assert.match(
      firstError(() => mod('package p\n# METADATA\n# title: [\np := 1')),
      /^3:1: yaml: /,
    );
    assert.match(
      firstError(() => mod('package p\n# METADATA\n# scope: wat\np := 1')),
      /invalid annotation scope 'wat'/,
    );
  });

  test('annotation validation and attachment follow OPA', () => {
    // A document-scope block and a rule-scope block before one rule: the rule gets the rule-scoped one.
    const m = mod('package p\n# METADATA\n# scope: document\n# title: doc\n\n# METADATA\n# title: p\np := 1');
    assert.equal(m.annotations.length, 2);
    assert.equal(m.rules[0]?.annotations?.scope, 'rule');
    assert.equal(m.rules[0]?.annotations?.raw['title'], 'p');
    assert.match(
      firstError(() => mod('package p\n# METADATA\n# authors:\n# - ""\np := 1')),
      /^2:1: invalid author definition : author is an empty string$/,
    );
    assert.match(
      firstError(() => mod('package p\n# METADATA\n# related_resources:\n# - description: x\np := 1')),
      /'ref' value required in object/,
    );
    assert.match(
      firstError(() => mod('package p\n# METADATA\n# schemas:\n#   - data/x: schema.x\np := 1')),
      /invalid document reference/,
    );
    assert.match(
      firstError(() => mod('package p\n# METADATA\n# schemas:\n#   - input: schema/x\np := 1')),
      /invalid schema reference/,
    );
    assert.equal(
      firstError(() => mod('package p\n\n# METADATA\n# description:p is true\np := true\n')).split('\n')[2],
      "  Hint: on line 4, symbol(s) ['p'] immediately following a key/value separator ':' is not a legal yaml space character",
    );
    assert.match(
      firstError(() => mod('package p\n# METADATA\n# title: My import\nimport input.foo')),
      /invalid annotation scope 'import'/,
    );
    assert.match(
      firstError(() => mod('package p\n\n# METADATA\n# scope: package')),
      /^3:1: annotation scope 'package' must be applied to package$/,
    );
    // YAML 1.2: `yes` is a string.
    assert.deepEqual(mod('package p\n# METADATA\n# custom:\n#   s: yes\np := 1').rules[0]?.annotations?.raw['custom'], {
      s: 'yes',
    });
  });

  test('package and module errors', () => {
    assert.equal(
      firstError(() => mod('package foo.')),
      '1:13: unexpected eof token: expected identifier',
    );
    assert.equal(
      firstError(() => mod('')),
      '0:0: empty module',
    );
    assert.equal(
      firstError(() => mod('p := 1')),
      '1:1: package expected',
    );
    assert.equal(
      firstError(() => mod('package a\npackage b')),
      '2:1: unexpected package',
    );
    assert.equal(
      firstError(() => mod('package a\nx')),
      '2:1: var cannot be used for rule name',
    );
    assert.equal(
      firstError(() => mod('package a\nx = 1; y = 2')),
      '2:1: multiple expressions cannot be used for rule head',
    );
    assert.equal(
      firstError(() => mod('package a\nimport foo.bar')),
      '2:8: unexpected import path, must begin with one of: {data, future, input, rego}, got: foo (hint: if this is unexpected, try updating OPA)',
    );
    assert.equal(
      firstError(() => mod('package a\nimport data.foo.if')),
      '2:17: unexpected import path, must not end with a keyword, got: if',
    );
    assert.equal(
      firstError(() => mod('package a\nimport rego.v2')),
      '2:8: invalid import `rego.v2`, must be `rego.v1`',
    );
  });

  test('rule errors', () => {
    assert.equal(
      firstError(() => mod('package a\ndefault p := x')),
      '2:1: illegal default rule (value cannot contain var)',
    );
    assert.equal(
      firstError(() => mod('package a\ndefault f(1) := 1')),
      '2:1: illegal default rule (arguments cannot contain number)',
    );
    assert.equal(
      firstError(() => mod('package a\np[x] := 1 if { x := 1 } else := 2')),
      '2:25: else keyword cannot be used on rules with variables in head',
    );
    assert.equal(
      firstError(() => mod('package a\np if { false } else { true }')),
      '2:16: `if` keyword is required before rule body',
    );
    assert.equal(
      firstError(() => mod('package a\np := [x | ]')),
      '2:11: found empty body',
    );
    assert.equal(
      firstError(() => mod('package a\np := 1 if { x')),
      '2:14: unexpected eof token: expected \\n or ; or }',
    );
    assert.equal(
      firstError(() => mod('package a\np := 01')),
      '2:6: unexpected number token: expected number without leading zero',
    );
    assert.equal(
      firstError(() => mod('package a\np := "abc')),
      '2:6: non-terminated string',
    );
    assert.equal(
      firstError(() => mod('package a\np := "\\q"')),
      '2:6: illegal escape sequence',
    );
    assert.equal(
      firstError(() => mod('package a\np := @')),
      '2:6: illegal token',
    );
    assert.equal(
      firstError(() => mod('package a\np := 1e1000000')),
      '2:6: number too big',
    );
    assert.equal(
      firstError(() => mod('package a\np := {"a": 1')),
      '2:13: unexpected eof token: non-terminated object',
    );
    assert.equal(
      firstError(() => mod('package a\np := f(1 2)')),
      '2:10: unexpected number token: expected "," or ")"',
    );
    assert.equal(
      firstError(() => mod('package a\nif := 1')),
      '2:1: unexpected if keyword',
    );
  });
});

describe('v0 and v1 syntax', () => {
  const v0 = 'package a\np[x] { x := 1 }\nq { true }\nf(x) = y { y := x }\nr = 1 { true } { false }';

  test('v0 forms parse in v0', () => {
    const m = mod(v0, 0);
    assert.equal(m.regoVersion, 0);
    assert.deepEqual(rules(m), [
      'p contains x { assign(x, 1) }',
      'q = true { true }',
      'f(x) = y { assign(y, x) }',
      'r = 1 { true }',
      'r = 1 { false }',
    ]);
  });

  test('v1 requires if and contains', () => {
    const errs = errorsOf(() => mod(v0, 1)).map((e) => `${e.location?.row}: ${e.message}`);
    assert.deepEqual(errs, [
      '2: `if` keyword is required before rule body',
      '2: `contains` keyword is required for partial set rules',
      '3: `if` keyword is required before rule body',
      '4: `if` keyword is required before function body',
      '5: `if` keyword is required before rule body',
      '5: `if` keyword is required before rule body',
    ]);
  });

  test('v0 quirks kept: p.q { } is a partial set containing "q"; f() { } is a rule', () => {
    assert.deepEqual(rules(mod('package a\np.q { true }\nf() { true }', 0)), [
      'p contains "q" { true }',
      'f = true { true }',
    ]);
  });

  test('v1 rules without body or value', () => {
    assert.equal(
      firstError(() => mod('package a\na.b.c')),
      '2:1: rule must have value assignment and/or body declaration',
    );
    assert.deepEqual(rules(mod('package a\na.b.c', 0)), ['a["b"]["c"] = true { true }']);
  });

  test('v0: keywords are identifiers unless imported', () => {
    assert.deepEqual(rules(mod('package a\nin := 1\nif := 2\ncontains(x) = 3 { true }', 0)), [
      'in := 1 { true }',
      'if := 2 { true }',
      'contains(x) = 3 { true }',
    ]);
    assert.equal(
      firstError(() => mod('package a\np { some x in [1] }', 0)),
      '2:12: unexpected identifier token: expected \\n or ; or } (hint: `import future.keywords.in` for `some x in xs` expressions)',
    );
    assert.match(
      firstError(() => mod('package a\np { every x in [1] { true } }', 0)),
      /hint: `import future.keywords.every` for `every x in xs \{ \.\.\. \}` expressions/,
    );
  });

  test('v0: future.keywords imports enable keywords', () => {
    assert.deepEqual(rules(mod('package a\nimport future.keywords.in\np { some x in [1] }', 0)), [
      'p = true { some internal.member_2(x, [1]) }',
    ]);
    assert.deepEqual(rules(mod('package a\nimport future.keywords.every\np { every x in [1] { x } }', 0)), [
      'p = true { every x in [1] { x } }',
    ]);
    assert.deepEqual(rules(mod('package a\nimport future.keywords\np contains 1 if true', 0)), [
      'p contains 1 { true }',
    ]);
    assert.deepEqual(
      rules(mod('package a\nimport future.keywords.if\nimport future.keywords.contains\np contains 1 if true', 0)),
      ['p contains 1 { true }'],
    );
    assert.equal(mod('package a\nimport future.keywords\np if true', 0).regoVersion, 0);
    assert.equal(
      firstError(() => mod('package a\nimport future.keywords.foo', 0)),
      '2:8: unexpected keyword, must be one of [contains every if in]',
    );
    assert.equal(
      firstError(() => mod('package a\nimport future.keywords.in as x', 0)),
      '2:8: `future` imports cannot be aliased',
    );
  });

  test('v0 with import rego.v1 is checked as v1', () => {
    const m = mod('package a\nimport rego.v1\np contains 1 if true', 0);
    assert.equal(m.regoVersion, 1);
    assert.equal(
      firstError(() => mod('package a\nimport rego.v1\np { true }', 0)),
      '3:1: `if` keyword is required before rule body',
    );
  });

  test('v1: future imports are allowed no-ops', () => {
    assert.deepEqual(rules(mod('package a\nimport future.keywords.in\nimport rego.v1\np if 1 in [1]')), [
      'p = true { internal.member_2(1, [1]) }',
    ]);
  });

  test('queries in v0 do not reserve future keywords', () => {
    assert.deepEqual(q('if := 1', 0), ['assign(if, 1)']);
    assert.throws(() => parseQuery('if := 1', { regoVersion: 1 }), RegoErrors);
  });
});

describe('robustness', () => {
  test('deep nesting gives a clear error, not a crash', () => {
    for (const src of ['['.repeat(100000), '{x | '.repeat(5000) + '1' + '}'.repeat(5000), 'f('.repeat(20000)]) {
      const errs = errorsOf(() => parseModule('deep.rego', 'package a\np := ' + src));
      assert.equal(errs[0]?.message, 'max parsing recursion depth exceeded');
      assert.equal(errs[0]?.location?.file, 'deep.rego');
    }
  });

  test('very long else chains are cut off with the depth error', () => {
    const chain = (n: number) => 'package p\np := 0 if false' + ' else := 1 if false'.repeat(n);
    let r: Rule | undefined = parseModule('x.rego', chain(300)).rules[0];
    let depth = 0;
    for (; r; r = r.else) depth++;
    assert.equal(depth, 301);
    assert.equal(
      errorsOf(() => parseModule('x.rego', chain(20000)))[0]?.message,
      'max parsing recursion depth exceeded',
    );
  });

  test('moderate nesting is fine', () => {
    const src = 'package a\np := ' + '['.repeat(200) + '1' + ']'.repeat(200);
    assert.equal(parseModule('x.rego', src).rules.length, 1);
    const comp = 'package a\np := ' + '[x | x := '.repeat(50) + '1' + ']'.repeat(50);
    assert.equal(parseModule('x.rego', comp).rules.length, 1);
  });

  test('long flat input parses in linear time', () => {
    const src = 'package a\np := ' + Array.from({ length: 20000 }, (_, i) => String(i)).join(' + ');
    assert.equal(parseModule('x.rego', src).rules.length, 1);
    const many =
      'package a\n' + Array.from({ length: 5000 }, (_, i) => `r${i} if { input.x[${i}] == "${i}" }`).join('\n');
    assert.equal(parseModule('x.rego', many).rules.length, 5000);
  });
});

describe('OPA JSON AST', () => {
  test('modules marshal as OPA does (rego.parse_module)', () => {
    const m = parseModule(
      'x.rego',
      'package foo.bar\nimport data.a as b\np contains x if { some x in [1]; not f(x) with input as {} }\nq := 1',
    );
    const j = moduleToJSON(m);
    assert.deepEqual(j['package'], {
      path: [
        { type: 'var', value: 'data' },
        { type: 'string', value: 'foo' },
        { type: 'string', value: 'bar' },
      ],
    });
    assert.deepEqual(j['imports'], [
      {
        path: {
          type: 'ref',
          value: [
            { type: 'var', value: 'data' },
            { type: 'string', value: 'a' },
          ],
        },
        alias: 'b',
      },
    ]);
    const rules = j['rules'] as Record<string, unknown>[];
    assert.deepEqual(rules[0]?.['head'], {
      name: 'p',
      ref: [{ type: 'var', value: 'p' }],
      key: { type: 'var', value: 'x' },
    });
    const body = rules[0]?.['body'] as Record<string, unknown>[];
    assert.deepEqual(body[1], {
      index: 1,
      negated: true,
      terms: [
        { type: 'ref', value: [{ type: 'var', value: 'f' }] },
        { type: 'var', value: 'x' },
      ],
      with: [
        { target: { type: 'ref', value: [{ type: 'var', value: 'input' }] }, value: { type: 'object', value: [] } },
      ],
    });
    assert.deepEqual(rules[1]?.['head'], {
      name: 'q',
      ref: [{ type: 'var', value: 'q' }],
      value: { type: 'number', value: 1 },
      assign: true,
    });
  });
});

// Keep a reference to Term so the type import is used in all configurations.
export type { Term };
