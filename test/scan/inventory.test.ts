import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LayoutStore } from '../../src/oci/index.ts';
import { collectDir, collectImage, inventoryOf, ScanError } from '../../src/scan/index.ts';
import { writeImage } from '../support/oci-image.ts';

const FIX = join(import.meta.dirname, 'fixtures');
const ids = (pkgs: { name: string; version: string }[]): string[] => pkgs.map((p) => `${p.name}@${p.version}`).sort();

test('dpkg: status and status.d, installed packages only, source packages and purls', async () => {
  const inv = inventoryOf(await collectDir(join(FIX, 'rootfs-debian')));
  assert.deepEqual(inv.distro, { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' });
  assert.deepEqual(ids(inv.packages), [
    'libc6@2.36-9+deb12u3',
    'libssl3@3.0.11-1~deb12u2',
    'openssl@3.0.11-1~deb12u2',
    'tzdata@2024a-0+deb12u1',
    'zlib1g@1:1.2.13.dfsg-1',
  ]);
  const libc = inv.packages.find((p) => p.name === 'libc6')!;
  assert.equal(libc.purl, 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u3?arch=amd64&distro=debian-12&upstream=glibc');
  assert.equal(libc.ecosystem, 'Debian:12');
  assert.deepEqual(libc.source, { name: 'glibc', version: '2.36-9+deb12u3' });
  const zlib = inv.packages.find((p) => p.name === 'zlib1g')!;
  assert.equal(zlib.purl, 'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12&upstream=zlib');
});

test('apk: installed database with origin and distro', async () => {
  const inv = inventoryOf(await collectDir(join(FIX, 'rootfs-alpine')));
  assert.deepEqual(ids(inv.packages), ['libcrypto3@3.1.4-r2', 'musl@1.2.4_git20230717-r4']);
  const c = inv.packages.find((p) => p.name === 'libcrypto3')!;
  assert.equal(c.ecosystem, 'Alpine:v3.19');
  assert.equal(c.purl, 'pkg:apk/alpine/libcrypto3@3.1.4-r2?arch=x86_64&distro=3.19.1');
  assert.deepEqual(c.source, { name: 'openssl', version: '3.1.4-r2' });
});

test('npm: lockfile v3 (nested, dev, links skipped) plus installed package.json not in the lock', async () => {
  const inv = inventoryOf(await collectDir(join(FIX, 'repo-npm')));
  assert.deepEqual(ids(inv.packages), [
    '@scope/util@2.0.0',
    'left-pad@1.3.0',
    'lodash@4.17.20',
    'minimist@1.2.5',
    'mocha@10.2.0',
  ]);
  assert.equal(inv.packages.find((p) => p.name === '@scope/util')!.purl, 'pkg:npm/%40scope/util@2.0.0');
  assert.equal(inv.packages.find((p) => p.name === 'mocha')!.dev, true);
});

test('npm: packages for other platforms, and what only they need, are not installed on Linux/x86-64', async () => {
  const { parsePackageLock } = await import('../../src/scan/inventory/npm.ts');
  const lock = JSON.stringify({
    lockfileVersion: 3,
    packages: {
      '': { dependencies: { esbuild: '1.0.0' } },
      'node_modules/esbuild': {
        version: '1.0.0',
        optionalDependencies: {
          '@esbuild/linux-x64': '1.0.0',
          '@esbuild/darwin-arm64': '1.0.0',
          '@esbuild/wasm': '1.0.0',
        },
      },
      'node_modules/@esbuild/linux-x64': { version: '1.0.0', os: ['linux'], cpu: ['x64'], optional: true },
      'node_modules/@esbuild/linux-x64-musl': {
        version: '1.0.0',
        os: ['linux'],
        cpu: ['x64'],
        libc: ['musl'],
        optional: true,
      },
      'node_modules/@esbuild/darwin-arm64': { version: '1.0.0', os: ['darwin'], cpu: ['arm64'], optional: true },
      'node_modules/@esbuild/wasm': {
        version: '1.0.0',
        cpu: ['wasm32'],
        optional: true,
        dependencies: { 'wasm-runtime': '1.0.0' },
      },
      'node_modules/wasm-runtime': { version: '1.0.0', optional: true },
      'node_modules/not-windows': { version: '1.0.0', os: ['!win32'] },
    },
  });
  assert.deepEqual(ids(parsePackageLock(lock, 'package-lock.json')), [
    '@esbuild/linux-x64@1.0.0',
    'esbuild@1.0.0',
    'not-windows@1.0.0',
  ]);
});

test('npm: lockfile v1 nested dependencies', async () => {
  const { parsePackageLock } = await import('../../src/scan/inventory/npm.ts');
  const v1 = JSON.stringify({
    lockfileVersion: 1,
    dependencies: {
      a: { version: '1.0.0', dependencies: { b: { version: '2.0.0', dev: true } } },
      g: { version: 'github:x/y#abc' },
    },
  });
  assert.deepEqual(ids(parsePackageLock(v1, 'package-lock.json')), ['a@1.0.0', 'b@2.0.0']);
  assert.throws(
    () => parsePackageLock('{\n  "x": ,\n}', 'package-lock.json'),
    (e: unknown) => e instanceof ScanError && e.code === 'PARSE_ERROR' && /package-lock.json:2:/.test(e.message),
  );
});

test('pip: dist-info METADATA headers only, pinned requirements only', async () => {
  const inv = inventoryOf(await collectDir(join(FIX, 'repo-py')));
  assert.deepEqual(ids(inv.packages), ['Django@3.2.0', 'requests@2.25.0', 'urllib3@1.26.4']);
  assert.equal(inv.packages.find((p) => p.name === 'Django')!.purl, 'pkg:pypi/django@3.2.0');
});

test('image layout: layers applied in order with whiteouts and opaque directories; layer recorded', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'scan-img-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const status = (pkgs: string[]): string =>
    pkgs
      .map((p) => `Package: ${p.split('@')[0]}\nStatus: install ok installed\nVersion: ${p.split('@')[1]}\n`)
      .join('\n');
  const layout = await writeImage(dir, [
    [
      { name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
      { name: 'var/lib/dpkg/status', content: status(['a@1.0', 'b@1.0']) },
      { name: 'app/node_modules/x/package.json', content: '{"name":"x","version":"1.0.0"}' },
      { name: 'app/node_modules/y/package.json', content: '{"name":"y","version":"1.0.0"}' },
      { name: 'py/requirements.txt', content: 'six==1.16.0\n' },
    ],
    [
      { name: './var/lib/dpkg/status', content: status(['a@2.0', 'b@1.0', 'c@1.0']) },
      { name: 'app/node_modules/.wh..wh..opq' },
      { name: 'app/node_modules/z/package.json', content: '{"name":"z","version":"3.0.0"}' },
      { name: 'py/.wh.requirements.txt' },
    ],
  ]);
  const img = await collectImage(new LayoutStore(layout), 'latest');
  const inv = inventoryOf(img);
  assert.deepEqual(ids(inv.packages), ['a@2.0', 'b@1.0', 'c@1.0', 'z@3.0.0']);
  assert.equal(img.layers.length, 2);
  assert.ok(inv.packages.every((p) => p.layer === img.layers[1]));
});

test('image layout: an entry escaping the root is refused', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'scan-img-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const layout = await writeImage(dir, [[{ name: 'a/../../etc/passwd', content: 'x' }]]);
  await assert.rejects(
    collectImage(new LayoutStore(layout), 'latest'),
    (e: unknown) => e instanceof ScanError && e.code === 'TAR_UNSAFE',
  );
  const layout2 = await writeImage(join(dir, 'b'), [
    [{ name: 'etc/os-release', type: 'link', linkname: '../../../etc/os-release' }],
  ]);
  await assert.rejects(
    collectImage(new LayoutStore(layout2), 'latest'),
    (e: unknown) => e instanceof ScanError && e.code === 'TAR_UNSAFE',
  );
});

test('image layout: a layer expanding past the limit is refused', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'scan-img-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const layout = await writeImage(dir, [[{ name: 'big', content: '\0'.repeat(1 << 20) }]]);
  await assert.rejects(
    collectImage(new LayoutStore(layout), 'latest', { maxLayerBytes: 1 << 16 }),
    (e: unknown) => e instanceof ScanError && e.code === 'TAR_UNSAFE',
  );
});
