import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PolicyError } from '../errors.ts';
import { parserByName, parserNameForPath } from './index.ts';

async function parse(name: string, text: string, file = 'in') {
  return parserByName(name).parse(text, { file });
}

async function parseError(name: string, text: string): Promise<PolicyError> {
  try {
    // parsers may throw synchronously or reject
    await parse(name, text, 'bad.' + name);
  } catch (e) {
    assert.ok(e instanceof PolicyError, `expected PolicyError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a parse error');
}

test('parser chosen by file name as Conftest does', () => {
  const cases: [string, string | undefined][] = [
    ['a/Dockerfile', 'dockerfile'], ['Dockerfile.debug', 'dockerfile'], ['dev.Dockerfile', 'dockerfile'],
    ['x.yml', 'yaml'], ['x.YAML', 'yaml'], ['main.tf', 'hcl2'], ['vars.tfvars', 'hcl2'], ['.gitignore', 'ignore'],
    ['.dockerignore', 'ignore'], ['.env', 'dotenv'], ['.env.prod', 'dotenv'], ['prod.env', 'dotenv'], ['nginx.conf', 'nginx'],
    ['Jenkinsfile', 'groovy'], ['a.textproto', 'textproto'], ['a.json', 'json'], ['a.toml', 'toml'], ['a.txt', undefined], ['-', 'yaml'],
  ];
  for (const [path, want] of cases) assert.equal(parserNameForPath(path), want, path);
});

test('yaml: several documents become an array with the line of each', async () => {
  const r = await parse('yaml', 'a: 1\n---\nb: yes\n---\n# c\nc: [1, 2]\n');
  assert.deepEqual(r.value, [{ a: 1 }, { b: true }, { c: [1, 2] }]);
  assert.deepEqual(r.lines, [1, 3, 6]);
});

test('yaml: a single document stays a single value', async () => {
  assert.deepEqual((await parse('yaml', 'kind: Pod\n')).value, { kind: 'Pod' });
  assert.equal((await parse('yaml', '')).value, null);
});

test('yaml: syntax error names line and column', async () => {
  const e = await parseError('yaml', 'a: 1\nb: [1, 2\nc: 3\n');
  assert.equal(e.code, 'policy_parse_error');
  assert.ok(e.location && e.location.row >= 2, JSON.stringify(e.location));
});

test('yaml: an alias bomb is refused, not expanded', async () => {
  let bomb = 'a0: &a0 ["x","x","x","x","x","x","x","x","x"]\n';
  for (let i = 1; i < 10; i++) bomb += `a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(',')}]\n`;
  const e = await parseError('yaml', bomb);
  assert.match(e.message, /alias/);
});

test('yaml: oversized input is refused with a clear error', async () => {
  const e = await Promise.resolve().then(() => parserByName('yaml').parse('a: ' + 'x'.repeat(2000), { file: 'big.yaml', maxBytes: 1000 })).then(
    () => assert.fail('expected refusal'),
    (err: unknown) => err as PolicyError,
  );
  assert.equal(e.code, 'policy_input_too_large');
});

test('json: value, BOM and error position', async () => {
  assert.deepEqual((await parse('json', '\ufeff{"a": [1, "x"]}')).value, { a: [1, 'x'] });
  const e = await parseError('json', '{\n  "a": 1,\n  "b": }\n');
  assert.deepEqual(e.location, { file: 'bad.json', row: 3, col: 8 });
});

test('jsonc: comments and trailing commas', async () => {
  assert.deepEqual((await parse('jsonc', '{\n // c\n "a": 1, /* d */ "b": [2,],\n}')).value, { a: 1, b: [2] });
});

test('toml: values, dates as strings, error location', async () => {
  const r = await parse('toml', 'a = 1\n[s]\nd = 1979-05-27T07:32:00Z\n');
  assert.deepEqual(r.value, { a: 1, s: { d: '1979-05-27T07:32:00.000Z' } });
  const e = await parseError('toml', 'a = 1\nb = = 2\n');
  assert.equal(e.location?.row, 2);
});

test('hcl2: Terraform blocks in hcl2json shape; errors located', async () => {
  const r = await parse('hcl2', 'resource "aws_s3_bucket" "b" {\n  acl = "private"\n  count = 2\n}\n');
  assert.deepEqual(r.value, { resource: { aws_s3_bucket: { b: [{ acl: 'private', count: 2 }] } } });
  const e = await parseError('hcl2', 'resource "a" "b" {\n  x = \n}\n');
  assert.equal(e.location?.row, 2);
});

test('hcl1: every object below the root is a list of maps, as hashicorp/hcl v1 decodes', async () => {
  const r = await parse('hcl1', 'provider "google" {\n  project = "p"\n}\nresource "a" "b" {\n  n = 1\n  tags = { x = "y" }\n  inner {\n    k = true\n  }\n}\n');
  assert.deepEqual(r.value, {
    provider: [{ google: [{ project: 'p' }] }],
    resource: [{ a: [{ b: [{ n: 1, tags: [{ x: 'y' }], inner: [{ k: true }] }] }] }],
  });
});

test('nginx: directives with parameters and blocks; errors located', async () => {
  const r = await parse('nginx', 'user nginx;\n# c\nhttp {\n  server {\n    listen 80;\n    location ~ ^/a {\n      return 301 "https://$host$request_uri";\n    }\n  }\n}\n');
  assert.deepEqual(r.value, {
    directives: [
      { name: 'user', parameters: ['nginx'] },
      { name: 'http', block: { directives: [{ name: 'server', block: { directives: [
        { name: 'listen', parameters: ['80'] },
        { name: 'location', parameters: ['~', '^/a'], block: { directives: [{ name: 'return', parameters: ['301', '"https://$host$request_uri"'] }] } },
      ] } }] } },
    ],
  });
  assert.deepEqual((await parseError('nginx', 'http {\n  listen 80;\n')).location, { file: 'bad.nginx', row: 1, col: 6 });
});

test('vcl: backends, acls, nested objects, subs; errors located', async () => {
  const r = await parse('vcl', 'vcl 4.0;\n# c\nbackend app {\n  .host = "127.0.0.1"; // h\n  .port = "8081";\n  .max_connections = 800;\n  .connect_timeout = 60s;\n  .probe = { .url = "/"; .interval = 5s; }\n}\nacl purge {\n  "127.0.0.1";\n  "10.0.0.0"/8;\n}\nsub vcl_recv {\n  if (req.method == "PURGE") { return (purge); }\n}\n');
  assert.deepEqual(r.value, {
    vcl: 4,
    backend: { app: { host: '127.0.0.1', port: '8081', max_connections: 800, connect_timeout: '60s', probe: { url: '/', interval: '5s' } } },
    acl: { purge: ['127.0.0.1', '"10.0.0.0"/8'] },
    sub: { vcl_recv: 'if (req.method == "PURGE") { return (purge); }' },
  });
  assert.equal((await parseError('vcl', 'backend a {\n  .port = "1";\n')).location?.row, 1);
});

test('dockerfile: Conftest command shape', async () => {
  const r = await parse('dockerfile', '# base\nFROM golang:1.22 AS build\nRUN --mount=type=cache,target=/x go build \\\n  ./...\nFROM scratch\nCOPY --from=build /out /\nENV A=1 B="two words"\nCMD ["/app", "-v"]\n');
  const cmds = (r.value as unknown[][])[0] as { Cmd: string; Value: string[]; Flags: string[]; Stage: number; JSON: boolean }[];
  assert.deepEqual(cmds.map((c) => c.Cmd), ['comment', 'from', 'run', 'from', 'copy', 'env', 'cmd']);
  assert.deepEqual(cmds[1]?.Value, ['golang:1.22', 'AS', 'build']);
  assert.deepEqual(cmds[2]?.Flags, ['--mount=type=cache,target=/x']);
  assert.equal(cmds[2]?.Value.length, 1);
  assert.match(cmds[2]?.Value[0] ?? '', /^go build +\.\/\.\.\.$/);
  assert.deepEqual(cmds.map((c) => c.Stage), [0, 0, 0, 1, 1, 1, 1]);
  assert.deepEqual(cmds[4]?.Flags, ['--from=build']);
  assert.deepEqual(cmds[5]?.Value, ['A', '1', '=', 'B', 'two words', '=']);
  assert.equal(cmds[6]?.JSON, true);
  assert.deepEqual(cmds[6]?.Value, ['/app', '-v']);
});

test('ini: sections, Go-typed scalars, dotted section names kept flat', async () => {
  const r = await parse('ini', 'top = 1\n[server]\nport = 3000\nenabled = true\nname = "x"\n[auth.basic]\nenabled = false\n');
  assert.deepEqual(r.value, { server: { port: 3000, enabled: true, name: 'x' }, 'auth.basic': { enabled: false } });
});

test('properties, dotenv, xml, edn, hocon, ignore, spdx', async () => {
  assert.deepEqual((await parse('properties', 'a=1\nb.c : two\n# x\n')).value, { a: '1', 'b.c': 'two' });
  assert.deepEqual((await parse('dotenv', 'A=1\n# c\nB="x y"\n')).value, { A: '1', B: 'x y' });
  assert.equal((await parseError('dotenv', 'A=1\nnot a pair\n')).location?.row, 2);
  assert.deepEqual((await parse('xml', '<?xml version="1.0"?><p a="1"><v>2</v><v>3</v></p>')).value, { p: { '-a': '1', v: ['2', '3'] } });
  assert.equal((await parseError('xml', '<a>\n<b></a>')).location?.row, 2);
  assert.deepEqual((await parse('edn', '{:env :dev :port 80 "s" "t" :l [1 2]}')).value, { ':env': ':dev', ':port': '80', s: 't', ':l': ['1', '2'] });
  assert.deepEqual((await parse('hocon', 'a { b = 9000, c = "x" }\nd = ${a.c}\n')).value, { a: { b: 9000, c: 'x' }, d: 'x' });
  assert.deepEqual((await parse('ignore', 'foo\n!bar\n\n# c\n')).value, [[
    { Kind: 'Path', Value: 'foo', Original: 'foo' },
    { Kind: 'NegatedPath', Value: 'bar', Original: '!bar' },
    { Kind: 'Empty', Value: '', Original: '' },
    { Kind: 'Comment', Value: 'c', Original: '# c' },
  ]]);
  const spdx = (await parse('spdx', 'SPDXVersion: SPDX-2.2\nDataLicense: CC0-1.0\nCreator: Tool: x\nPackageName: p\nPackageVersion: 1\n')).value as Record<string, unknown>;
  assert.equal(spdx.DataLicense, 'CC0-1.0');
  assert.deepEqual(spdx.Packages, [{ PackageName: 'p', PackageVersion: '1' }]);
});

test('unavailable parsers fail with a clear message', async () => {
  for (const name of ['groovy']) {
    const e = await parseError(name, 'x');
    assert.equal(e.code, 'policy_parser_unavailable');
    assert.match(e.message, new RegExp(`^parser ${name} is not available`));
  }
  assert.throws(() => parserByName('nope'), /unknown parser: nope/);
});
