// End-to-end tests of `sekisho rego eval` / `sekisho rego parse`, spawning `node bin/sekisho.js`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const bin = join(repo, 'bin', 'sekisho.js');

function sekisho(
  args: string[],
  opts: { stdin?: string; cwd?: string } = {},
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: opts.cwd ?? repo,
    input: opts.stdin ?? '',
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tempDir(t: { after: (f: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-rego-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const EXPECTED_DENY = [
  'container "envoy" has no cpu limit',
  'container "envoy" must not add capability NET_ADMIN',
  'container "envoy" must not be privileged',
  'container "envoy": image "docker.io/envoyproxy/envoy:latest" is not from a trusted registry',
  'container "envoy": image "docker.io/envoyproxy/envoy:latest" must be pinned to a version tag or digest',
  'missing required labels: env',
  'volume "docker-sock" must not mount a hostPath (/var/run/docker.sock)',
];

test("the README's first command prints the example policy's deny messages", () => {
  const r = sekisho([
    'rego',
    'eval',
    '-d',
    'examples/rego/admission.rego',
    '-i',
    'examples/rego/pod.json',
    'data.k8s.admission.deny',
    '-f',
    'pretty',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, JSON.stringify(EXPECTED_DENY, null, 2) + '\n');
});

test('--format json prints OPA’s result envelope with 2-space indentation', () => {
  const r = sekisho([
    'rego',
    'eval',
    '-d',
    'examples/rego/admission.rego',
    '-i',
    'examples/rego/pod.json',
    'count(data.k8s.admission.deny)',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    `{
  "result": [
    {
      "expressions": [
        {
          "value": 7,
          "text": "count(data.k8s.admission.deny)",
          "location": {
            "row": 1,
            "col": 1
          }
        }
      ]
    }
  ]
}
`,
  );
});

test('bindings appear sorted, and an undefined result prints {}', () => {
  const r = sekisho(['rego', 'eval', 'x := 1; y := "<a&b>"']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as {
    result: { bindings: Record<string, unknown>; expressions: { text: string }[] }[];
  };
  assert.deepEqual(doc.result[0]?.bindings, { x: 1, y: '<a&b>' });
  assert.deepEqual(
    doc.result[0]?.expressions.map((e) => e.text),
    ['x := 1', 'y := "<a&b>"'],
  );
  // Go's encoder escapes HTML characters
  assert.ok(r.stdout.includes('"\\u003ca\\u0026b\\u003e"'), r.stdout);
  const u = sekisho(['rego', 'eval', 'input.nothing']);
  assert.equal(u.code, 0);
  assert.equal(u.stdout, '{}\n');
});

test('-f pretty prints a table for variables, undefined for no result', () => {
  const r = sekisho(['rego', 'eval', '-f', 'pretty', 'x := [1, 2][_]; y := "a"']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    ['+---+-----+', '| x |  y  |', '+---+-----+', '| 1 | "a" |', '| 2 | "a" |', '+---+-----+', ''].join('\n'),
  );
  const u = sekisho(['rego', 'eval', '-f', 'pretty', 'input.nothing']);
  assert.equal(u.stdout, 'undefined\n');
});

test('-f values, bindings and raw', () => {
  const v = sekisho(['rego', 'eval', '-f', 'values', 'x := ["a", 1][_]']);
  assert.equal(v.stdout, '[\n  true\n]\n[\n  true\n]\n');
  const b = sekisho(['rego', 'eval', '-f', 'bindings', 'x := ["a", 1][_]']);
  assert.equal(b.stdout, '{\n  "x": "a"\n}\n{\n  "x": 1\n}\n');
  const raw = sekisho(['rego', 'eval', '-f', 'raw', '["a", 1][_]']);
  assert.equal(raw.stdout, 'a\n1\n');
});

test('-d loads a directory: modules anywhere, data at the path of its directory', (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'policy', 'users'), { recursive: true });
  writeFileSync(join(dir, 'policy', 'authz.rego'), 'package authz\n\nallow if input.user in data.users.admins\n');
  writeFileSync(join(dir, 'policy', 'users', 'data.json'), '{"admins": ["alice"]}');
  writeFileSync(join(dir, 'policy', 'users', 'extra.yaml'), 'limits:\n  max: 12345678901234567890\n');
  writeFileSync(join(dir, 'policy', 'README.md'), 'not loaded');
  writeFileSync(join(dir, 'input.yaml'), 'user: alice\n');
  const r = sekisho(
    ['rego', 'eval', '-d', 'policy', '-i', 'input.yaml', '-f', 'raw', '[data.authz.allow, data.users.limits.max]'],
    { cwd: dir },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '[true,12345678901234567890]\n');
});

test('-I reads the input from stdin and --stdin the query', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'q.rego'), 'package q\n\nname := input.name\n');
  const r = sekisho(['rego', 'eval', '-I', '-d', join(dir, 'q.rego'), '-f', 'raw', 'data.q.name'], {
    stdin: '{"name": "web"}',
  });
  assert.equal(r.stdout, 'web\n', r.stderr);
  const s = sekisho(['rego', 'eval', '--stdin', '-f', 'raw'], { stdin: '1 + 2' });
  assert.equal(s.stdout, '3\n', s.stderr);
});

test('--fail and --fail-defined set exit code 1', () => {
  // (undefined, not false: like opa eval, a lone expression's value is the result, false included)
  assert.equal(sekisho(['rego', 'eval', '--fail', 'input.nothing']).code, 1);
  assert.equal(sekisho(['rego', 'eval', '--fail', 'x := 1']).code, 0);
  assert.equal(sekisho(['rego', 'eval', '--fail-defined', 'x := 1']).code, 1);
  assert.equal(sekisho(['rego', 'eval', '--fail-defined', 'input.nothing']).code, 0);
});

test('usage errors say what is wrong and exit 1', () => {
  const r = sekisho(['rego', 'eval']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /specify query argument or --stdin/);
  const both = sekisho(['rego', 'eval', '--fail', '--fail-defined', 'true']);
  assert.equal(both.code, 1);
  assert.match(both.stderr, /specify --fail or --fail-defined but not both/);
});

test('a parse error is reported with code, file and position, exit 2', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'bad.rego'), 'package bad\n\np if {\n');
  const r = sekisho(['rego', 'eval', '-d', 'bad.rego', 'data.bad.p'], { cwd: dir });
  assert.equal(r.code, 2);
  const doc = JSON.parse(r.stdout) as {
    errors: { code: string; message: string; location: { file: string; row: number; col: number } }[];
  };
  assert.equal(doc.errors[0]?.code, 'rego_parse_error');
  assert.equal(doc.errors[0]?.location.file, 'bad.rego');
  assert.ok((doc.errors[0]?.location.row ?? 0) >= 3);
  const p = sekisho(['rego', 'eval', '-f', 'pretty', '-d', 'bad.rego', 'data.bad.p'], { cwd: dir });
  assert.equal(p.code, 2);
  assert.match(p.stdout, /^1 error occurred: bad\.rego:\d+: rego_parse_error: /);
});

