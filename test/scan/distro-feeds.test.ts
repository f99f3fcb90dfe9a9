// Distro feeds imported next to OSV data: Debian's security tracker JSON and Alpine's secdb, matched with
// dpkg and apk ordering, one finding per CVE when two feeds know it.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AdvisoryDb, matchPackages, type Package } from '../../src/scan/index.ts';

const deb = (name: string, version: string, source?: string): Package => ({
  type: 'deb',
  name,
  version,
  purl: `pkg:deb/debian/${name}@${version}`,
  ecosystem: 'Debian:12',
  location: 'var/lib/dpkg/status',
  ...(source ? { source: { name: source, version } } : {}),
});

const apk = (name: string, version: string): Package => ({
  type: 'apk',
  name,
  version,
  purl: `pkg:apk/alpine/${name}@${version}`,
  ecosystem: 'Alpine:v3.19',
  location: 'lib/apk/db/installed',
});

test('Debian tracker and Alpine secdb feeds: fixed, open and never-affected entries', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'scan-feeds-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(
    join(dir, 'debian.json'),
    JSON.stringify({
      openssl: {
        'CVE-2024-0001': {
          description: 'fixed one',
          releases: {
            bookworm: { status: 'resolved', fixed_version: '3.0.13-1~deb12u1', urgency: 'high' },
            bullseye: { status: 'resolved', fixed_version: '1.1.1w-0+deb11u2', urgency: 'medium' },
          },
        },
        'CVE-2024-0002': { releases: { bookworm: { status: 'open', urgency: 'low' } } },
        'CVE-2024-0003': { releases: { bookworm: { status: 'resolved', fixed_version: '0', urgency: 'unimportant' } } },
        'TEMP-0000000-ABCDEF': { releases: { bookworm: { status: 'open' } } },
      },
    }),
  );
  await writeFile(
    join(dir, 'alpine-main.json'),
    JSON.stringify({
      distroversion: 'v3.19',
      reponame: 'main',
      packages: [{ pkg: { name: 'musl', secfixes: { '1.2.4-r3': ['CVE-2024-1111'], '0': ['CVE-2019-0000'] } } }],
    }),
  );
  // the same CVE as an OSV record without a fix: the tracker's record, which knows the fix, wins
  await writeFile(
    join(dir, 'osv-dup.json'),
    JSON.stringify({
      id: 'DEBIAN-CVE-2024-0001',
      aliases: ['CVE-2024-0001'],
      affected: [
        {
          package: { ecosystem: 'Debian:12', name: 'openssl' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
        },
      ],
    }),
  );
  const db = AdvisoryDb.open(join(dir, 'db'), { create: true });
  try {
    const imported = db.importPath(dir);
    assert.equal(imported.files, 3);
    const findings = matchPackages(db, [
      deb('libssl3', '3.0.11-1~deb12u2', 'openssl'),
      deb('openssl', '3.0.13-1~deb12u1'),
      apk('musl', '1.2.4-r2'),
      apk('musl-utils', '1.2.4-r3'),
    ]);
    const got = findings.map((f) => `${f.pkg.name} ${f.aliases[0] ?? f.id} ${f.fixed ?? '-'} ${f.severity}`).sort();
    assert.deepEqual(got, [
      'libssl3 CVE-2024-0001 3.0.13-1~deb12u1 HIGH',
      'libssl3 CVE-2024-0002 - LOW',
      'musl CVE-2024-1111 1.2.4-r3 UNKNOWN',
      'openssl CVE-2024-0002 - LOW',
    ]);
  } finally {
    db.close();
  }
});
