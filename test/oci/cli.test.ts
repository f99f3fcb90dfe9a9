// The CLI end to end: `registry serve` (first line `listening on <url>`), `image copy|digest|inspect|tags|
// manifest|config|delete` with -o json, `registry gc` and `registry htpasswd`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { OciLayout } from '../../src/oci/layout.ts';
import { DockerArchiveStore } from '../../src/oci/docker-archive.ts';
import { buildImage, writeImageToLayout } from './fixtures.ts';
import { run, startCli, tempDir } from './helpers.ts';

const bin = join(import.meta.dirname, '../../bin/sekisho.js');
const sekisho = (args: string[], input?: string): Promise<{ stdout: string; stderr: string }> =>
  run(process.execPath, [bin, ...args], input !== undefined ? { input } : {});

test('sekisho registry serve + image copy/digest/inspect/tags/manifest/config/delete + registry gc', async () => {
  const t = await tempDir('cli');
  const data = join(t.dir, 'data');
  const srv = await startCli(['registry', 'serve', '--listen', '127.0.0.1:0', '--data-dir', data]);
  try {
    const host = srv.url.replace('http://', '');
    const layout = await OciLayout.open(join(t.dir, 'src'), { create: true });
    const img = buildImage('cli', { layers: 2 });
    await writeImageToLayout(layout, img, 'v1');
    const copied = JSON.parse(
      (await sekisho(['image', 'copy', `oci:${layout.dir}:v1`, `${host}/cli/app:v1`, '-o', 'json'])).stdout,
    ) as { digest: string; blobs: { uploaded: number } };
    assert.equal(copied.digest, img.manifestDigest);
    assert.equal(copied.blobs.uploaded, 3);
    // independent reads run side by side (each spawn pays the CLI's start-up)
    const back = join(t.dir, 'back');
    const tarball = join(t.dir, 'app.tar');
    const [digestOut, inspectOut, tagsOut, manifestOut, configOut] = await Promise.all([
      sekisho(['image', 'digest', `${host}/cli/app:v1`]),
      sekisho(['image', 'inspect', `${host}/cli/app:v1`, '-o', 'json']),
      sekisho(['image', 'tags', `${host}/cli/app`, '-o', 'json']),
      sekisho(['image', 'manifest', `${host}/cli/app:v1`]),
      sekisho(['image', 'config', `${host}/cli/app:v1`]),
      sekisho(['image', 'copy', `${host}/cli/app:v1`, `oci:${back}:v1`]),
      sekisho(['image', 'pull', `${host}/cli/app:v1`, tarball]),
      assert.rejects(sekisho(['image', 'inspect', `${host}/cli/app:missing`]), /MANIFEST_UNKNOWN/),
    ]);
    assert.equal(digestOut.stdout.trim(), img.manifestDigest);
    const info = JSON.parse(inspectOut.stdout) as { os: string; layers: unknown[] };
    assert.equal(info.os, 'linux');
    assert.equal(info.layers.length, 2);
    assert.deepEqual((JSON.parse(tagsOut.stdout) as { tags: string[] }).tags, ['v1']);
    assert.equal(manifestOut.stdout.trim(), img.manifestBytes.toString());
    assert.deepEqual(JSON.parse(configOut.stdout), JSON.parse(img.config.toString()));
    assert.equal((await (await OciLayout.open(back)).resolve('v1')).digest, img.manifestDigest);
    const archive = await DockerArchiveStore.open(tarball);
    assert.equal((await archive.getManifest(`${host}/cli/app:v1`)).digest, img.manifestDigest);
    await sekisho(['image', 'delete', `${host}/cli/app@${img.manifestDigest}`]);
    await srv.stop();
    const gc = JSON.parse((await sekisho(['registry', 'gc', '--data-dir', data, '-o', 'json'])).stdout) as {
      blobsDeleted: number;
    };
    assert.equal(gc.blobsDeleted, 4);
    const after = await OciLayout.open(back);
    assert.ok(await after.hasBlob(img.layers[0]!.descriptor.digest));
    const line = (await sekisho(['registry', 'htpasswd', 'alice'], 'secret\n')).stdout.trim();
    assert.match(line, /^alice:\$2y\$10\$/);
  } finally {
    await srv.stop();
    await t.cleanup();
  }
});