test('an evaluation error is reported in the output format with exit 2', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'c.rego'), 'package c\n\np := 1\n\np := 2 if true\n');
  const r = sekisho(['rego', 'eval', '-d', 'c.rego', 'data.c.p'], { cwd: dir });
  assert.equal(r.code, 2);
  const doc = JSON.parse(r.stdout) as {
    errors: { code: string; message: string; location: { file: string; row: number } }[];
  };
  assert.equal(doc.errors[0]?.code, 'eval_conflict_error');
  assert.match(doc.errors[0]?.message ?? '', /complete rules must not produce multiple outputs/);
  assert.equal(doc.errors[0]?.location.file, 'c.rego');
  const s = sekisho(['rego', 'eval', '--strict-builtin-errors', '-f', 'pretty', 'x := 1 / 0']);
  assert.equal(s.code, 2);
  assert.match(s.stdout, /eval_builtin_error: div: divide by zero/);
});

test('--v0-compatible accepts v0 syntax that v1 rejects', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'v0.rego'), 'package v0\n\ndeny[msg] { msg := "no" }\n');
  const v1 = sekisho(['rego', 'eval', '-d', 'v0.rego', 'data.v0.deny'], { cwd: dir });
  assert.equal(v1.code, 2);
  assert.match(v1.stdout, /rego_parse_error/);
  const v0 = sekisho(['rego', 'eval', '--v0-compatible', '-f', 'raw', '-d', 'v0.rego', 'data.v0.deny'], { cwd: dir });
  assert.equal(v0.code, 0, v0.stdout + v0.stderr);
  assert.equal(v0.stdout, '["no"]\n');
});

test('a missing data file and unparsable input are clear errors', () => {
  const r = sekisho(['rego', 'eval', '-d', 'no/such/file.rego', 'true']);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /no\/such\/file\.rego/);
  const i = sekisho(['rego', 'eval', '-I', 'input'], { stdin: '{"a": [1,' });
  assert.equal(i.code, 2);
  assert.match(i.stderr, /unable to parse input/);
});

test('rego eval --help teaches with examples', () => {
  const r = sekisho(['rego', 'eval', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Examples:/);
  assert.match(r.stdout, /--fail-defined/);
  assert.match(r.stdout, /Output formats/);
});

test('rego parse prints the syntax tree, as an outline or as JSON', () => {
  const r = sekisho(['rego', 'parse', 'examples/rego/admission.rego']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^module examples\/rego\/admission\.rego/);
  assert.match(r.stdout, /rule/);
  const j = sekisho(['rego', 'parse', '-f', 'json', 'examples/rego/admission.rego']);
  assert.equal(j.code, 0, j.stderr);
  const m = JSON.parse(j.stdout) as { package: unknown; rules: { location: { row: number } }[] };
  assert.ok(m.package);
  assert.ok(m.rules.length >= 10);
  assert.ok((m.rules[0]?.location.row ?? 0) > 0);
});

test('rego parse reports a parse error with its location and exit 1', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'bad.rego'), 'package bad\n\np := [1, \n');
  const r = sekisho(['rego', 'parse', 'bad.rego'], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /bad\.rego:\d+: rego_parse_error/);
});

test('--strict-builtin-errors reports the error beside the results found', (t) => {
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 's.rego'),
    'package s\n\nn contains x if {\n\tsome s in ["1", "two", "3"]\n\tx := to_number(s)\n}\n',
  );
  const r = sekisho(['rego', 'eval', '--strict-builtin-errors', '-d', 's.rego', 'x := data.s.n'], { cwd: dir });
  assert.equal(r.code, 2);
  const doc = JSON.parse(r.stdout) as { errors?: { code: string }[]; result?: unknown[] };
  assert.equal(doc.errors?.[0]?.code, 'eval_builtin_error');
  assert.equal(doc.result?.length, 1);
  const plain = JSON.parse(sekisho(['rego', 'eval', '-d', 's.rego', 'x := data.s.n'], { cwd: dir }).stdout);
  assert.deepEqual(plain.result[0].bindings.x, [1, 3]);
});
