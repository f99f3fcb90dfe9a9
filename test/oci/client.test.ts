// The registry client against the embedded registry (token auth) and Debian's docker-registry: image and
// multi-arch index copies in both directions, platform selection, an artifact with a subject (referrers
// API / tag-schema fallback), mounts, resumed chunked uploads, retries, digest verification, pagination,
// docker config.json credentials.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OciLayout } from '../../src/oci/layout.ts';
import { RegistryClient, type FetchLike } from '../../src/oci/client/registry-client.ts';
import { dockerConfigCredentials, staticCredentials } from '../../src/oci/client/credentials.ts';
import { LayoutStore, RegistryStore } from '../../src/oci/image-store.ts';
import { copyImage } from '../../src/oci/copy.ts';
import { RegistryAuth, htpasswdLine, parseHtpasswd } from '../../src/oci/server/auth.ts';
import { MediaType, EMPTY_JSON_DIGEST } from '../../src/oci/media-types.ts';
import { digestOf } from '../../src/oci/digest.ts';
import { OciError } from '../../src/oci/errors.ts';
import { buildImage, writeImageToLayout, writeIndexToLayout, type BuiltImage } from './fixtures.ts';
import {
  startDistribution,
  startEmbedded,
  tempDir,
  type DistributionRegistry,
  type EmbeddedRegistry,
} from './helpers.ts';

let work: { dir: string; cleanup: () => Promise<void> };
let layout: OciLayout;
let img: BuiltImage;
let bigImg: BuiltImage;
let indexDigest: string;
let embedded: EmbeddedRegistry;
let distribution: DistributionRegistry;

before(async () => {
  work = await tempDir('client');
  layout = await OciLayout.open(join(work.dir, 'src'), { create: true });
  img = buildImage('client', { layers: 3, layerSize: 8 * 1024 });
  await writeImageToLayout(layout, img, 'v1');
  bigImg = buildImage('client-big', { layers: 1, layerSize: 3 * 1024 * 1024 });
  await writeImageToLayout(layout, bigImg, 'big');
  indexDigest = (
    await writeIndexToLayout(
      layout,
      'client-multi',
      [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ],
      'multi',
    )
  ).digest;
  const users = parseHtpasswd(htpasswdLine('ci', 'pw', 4));
  embedded = await startEmbedded({ auth: new RegistryAuth({ mode: 'token', users }) });
  distribution = await startDistribution();
});

after(async () => {
  await embedded.close();
  await distribution.close();
  await work.cleanup();
});

function clients(): { name: string; client: () => RegistryClient; referrersVia: 'api' | 'tag-schema' }[] {
  return [
    {
      name: 'embedded',
      client: () =>
        new RegistryClient({
          host: embedded.host,
          credentials: staticCredentials({ [embedded.host]: { username: 'ci', password: 'pw' } }),
        }),
      referrersVia: 'api',
    },
    {
      name: 'docker-registry',
      client: () => new RegistryClient({ host: distribution.host }),
      referrersVia: 'tag-schema',
    },
  ];
}

