// Golden-file tests for every output format. UPDATE_GOLDEN=1 rewrites the golden files.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { OUTPUT_FORMATS, render } from '../../src/policy/output/index.ts';
import type { CheckResult } from '../../src/policy/result.ts';

const here = dirname(fileURLToPath(import.meta.url));
const goldenDir = join(here, 'golden');

const CASES: Record<string, CheckResult[]> = {
  empty: [{ filename: 'examples/kubernetes/service.yaml', namespace: 'main', successes: 0 }],
  passing: [{ filename: 'service.yaml', namespace: 'main', successes: 3 }],
  mixed: [
    {
      filename: 'deployment.yaml',
      namespace: 'main',
      successes: 2,
      warnings: [{ msg: 'Found deployment <hello> & "friends"' }],
      failures: [
        { msg: 'Containers must not run as root', metadata: { details: { id: 'K8S-001' }, query: 'data.main.deny' } },
        { msg: 'multi-line failure\n\nsecond paragraph', loc: { file: 'deployment.yaml', line: '12' } },
      ],
      exceptions: [{ msg: 'data.main.exception[_][_] == "run_as_root"' }],
    },
    {
      filename: 'policy/../other.yaml',
      namespace: 'kubernetes',
      successes: 1,
      failures: [{ msg: 'from another file', loc: { file: 'base.yaml', line: '3' } }],
      skipped: [{ msg: 'skipped one' }],
    },
    { filename: '-', namespace: 'main', successes: 1 },
  ],
};

const EXT: Record<string, string> = { json: 'json', sarif: 'sarif.json', junit: 'xml' };

for (const format of OUTPUT_FORMATS) {
  for (const [name, results] of Object.entries(CASES)) {
    test(`output ${format}: ${name}`, () => {
      const actual = render(format, structuredClone(results), { noColor: format === 'stdout' && name !== 'mixed', version: '0.1.0', runtimeVersion: 'v20', cwd: '/work', hostname: 'ci-host', now: new Date('2026-01-02T03:04:05Z') });
      const file = join(goldenDir, `${format}-${name}.${EXT[format] ?? 'txt'}`);
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
        if (process.env.UPDATE_GOLDEN !== '1' && process.env.CI) assert.fail(`missing golden file ${file}`);
        mkdirSync(goldenDir, { recursive: true });
        writeFileSync(file, actual);
      }
      assert.equal(actual, readFileSync(file, 'utf8'));
    });
  }
}

test('stdout summary line uses Conftest plurals', () => {
  const out = render('stdout', [{ filename: 'a.yaml', namespace: 'main', successes: 1, failures: [{ msg: 'x' }] }], { noColor: true });
  assert.equal(out, 'FAIL - a.yaml - main - x\n\n2 tests, 1 passed, 0 warnings, 1 failure, 0 exceptions\n');
});

test('json output is valid JSON and escapes like Go', () => {
  const out = render('json', CASES.mixed ?? [], {});
  assert.match(out, /\\u003chello\\u003e \\u0026/);
  const parsed = JSON.parse(out) as { filename: string; failures?: { loc?: { line: number } }[] }[];
  assert.equal(parsed[2]?.filename, '');
  assert.equal(parsed[0]?.failures?.[1]?.loc?.line, 12);
});

test('sarif output has a result per failure and the exit code', () => {
  const sarif = JSON.parse(render('sarif', CASES.mixed ?? [], {})) as {
    runs: { results: { ruleId: string; level: string }[]; invocations: { exitCode: number }[] }[];
  };
  const run = sarif.runs[0];
  assert.ok(run);
  assert.deepEqual(run.results.map((r) => `${r.ruleId}:${r.level}`), [
    'main/deny:error', 'main/deny:error', 'main/warn:warning', 'main/allow:note', 'kubernetes/deny:error', 'main/success:none',
  ]);
  assert.equal(run.invocations[0]?.exitCode, 1);
});
