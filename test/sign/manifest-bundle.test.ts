// Signed manifest bundles: `sekisho manifest push DIR REF --key`, `manifest verify --bundle REF`, `manifest
// pull REF DIR` against the embedded registry; reproducible digests; a flipped layer byte, a re-pointed tag,
// the wrong key and hostile tar entries (validly signed) are all refused, and nothing is written outside.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { MediaType, RegistryClient, type ImageManifest } from '../../src/oci/index.ts';
import {
  MANIFEST_BUNDLE_ARTIFACT_TYPE,
  SignError,
  hostilePath,
  packManifests,
  signImage,
  unpackManifests,
} from '../../src/sign/index.ts';
import { startEmbedded, tempDir, type EmbeddedRegistry } from '../oci/helpers.ts';
import { pushBlob, runCli, testKey, type TestKey } from './helpers.ts';

let reg: EmbeddedRegistry;
let client: RegistryClient;
let dir: string;
let cleanup: () => Promise<void>;
let key: TestKey;
const env = { COSIGN_PASSWORD: 'pw' };
const DEPLOY = {
  'app.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata: {k: v}\n',
  'svc/service.yaml': 'apiVersion: v1\nkind: Service\nmetadata: {name: app}\nspec: {ports: [{port: 80}]}\n',
  'kustomization.yaml': 'resources: [app.yaml, svc/service.yaml]\n',
};

before(async () => {
  reg = await startEmbedded();
  client = new RegistryClient({ host: reg.host });
  ({ dir, cleanup } = await tempDir('manifest-bundle'));
  key = testKey();
  await writeFile(join(dir, 'cosign.key'), key.privateKeyPem);
  await writeFile(join(dir, 'cosign.pub'), key.publicKeyPem);
  await writeFile(join(dir, 'other.pub'), testKey().publicKeyPem);
  for (const [p, c] of Object.entries(DEPLOY)) {
    await mkdir(join(dir, 'deploy', p, '..'), { recursive: true });
    await writeFile(join(dir, 'deploy', p), c);
  }
  await mkdir(join(dir, 'deploy', '.git'));
  await writeFile(join(dir, 'deploy', '.git', 'HEAD'), 'ref: refs/heads/main\n');
});
after(async () => {
  await reg.close();
  await cleanup();
});

async function manifestOf(repo: string, ref: string): Promise<ImageManifest> {
  return JSON.parse((await client.getManifest(repo, ref)).bytes.toString()) as ImageManifest;
}

test('manifest push / verify --bundle / pull: one signed tar+gzip layer, reproducible, files round-trip', async () => {
  const ref = `${reg.host}/shop/config:v1`;
  const p = await runCli(['manifest', 'push', 'deploy', ref, '--key', 'cosign.key'], { cwd: dir, env });
  assert.equal(p.status, 0, p.stderr);
  const digest = p.stdout.trim();
  assert.match(p.stderr, /Pushed 3 file\(s\)/);
  const m = await manifestOf('shop/config', digest);
  assert.equal(m.artifactType, MANIFEST_BUNDLE_ARTIFACT_TYPE);
  assert.equal(m.config.mediaType, MediaType.OciEmpty);
  assert.equal(m.layers.length, 1);
  assert.equal(m.layers[0]!.mediaType, MediaType.OciLayerGzip);
  // the cosign signature tag for the artifact's digest exists
  assert.ok(await client.headManifest('shop/config', `sha256-${digest.slice(7)}.sig`));
  // same directory, same digest
  const again = await runCli(
    ['manifest', 'push', 'deploy', `${reg.host}/shop/config:v1-again`, '--key', 'cosign.key'],
    {
      cwd: dir,
      env,
    },
  );
  assert.equal(again.stdout.trim(), digest);

  const [v, wrong, pulled, fileMode] = await Promise.all([
    runCli(['manifest', 'verify', '--bundle', ref, '--key', 'cosign.pub'], { cwd: dir }),
    runCli(['manifest', 'verify', '--bundle', ref, '--key', 'other.pub'], { cwd: dir }),
    runCli(['manifest', 'pull', ref, 'out', '--key', 'cosign.pub'], { cwd: dir }),
    runCli(['manifest', 'verify', '--key', 'cosign.pub'], { cwd: dir }),
  ]);
  assert.equal(v.status, 0, v.stderr);
  // the second push re-signed the same digest: cosign appends signatures, so there are two
  assert.match(v.stdout, new RegExp(`verified .*shop/config:v1 \\(${digest}\\), 2 signature`));
  assert.match(v.stdout, /svc\/service\.yaml/);
  assert.doesNotMatch(v.stdout, /\.git/);
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /SIGNATURE_INVALID|no matching signatures/);
  assert.equal(pulled.status, 0, pulled.stderr);
  for (const [p2, c] of Object.entries(DEPLOY)) assert.equal(await readFile(join(dir, 'out', p2), 'utf8'), c);
  assert.deepEqual((await readdir(join(dir, 'out'))).sort(), ['app.yaml', 'kustomization.yaml', 'svc']);
  assert.equal(fileMode.status, 1);
  assert.match(fileMode.stderr, /give either -f FILE/);
});

