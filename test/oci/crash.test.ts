// `sekisho registry serve` killed with SIGKILL in the middle of concurrent pushes: after a restart every
// push that was acknowledged is complete, and no partial blob is visible in the content store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MediaType } from '../../src/oci/media-types.ts';
import { digestOf } from '../../src/oci/digest.ts';
import { buildImage, type BuiltImage } from './fixtures.ts';
import { startCli, tempDir } from './helpers.ts';

async function pushImage(base: string, repo: string, img: BuiltImage): Promise<void> {
  const blob = async (bytes: Buffer): Promise<void> => {
    const p = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    await p.arrayBuffer();
    if (p.status !== 202) throw new Error(`POST ${p.status}`);
    const loc = new URL(p.headers.get('location')!, base);
    loc.searchParams.set('digest', digestOf(bytes));
    const r = await fetch(loc, { method: 'PUT', body: new Uint8Array(bytes) });
    await r.arrayBuffer();
    if (r.status !== 201) throw new Error(`PUT ${r.status}`);
  };
  await blob(img.config);
  await Promise.all(img.layers.map((l) => blob(l.bytes)));
  const m = await fetch(`${base}/v2/${repo}/manifests/v1`, {
    method: 'PUT',
    body: new Uint8Array(img.manifestBytes),
    headers: { 'Content-Type': MediaType.OciManifest },
  });
  await m.arrayBuffer();
  if (m.status !== 201) throw new Error(`manifest PUT ${m.status}`);
}

test('SIGKILL during concurrent pushes: acknowledged pushes survive, nothing partial is visible', async (ctx) => {
  const t = await tempDir('crash');
  ctx.after(() => t.cleanup());
  const data = join(t.dir, 'data');
  const images = Array.from({ length: 12 }, (_, i) => buildImage(`crash-${i}`, { layers: 3, layerSize: 256 * 1024 }));
  const srv = await startCli(['registry', 'serve', '--listen', '127.0.0.1:0', '--data-dir', data]);
  const acked: number[] = [];
  let killed: Promise<void> | undefined;
  await Promise.all(
    images.map(async (img, i) => {
      try {
        await pushImage(srv.url, `crash/img${i}`, img);
        acked.push(i);
        if (acked.length === 4) killed = srv.kill();
      } catch {
        // the server died under this push: it was never acknowledged
      }
    }),
  );
  await killed;
  await srv.kill();
  assert.ok(acked.length >= 4, `only ${acked.length} pushes were acknowledged`);

  const again = await startCli(['registry', 'serve', '--listen', '127.0.0.1:0', '--data-dir', data]);
  try {
    for (const i of acked) {
      const img = images[i]!;
      const m = await fetch(`${again.url}/v2/crash/img${i}/manifests/v1`);
      assert.equal(m.status, 200, `acknowledged image ${i}`);
      assert.ok(Buffer.from(await m.arrayBuffer()).equals(img.manifestBytes));
      for (const l of img.layers) {
        const b = await fetch(`${again.url}/v2/crash/img${i}/blobs/${l.descriptor.digest}`);
        assert.ok(Buffer.from(await b.arrayBuffer()).equals(l.bytes), `layer of acknowledged image ${i}`);
      }
    }
  } finally {
    await again.stop();
  }
  // every file in the content store is complete: its content hashes to its name
  const root = join(data, 'blobs', 'sha256');
  let files = 0;
  for (const pre of await readdir(root)) {
    for (const name of await readdir(join(root, pre))) {
      assert.ok(!name.startsWith('.'), `temporary file ${name} left visible in the store`);
      const h = createHash('sha256')
        .update(await readFile(join(root, pre, name)))
        .digest('hex');
      assert.equal(h, name);
      files++;
    }
  }
  assert.ok(files >= acked.length * 5);
});
