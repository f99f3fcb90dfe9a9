import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdvisoryDb,
  collectDir,
  compareSemver,
  comparePep440,
  cvss3BaseScore,
  filterFindings,
  inventoryOf,
  matchAffected,
  matchPackages,
  parseTrivyIgnore,
  ScanError,
} from '../../src/scan/index.ts';
import { zipOf } from '../support/zip.ts';

const FIX = join(import.meta.dirname, 'fixtures');

async function db(t: { after: (fn: () => unknown) => void }): Promise<AdvisoryDb> {
  const dir = await mkdtemp(join(tmpdir(), 'scan-db-'));
  const d = AdvisoryDb.open(dir, { create: true });
  t.after(async () => {
    d.close();
    await rm(dir, { recursive: true, force: true });
  });
  return d;
}

test('OSV range semantics: introduced/fixed pairs, last_affected, limit, versions list', () => {
  const a = {
    ranges: [
      {
        type: 'SEMVER' as const,
        events: [{ introduced: '0' }, { fixed: '0.2.4' }, { introduced: '1.0.0' }, { fixed: '1.2.6' }],
      },
    ],
  };
  assert.deepEqual(matchAffected(a, '0.2.3', compareSemver), { affected: true, fixed: '0.2.4' });
  assert.deepEqual(matchAffected(a, '0.5.0', compareSemver), { affected: false });
  assert.deepEqual(matchAffected(a, '1.2.5', compareSemver), { affected: true, fixed: '1.2.6' });
  assert.deepEqual(matchAffected(a, '1.2.6', compareSemver), { affected: false });
  const pre = { ranges: [{ type: 'SEMVER' as const, events: [{ introduced: '0' }, { fixed: '1.0.0' }] }] };
  assert.equal(matchAffected(pre, '1.0.0-alpha', compareSemver).affected, true); // 1.0.0-alpha < 1.0.0
  const la = { ranges: [{ type: 'ECOSYSTEM' as const, events: [{ introduced: '1.0' }, { last_affected: '1.5' }] }] };
  assert.equal(matchAffected(la, '1.5', comparePep440).affected, true);
  assert.equal(matchAffected(la, '1.5.post1', comparePep440).affected, false);
  assert.equal(matchAffected(la, '1.0rc1', comparePep440).affected, false);
  const lim = { ranges: [{ type: 'ECOSYSTEM' as const, events: [{ introduced: '0' }, { limit: '2.0' }] }] };
  assert.equal(matchAffected(lim, '2.1', comparePep440).affected, false);
  assert.equal(matchAffected(lim, '1.9', comparePep440).affected, true);
  assert.equal(matchAffected({ versions: ['3.3.3'] }, '3.3.3', compareSemver).affected, true);
});

test('CVSS v3.1 base scores', () => {
  assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'), 9.8);
  assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N'), 6.1);
  assert.equal(cvss3BaseScore('CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N'), 5.5);
  assert.equal(cvss3BaseScore('CVSS:2.0/nope'), undefined);
});

test('import OSV directory, match the Debian rootfs by source package with dpkg ordering', async (t) => {
  const d = await db(t);
  const r = d.importPath(join(FIX, 'osv'));
  assert.equal(r.records, 8);
  assert.equal(d.count(), 8);
  const inv = inventoryOf(await collectDir(join(FIX, 'rootfs-debian')));
  const fs = matchPackages(d, inv.packages)
    .map((f) => `${f.pkg.name} ${f.id} ${f.severity} ${f.fixed ?? '-'}`)
    .sort();
  assert.deepEqual(fs, [
    'libc6 DSA-0001-1 HIGH 2.36-9+deb12u4',
    'zlib1g DEBIAN-CVE-2099-0003 CRITICAL -', // epoch 1 ≥ 1:1.2.0, never fixed
  ]); // openssl 3.0.11-1~deb12u2 is above the ~deb12u1 fix
  // re-import replaces rather than duplicates
  d.importPath(join(FIX, 'osv'));
  assert.equal(d.count(), 8);
});

test('npm and PyPI matching, Alpine origin packages', async (t) => {
  const d = await db(t);
  d.importPath(join(FIX, 'osv'));
  const names = async (dir: string): Promise<string[]> =>
    matchPackages(d, inventoryOf(await collectDir(join(FIX, dir))).packages)
      .map((f) => `${f.pkg.name}@${f.installed} ${f.id} ${f.severity} ${f.fixed ?? '-'}`)
      .sort();
  assert.deepEqual(await names('repo-npm'), [
    'lodash@4.17.20 GHSA-35jh-r3h4-6jhm HIGH 4.17.21',
    'minimist@1.2.5 GHSA-xvch-5gv4-984h CRITICAL 1.2.6',
  ]);
  assert.deepEqual(await names('repo-py'), ['Django@3.2.0 PYSEC-2099-1 LOW -']);
  assert.deepEqual(await names('rootfs-alpine'), ['libcrypto3@3.1.4-r2 ALPINE-CVE-2099-0004 UNKNOWN 3.1.4-r3']);
});

test('zip import, bad records named by file', async (t) => {
  const d = await db(t);
  const dir = await mkdtemp(join(tmpdir(), 'scan-zip-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const rec = Buffer.from(
    JSON.stringify({
      id: 'GO-2099-0001',
      affected: [
        {
          package: { ecosystem: 'Go', name: 'example.com/m' },
          ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.2.0' }] }],
        },
      ],
    }),
  );
  await writeFile(join(dir, 'all.zip'), zipOf([['GO-2099-0001.json', rec]]));
  assert.equal(d.importPath(join(dir, 'all.zip')).records, 1);
  assert.equal(d.lookup('Go', 'example.com/m').length, 1);
  await writeFile(join(dir, 'bad.json'), '{"summary":"no id"}');
  assert.throws(
    () => d.importPath(join(dir, 'bad.json')),
    (e: unknown) => e instanceof ScanError && e.code === 'DB_INVALID' && e.message.includes('bad.json'),
  );
});

test('.trivyignore with expiry, --ignore-unfixed, severities', async (t) => {
  const d = await db(t);
  d.importPath(join(FIX, 'osv'));
  const all = matchPackages(d, inventoryOf(await collectDir(join(FIX, 'rootfs-debian'))).packages);
  const ign = parseTrivyIgnore('# comment\nCVE-2099-0001 exp:2025-01-01\nDEBIAN-CVE-2099-0003\n', '.trivyignore');
  assert.deepEqual(
    filterFindings(all, { ignores: ign, today: '2024-06-01' }).map((f) => f.id),
    [],
  );
  assert.deepEqual(
    filterFindings(all, { ignores: ign, today: '2026-06-01' }).map((f) => f.id),
    ['DSA-0001-1'],
  ); // expired entry
  assert.deepEqual(
    filterFindings(all, { ignoreUnfixed: true, today: '2024-01-01' }).map((f) => f.id),
    ['DSA-0001-1'],
  );
  assert.deepEqual(
    filterFindings(all, { severities: ['CRITICAL'], today: '2024-01-01' }).map((f) => f.id),
    ['DEBIAN-CVE-2099-0003'],
  );
  assert.throws(() => parseTrivyIgnore('X exp:soon', '.trivyignore'), /\.trivyignore:1/);
});
