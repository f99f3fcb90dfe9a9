// The rpm inventory against rpm itself: packages built with rpmbuild and recorded with `rpm -i --justdb` in a
// sqlite database (rpm 4.16+'s default backend), read by the scanner from a root filesystem, must equal what
// `rpm -qa` says is installed (name, epoch:version-release, arch, source rpm).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { collectDir, inventoryOf } from '../../src/scan/index.ts';

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  assert.equal(r.error, undefined, `${cmd} is needed for this test (Debian package rpm)`);
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('rpm sqlite database written by rpm itself: the inventory equals rpm -qa', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scan-rpm-'));
  try {
    const top = join(dir, 'top');
    mkdirSync(join(top, 'SPECS'), { recursive: true });
    const specs: Array<[string, string, string, string | undefined]> = [
      ['sekisho-hello', '1.2.3', '4.el9', '2'],
      ['sekisho-tools', '0.9', '1.el9_2', undefined],
    ];
    for (const [name, version, release, epoch] of specs) {
      writeFileSync(
        join(top, 'SPECS', `${name}.spec`),
        `Name: ${name}\nVersion: ${version}\nRelease: ${release}\n${epoch ? `Epoch: ${epoch}\n` : ''}Summary: test\nLicense: MIT and BSD\nBuildArch: noarch\n%description\ntest\n%files\n`,
      );
      run('rpmbuild', ['--define', `_topdir ${top}`, '--quiet', '-bb', join(top, 'SPECS', `${name}.spec`)]);
    }
    const rootfs = join(dir, 'rootfs');
    const dbpath = join(rootfs, 'var/lib/rpm');
    mkdirSync(dbpath, { recursive: true });
    mkdirSync(join(rootfs, 'etc'));
    writeFileSync(join(rootfs, 'etc/os-release'), 'ID="rocky"\nVERSION_ID="9.2"\n');
    run('rpm', ['--dbpath', dbpath, '--define', '_db_backend sqlite', '--initdb']);
    const rpms = readdirSync(join(top, 'RPMS/noarch')).map((f) => join(top, 'RPMS/noarch', f));
    run('rpm', ['--dbpath', dbpath, '-i', '--justdb', '--nodeps', '--ignoreos', ...rpms]);
    const want = run('rpm', [
      '--dbpath',
      dbpath,
      '-qa',
      '--qf',
      '%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH} %{SOURCERPM}\\n',
    ])
      .trim()
      .split('\n')
      .map((l) => l.replace(/ 0:/, ' '))
      .sort();
    // only the database file goes into the scanned tree (the write-ahead log is empty once rpm exits)
    const scanned = join(dir, 'scanned');
    mkdirSync(join(scanned, 'var/lib/rpm'), { recursive: true });
    cpSync(join(dbpath, 'rpmdb.sqlite'), join(scanned, 'var/lib/rpm/rpmdb.sqlite'));
    cpSync(join(rootfs, 'etc'), join(scanned, 'etc'), { recursive: true });
    const inv = inventoryOf(await collectDir(scanned));
    const got = inv.packages
      .map(
        (p) => `${p.name} ${p.version} ${p.arch} ${p.source?.name}-${p.source?.version.replace(/^\d+:/, '')}.src.rpm`,
      )
      .sort();
    assert.deepEqual(got, want);
    assert.equal(
      inv.packages.find((p) => p.name === 'sekisho-hello')?.purl,
      'pkg:rpm/rocky/sekisho-hello@1.2.3-4.el9?arch=noarch&distro=rocky-9.2&epoch=2',
    );
    assert.deepEqual(inv.packages.find((p) => p.name === 'sekisho-tools')?.licenses, ['MIT and BSD']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