for (const { name, client, referrersVia } of clients()) {
  test(`${name}: image and multi-arch index copied in and out unchanged`, async () => {
    const c = client();
    const src = new LayoutStore(layout);
    const dst = new RegistryStore(c, 'client/app');
    const r = await copyImage(src, 'v1', dst, 'v1');
    assert.equal(r.digest, img.manifestDigest);
    assert.equal(r.blobs.uploaded, 4);
    const again = await copyImage(src, 'v1', dst, 'v1');
    assert.equal(again.blobs.uploaded, 0, 'second copy uploads nothing');
    const idx = await copyImage(src, 'multi', dst, 'multi');
    assert.equal(idx.digest, indexDigest);
    const out = new LayoutStore(await OciLayout.open(join(work.dir, `out-${name}`), { create: true }));
    assert.equal((await copyImage(dst, 'v1', out, 'v1')).digest, img.manifestDigest);
    assert.equal((await copyImage(dst, 'multi', out, 'multi')).digest, indexDigest);
    for (const l of img.layers) assert.deepEqual(await out.layout.readBlobBytes(l.descriptor.digest), l.bytes);
    // platform selection out of the index
    const arm = await copyImage(dst, 'multi', out, 'arm', { platform: { os: 'linux', architecture: 'arm64' } });
    const armManifest = JSON.parse((await c.getManifest('client/app', indexDigest)).bytes.toString()) as {
      manifests: { digest: string; platform: { architecture: string } }[];
    };
    assert.equal(arm.digest, armManifest.manifests.find((m) => m.platform.architecture === 'arm64')!.digest);
    await assert.rejects(
      copyImage(dst, 'multi', out, 'x', { platform: { os: 'windows', architecture: 'amd64' } }),
      (e: unknown) => (e as OciError).code === 'PLATFORM_NOT_FOUND',
    );
    assert.deepEqual((await dst.listTags()).sort(), ['multi', 'v1']);
  });

  test(`${name}: cross-repository mount, chunked upload resumed after a failed chunk`, async () => {
    const c = client();
    const r = await copyImage(new RegistryStore(c, 'client/app'), 'v1', new RegistryStore(c, 'client/other'), 'v1');
    assert.equal(r.blobs.mounted, 4);
    // fail the second PATCH mid-flight; the client asks the registry for its offset and resumes
    let patches = 0;
    const flaky: FetchLike = async (input, init) => {
      if (init?.method === 'PATCH' && ++patches === 2) throw new TypeError('fetch failed (injected)');
      return fetch(input, init);
    };
    const base = client();
    const fc = new RegistryClient({
      host: base.host,
      fetch: flaky,
      chunkSize: 1024 * 1024,
      sleep: async () => undefined,
      ...(name === 'embedded'
        ? { credentials: staticCredentials({ [embedded.host]: { username: 'ci', password: 'pw' } }) }
        : {}),
    });
    const res = await copyImage(new LayoutStore(layout), 'big', new RegistryStore(fc, 'client/big'), 'big');
    assert.equal(res.digest, bigImg.manifestDigest);
    assert.ok(patches >= 4, `expected chunked PATCHes, saw ${patches}`);
    const back = await c.getBlobBytes('client/big', bigImg.layers[0]!.descriptor.digest);
    assert.ok(back.equals(bigImg.layers[0]!.bytes));
  });

  test(`${name}: an artifact with a subject is found as a referrer (${referrersVia})`, async () => {
    const c = client();
    const dst = new RegistryStore(c, 'client/app');
    await copyImage(new LayoutStore(layout), 'v1', dst, 'v1');
    const payload = Buffer.from(JSON.stringify({ scanner: 'sekisho', findings: [] }));
    await c.pushBlob(
      'client/app',
      { digest: digestOf(payload), size: payload.length },
      () =>
        (async function* () {
          yield payload;
        })() as never,
    );
    await c.pushBlob(
      'client/app',
      { digest: EMPTY_JSON_DIGEST, size: 2 },
      () =>
        (async function* () {
          yield Buffer.from('{}');
        })() as never,
    );
    const artifact = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        artifactType: 'application/vnd.sekisho.scan+json',
        config: { mediaType: MediaType.OciEmpty, digest: EMPTY_JSON_DIGEST, size: 2 },
        layers: [{ mediaType: 'application/vnd.sekisho.scan+json', digest: digestOf(payload), size: payload.length }],
        subject: { mediaType: MediaType.OciManifest, digest: img.manifestDigest, size: img.manifestBytes.length },
        annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' },
      }),
    );
    const ad = await dst.putManifest(artifact, MediaType.OciManifest);
    const refs = await c.referrers('client/app', img.manifestDigest);
    assert.equal(refs.via, referrersVia);
    assert.deepEqual(
      refs.manifests.map((m) => [m.digest, m.artifactType]),
      [[ad, 'application/vnd.sekisho.scan+json']],
    );
    assert.equal((await c.referrers('client/app', img.manifestDigest, 'application/other')).manifests.length, 0);
    // the artifact travels with its subject (--referrers) to a layout, and from there to the other registry
    const out = new LayoutStore(await OciLayout.open(join(work.dir, `art-${name}`), { create: true }));
    const withRefs = await copyImage(dst, 'v1', out, 'v1', { referrers: true });
    assert.deepEqual(withRefs.referrers, [ad]);
    const other = name === 'embedded' ? new RegistryClient({ host: distribution.host }) : clients()[0]!.client();
    const there = new RegistryStore(other, `client/from-${name}`);
    const moved = await copyImage(out, 'v1', there, 'v1', { referrers: true });
    assert.deepEqual(moved.referrers, [ad]);
    assert.deepEqual(
      (await other.referrers(`client/from-${name}`, img.manifestDigest)).manifests.map((m) => m.digest),
      [ad],
    );
  });
}

