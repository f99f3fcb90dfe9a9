// Validates the SARIF and JUnit outputs of `sekisho policy` against their schemas: SARIF 2.1.0's JSON
// schema (oasis-tcs/sarif-spec, sarif-2.1/schema/sarif-schema-2.1.0.json) with ajv, and the Ant JUnit
// XSD (windyroad/JUnit-Schema, JUnit.xsd) with xmllint. The schemas are fetched outside the repository:
//
//   node --import tsx test/conformance/policy-schemas.ts ../corpora/schemas
//
// Needs xmllint (Debian: libxml2-utils). Prints a line per document and a closing `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv-draft-04';
import { render, runTest, type CheckResult } from '../../src/policy/index.ts';

const schemas = resolve(process.argv[2] ?? join('..', 'corpora', 'schemas'));
const here = dirname(fileURLToPath(import.meta.url));
const fx = join(here, '../policy/fixtures');

const xmllint = spawnSync('xmllint', ['--version'], { encoding: 'utf8' });
if (xmllint.error) {
  console.error('xmllint is required (apt-get install libxml2-utils)');
  process.exit(2);
}

const cases: Record<string, CheckResult[]> = {
  empty: [],
  passing: [{ filename: 'service.yaml', namespace: 'main', successes: 3 }],
  mixed: [
    {
      filename: 'deployment.yaml',
      namespace: 'main',
      successes: 2,
      warnings: [{ msg: 'Found deployment <hello> & "friends"' }],
      failures: [
        { msg: 'Containers must not run as root', metadata: { details: { id: 'K8S-001' } } },
        { msg: 'multi\nline', loc: { file: 'deployment.yaml', line: '12' } },
      ],
      exceptions: [{ msg: 'data.main.exception[_][_] == "run_as_root"' }],
      skipped: [{ msg: 'skipped' }],
    },
  ],
};
const real = await runTest([join(fx, 'inputs')], {
  policyPaths: [join(fx, 'policy')],
  dataPaths: [join(fx, 'data')],
  namespaces: ['*'],
});
cases.fixtures = real.results;

// ajv-draft-04 is CommonJS: under NodeNext its class may sit on `.default`
type Validator = { (doc: unknown): boolean; errors?: unknown };
type AjvLike = new (opts: object) => { compile(schema: object): Validator; errorsText(errors: unknown): string };
const AjvClass = ((Ajv as unknown as { default?: unknown }).default ?? Ajv) as AjvLike;
const ajv = new AjvClass({ strict: false, validateFormats: false, allErrors: true });
const validateSarif = ajv.compile(JSON.parse(readFileSync(join(schemas, 'sarif-schema-2.1.0.json'), 'utf8')) as object);
const tmp = mkdtempSync(join(tmpdir(), 'policy-schemas-'));
let passed = 0;
let failed = 0;
for (const [name, results] of Object.entries(cases)) {
  const sarif = JSON.parse(render('sarif', results, {})) as unknown;
  if (validateSarif(sarif)) {
    passed++;
    console.log(`PASS sarif ${name}`);
  } else {
    failed++;
    console.log(`FAIL sarif ${name}: ${ajv.errorsText(validateSarif.errors)}`);
  }
  const file = join(tmp, `${name}.xml`);
  writeFileSync(file, render('junit', results, {}));
  const r = spawnSync('xmllint', ['--noout', '--schema', join(schemas, 'JUnit.xsd'), file], { encoding: 'utf8' });
  if (r.status === 0) {
    passed++;
    console.log(`PASS junit ${name}`);
  } else {
    failed++;
    console.log(`FAIL junit ${name}: ${r.stderr.trim()}`);
  }
}
// The validators must be able to fail: a SARIF result with a bad level and a JUnit suite without a name.
const bad = JSON.parse(render('sarif', cases.mixed ?? [], {})) as { runs: { results: { level: string }[] }[] };
const firstResult = bad.runs[0]?.results[0];
if (firstResult) firstResult.level = 'fatal';
if (validateSarif(bad)) {
  failed++;
  console.log('FAIL sarif validator accepted an invalid level');
} else passed++;
const badXml = join(tmp, 'bad.xml');
writeFileSync(badXml, render('junit', cases.mixed ?? [], {}).replace(/ name="conftest\.main"/, ''));
if (spawnSync('xmllint', ['--noout', '--schema', join(schemas, 'JUnit.xsd'), badXml]).status === 0) {
  failed++;
  console.log('FAIL junit validator accepted a testsuite without a name');
} else passed++;
rmSync(tmp, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
