// Validates the SBOMs and reports of `sekisho scan`/`sbom`/`lint image` against their published schemas:
// CycloneDX 1.5 (CycloneDX/specification schema/bom-1.5.schema.json with its spdx and jsf schemas), SPDX 2.3
// (spdx/spdx-spec support/2.3 schemas/spdx-schema.json) and SARIF 2.1.0. The schemas are fetched outside the
// repository into one folder:
//
//   node --import tsx test/conformance/sbom-schemas.ts ../corpora/schemas
//     (expects cyclonedx/{bom-1.5,spdx,jsf-0.82}.schema.json, spdx/spdx-schema-2.3.json, sarif-schema-2.1.0.json)
//
// The documents come from the scan fixtures (a Debian rootfs, an npm repo, a Python repo) and from an image
// layout made here. Prints a line per document and a closing `N passed, N failed`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import AjvDraft04Module from 'ajv-draft-04';
import {
  AdvisoryDb,
  collectDir,
  collectImage,
  inventoryOf,
  matchPackages,
  toCycloneDx,
  toCycloneDxWithVulns,
  toSarif,
  toSpdx,
  type ScanResult,
} from '../../src/scan/index.ts';
import { LayoutStore } from '../../src/oci/index.ts';
import { formatImageReport, lintImage, readImage } from '../../src/lint/index.ts';
import { writeImage } from '../support/oci-image.ts';

const schemas = resolve(process.argv[2] ?? join('..', 'corpora', 'schemas'));
const here = dirname(fileURLToPath(import.meta.url));
const fx = join(here, '../scan/fixtures');
const read = (p: string): object => JSON.parse(readFileSync(join(schemas, p), 'utf8')) as object;

// ajv is CommonJS: its class is the module's default export
const Ajv = AjvModule.default;
const AjvDraft04 = AjvDraft04Module.default;
// string formats (date-time, iri-reference) are not checked: ajv-formats is not a dependency
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema(read('cyclonedx/spdx.schema.json'), 'spdx.schema.json');
ajv.addSchema(read('cyclonedx/jsf-0.82.schema.json'), 'jsf-0.82.schema.json');
const cdx = ajv.compile(read('cyclonedx/bom-1.5.schema.json'));
const spdx = ajv.compile(read('spdx/spdx-schema-2.3.json'));
// SARIF's schema is draft-04, which needs ajv-draft-04
const ajv04 = new AjvDraft04({ strict: false, allErrors: true, validateFormats: false });
const sarif = ajv04.compile(read('sarif-schema-2.1.0.json'));

let passed = 0;
let failed = 0;
function check(name: string, validate: ReturnType<typeof ajv.compile>, doc: unknown): void {
  // both ajv flavours share the error shape
  if (validate(doc)) {
    passed++;
    console.log(`ok   ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name}: ${ajv.errorsText(validate.errors, { separator: '\n      ' })}`);
  }
}

const meta = { name: 'target', timestamp: '2026-11-26T00:00:00Z', serial: '00000000-0000-4000-8000-000000000000' };
const dir = mkdtempSync(join(tmpdir(), 'sbom-schemas-'));
try {
  const db = AdvisoryDb.open(join(dir, 'db'), { create: true });
  db.importPath(join(fx, 'osv'));
  const targets: Array<[string, Promise<Parameters<typeof inventoryOf>[0]>]> = [
    ['rootfs-debian', collectDir(join(fx, 'rootfs-debian'))],
    ['rootfs-alpine', collectDir(join(fx, 'rootfs-alpine'))],
    ['repo-npm', collectDir(join(fx, 'repo-npm'))],
    ['repo-py', collectDir(join(fx, 'repo-py'))],
  ];
  await writeImage(
    join(dir, 'img'),
    [
      [
        { name: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.19.1\n' },
        { name: 'lib/apk/db/installed', content: 'P:libcrypto3\nV:3.1.4-r2\nA:x86_64\no:openssl\n' },
      ],
    ],
    'v1',
    { config: { User: 'root' }, history: [{ created_by: 'ADD file:x in /' }, { created_by: 'RUN apk add curl' }] },
  );
  const store = new LayoutStore(await (await import('../../src/oci/index.ts')).OciLayout.open(join(dir, 'img')));
  targets.push(['image', collectImage(store, 'v1')]);
  for (const [name, files] of targets) {
    const inventory = inventoryOf(await files);
    const result: ScanResult = {
      artifactName: name,
      artifactType: 'filesystem',
      inventory,
      findings: matchPackages(db, inventory.packages),
    };
    check(`${name}: CycloneDX 1.5 SBOM`, cdx, toCycloneDx(inventory, meta));
    check(`${name}: CycloneDX 1.5 with vulnerabilities`, cdx, toCycloneDxWithVulns(result, meta));
    check(`${name}: SPDX 2.3`, spdx, toSpdx(inventory, meta));
    check(`${name}: scan SARIF`, sarif, toSarif(result));
  }
  db.close();
  // controls: the validators must refuse broken documents, or the passes above mean nothing
  for (const [name, validate, doc] of [
    ['control: CycloneDX without bomFormat', cdx, { specVersion: '1.5' }],
    ['control: SPDX without SPDXID', spdx, { spdxVersion: 'SPDX-2.3', name: 'x' }],
    [
      'control: SARIF with a bad level',
      sarif,
      {
        version: '2.1.0',
        runs: [{ tool: { driver: { name: 'x' } }, results: [{ level: 'loud', message: { text: 'm' } }] }],
      },
    ],
  ] as const) {
    if (validate(doc)) {
      failed++;
      console.log(`FAIL ${name}: accepted`);
    } else {
      passed++;
      console.log(`ok   ${name}: refused`);
    }
  }
  const img = await readImage(store, 'v1');
  const report = lintImage({ name: 'img', ...img }, { reference: 'img:v1' });
  check('lint image: SARIF', sarif, JSON.parse(formatImageReport(report, 'sarif')));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
