// Fuzz test: a fixed-seed PRNG mutates our own Rego modules and queries (deleting, duplicating and swapping
// tokens and characters). The parser must only ever return a Module/Body or throw RegoErrors, and the work it
// does per input (counted in parser steps, not timed) must stay within a bound linear in the input size.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModule, parseQuery } from './parser.ts';
import { RegoErrors } from './errors.ts';
import { compilePolicy } from './index.ts';
import { lex } from './lexer.ts';
import { parserStats } from './parser/core.ts';

const MODULES_V1 = [
  `# METADATA
# title: Pods
# description: admission checks
package k8s.admission

import rego.v1
import data.lib.util as u

default allow := false

# METADATA
# title: allow rule
allow if {
	input.request.kind.kind == "Pod"
	count(deny) == 0
}

deny contains msg if {
	some c in input.request.object.spec.containers
	not startswith(c.image, "registry.local/")
	msg := sprintf("image %v is not allowed", [c.image])
}

deny contains msg if {
	some i, c in input.request.object.spec.containers
	c.securityContext.privileged == true
	msg := concat("", ["privileged container ", c.name, " at ", format_int(i, 10)])
}

labels[k] := v if {
	some k, v in input.request.object.metadata.labels
	k != "internal"
}

a.b[x].c := 1 if x := "y"

f(x) := y if { y := x * 2 + 1 } else := 0 if { x < 0 } else := -1

f(x, _) := z if {
	z := [v | v := x[_]; v % 2 == 0]
}

g(x) := {k: v | some k, v in x; k & v}

h if {
	every k, v in {"a": 1} { k != ""; v > 0 }
	xs := {1, 2, 3} | {4}
	ys := xs & {1}
	1 in xs
	not 5 in ys
	s := set()
	o := {}
	t := \`raw \\ string\`
	n := 1.5e3 - .5 / 2
	data.lib.check(input) with input.x as 1 with data.lib.flag as true
}
`,
  `package refs
import rego.v1
p := [1, 2, 3][0]
q := {"a": {"b": [true, null]}}.a.b[1]
r := count({x | some x in [1, 2]})
s := object.get({"k": 1}, "k", 0)
t := f(1).x
u := [x | x := input.items[_].name]
v := {x: y | x := 1; y := 2}
w := (1 + 2) * 3 >= 9 == true
`,
];

const MODULES_V0 = [
  `package v0.policy

import future.keywords.in

default allow = false

allow { input.user == "admin" }
allow { some r in input.roles; r == "root" }

deny[msg] { input.x; msg := "x" }
obj[k] = v { k := "a"; v := 1 }
f(x) = y { y := x } else = 1 { true }
p.q.r { true }
`,
];

const QUERIES = [
  'x := 1; y := x + 2',
  'data.k8s.admission.allow with input as {"request": {"kind": {"kind": "Pod"}}}',
  'some x in [1, 2, 3]; x > 1\nnot x == 2',
  '[x | x := [1, 2][_]]',
];

/** mulberry32: a tiny seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(src: string, rnd: () => number): string {
  const int = (n: number) => Math.floor(rnd() * n);
  let s = src;
  const rounds = 1 + int(4);
  for (let r = 0; r < rounds; r++) {
    const toks = lex(s).tokens.filter((t) => t.type !== 'eof');
    const op = int(7);
    if (op < 4 && toks.length > 1) {
      const a = toks[int(toks.length)]!;
      const b = toks[int(toks.length)]!;
      const ta = s.slice(a.offset, a.end);
      const tb = s.slice(b.offset, b.end);
      switch (op) {
        case 0: // delete a token
          s = s.slice(0, a.offset) + s.slice(a.end);
          break;
        case 1: // duplicate a token
          s = s.slice(0, a.end) + ' ' + ta + s.slice(a.end);
          break;
        case 2: // swap two tokens
          if (a.offset < b.offset && a.end <= b.offset) {
            s = s.slice(0, a.offset) + tb + s.slice(a.end, b.offset) + ta + s.slice(b.end);
          }
          break;
        default: // copy a token elsewhere
          s = s.slice(0, b.offset) + ta + s.slice(b.offset);
      }
    } else if (s.length > 0) {
      const i = int(s.length);
      const j = int(s.length);
      switch (op) {
        case 4: // delete a character
          s = s.slice(0, i) + s.slice(i + 1);
          break;
        case 5: // duplicate a character
          s = s.slice(0, i) + s[i] + s.slice(i);
          break;
        default: {
          // swap two characters, or insert an interesting one
          if (rnd() < 0.5) {
            const lo = Math.min(i, j);
            const hi = Math.max(i, j);
            if (lo !== hi) s = s.slice(0, lo) + s[hi] + s.slice(lo + 1, hi) + s[lo] + s.slice(hi + 1);
          } else {
            const chars = '{}[]()|&:=;,."`\\#\n\t-0e!@\u00e9';
            s = s.slice(0, i) + chars[int(chars.length)] + s.slice(i);
          }
        }
      }
    }
  }
  return s;
}

const ITERATIONS = Number(process.env['FUZZ_ITERATIONS'] ?? 8000);

let compiled = 0;
let compileErrors = 0;

/** A module that parses also goes through the compiler, which may only succeed or throw RegoErrors with codes. */
function compileFuzzed(i: number, src: string, regoVersion: 0 | 1): void {
  try {
    compilePolicy({ modules: [{ file: 'fuzz.rego', text: src }], regoVersion });
    compiled++;
  } catch (e) {
    if (!(e instanceof RegoErrors)) assert.fail(`iteration ${i}: compiler threw ${String(e)} for input:\n${src}`);
    assert.ok(e.errors.length > 0, `iteration ${i}: empty RegoErrors from the compiler`);
    for (const err of e.errors) assert.match(err.code, /^rego_[a-z_]+_error$/, `iteration ${i}: ${err.message}`);
    compileErrors++;
  }
}

