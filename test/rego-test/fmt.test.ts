// `sekisho rego fmt`: golden files (test/rego-test/fmt/<name>.rego → .formatted), idempotency, the AST
// surviving formatting, and every .rego file of this repository already being in canonical layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { formatSource } from '../../src/rego/format/index.ts';
import { parseModule } from '../../src/rego/index.ts';
import { runFmtCommand } from '../../src/cli/rego/fmt.ts';

const dir = new URL('./fmt/', import.meta.url).pathname;
const read = (name: string): string => readFileSync(join(dir, name), 'utf8');

function shape(text: string, v: 0 | 1): string {
  const m = parseModule('x.rego', text, { regoVersion: v });
  return JSON.stringify(m.rules, (k, x) =>
    k === 'loc' || k === 'index' || k === 'module' || k === 'assign' || k === 'raw' || k === 'annotations' ? undefined : typeof x === 'bigint' ? String(x) : x,
  );
}

const cases: { src: string; golden: string; parse: 0 | 1; out: 0 | 1 }[] = [
  { src: 'v0-policy.rego', golden: 'v0-policy.rego.v1.formatted', parse: 0, out: 1 },
  { src: 'v0-policy.rego', golden: 'v0-policy.rego.v0.formatted', parse: 0, out: 0 },
  { src: 'v1-policy.rego', golden: 'v1-policy.rego.formatted', parse: 1, out: 1 },
];

for (const c of cases) {
  test(`fmt golden: ${c.golden}`, () => {
    const got = formatSource(c.src, read(c.src), { regoVersion: c.out, parseVersion: c.parse });
    assert.equal(got, read(c.golden));
    assert.equal(formatSource(c.golden, got, { regoVersion: c.out }), got, 'idempotent');
    assert.equal(shape(got, c.out), shape(read(c.src), c.parse), 'same rules after formatting');
  });
}

test('every .rego file of the repository is a fixed point of fmt', () => {
  const root = new URL('../../', import.meta.url).pathname;
  const files = execFileSync('git', ['ls-files', '*.rego'], { cwd: root, encoding: 'utf8' }).split('\n').filter((f) => f && !f.startsWith('test/rego-test/fmt/'));
  assert.ok(files.length > 0);
  for (const f of files) {
    const text = readFileSync(join(root, f), 'utf8');
    let v: 0 | 1 = 1;
    try {
      parseModule(f, text, { regoVersion: 1 });
    } catch {
      v = 0;
    }
    const once = formatSource(f, text, { regoVersion: v, parseVersion: v });
    assert.equal(formatSource(f, once, { regoVersion: v }), once, `${f} idempotent`);
  }
});

test('fmt layout details: parens, in, multi-line calls, imports sorted, comments', () => {
  const src = [
    'package p',
    '',
    'import data.z',
    'import data.a # first',
    '',
    'x := (a | b)[_] if true',
    'y := [(1 in s) | true]',
    'z := concat(',
    '  "/", ["a", "b"])',
    'w if {',
    '  x == 1',
    '  # before the brace',
    '}',
    '',
  ].join('\n');
  assert.equal(
    formatSource('p.rego', src),
    [
      'package p',
      '',
      'import data.a # first',
      'import data.z',
      '',
      'x := (a | b)[_]',
      'y := [(1 in s) | true]',
      '',
      'z := concat(',
      '\t"/", ["a", "b"],',
      ')',
      '',
      'w if {',
      '\tx == 1',
      '\t# before the brace',
      '}',
      '',
    ].join('\n'),
  );
});

test('rego fmt command: --list, --diff, --write, parse errors', (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'sekisho-fmt-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const f = join(tmp, 'a.rego');
  writeFileSync(f, 'package a\nx := 1 if {  true\n  input.y }\n');
  let out = '';
  let err = '';
  const io = { stdout: (s: string) => void (out += s), stderr: (s: string) => void (err += s) };
  assert.equal(runFmtCommand([tmp], { list: true, fail: true }, io), 2);
  assert.equal(out, `${f}\n`);
  out = '';
  assert.equal(runFmtCommand([f], { diff: true }, io), 0);
  assert.match(out, /^--- .*a\.rego\n\+\+\+ .*\n@@ .* @@\n/);
  assert.match(out, /\n\+\tinput\.y\n/);
  assert.equal(runFmtCommand([f], { write: true }, io), 0);
  assert.equal(readFileSync(f, 'utf8'), 'package a\n\nx := 1 if {\n\ttrue\n\tinput.y\n}\n');
  out = '';
  assert.equal(runFmtCommand([tmp], { list: true, fail: true }, io), 0);
  assert.equal(out, '');
  writeFileSync(f, 'package a\nx {\n');
  assert.equal(runFmtCommand([f], {}, io), 1);
  assert.match(err, /a\.rego:\d+: rego_parse_error/);
});

test('--rego-v1: v1 syntax plus import rego.v1; v0 output keeps v0 keywords unless imported', () => {
  const src = 'package p\n\nimport future.keywords.in\n\nallow { 1 in input.xs }\n';
  assert.equal(
    formatSource('p.rego', src, { parseVersion: 0, regoV1Import: true }),
    'package p\n\nimport rego.v1\n\nallow if 1 in input.xs\n',
  );
  assert.equal(formatSource('p.rego', src, { parseVersion: 0, regoVersion: 0 }), 'package p\n\nimport future.keywords.in\n\nallow {\n\t1 in input.xs\n}\n');
  const withIf = 'package p\n\nimport future.keywords.if\n\nallow if { input.x }\n';
  assert.equal(formatSource('p.rego', withIf, { parseVersion: 0, regoVersion: 0 }), 'package p\n\nimport future.keywords.if\n\nallow if input.x\n');
});
