// End-to-end: the `sekisho scan` CLI against our fixtures, through bin/sekisho.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
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

test('scan CLI: db import, Trivy-compatible JSON, exit codes, ignore file, SARIF, SBOMs, image layouts', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'scan-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const db = join(dir, 'db');
  const imp = await sekisho(['scan', 'db', 'import', '--db', db, join(FIX, 'osv')]);
  assert.equal(imp.code, 0, imp.stderr);
  assert.match(imp.stdout, /imported 8 advisories/);

  await writeFile(join(dir, '.trivyignore'), 'CVE-2099-0001\n');
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
  // independent runs start together (each CLI start costs about a second)
  const pJson = sekisho(['scan', 'rootfs', '--db', db, '-f', 'json', '--exit-code', '5', join(FIX, 'rootfs-debian')]);
  const pQuiet = sekisho(
    ['scan', 'rootfs', '--db', db, '--ignore-unfixed', '--exit-code', '5', join(FIX, 'rootfs-debian')],
    dir,
  );
  const pSarif = sekisho(['scan', 'fs', '--db', db, '-f', 'sarif', '--severity', 'CRITICAL', join(FIX, 'repo-npm')]);
  const pSpdx = sekisho(['scan', 'repo', '-f', 'spdx', join(FIX, 'repo-py')]);
  const pCdx = sekisho(['scan', 'image', '--db', db, '-f', 'cyclonedx', `oci:${join(dir, 'img')}:v1`]);
  const pMissing = sekisho(['scan', 'fs', '--db', join(dir, 'nodb'), join(FIX, 'repo-npm')]);
  const [json, quiet, sarifR, spdxR, cdx, missing] = await Promise.all([pJson, pQuiet, pSarif, pSpdx, pCdx, pMissing]);
  assert.equal(json.code, 5, json.stderr);
  const report = JSON.parse(json.stdout) as {
    Results: { Target: string; Vulnerabilities: Record<string, string>[] }[];
  };
  assert.equal(report.Results[0]!.Target, 'debian 12');
  const v = report.Results[0]!.Vulnerabilities.map((x) => [
    x.VulnerabilityID,
    x.PkgName,
    x.InstalledVersion,
    x.FixedVersion,
    x.Severity,
    x.Status,
  ]);
  assert.deepEqual(v, [
    ['DSA-0001-1', 'libc6', '2.36-9+deb12u3', '2.36-9+deb12u4', 'HIGH', 'fixed'],
    ['DEBIAN-CVE-2099-0003', 'zlib1g', '1:1.2.13.dfsg-1', undefined, 'CRITICAL', 'affected'],
  ]);

  // .trivyignore in the working directory + --ignore-unfixed leaves nothing, so exit 0
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.match(quiet.stdout, /Total: 0/);

  const sarif = JSON.parse(sarifR.stdout);
  assert.deepEqual(
    sarif.runs[0].results.map((r: { ruleId: string; level: string }) => [r.ruleId, r.level]),
    [['GHSA-xvch-5gv4-984h', 'error']],
  );

  const spdx = JSON.parse(spdxR.stdout);
  assert.equal(spdx.spdxVersion, 'SPDX-2.3');
  assert.deepEqual(
    spdx.packages
      .flatMap(
        (p: { externalRefs?: { referenceLocator: string }[] }) => p.externalRefs?.map((r) => r.referenceLocator) ?? [],
      )
      .sort(),
    ['pkg:pypi/django@3.2.0', 'pkg:pypi/requests@2.25.0', 'pkg:pypi/urllib3@1.26.4'],
  );

  assert.equal(cdx.code, 0, cdx.stderr);
  const bom = JSON.parse(cdx.stdout);
  assert.equal(bom.specVersion, '1.5');
  assert.deepEqual(
    bom.components.map((c: { purl?: string; name: string }) => c.purl ?? c.name),
    ['alpine', 'pkg:apk/alpine/libcrypto3@3.1.4-r2?arch=x86_64&distro=3.19.1'],
  );
  assert.deepEqual(
    bom.vulnerabilities.map((x: { id: string }) => x.id),
    ['ALPINE-CVE-2099-0004'],
  );

  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /DB_MISSING: no advisory database/);
});
