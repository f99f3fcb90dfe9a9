// Image signatures against the embedded registry (in-process, 127.0.0.1:0): cosign's `.sig` tag layout,
// appending, verification and every tampering case the issue lists, plus the CLI's output and exit codes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { MediaType, RegistryClient, digestOf, type ImageManifest } from '../../src/oci/index.ts';
import {
  SIGNATURE_ANNOTATION,
  SIMPLE_SIGNING_MEDIA_TYPE,
  SignError,
  generateKeyPair,
  loadPrivateKey,
  loadPublicKey,
  requireSigned,
  signImage,
  verifyImage,
  type ImageTarget,
} from '../../src/sign/index.ts';
import { startEmbedded, type EmbeddedRegistry } from '../oci/helpers.ts';

const PW = Buffer.from('pw');
const SCRYPT = { N: 1024, r: 8, p: 1 };
const pair = generateKeyPair(PW, { scrypt: SCRYPT });
const other = generateKeyPair(PW, { scrypt: SCRYPT });
const signer = loadPrivateKey(pair.privateKeyPem, PW);
const pub = loadPublicKey(pair.publicKeyPem);
const otherPub = loadPublicKey(other.publicKeyPem);

let reg: EmbeddedRegistry;
let client: RegistryClient;

async function pushBlob(repo: string, bytes: Buffer): Promise<{ digest: string; size: number }> {
  const d = { digest: digestOf(bytes), size: bytes.length };
  await client.pushBlob(repo, d, () => Readable.from([bytes]));
  return d;
}

/** Pushes a small image and returns its manifest digest. */
async function pushImage(repo: string, tag: string, content: string): Promise<string> {
  const layer = await pushBlob(repo, Buffer.from(content));
  const config = await pushBlob(repo, Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', content })));
  const m: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, ...config },
    layers: [{ mediaType: MediaType.OciLayer, ...layer }],
  };
  return client.putManifest(repo, tag, Buffer.from(JSON.stringify(m)), MediaType.OciManifest);
}

function target(repo: string, ref: string): ImageTarget {
  return { client, registry: reg.host, repository: repo, ref };
}

async function sigManifest(repo: string, digest: string): Promise<ImageManifest> {
  const m = await client.getManifest(repo, `sha256-${digest.slice(7)}.sig`);
  return JSON.parse(m.bytes.toString('utf8')) as ImageManifest;
}

async function putSigManifest(repo: string, digest: string, m: ImageManifest): Promise<void> {
  await client.putManifest(
    repo,
    `sha256-${digest.slice(7)}.sig`,
    Buffer.from(JSON.stringify(m)),
    MediaType.OciManifest,
  );
}

before(async () => {
  reg = await startEmbedded();
  client = new RegistryClient({ host: reg.host });
});
after(async () => {
  await reg.close();
});

test('sign stores cosign simple-signing payloads under sha256-<hex>.sig and appends', async () => {
  const digest = await pushImage('app', 'v1', 'one');
  const r1 = await signImage(target('app', 'v1'), signer);
  assert.equal(r1.digest, digest);
  assert.equal(r1.signatureTag, `sha256-${digest.slice(7)}.sig`);
  assert.equal(
    r1.payload.toString(),
    `{"critical":{"identity":{"docker-reference":"${reg.host}/app"},"image":{"docker-manifest-digest":"${digest}"},` +
      `"type":"cosign container image signature"},"optional":null}`,
  );
  const m1 = await sigManifest('app', digest);
  assert.equal(m1.layers.length, 1);
  assert.equal(m1.layers[0]!.mediaType, SIMPLE_SIGNING_MEDIA_TYPE);
  assert.equal(m1.layers[0]!.digest, digestOf(r1.payload));
  assert.equal(m1.layers[0]!.annotations?.[SIGNATURE_ANNOTATION], r1.signature);

  // a second key signs too: appended, not overwritten; signing again with the same payload+sig is a no-op
  const r2 = await signImage(target('app', digest), loadPrivateKey(other.privateKeyPem, PW), {
    annotations: { build: '42' },
  });
  assert.equal(r2.count, 2);
  const m2 = await sigManifest('app', digest);
  assert.equal(m2.layers.length, 2);
  assert.equal(m2.layers[0]!.digest, m1.layers[0]!.digest);

  const v = await verifyImage(target('app', 'v1'), [pub]);
  assert.equal(v.verified.length, 1);
  assert.equal(v.rejected.length, 1, 'the other key’s signature is not accepted for this key');
  const v2 = await verifyImage(target('app', 'v1'), [pub, otherPub]);
  assert.equal(v2.verified.length, 2);
  assert.deepEqual(v2.verified[1]!.payload.optional, { build: '42' });
});

