// The Conftest rule conventions, end to end through runTest / runVerify, on our own small policies.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { exitCode, render, runTest, runVerify, type CheckResult } from '../../src/policy/index.ts';

const fx = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const inp = (f: string) => join(fx, 'inputs', f);
const base = { policyPaths: [join(fx, 'policy')], dataPaths: [join(fx, 'data')], namespaces: ['main'] };

function messages(results: CheckResult[], kind: 'failures' | 'warnings' | 'exceptions'): string[] {
  return results.flatMap((r) => (r[kind] ?? []).map((x) => x.msg)).sort();
}

test('deny, deny_suffix with metadata, warn; successes counted as Conftest counts them', async () => {
  const run = await runTest([inp('deploy.yaml'), inp('service.yaml')], base);
  assert.deepEqual(run.errors, []);
  assert.deepEqual(messages(run.results, 'failures'), ['Containers must not run as root in Deployment web', 'app uses a latest tag']);
  assert.deepEqual(messages(run.results, 'warnings'), ['Found service front']);
  const deploy = run.results.find((r) => r.filename.endsWith('deploy.yaml'));
  // 5 rule bodies (deny, deny_latest, violation, warn ×1 each = 4 plus none) → 4 rule definitions in main
  assert.equal(deploy?.successes, 2);
  const latest = deploy?.failures?.find((f) => f.msg.includes('latest'));
  assert.deepEqual(latest?.metadata, { details: { id: 'K8S-002' }, query: 'data.main.deny_latest' });
  assert.equal(exitCode(run.results), 1);
  assert.equal(exitCode(run.results, true), 2);
  const summary = render('stdout', run.results, { noColor: true }).trim().split('\n').pop();
  assert.equal(summary, '8 tests, 5 passed, 1 warning, 2 failures, 0 exceptions');
});

test('multi-document YAML: each document checked, exceptions skip the named rule, lines attached', async () => {
  const run = await runTest([inp('multi.yaml')], base);
  const r = run.results[0];
  assert.ok(r);
  assert.deepEqual(r.failures?.map((f) => f.msg), ['pods must be labelled']);
  // the policy's own _loc wins over the document line
  assert.deepEqual(r.failures?.[0]?.loc, { file: 'inputs/deploy.yaml', line: '4' });
  assert.deepEqual(r.exceptions?.map((e) => e.msg), ['data.main.exception[_][_] == "latest"']);
});

test('a document line is attached when the policy gives no _loc', async () => {
  const run = await runTest([inp('multi.yaml'), inp('deploy.yaml')], { ...base, namespaces: ['main'] });
  const deploy = run.results.find((r) => r.filename.endsWith('deploy.yaml'));
  assert.equal(deploy?.failures?.[0]?.loc?.line, '1');
});

test('namespaces: literal, glob, --all-namespaces; data documents under their directory', async () => {
  const ports = await runTest([inp('service.yaml')], { ...base, namespaces: ['ports'] });
  assert.deepEqual(messages(ports.results, 'failures'), ['Cannot expose port 8080']);
  const glob = await runTest([inp('service.yaml')], { ...base, namespaces: ['p*'] });
  assert.deepEqual(glob.results.map((r) => r.namespace), ['ports']);
  const all = await runTest([inp('service.yaml')], { ...base, namespaces: ['main'], allNamespaces: true });
  assert.deepEqual(all.results.map((r) => r.namespace).sort(), ['builtins', 'fileinfo', 'main', 'ports']);
  const none = await runTest([inp('service.yaml')], { ...base, namespaces: ['absent'] });
  assert.equal(exitCode(none.results), 0);
  assert.equal(none.results[0]?.successes, 0);
});

test('data.conftest.file carries the input file name', async () => {
  const run = await runTest([inp('service.yaml'), inp('broken.json')], { ...base, namespaces: ['fileinfo'] });
  assert.deepEqual(messages(run.results, 'failures'), []);
  // broken.json fails to parse: reported with its position, the other file still checked
  assert.equal(run.errors.length, 1);
  assert.equal(run.errors[0]?.location?.file, inp('broken.json'));
  assert.equal(run.errors[0]?.location?.row, 3);
  assert.equal(run.results.length, 1);
});

test('--combine gives one input: [{path, contents}] sorted by path', async () => {
  const run = await runTest([inp('service.yaml'), inp('multi.yaml')], { policyPaths: [join(fx, 'combine')], namespaces: ['main'], combine: true });
  assert.equal(run.results.length, 1);
  assert.equal(run.results[0]?.filename, 'Combined');
  assert.deepEqual(messages(run.results, 'failures'), ['1 services in 3 documents']);
});

test('no policies is an error; stdin is read through readStdin with --stdin-filename', async () => {
  await assert.rejects(runTest([inp('service.yaml')], { policyPaths: [join(fx, 'inputs')], namespaces: ['main'] }), /no policies found/);
  const run = await runTest(['-'], { ...base, readStdin: () => 'kind: Service\nmetadata:\n  name: s\n', stdinFilename: 'piped.yaml' });
  assert.equal(run.results[0]?.filename, 'piped.yaml');
  assert.deepEqual(messages(run.results, 'warnings'), ['Found service s']);
});

test('verify runs test_ rules, skips todo_test_, and the parse_config builtins work', async () => {
  const { results, tests } = await runVerify({ policyPaths: [join(fx, 'policy')], dataPaths: [join(fx, 'data')] });
  const outcome = Object.fromEntries(tests.map((t) => [t.name, t.outcome]));
  assert.deepEqual(outcome, { test_parse_config: 'pass', test_parse_config_file: 'pass', test_combined: 'pass', test_fails: 'fail', todo_test_later: 'skip' });
  assert.equal(exitCode(results), 1);
  assert.match(render('stdout', results, { noColor: true, showSkipped: true }), /5 tests, 3 passed, 0 warnings, 1 failure, 0 exceptions, 1 skipped/);
});

test('--capabilities: builtins left out of the list are refused, each reported', async () => {
  await assert.rejects(
    runTest([inp('service.yaml')], { ...base, allowedBuiltins: new Set(['sprintf', 'endswith']) }),
    (e: unknown) => {
      const errors = (e as { errors?: { message: string; location?: { row: number } }[] }).errors ?? [];
      assert.ok(errors.some((x) => x.message === 'rego_type_error: undefined function regex.match' || x.message.includes('undefined function')), JSON.stringify(errors));
      assert.ok(errors.every((x) => (x.location?.row ?? 0) > 0));
      return true;
    },
  );
});
