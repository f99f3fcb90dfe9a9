// `docker save` tarballs: read what skopeo writes (classic docker-archive form), write the Docker 25+
// form and have skopeo read it back, digests checked both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { OciLayout } from '../../src/oci/layout.ts';
import { DockerArchiveStore, writeDockerArchive } from '../../src/oci/docker-archive.ts';
import { LayoutStore } from '../../src/oci/image-store.ts';
import { copyImage } from '../../src/oci/copy.ts';
import { parseManifest } from '../../src/oci/media-types.ts';
import { buildImage, writeImageToLayout } from './fixtures.ts';
import { requireBinary, run, tempDir } from './helpers.ts';

test('docker-archive: reads skopeo-written tarballs and writes ones skopeo reads, digests preserved', async () => {
  requireBinary('skopeo', 'skopeo');
  const t = await tempDir('archive');
  try {
    const layout = await OciLayout.open(join(t.dir, 'src'), { create: true });
    const img = buildImage('archive', { layers: 3, layerSize: 16 * 1024 });
    await writeImageToLayout(layout, img, 'v1');
    const diffIds = (JSON.parse(img.config.toString()) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids;

    // skopeo writes a classic archive; we read it
    const skopeoTar = join(t.dir, 'skopeo.tar');
    await run('skopeo', ['copy', '--quiet', `oci:${layout.dir}:v1`, `docker-archive:${skopeoTar}:test/app:v1`]);
    const read = await DockerArchiveStore.open(skopeoTar);
    assert.deepEqual(await read.listTags(), ['docker.io/test/app:v1']);
    const m = await read.getManifest('test/app:v1');
    const parsed = parseManifest(m.bytes, m.mediaType);
    assert.equal(parsed.blobs[0]!.digest, img.manifest.config.digest, 'config carried unchanged');
    for (const [i, l] of parsed.blobs.slice(1).entries()) {
      assert.ok(
        l.digest === img.layers[i]!.descriptor.digest || l.digest === diffIds[i],
        `layer ${i} is the original blob or its uncompressed tar`,
      );
    }
    const out = new LayoutStore(await OciLayout.open(join(t.dir, 'from-archive'), { create: true }));
    const copied = await copyImage(read, 'test/app:v1', out, 'v1');
    assert.equal(copied.digest, m.digest);

    // we write a Docker 25+ archive; skopeo reads it and sees the same layers and config
    const ours = join(t.dir, 'ours.tar');
    const w = await writeDockerArchive(new LayoutStore(layout), 'v1', ours, 'test/app:v1');
    assert.equal(w.digest, img.manifestDigest);
    const inspect = JSON.parse((await run('skopeo', ['inspect', `docker-archive:${ours}`])).stdout) as {
      Layers: string[];
    };
    // skopeo reports docker-archive layers by their uncompressed digest (diff_id)
    assert.deepEqual(inspect.Layers, diffIds);
    const cfg = JSON.parse(
      (await run('skopeo', ['inspect', '--config', '--raw', `docker-archive:${ours}`])).stdout,
    ) as { rootfs: { diff_ids: string[] } };
    assert.deepEqual(cfg.rootfs.diff_ids, diffIds);
    // and our reader keeps the manifest digest of a Docker 25+ archive
    const again = await DockerArchiveStore.open(ours);
    assert.equal((await again.getManifest('test/app:v1')).digest, img.manifestDigest);
  } finally {
    await t.cleanup();
  }
});
