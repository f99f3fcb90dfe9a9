// End-to-end: SBOMs as scan input (round trip of our own CycloneDX and SPDX), OpenVEX and Trivy's YAML
// ignore file as filters, `sekisho sbom`, the advisory database as an OCI artifact (`db push|pull`) and
// reports attached to an image as OCI referrers.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { LayoutStore, OciLayout } from '../../src/oci/index.ts';
import { writeImage } from '../support/oci-image.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const FIX = join(import.meta.dirname, 'fixtures');
const run = promisify(execFile);

async function sekisho(args: string[], cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [join(ROOT, 'bin', 'sekisho.js'), ...args], {
      cwd,
      env: { ...process.env, SEKISHO_DB: '' },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

const ids = (json: string): string[] =>
  (
    JSON.parse(json) as { Results: Array<{ Vulnerabilities: Array<{ VulnerabilityID: string; PkgName: string }> }> }
  ).Results.flatMap((r) => r.Vulnerabilities.map((v) => `${v.VulnerabilityID}:${v.PkgName}`)).sort();

test('scan sbom, VEX, YAML ignores, db push/pull and --attach', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'scan-sbom-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const db = join(dir, 'db');
  assert.equal((await sekisho(['db', 'import', '--db', db, join(FIX, 'osv')])).code, 0);
  const rootfs = join(FIX, 'rootfs-debian');
  const direct = await sekisho(['scan', 'rootfs', '--db', db, '-f', 'json', rootfs]);
  assert.equal(direct.code, 0, direct.stderr);
  const want = ids(direct.stdout);
  assert.ok(want.length >= 2, 'the fixture rootfs has known vulnerabilities');

  // our own SBOMs, read back, find the same vulnerabilities
  for (const format of ['cyclonedx', 'spdx']) {
    const file = join(dir, `bom.${format}.json`);
    const gen = await sekisho(['sbom', 'rootfs', '-f', format, '-o', file, rootfs]);
    assert.equal(gen.code, 0, gen.stderr);
    const viaSbom = await sekisho(['scan', 'sbom', '--db', db, '-f', 'json', file]);
    assert.equal(viaSbom.code, 0, viaSbom.stderr);
    assert.deepEqual(ids(viaSbom.stdout), want, `${format} round trip`);
  }

  // OpenVEX: not_affected for one package removes exactly that finding
  const [firstId, firstPkg] = want[0]!.split(':') as [string, string];
  await writeFile(
    join(dir, 'vex.json'),
    JSON.stringify({
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': 'https://example.com/vex/1',
      author: 'test',
      timestamp: '2026-01-01T00:00:00Z',
      version: 1,
      statements: [
        {
          vulnerability: { name: firstId },
          products: [{ '@id': `pkg:deb/debian/${firstPkg}` }],
          status: 'not_affected',
          justification: 'vulnerable_code_not_in_execute_path',
        },
        {
          vulnerability: { name: 'CVE-2099-9999' },
          products: [{ '@id': 'pkg:deb/debian/zlib1g' }],
          status: 'not_affected',
        },
      ],
    }),
  );
  const vexed = await sekisho(['scan', 'rootfs', '--db', db, '-f', 'json', '--vex', join(dir, 'vex.json'), rootfs]);
  assert.deepEqual(ids(vexed.stdout), want.slice(1));

  // Trivy's YAML ignore file: an expired entry does not apply, a purl-scoped one does
  await writeFile(
    join(dir, '.trivyignore.yaml'),
    `vulnerabilities:\n  - id: ${firstId}\n    purls: ["pkg:deb/debian/${firstPkg}"]\n    statement: accepted\n  - id: ${want[1]!.split(':')[0]}\n    expired_at: 2001-01-01\n`,
  );
  const ignored = await sekisho(['scan', 'rootfs', '--db', db, '-f', 'json', rootfs], dir);
  assert.deepEqual(ids(ignored.stdout), want.slice(1));
  await writeFile(join(dir, 'bad.yaml'), 'vulnerabilities:\n  - id: [\n');
  const bad = await sekisho(['scan', 'rootfs', '--db', db, '--ignorefile', join(dir, 'bad.yaml'), rootfs]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /bad\.yaml:\d+:\d+/);

  // the database as an OCI artifact: push into a layout, pull into a fresh folder, same results
  const push = await sekisho(['db', 'push', '--db', db, `oci:${join(dir, 'dbrepo')}:2026-11-26`]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /pushed 8 advisories/);
  const pulled = join(dir, 'db2');
  const pull = await sekisho(['db', 'pull', '--db', pulled, `oci:${join(dir, 'dbrepo')}:2026-11-26`]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.ok(existsSync(join(pulled, 'advisories.db')));
  assert.deepEqual(ids((await sekisho(['scan', 'rootfs', '--db', pulled, '-f', 'json', rootfs])).stdout), want);
  // pulling something that is not a database leaves the old one in place
  await writeImage(
    join(dir, 'img'),
    [
      [
        { name: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.19.1\n' },
        { name: 'lib/apk/db/installed', content: 'P:libcrypto3\nV:3.1.4-r2\nA:x86_64\no:openssl\n' },
      ],
    ],
    'v1',
  );
  const wrong = await sekisho(['db', 'pull', '--db', pulled, `oci:${join(dir, 'img')}:v1`]);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /not a application\/vnd\.sekisho\.advisory-db\.v1/);
  assert.ok((await readFile(join(pulled, 'advisories.db'))).length > 0);

  // --attach: the SBOM and the report become referrers of the image
  const sbomAttach = await sekisho([
    'sbom',
    'image',
    '--attach',
    '-o',
    join(dir, 'img.cdx.json'),
    `oci:${join(dir, 'img')}:v1`,
  ]);
  assert.equal(sbomAttach.code, 0, sbomAttach.stderr);
  const repAttach = await sekisho([
    'scan',
    'image',
    '--db',
    db,
    '-f',
    'json',
    '--attach',
    `oci:${join(dir, 'img')}:v1`,
  ]);
  assert.equal(repAttach.code, 0, repAttach.stderr);
  const store = new LayoutStore(await OciLayout.open(join(dir, 'img')));
  const subject = await store.getManifest('v1');
  const refs = await store.referrers(subject.digest);
  assert.deepEqual(refs.map((r) => r.artifactType).sort(), [
    'application/vnd.cyclonedx+json',
    'application/vnd.sekisho.scan-report.v1+json',
  ]);
});