test(
  'fuzzed modules and queries: only Module/Body or RegoErrors from parser and compiler, bounded work',
  { timeout: 180_000 },
  () => {
    const rnd = prng(20261126);
    const inputs: { src: string; kind: 'module' | 'query'; regoVersion: 0 | 1 }[] = [
      ...MODULES_V1.map((src) => ({ src, kind: 'module' as const, regoVersion: 1 as const })),
      ...MODULES_V0.map((src) => ({ src, kind: 'module' as const, regoVersion: 0 as const })),
      ...MODULES_V1.map((src) => ({ src, kind: 'module' as const, regoVersion: 0 as const })),
      ...QUERIES.map((src) => ({ src, kind: 'query' as const, regoVersion: 1 as const })),
    ];
    // The unmutated inputs parse.
    for (const inp of inputs.slice(0, MODULES_V1.length + MODULES_V0.length)) {
      parseModule('seed.rego', inp.src, { regoVersion: inp.regoVersion });
    }
    let ok = 0;
    let failed = 0;
    let maxRatio = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const inp = inputs[Math.floor(rnd() * inputs.length)]!;
      const src = mutate(inp.src, rnd);
      const before = parserStats.steps;
      try {
        if (inp.kind === 'module') {
          parseModule('fuzz.rego', src, { regoVersion: inp.regoVersion });
          compileFuzzed(i, src, inp.regoVersion);
        } else parseQuery(src, { regoVersion: inp.regoVersion });
        ok++;
      } catch (e) {
        if (!(e instanceof RegoErrors)) {
          assert.fail(`iteration ${i}: threw ${String(e)} for input:\n${src}`);
        }
        assert.ok(e.errors.length > 0, `iteration ${i}: empty RegoErrors`);
        for (const err of e.errors) {
          assert.equal(err.code, 'rego_parse_error', `iteration ${i}: ${err.message}`);
          assert.notEqual(err.message, 'parser step budget exceeded', `iteration ${i}: runaway parse of:\n${src}`);
          assert.ok(err.location && err.location.row >= 0 && err.location.col >= 0, `iteration ${i}: no location`);
        }
        failed++;
      }
      const steps = parserStats.steps - before;
      const ratio = steps / (src.length + 1);
      if (ratio > maxRatio) maxRatio = ratio;
      // Work must stay linear in the input: a runaway (exponential backtracking, a loop) breaks this bound.
      assert.ok(
        steps <= 50 * (src.length + 100),
        `iteration ${i}: ${steps} parser steps for ${src.length} chars:\n${src}`,
      );
    }
    // Both outcomes happen, so the mutations exercise the error paths and the success paths.
    assert.ok(ok > 0 && failed > 0, `ok=${ok} failed=${failed}`);
    // The compiler sees both valid modules and ones it must refuse.
    assert.ok(compiled > 0 && compileErrors > 0, `compiled=${compiled} compileErrors=${compileErrors}`);
    assert.ok(maxRatio > 0);
    if (process.env['FUZZ_VERBOSE']) console.log({ ok, failed, maxRatio });
  },
);

test('token soup: random sequences of Rego tokens parse or fail cleanly in linear work', () => {
  const rnd = prng(7);
  const toks = [
    '{',
    '}',
    '[',
    ']',
    '(',
    ')',
    'x',
    '|',
    ',',
    ':',
    '1',
    '+',
    ';',
    '\n',
    ' ',
    'in',
    'some',
    'every',
    'if',
    'not',
    '=',
    ':=',
    '==',
    '.',
    'y',
    'f(',
    'set(',
    'with',
    'as',
    'else',
    '"s"',
    '-',
    'contains',
    'default',
  ];
  for (let i = 0; i < 3000; i++) {
    const n = 5 + Math.floor(rnd() * 120);
    let src = 'package p\np := ';
    for (let j = 0; j < n; j++) src += toks[Math.floor(rnd() * toks.length)]! + (rnd() < 0.3 ? ' ' : '');
    const before = parserStats.steps;
    try {
      parseModule('soup.rego', src, { regoVersion: rnd() < 0.5 ? 0 : 1 });
    } catch (e) {
      if (!(e instanceof RegoErrors)) assert.fail(`soup ${i}: threw ${String(e)} for input:\n${src}`);
    }
    const steps = parserStats.steps - before;
    assert.ok(steps <= 50 * (src.length + 100), `soup ${i}: ${steps} parser steps for ${src.length} chars:\n${src}`);
  }
});
