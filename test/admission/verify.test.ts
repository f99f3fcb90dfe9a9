// gator-format suites in test/admission/fixtures, run through the CLI and the library, CEL off and on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { verify, suiteFailed } from '../../src/admission/index.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, 'fixtures');
const bin = path.join(here, '..', '..', 'bin', 'sekisho.js');
const run = promisify(execFile);

for (const enableCel of [false, true]) {
  test(`fixtures pass except the broken template (CEL ${enableCel ? 'on' : 'off'})`, async () => {
    const results = await verify([`${fixtures}/...`], { enableCel });
    const byName = new Map(results.map((r) => [r.name, r]));
    assert.deepEqual([...byName.keys()].sort(), ['broken', 'requiredlabels', 'uniquename']);
    assert.equal(suiteFailed(byName.get('requiredlabels')!), false, JSON.stringify(byName.get('requiredlabels')));
    assert.equal(suiteFailed(byName.get('uniquename')!), false, JSON.stringify(byName.get('uniquename')));
    const broken = byName.get('broken')!;
    assert.equal(suiteFailed(broken), true);
    assert.match(broken.tests[0]?.error ?? '', /testbroken\.rego:5: unexpected } token/);
  });
}

test('--run filters tests and cases; a wrong assertion fails with the counts', async () => {
  const results = await verify([path.join(fixtures, 'requiredlabels')], { run: 'required-labels//^bad$' });
  assert.deepEqual(
    results[0]?.tests[0]?.cases.map((c) => c.name),
    ['bad'],
  );
});

test('CLI: gator-like report, exit code 1 on failures, 0 when all pass', async () => {
  await assert.rejects(
    run(process.execPath, [bin, 'admission', 'verify', `${fixtures}/...`]),
    (e: { code: number; stdout: string }) => {
      assert.equal(e.code, 1);
      assert.match(e.stdout, /^ok\t.*requiredlabels\/suite\.yaml\t/m);
      assert.match(e.stdout, /^FAIL\t.*broken\/suite\.yaml\t/m);
      assert.match(e.stdout, /^2 passed, 1 failed \(suites\)/m);
      return true;
    },
  );
  const ok = await run(process.execPath, [
    bin,
    'admission',
    'verify',
    '--enable-k8s-native-validation',
    path.join(fixtures, 'uniquename'),
  ]);
  assert.match(ok.stdout, /1 passed, 0 failed/);
});

test('admission test (gator test): violations of the objects given, exit 1 on deny', async () => {
  const dir = path.join(fixtures, 'requiredlabels');
  const files = ['template.yaml', 'constraint.yaml', 'pod-bad.yaml', 'pod-good.yaml'].flatMap((f) => [
    '-f',
    path.join(dir, f),
  ]);
  await assert.rejects(
    run(process.execPath, [bin, 'admission', 'test', ...files]),
    (e: { code: number; stdout: string }) => {
      assert.equal(e.code, 1);
      assert.equal(e.stdout, 'v1/Pod default/bad: ["must-have-owner"] Message: "rego: missing labels: team"\n');
      return true;
    },
  );
  const ok = await run(process.execPath, [
    bin,
    'admission',
    'test',
    '-o',
    'json',
    ...files.slice(0, 4),
    '-f',
    path.join(dir, 'pod-good.yaml'),
  ]);
  assert.deepEqual(JSON.parse(ok.stdout), []);
});
