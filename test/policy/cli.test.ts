// `sekisho policy` through the real CLI: exit codes, flags, stdin, config file discovery, bad input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '../../bin/sekisho.js');
const fx = join(here, 'fixtures');

function policy(args: string[], opts: { cwd?: string; input?: string } = {}) {
  const r = spawnSync(process.execPath, [bin, 'policy', ...args], {
    cwd: opts.cwd ?? fx,
    input: opts.input ?? '',
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('test: failures exit 1 with Conftest lines; --fail-on-warn 2; --no-fail 0', () => {
  const r = policy(['test', '-p', 'policy', '-d', 'data', 'inputs/deploy.yaml', 'inputs/service.yaml']);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /^FAIL - inputs\/deploy\.yaml - main - Containers must not run as root in Deployment web$/m);
  assert.match(r.stdout, /^WARN - inputs\/service\.yaml - main - Found service front$/m);
  assert.match(r.stdout, /\n\n8 tests, 5 passed, 1 warning, 2 failures, 0 exceptions\n$/);
  assert.equal(policy(['test', '--fail-on-warn', '-p', 'policy', 'inputs/deploy.yaml']).status, 2);
  assert.equal(policy(['test', '--fail-on-warn', '-p', 'policy', 'inputs/service.yaml']).status, 1);
  assert.equal(policy(['test', '--no-fail', '-p', 'policy', 'inputs/deploy.yaml']).status, 0);
});

test('test: stdin with -o json, and --quiet prints nothing when all pass', () => {
  const r = policy(['test', '-p', 'policy', '-o', 'json', '--stdin-filename', 'in.yaml', '-'], {
    input: 'kind: Pod\nmetadata:\n  name: x\n',
  });
  assert.equal(r.status, 1, r.stderr);
  const json = JSON.parse(r.stdout) as { filename: string; failures: { msg: string }[] }[];
  assert.equal(json[0]?.filename, 'in.yaml');
  assert.equal(json[0]?.failures[0]?.msg, 'pods must be labelled');
  const q = policy(['test', '--quiet', '-p', 'policy', '-n', 'ports', '-d', 'data', '-'], {
    input: 'spec: {ports: [{port: 80}]}\n',
  });
  assert.equal(q.status, 0, q.stderr);
  assert.equal(q.stdout, '');
});

test('test: a malformed file is reported with file:line:col and the others are still checked', () => {
  const r = policy(['test', '-p', 'policy', 'inputs/broken.json', 'inputs/deploy.yaml']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /inputs\/broken\.json:3:\d+: policy_parse_error: json: /);
  assert.match(r.stdout, /FAIL - inputs\/deploy\.yaml - main - Containers must not run as root/);
});

test('conftest.toml in the working directory sets policy and namespace', () => {
  const r = policy(['test', 'service.yaml'], { cwd: join(fx, 'configfile') });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /FAIL - service\.yaml - cfg - configured namespace used/);
});

test('verify and parse', () => {
  const v = policy(['verify', '-p', 'policy', '-d', 'data', '--no-color']);
  assert.equal(v.status, 1, v.stderr);
  assert.match(v.stdout, /FAIL - .*parse\.rego - {2}- data\.builtins\.test_fails/);
  assert.match(v.stdout, /5 tests, 3 passed, 0 warnings, 1 failure, 0 exceptions, 1 skipped/);
  const p = policy(['parse', 'inputs/service.yaml']);
  assert.equal(p.status, 0, p.stderr);
  assert.equal((JSON.parse(p.stdout) as { kind: string }).kind, 'Service');
});

test('fmt: --check lists unformatted policies and exits 1; fmt rewrites them; --update downloads policies first', async () => {
  const { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'policy-fmt-'));
  try {
    mkdirSync(join(dir, 'policy'));
    writeFileSync(
      join(dir, 'policy', 'a.rego'),
      'package main\ndeny contains msg if {   input.kind=="Pod"\n msg:="no pods" }\n',
    );
    const check = policy(['fmt', '--check'], { cwd: dir });
    assert.equal(check.status, 1, check.stderr);
    assert.match(check.stdout, /policy\/a\.rego/);
    assert.equal(policy(['fmt'], { cwd: dir }).status, 0);
    assert.equal(
      readFileSync(join(dir, 'policy', 'a.rego'), 'utf8'),
      'package main\n\ndeny contains msg if {\n\tinput.kind == "Pod"\n\tmsg := "no pods"\n}\n',
    );
    assert.equal(policy(['fmt', '--check'], { cwd: dir }).status, 0);

    // --update fetches the policies (here from a local path) into the policy directory, then tests with them
    mkdirSync(join(dir, 'shared'));
    writeFileSync(
      join(dir, 'shared', 'labels.rego'),
      'package main\n\ndeny contains "needs labels" if not input.metadata.labels\n',
    );
    writeFileSync(join(dir, 'pod.yaml'), 'kind: Service\nmetadata:\n  name: x\n');
    const r = policy(['test', '--update', join(dir, 'shared'), '-p', join(dir, 'fetched'), 'pod.yaml'], { cwd: dir });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^FAIL - pod\.yaml - main - needs labels$/m);
    assert.match(readFileSync(join(dir, 'fetched', 'labels.rego'), 'utf8'), /needs labels/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('test --trace: each query with the expressions it evaluated, file:row first', () => {
  const r = policy(['test', '--trace', '-p', 'policy', 'inputs/service.yaml']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^file: inputs\/service\.yaml \| query: data\.main\.deny$/m);
  // OPA's Enter events name the rule entered; the deny rule guarded on kind Deployment is left out by the
  // rule index for a Service, as OPA's indexer does, so only warn's body is entered and evaluated.
  assert.match(r.stdout, /^TRAC {3}policy\/k8s\.rego:22 \| Enter data\.main\.warn$/m);
  assert.match(r.stdout, /^TRAC {3}policy\/k8s\.rego:23 \| Eval input\.kind == "Service"$/m);
  assert.doesNotMatch(r.stdout, /Eval input\.kind == "Deployment"/);
  assert.doesNotMatch(policy(['test', '-p', 'policy', 'inputs/service.yaml']).stdout, /TRAC/);
});

test('verify --report notes|full: trace() notes under a failing test, as opa test --explain notes', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'policy-notes-'));
  try {
    writeFileSync(
      join(dir, 'labels_test.rego'),
      'package main\n\ntest_labels if {\n\ttrace("checking labels")\n\tfalse\n}\n',
    );
    for (const report of ['notes', 'full']) {
      const r = policy(['verify', '--policy', dir, '--report', report], { cwd: dir });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stdout, /^ {2}.*labels_test\.rego:4 \| Note "checking labels"$/m);
    }
    assert.doesNotMatch(policy(['verify', '--policy', dir, '--report', 'fails'], { cwd: dir }).stdout, /Note/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
