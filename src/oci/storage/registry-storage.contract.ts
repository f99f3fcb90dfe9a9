// The behaviour every RegistryStorage backend must have, as one suite run against each implementation
// (today the filesystem; an object-store backend will join the list in registry-storage.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { digestOf } from '../digest.ts';
import { MediaType } from '../media-types.ts';
import { OciError } from '../errors.ts';
import type { RegistryStorage } from './registry-storage.ts';

async function text(r: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const code = (c: string) => (e: unknown) => e instanceof OciError && e.code === c;

export function registryStorageContract(
  name: string,
  make: () => Promise<{ storage: RegistryStorage; cleanup: () => Promise<void> }>,
): void {
  test(`${name}: chunked upload, digest check, link and range read`, async () => {
    const { storage: s, cleanup } = await make();
    try {
      const u = await s.createUpload('a/b');
      await s.appendUpload('a/b', u.id, 0, Readable.from([Buffer.from('hello ')]));
      await assert.rejects(s.appendUpload('a/b', u.id, 0, Readable.from([Buffer.from('x')])), code('RANGE_INVALID'));
      const st = await s.appendUpload('a/b', u.id, 6, Readable.from([Buffer.from('world')]));
      assert.equal(st.size, 11);
      assert.equal((await s.getUpload('a/b', u.id))?.size, 11);
      assert.equal(await s.getUpload('other', u.id), null, 'uploads belong to their repository');
      const d = digestOf('hello world');
      assert.deepEqual(await s.commitUpload('a/b', u.id, d), { digest: d, size: 11 });
      assert.equal(await s.getUpload('a/b', u.id), null);
      assert.equal((await s.statRepoBlob('a/b', d))?.size, 11);
      assert.equal(await s.statRepoBlob('c', d), null, 'not linked elsewhere');
      assert.equal(await text(s.readBlob(d, { start: 6, end: 10 })), 'world');
      const bad = await s.createUpload('a/b');
      await s.appendUpload('a/b', bad.id, 0, Readable.from([Buffer.from('evil')]));
      await assert.rejects(s.commitUpload('a/b', bad.id, digestOf('good')), code('DIGEST_INVALID'));
      assert.equal(await s.statBlob(digestOf('good')), null);
      await assert.rejects(s.putBlob('a/b', digestOf('x'), Readable.from([Buffer.from('y')])), code('DIGEST_INVALID'));
      await assert.rejects(s.putBlob('a/b', digestOf('x'), Readable.from([Buffer.from('x')]), 2), code('SIZE_INVALID'));
      assert.ok(await s.unlinkBlob('a/b', d));
      assert.equal(await s.statRepoBlob('a/b', d), null);
      assert.equal(await s.unlinkBlob('a/b', d), false);
      const c = await s.createUpload('a/b');
      assert.ok(await s.cancelUpload('a/b', c.id));
      assert.equal(await s.getUpload('a/b', c.id), null);
    } finally {
      await cleanup();
    }
  });

  test(`${name}: manifests, tags, referrers, repositories and gc`, async () => {
    const { storage: s, cleanup } = await make();
    try {
      const cfg = Buffer.from('{}');
      const layer = Buffer.from('layer');
      await s.putBlob('r', digestOf(cfg), Readable.from([cfg]));
      await s.putBlob('r', digestOf(layer), Readable.from([layer]));
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.OciManifest,
          config: { mediaType: MediaType.OciEmpty, digest: digestOf(cfg), size: 2 },
          layers: [{ mediaType: MediaType.OciLayer, digest: digestOf(layer), size: 5 }],
        }),
      );
      const md = digestOf(manifest);
      await s.putManifest('r', { digest: md, mediaType: MediaType.OciManifest, bytes: manifest }, 'v1');
      assert.equal(await s.resolveTag('r', 'v1'), md);
      assert.deepEqual((await s.getManifest('r', 'v1'))?.bytes, manifest);
      assert.equal((await s.getManifest('r', md))?.mediaType, MediaType.OciManifest);
      const subjectOf = { mediaType: MediaType.OciManifest, digest: md, size: manifest.length };
      const art = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.OciManifest,
          artifactType: 'x/y',
          config: { mediaType: MediaType.OciEmpty, digest: digestOf(cfg), size: 2 },
          layers: [],
          subject: subjectOf,
        }),
      );
      const ad = digestOf(art);
      await s.putManifest('r', { digest: ad, mediaType: MediaType.OciManifest, bytes: art }, undefined, subjectOf, {
        mediaType: MediaType.OciManifest,
        digest: ad,
        size: art.length,
        artifactType: 'x/y',
      });
      assert.deepEqual(
        (await s.listReferrers('r', md)).map((d) => d.digest),
        [ad],
      );
      assert.deepEqual(await s.listTags('r'), ['v1']);
      assert.equal(await s.listTags('nope'), null);
      assert.deepEqual(await s.listRepositories(), ['r']);
      assert.ok(await s.deleteManifest('r', ad));
      assert.deepEqual(await s.listReferrers('r', md), []);
      await s.putBlob('r', digestOf('orphan'), Readable.from([Buffer.from('orphan')]));
      const g = await s.gc({ uploadTtlMs: 3_600_000 });
      assert.equal(g.blobsDeleted, 2, 'the orphan and the deleted artifact manifest');
      assert.notEqual(await s.statBlob(digestOf(layer)), null);
      assert.ok(await s.deleteTag('r', 'v1'));
      assert.equal(await s.resolveTag('r', 'v1'), null);
      assert.ok(await s.deleteManifest('r', md));
      assert.equal(await s.getManifest('r', md), null);
    } finally {
      await cleanup();
    }
  });
}