test('a Sekisho signature checks out by hand with openssl, as cosign SIGNATURE_SPEC describes', async () => {
  // SIGNATURE_SPEC: the layer blob is the payload; the annotation is base64 of the signature over the
  // payload bytes, ECDSA P-256 with SHA-256, ASN.1 DER. Verified here with an independent implementation.
  const digest = await pushImage('spec', 'v1', 'spec');
  await signImage(target('spec', 'v1'), signer);
  const layer = (await sigManifest('spec', digest)).layers[0]!;
  const payload = await client.getBlobBytes('spec', layer.digest);
  const dir = await mkdtemp(join(tmpdir(), 'sekisho-spec-'));
  try {
    await writeFile(join(dir, 'payload'), payload);
    await writeFile(join(dir, 'sig'), Buffer.from(layer.annotations![SIGNATURE_ANNOTATION]!, 'base64'));
    await writeFile(join(dir, 'cosign.pub'), pair.publicKeyPem);
    const openssl = (file: string) =>
      new Promise<{ status: number | null; out: string }>((resolve, reject) => {
        const c = spawn('openssl', ['dgst', '-sha256', '-verify', 'cosign.pub', '-signature', 'sig', file], {
          cwd: dir,
        });
        let out = '';
        c.stdout.on('data', (d: Buffer) => (out += d.toString()));
        c.on('error', (e) =>
          reject(new Error(`openssl is required (Debian package openssl, listed in .ci/run): ${e.message}`)),
        );
        c.on('close', (status) => resolve({ status, out }));
      });
    const ok = await openssl('payload');
    assert.equal(ok.status, 0);
    assert.match(ok.out, /Verified OK/);
    const p = JSON.parse(payload.toString()) as { critical: { image: { 'docker-manifest-digest': string } } };
    assert.equal(p.critical.image['docker-manifest-digest'], digest);
    await writeFile(join(dir, 'altered'), Buffer.concat([payload, Buffer.from(' ')]));
    assert.notEqual((await openssl('altered')).status, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('tampering is refused with which and why', async () => {
  const digest = await pushImage('tamper', 'v1', 'tamper-me');
  const r = await signImage(target('tamper', 'v1'), signer);
  const good = await sigManifest('tamper', digest);
  const layer = good.layers[0]!;
  const expectFail = async (code: string, re: RegExp, keys = [pub]): Promise<void> => {
    const v = await verifyImage(target('tamper', 'v1'), keys);
    assert.throws(
      () => requireSigned(v, 'tamper:v1'),
      (e: unknown) => e instanceof SignError && e.code === code && re.test(e.message),
    );
  };

  // wrong key
  await expectFail('SIGNATURE_INVALID', /signature 0 .*does not verify/, [otherPub]);

  // flipped byte in the signature
  const sig = Buffer.from(r.signature, 'base64');
  sig[sig.length - 3] = sig[sig.length - 3]! ^ 1;
  await putSigManifest('tamper', digest, {
    ...good,
    layers: [{ ...layer, annotations: { [SIGNATURE_ANNOTATION]: sig.toString('base64') } }],
  });
  await expectFail('SIGNATURE_INVALID', /does not verify/);

  // flipped byte in the payload (a new layer holding the altered payload, with the old signature)
  const altered = Buffer.from(r.payload);
  const at = altered.indexOf('sha256:') + 10;
  altered[at] = altered[at]! ^ 1;
  const ad = await pushBlob('tamper', altered);
  await putSigManifest('tamper', digest, { ...good, layers: [{ ...layer, ...ad }] });
  await expectFail('SIGNATURE_INVALID', /does not verify/);

  // a valid signature made for another image digest
  const otherDigest = await pushImage('tamper', 'v2', 'another');
  await signImage(target('tamper', 'v2'), signer);
  await putSigManifest('tamper', digest, await sigManifest('tamper', otherDigest));
  await expectFail('DIGEST_MISMATCH', new RegExp(`signature is for digest ${otherDigest}, the image is ${digest}`));

  // a flipped byte in the stored payload blob (on the registry's disk)
  await putSigManifest('tamper', digest, good);
  requireSigned(await verifyImage(target('tamper', 'v1'), [pub]), 'restored');
  const blob = join(reg.dir, 'blobs', 'sha256', layer.digest.slice(7, 9), layer.digest.slice(7));
  const bytes = await readFile(blob);
  bytes[5] = bytes[5]! ^ 1;
  await writeFile(blob, bytes);
  await expectFail('PAYLOAD_INVALID', /payload blob is corrupted|do not match the layer digest/);

  // unsigned image
  await pushImage('tamper', 'v3', 'unsigned');
  const v = await verifyImage(target('tamper', 'v3'), [pub]);
  assert.throws(() => requireSigned(v, 'tamper:v3'), { code: 'NO_SIGNATURES' });
});

test('CLI: key generate, sign, verify prints cosign payload JSON; failures exit 1', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sekisho-sign-'));
  try {
    const bin = join(process.cwd(), 'bin/sekisho.js');
    // async spawn: the registry runs in this process, so a synchronous spawn would deadlock
    const run = (args: string[], password = 'cli-pw') =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const c = spawn(process.execPath, [bin, ...args], {
          cwd: dir,
          env: { ...process.env, COSIGN_PASSWORD: password },
        });
        let stdout = '';
        let stderr = '';
        c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        c.on('error', reject);
        c.on('close', (status) => resolve({ status, stdout, stderr }));
      });
    const g = await run(['key', 'generate']);
    assert.equal(g.status, 0, g.stderr);
    assert.match(await readFile(join(dir, 'cosign.key'), 'utf8'), /ENCRYPTED SIGSTORE PRIVATE KEY/);
    const digest = await pushImage('cli', 'latest', 'cli');
    const image = `${reg.host}/cli:latest`;
    const s = await run(['sign', '--key', 'cosign.key', image]);
    assert.equal(s.status, 0, s.stderr);
    const v = await run(['verify', '--key', 'cosign.pub', image]);
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stderr, /The signatures were verified against the specified public key/);
    const out = JSON.parse(v.stdout) as { critical: { image: { 'docker-manifest-digest': string } } }[];
    assert.equal(out.length, 1);
    assert.equal(out[0]!.critical.image['docker-manifest-digest'], digest);

    await writeFile(join(dir, 'other.pub'), other.publicKeyPem);
    const bad = await run(['verify', '--key', 'other.pub', image]);
    assert.equal(bad.status, 1);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /^Error: SIGNATURE_INVALID: no matching signatures for .*does not verify/m);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
