// `sekisho rego test` / `check` end to end through the command functions (files on disk, OPA's output shapes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runTestCommand, prettyReport, type TestOptions } from '../../src/cli/rego/test.ts';
import { runCheckCommand } from '../../src/cli/rego/check.ts';

function fixture(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-rego-test-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

function capture(): { out: string; err: string; io: { stdout: (s: string) => void; stderr: (s: string) => void } } {
  const c = { out: '', err: '', io: { stdout: (s: string) => void (c.out += s), stderr: (s: string) => void (c.err += s) } };
  return c;
}

const base: TestOptions = { format: 'pretty', ignore: [], data: [] };

test('rego test: v0 policies, data files rooted by directory, verbose output, exit codes', (t) => {
  const dir = fixture({
    'lib/lib.rego': 'package lib\n\nis_admin(u) { data.users[u].admin }\n',
    'lib/lib_test.rego': 'package lib\n\ntest_admin { is_admin("ann") }\n\ntest_not_admin { not is_admin("bob") }\n',
    'users/data.json': '{"ann": {"admin": true}, "bob": {"admin": false}}',
  });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // users/data.json is found at depth 1 → data.users
  const c = capture();
  assert.equal(runTestCommand([dir], { ...base, v0Compatible: true, verbose: true }, c.io), 0);
  assert.match(c.out, /lib_test\.rego:\ndata\.lib\.test_admin: PASS \(\d/);
  assert.match(c.out, /\nPASS: 2\/2\n$/);

  const j = capture();
  assert.equal(runTestCommand([dir], { ...base, v0Compatible: true, format: 'json' }, j.io), 0);
  const parsed = JSON.parse(j.out) as { package: string; name: string; duration: number }[];
  assert.deepEqual(parsed.map((r) => `${r.package}.${r.name}`), ['data.lib.test_admin', 'data.lib.test_not_admin']);
  assert.equal(typeof parsed[0]?.duration, 'number');

  // v1 parsing of v0 sources is a load error: exit 1
  const e = capture();
  assert.equal(runTestCommand([dir], base, e.io), 1);
  assert.match(e.err, /rego_parse_error/);

  // --ignore the data directory: test_admin fails → exit 2 and FAIL line in the summary
  const f = capture();
  assert.equal(runTestCommand([dir], { ...base, v0Compatible: true, ignore: ['users'] }, f.io), 2);
  assert.match(f.out, /data\.lib\.test_admin: FAIL/);
  assert.match(f.out, /PASS: 1\/2\nFAIL: 1\/2\n$/);
});

test('rego test --coverage and --threshold', (t) => {
  const dir = fixture({
    'p.rego': 'package p\n\nallow if {\n\tinput.a == 1\n}\n\ndeny if {\n\tinput.b == 1\n}\n',
    'p_test.rego': 'package p\n\ntest_allow if allow with input as {"a": 1}\n',
  });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const c = capture();
  assert.equal(runTestCommand([dir], { ...base, coverage: true }, c.io), 0);
  const report = JSON.parse(c.out) as { files: Record<string, { coverage: number; not_covered?: unknown[] }>; coverage: number };
  assert.equal(report.files[join(dir, 'p.rego')]?.coverage, 50);
  assert.deepEqual(report.files[join(dir, 'p.rego')]?.not_covered, [{ start: { row: 7 }, end: { row: 8 } }]);
  const th = capture();
  assert.equal(runTestCommand([dir], { ...base, coverage: true, threshold: '90' }, th.io), 2);
  assert.match(th.err, /^Code coverage threshold not met: got \d+\.\d\d instead of 90\.00\n$/);
});

test('pretty report lists only failures unless verbose, with print output', () => {
  const loc = { file: 'x_test.rego', row: 1, col: 1 };
  const out = prettyReport(
    [
      { location: loc, package: 'data.x', name: 'test_a', duration: 1500 },
      { location: loc, package: 'data.x', name: 'test_b', duration: 2_000_000, fail: true, output: 'dbg\n' },
      { location: loc, package: 'data.x', name: 'todo_test_c', duration: 0, skip: true },
    ],
    false,
  );
  assert.equal(
    out,
    'x_test.rego:\ndata.x.test_b: FAIL (2ms)\n\n  dbg\n\ndata.x.todo_test_c: SKIPPED\n' +
      '-'.repeat(80) +
      '\nPASS: 1/3\nFAIL: 1/3\nSKIPPED: 1/3\n',
  );
});

test('rego check: errors with file:row and codes, exit 1; json format', (t) => {
  const dir = fixture({ 'ok.rego': 'package ok\n\nx := 1\n', 'bad.rego': 'package bad\n\ny if z\n' });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const c = capture();
  assert.equal(runCheckCommand([join(dir, 'ok.rego')], { format: 'pretty', ignore: [] }, c.io), 0);
  const e = capture();
  assert.equal(runCheckCommand([dir], { format: 'pretty', ignore: [] }, e.io), 1);
  assert.match(e.err, /^1 error occurred: .*bad\.rego:3: rego_unsafe_var_error: var z is unsafe\n$/);
  const j = capture();
  assert.equal(runCheckCommand([dir], { format: 'json', ignore: [] }, j.io), 1);
  const parsed = JSON.parse(j.err) as { errors: { code: string; location: { row: number; col: number } }[] };
  assert.equal(parsed.errors[0]?.code, 'rego_unsafe_var_error');
  assert.equal(parsed.errors[0]?.location.row, 3);
});