test('tampering: a flipped layer byte and a re-pointed tag are refused', async () => {
  const ref = `${reg.host}/shop/tamper:v1`;
  // its own content: blobs are shared across repositories and this test corrupts one
  await mkdir(join(dir, 'deploy-t'));
  await writeFile(join(dir, 'deploy-t', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: t}\n');
  const p = await runCli(['manifest', 'push', 'deploy-t', ref, '--key', 'cosign.key'], { cwd: dir, env });
  assert.equal(p.status, 0, p.stderr);
  const digest = p.stdout.trim();
  const layer = (await manifestOf('shop/tamper', digest)).layers[0]!;

  // the tag moved to an unsigned artifact with other content: no signature for the new digest
  const gz = await packManifests([{ path: 'app.yaml', content: Buffer.from('kind: Secret\n') }]);
  const l2 = await pushBlob(client, 'shop/tamper', gz);
  const cfg = await pushBlob(client, 'shop/tamper', Buffer.from('{}'));
  const forged: ImageManifest = {
    ...(await manifestOf('shop/tamper', digest)),
    config: { mediaType: MediaType.OciEmpty, ...cfg },
    layers: [{ mediaType: MediaType.OciLayerGzip, ...l2 }],
  };
  await client.putManifest('shop/tamper', 'v1', Buffer.from(JSON.stringify(forged)), MediaType.OciManifest);
  const moved = await runCli(['manifest', 'pull', ref, 'out-moved', '--key', 'cosign.pub'], { cwd: dir });
  assert.equal(moved.status, 1);
  assert.match(moved.stderr, /NO_SIGNATURES: no signatures found/);
  assert.equal(existsSync(join(dir, 'out-moved')), false);

  // one flipped byte in the stored layer blob of the signed digest
  const hex = layer.digest.slice(7);
  const blob = join(reg.dir, 'blobs', 'sha256', hex.slice(0, 2), hex);
  const bytes = await readFile(blob);
  bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0x01;
  await writeFile(blob, bytes);
  const flipped = await runCli(
    ['manifest', 'verify', '--bundle', `${reg.host}/shop/tamper@${digest}`, '--key', 'cosign.pub'],
    {
      cwd: dir,
    },
  );
  assert.equal(flipped.status, 1);
  assert.match(flipped.stderr, /PAYLOAD_INVALID: .*bundle layer sha256:[0-9a-f]+ is corrupted/);
});

type TarHeader = Partial<tarStream.Header> & Pick<tarStream.Header, 'name'>;

/** A validly signed artifact whose layer holds the given tar entries (bypassing packManifests' checks). */
async function pushRawBundle(repo: string, tag: string, entries: TarHeader[]): Promise<string> {
  const p = tarStream.pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) => p.on('end', () => r()));
  for (const h of entries) {
    if (h.type === 'file' || h.type === undefined) p.entry(h, 'kind: Pod\n');
    else p.entry(h);
  }
  p.finalize();
  await done;
  const layer = await pushBlob(client, repo, gzipSync(Buffer.concat(chunks)));
  const cfg = await pushBlob(client, repo, Buffer.from('{}'));
  const m: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    artifactType: MANIFEST_BUNDLE_ARTIFACT_TYPE,
    config: { mediaType: MediaType.OciEmpty, ...cfg },
    layers: [{ mediaType: MediaType.OciLayerGzip, ...layer }],
  };
  const digest = await client.putManifest(repo, tag, Buffer.from(JSON.stringify(m)), MediaType.OciManifest);
  await signImage({ client, registry: reg.host, repository: repo, ref: digest }, key.signer);
  return digest;
}

