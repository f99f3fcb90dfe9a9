// Issue 12's inventory acceptance: a debootstrap Debian 12 root filesystem packaged as an image (one layer,
// an OCI layout made here) is inventoried through the image path (layers read as streams), and the dpkg
// packages found must equal `dpkg-query -W` run on that root filesystem, name for name, version for version.
//
//   debootstrap --variant=minbase bookworm /path/rootfs http://deb.debian.org/debian
//   node --import tsx test/scan/conformance/debian-image.ts /path/rootfs
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { digestOf, LayoutStore, OciLayout } from '../../../src/oci/index.ts';
import { collectImage, inventoryOf } from '../../../src/scan/index.ts';

const rootfs = resolve(process.argv[2] ?? join('..', 'corpora', 'rootfs/bookworm'));
const dir = mkdtempSync(join(tmpdir(), 'debian-image-'));
try {
  const t = spawnSync('tar', ['--numeric-owner', '-C', rootfs, '-czf', join(dir, 'layer.tar.gz'), '.'], {
    encoding: 'utf8',
  });
  if (t.status !== 0) throw new Error(`tar: ${t.stderr}`);
  const layer = readFileSync(join(dir, 'layer.tar.gz'));
  const layout = await OciLayout.open(join(dir, 'oci'), { create: true });
  const layerDigest = await layout.writeBlobBytes(layer);
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
  );
  const configDigest = await layout.writeBlobBytes(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.length }],
    }),
  );
  await layout.writeBlobBytes(manifest);
  await layout.addManifest(
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestOf(manifest), size: manifest.length },
    'bookworm',
  );
  const t0 = performance.now();
  const inv = inventoryOf(await collectImage(new LayoutStore(layout), 'bookworm'));
  const ms = performance.now() - t0;
  const ours = new Set(inv.packages.filter((p) => p.type === 'deb').map((p) => `${p.name} ${p.version}`));
  const q = spawnSync(
    'dpkg-query',
    ['-W', '--admindir', join(rootfs, 'var/lib/dpkg'), '-f', '${Package} ${Version} ${db:Status-Abbrev}\\n'],
    { encoding: 'utf8' },
  );
  if (q.status !== 0) throw new Error(`dpkg-query: ${q.stderr}`);
  const theirs = new Set(
    q.stdout
      .split('\n')
      .filter((l) => /\sii\s*$/.test(l))
      .map((l) => l.replace(/\s+ii\s*$/, '')),
  );
  const onlyOurs = [...ours].filter((x) => !theirs.has(x));
  const onlyTheirs = [...theirs].filter((x) => !ours.has(x));
  console.log(
    `image ${(layer.length / 1024 / 1024).toFixed(1)} MB compressed; inventory through the image path in ${ms.toFixed(0)} ms`,
  );
  console.log(
    `distro: ${inv.distro?.id} ${inv.distro?.versionId}; dpkg-query -W (installed): ${theirs.size}; inventory: ${ours.size}`,
  );
  for (const x of onlyTheirs) console.log(`  only in dpkg-query: ${x}`);
  for (const x of onlyOurs) console.log(`  only in the inventory: ${x}`);
  console.log(
    onlyOurs.length + onlyTheirs.length === 0 ? 'identical' : `${onlyOurs.length + onlyTheirs.length} differences`,
  );
  process.exitCode = onlyOurs.length + onlyTheirs.length === 0 ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