test('retries 429/503 with backoff (Retry-After honoured) and verifies digests of what it fetches', async () => {
  const real = new RegistryClient({ host: distribution.host });
  await copyImage(new LayoutStore(layout), 'v1', new RegistryStore(real, 'client/retry'), 'v1');
  const waits: number[] = [];
  let n = 0;
  const flaky: FetchLike = async (input, init) => {
    n++;
    if (n === 1) return new Response('slow down', { status: 429, headers: { 'Retry-After': '2' } });
    if (n === 2) return new Response('oops', { status: 503 });
    return fetch(input, init);
  };
  const c = new RegistryClient({
    host: distribution.host,
    fetch: flaky,
    backoffMs: 100,
    sleep: async (ms) => void waits.push(ms),
  });
  const m = await c.getManifest('client/retry', 'v1');
  assert.equal(m.digest, img.manifestDigest);
  assert.deepEqual(waits, [2000, 200]);

  // a registry that serves other bytes than asked for is caught
  const lying: FetchLike = async (input, init) => {
    const res = await fetch(input, init);
    if (String(input).includes('/blobs/'))
      return new Response(Buffer.concat([Buffer.from(await res.arrayBuffer()), Buffer.from('x')]), { status: 200 });
    if (String(input).includes('/manifests/'))
      return new Response(
        Buffer.from(
          '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"a","digest":"' +
            EMPTY_JSON_DIGEST +
            '","size":2},"layers":[]}',
        ),
        { status: 200, headers: { 'Content-Type': MediaType.OciManifest } },
      );
    return res;
  };
  const lc = new RegistryClient({ host: distribution.host, fetch: lying });
  await assert.rejects(
    lc.getManifest('client/retry', img.manifestDigest),
    (e: unknown) => (e as OciError).code === 'DIGEST_INVALID',
  );
  const d = img.layers[0]!.descriptor;
  await assert.rejects(
    lc.getBlobBytes('client/retry', d.digest, d.size),
    (e: unknown) => (e as OciError).code === 'SIZE_INVALID' || (e as OciError).code === 'DIGEST_INVALID',
  );
});

test('tag pagination and docker config.json credentials against the embedded registry', async () => {
  const cfgPath = join(work.dir, 'config.json');
  await writeFile(
    cfgPath,
    JSON.stringify({ auths: { [embedded.host]: { auth: Buffer.from('ci:pw').toString('base64') } } }),
  );
  const c = new RegistryClient({ host: embedded.host, credentials: dockerConfigCredentials(cfgPath) });
  const dst = new RegistryStore(c, 'client/pages');
  for (const t of ['a', 'b', 'c', 'd', 'e']) await copyImage(new LayoutStore(layout), 'v1', dst, t);
  assert.deepEqual(await c.listTags('client/pages', 2), ['a', 'b', 'c', 'd', 'e']);
  const anon = new RegistryClient({ host: embedded.host });
  await assert.rejects(anon.listTags('client/pages'), (e: unknown) => (e as OciError).code === 'UNAUTHORIZED');
});