test('hostile entries in a signed bundle are refused on pull, nothing written', async () => {
  const cases: [string, TarHeader[], RegExp][] = [
    ['dotdot', [{ name: 'ok.yaml' }, { name: '../escape.yaml' }], /climbs out with \.\./],
    ['absolute', [{ name: '/etc/evil.yaml' }], /absolute path/],
    ['symlink', [{ name: 'link.yaml', type: 'symlink', linkname: '/etc/passwd' }], /is a symlink/],
    ['dup', [{ name: 'a.yaml' }, { name: 'a.yaml' }], /appears twice/],
    ['nested-dotdot', [{ name: 'a/../../x.yaml' }], /climbs out/],
  ];
  const results = await Promise.all(
    cases.map(async ([tag, entries]) => {
      await pushRawBundle('shop/hostile', tag, entries);
      return runCli(['manifest', 'pull', `${reg.host}/shop/hostile:${tag}`, `hostile-${tag}`, '--key', 'cosign.pub'], {
        cwd: dir,
      });
    }),
  );
  results.forEach((r, i) => {
    const [tag, , why] = cases[i]!;
    assert.equal(r.status, 1, `${tag}: ${r.stderr}`);
    assert.match(r.stderr, /MANIFEST_INVALID: bundle entry/, tag);
    assert.match(r.stderr, why, tag);
    assert.equal(existsSync(join(dir, `hostile-${tag}`)), false, `${tag}: nothing written`);
  });
  assert.equal(existsSync(join(dir, 'escape.yaml')), false);
});

test('--new-bundle-format signs the artifact with a Sigstore bundle referrer', async () => {
  const ref = `${reg.host}/shop/bundled:v1`;
  const p = await runCli(['manifest', 'push', 'deploy', ref, '--key', 'cosign.key', '--new-bundle-format'], {
    cwd: dir,
    env,
  });
  assert.equal(p.status, 0, p.stderr);
  const refs = await client.referrers('shop/bundled', p.stdout.trim());
  assert.equal(refs.manifests.length, 1);
  const v = await runCli(['manifest', 'verify', '--bundle', ref, '--key', 'cosign.pub', '-o', 'json'], { cwd: dir });
  assert.equal(v.status, 0, v.stderr);
  assert.equal((JSON.parse(v.stdout) as { files: unknown[] }).files.length, 3);
});

test('hostilePath and unpack limits', async () => {
  for (const bad of ['', '/a', '../a', 'a/../../b', 'a//b', './a', 'a\\b', 'C:/x', 'a\0b'])
    assert.ok(hostilePath(bad), bad);
  for (const good of ['a.yaml', 'dir/a.yaml', 'a..b.yaml', '.hidden']) assert.equal(hostilePath(good), undefined, good);
  const gz = await packManifests([
    { path: 'b.yaml', content: Buffer.alloc(600, 'x') },
    { path: 'a.yaml', content: Buffer.alloc(600, 'y') },
  ]);
  assert.deepEqual(
    (await unpackManifests(gz)).map((f) => f.path),
    ['a.yaml', 'b.yaml'],
  );
  await assert.rejects(
    unpackManifests(gz, { maxEntries: 10, maxBytes: 1000, maxCompressedBytes: 1 << 20 }),
    (e: unknown) => e instanceof SignError && e.code === 'MANIFEST_INVALID' && /more than 1000 bytes/.test(e.message),
  );
  await assert.rejects(packManifests([{ path: '../x', content: Buffer.from('') }]), /climbs out/);
  await assert.rejects(unpackManifests(Buffer.from('not gzip')), /not gzip/);
});
