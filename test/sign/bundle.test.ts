// Sigstore bundles (v0.3) as OCI 1.1 referrers, as `cosign sign --new-bundle-format` stores them: the
// referrer layout of cosign's BUNDLE_SPEC, verification by `sekisho verify` beside the .sig tag, every
// tampering case, and acceptance of Sekisho's bundles by sigstore-js's own verifier (@sigstore/verify,
// offline, key-based, all thresholds 0).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleFromJSON, bundleToJSON, toDSSEBundle } from '@sigstore/bundle';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { MediaType, RegistryClient, digestOf, type ImageManifest } from '../../src/oci/index.ts';
import {
  BUNDLE_V03_MEDIA_TYPE,
  SIGN_PREDICATE_TYPE,
  checkBundle,
  pae,
  keyHint,
  requireSigned,
  signImage,
  signImageBundle,
  verifyAttestations,
  verifyImage,
  type ImageTarget,
  type SigstoreBundle,
} from '../../src/sign/index.ts';
import { startEmbedded, type EmbeddedRegistry } from '../oci/helpers.ts';
import { pushBlob, pushImage, runCli, testKey, type TestKey } from './helpers.ts';

const key = testKey();
const other = testKey();
let reg: EmbeddedRegistry;
let client: RegistryClient;
const target = (repo: string, ref: string): ImageTarget => ({ client, registry: reg.host, repository: repo, ref });

before(async () => {
  reg = await startEmbedded();
  client = new RegistryClient({ host: reg.host });
});
after(async () => {
  await reg.close();
});

/** sigstore-js's verifier with only our public key as trust material (no Fulcio, Rekor or TSA). */
function sigstoreVerify(bundleJson: unknown, k: TestKey): void {
  const bundle = bundleFromJSON(bundleJson);
  const trust = toTrustMaterial(
    {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [],
      ctlogs: [],
      certificateAuthorities: [],
      timestampAuthorities: [],
    },
    (hint: string) => {
      if (hint !== keyHint(k.pub)) throw new Error(`unknown key hint ${hint}`);
      return { publicKey: k.pub, validFor: () => true };
    },
  );
  new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(toSignedEntity(bundle));
}

async function bundleOf(repo: string, referrer: string): Promise<{ manifest: ImageManifest; bundle: SigstoreBundle }> {
  const manifest = JSON.parse((await client.getManifest(repo, referrer)).bytes.toString('utf8')) as ImageManifest;
  const bytes = await client.getBlobBytes(repo, manifest.layers[0]!.digest);
  return { manifest, bundle: JSON.parse(bytes.toString('utf8')) as SigstoreBundle };
}

/** Pushes `bundle` as another referrer of `subject` (what an attacker with push rights could do). */
async function pushBundleReferrer(repo: string, subject: ImageManifest['subject'], bundle: unknown): Promise<string> {
  const layer = await pushBlob(client, repo, Buffer.from(JSON.stringify(bundle)));
  const config = await pushBlob(client, repo, Buffer.from('{}'));
  const m: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    artifactType: BUNDLE_V03_MEDIA_TYPE,
    config: { mediaType: MediaType.OciEmpty, ...config },
    layers: [{ mediaType: BUNDLE_V03_MEDIA_TYPE, ...layer }],
    ...(subject ? { subject } : {}),
  };
  return client.putReferrer(repo, Buffer.from(JSON.stringify(m)), MediaType.OciManifest, subject!.digest);
}

test('the bundle is stored as cosign --new-bundle-format stores it, and verifies (also by @sigstore/verify)', async () => {
  const digest = await pushImage(client, 'app', 'v1', 'one');
  const r = await signImageBundle(target('app', 'v1'), key.signer, { now: new Date('2026-01-02T03:04:05Z') });
  assert.equal(r.digest, digest);
  const { manifest, bundle } = await bundleOf('app', r.referrer);
  assert.equal(manifest.artifactType, BUNDLE_V03_MEDIA_TYPE);
  assert.deepEqual(manifest.config, {
    mediaType: 'application/vnd.oci.empty.v1+json',
    digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
    size: 2,
  });
  assert.equal(manifest.subject?.digest, digest);
  assert.equal(manifest.layers.length, 1);
  assert.equal(manifest.layers[0]!.mediaType, BUNDLE_V03_MEDIA_TYPE);
  assert.equal(
    manifest.layers[0]!.annotations?.['org.opencontainers.image.title'],
    `sha256-${manifest.layers[0]!.digest.slice(7)}.sigstore.json`,
  );
  assert.deepEqual(manifest.annotations, {
    'dev.sigstore.bundle.content': 'dsse-envelope',
    'dev.sigstore.bundle.predicateType': SIGN_PREDICATE_TYPE,
    'org.opencontainers.image.created': '2026-01-02T03:04:05.000Z',
  });
  // the referrers API lists it with its artifactType
  const refs = await client.referrers('app', digest, BUNDLE_V03_MEDIA_TYPE);
  assert.deepEqual(
    refs.manifests.map((m) => m.digest),
    [r.referrer],
  );
  // the bundle: v0.3, key hint, no tlog entries, a DSSE in-toto statement naming the digest
  assert.equal(bundle.mediaType, BUNDLE_V03_MEDIA_TYPE);
  assert.deepEqual(bundle.verificationMaterial.publicKey, { hint: keyHint(key.pub) });
  assert.deepEqual(bundle.verificationMaterial.tlogEntries, []);
  const st = JSON.parse(Buffer.from(bundle.dsseEnvelope!.payload, 'base64').toString('utf8'));
  assert.deepEqual(st, {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: `${reg.host}/app`, digest: { sha256: digest.slice(7) } }],
    predicateType: SIGN_PREDICATE_TYPE,
    predicate: {},
  });
  sigstoreVerify(bundle, key);
  assert.throws(() => sigstoreVerify(bundle, { ...other, pub: other.pub }), /unknown key hint|signature/);

  const v = await verifyImage(target('app', 'v1'), [key.pub]);
  assert.equal(v.bundles, 1);
  const ok = requireSigned(v, 'app:v1');
  assert.equal(ok.length, 1);
  assert.equal(ok[0]!.payload.critical.type, SIGN_PREDICATE_TYPE);
  assert.equal(ok[0]!.payload.critical.image['docker-manifest-digest'], digest);
});

test('both formats on one image verify; tampered, foreign and wrong-key bundles are refused with reasons', async () => {
  const digest = await pushImage(client, 'tamper', 'v1', 'two');
  const r = await signImageBundle(target('tamper', 'v1'), key.signer);
  await signImage(target('tamper', 'v1'), key.signer);
  assert.equal((await verifyImage(target('tamper', 'v1'), [key.pub])).verified.length, 2);

  const { manifest, bundle } = await bundleOf('tamper', r.referrer);
  const clean = await pushImage(client, 'tamper', 'v2', 'three');
  const subject = { mediaType: MediaType.OciManifest, digest: clean, size: 1 };
  const expect = async (b: unknown, code: string, re: RegExp, sigstore = true) => {
    const ref = await pushBundleReferrer(
      'tamper',
      { ...subject, size: (await client.headManifest('tamper', clean))!.size },
      b,
    );
    const v = await verifyImage(target('tamper', clean), [key.pub]);
    assert.throws(
      () => requireSigned(v, 'tamper:v2'),
      (e: Error & { code?: string }) => e.code === code && re.test(e.message) && e.message.includes(ref),
    );
    if (sigstore) assert.throws(() => sigstoreVerify(b, key));
    await client.deleteManifest('tamper', ref);
  };
  // a flipped byte in the statement
  const st = Buffer.from(bundle.dsseEnvelope!.payload, 'base64');
  st[st.length - 3] = st[st.length - 3]! ^ 1;
  await expect(
    { ...bundle, dsseEnvelope: { ...bundle.dsseEnvelope!, payload: st.toString('base64') } },
    'SIGNATURE_INVALID',
    /DSSE signature does not verify/,
  );
  // a flipped byte in the signature
  const sig = Buffer.from(bundle.dsseEnvelope!.signatures[0]!.sig, 'base64');
  sig[10] = sig[10]! ^ 1;
  await expect(
    { ...bundle, dsseEnvelope: { ...bundle.dsseEnvelope!, signatures: [{ sig: sig.toString('base64'), keyid: '' }] } },
    'SIGNATURE_INVALID',
    /DSSE signature does not verify/,
  );
  // a valid bundle for another digest, attached to this image
  await expect(bundle, 'DIGEST_MISMATCH', new RegExp(`statement is for ${digest}, the image is ${clean}`), false);
  // not a bundle media type
  await expect({ ...bundle, mediaType: 'application/json' }, 'PAYLOAD_INVALID', /not a Sigstore bundle v0\.3/);
  // wrong key
  const w = await verifyImage(target('tamper', 'v1'), [other.pub]);
  assert.throws(() => requireSigned(w, 'tamper:v1'), { code: 'SIGNATURE_INVALID' });
  assert.equal(manifest.subject?.digest, digest);
  assert.equal(digestOf(Buffer.from('{}')), 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
});

test('CLI: sign --new-bundle-format, verify reads it (cosign v3 output shape)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sekisho-bundle-'));
  try {
    await writeFile(join(dir, 'cosign.key'), key.privateKeyPem);
    await writeFile(join(dir, 'cosign.pub'), key.publicKeyPem);
    const digest = await pushImage(client, 'cli', 'v1', 'cli');
    const image = `${reg.host}/cli:v1`;
    const env = { COSIGN_PASSWORD: 'pw' };
    const s = await runCli(['sign', '--new-bundle-format', '--key', 'cosign.key', image], { cwd: dir, env });
    assert.equal(s.status, 0, s.stderr);
    assert.match(s.stderr, /Pushing Sigstore bundle to: .*cli@sha256:[0-9a-f]{64} \(referrer of sha256:/);
    const v = await runCli(['verify', '--key', 'cosign.pub', image], { cwd: dir, env });
    assert.equal(v.status, 0, v.stderr);
    const out = JSON.parse(v.stdout) as { critical: { type: string; image: { 'docker-manifest-digest': string } } }[];
    assert.deepEqual(
      out.map((o) => [o.critical.type, o.critical.image['docker-manifest-digest']]),
      [[SIGN_PREDICATE_TYPE, digest]],
    );
    await writeFile(join(dir, 'pred.json'), JSON.stringify({ builder: { id: 'sekisho' } }));
    const a = await runCli(
      [
        'attest',
        '--new-bundle-format',
        '--key',
        'cosign.key',
        '--type',
        'slsaprovenance1',
        '--predicate',
        'pred.json',
        image,
      ],
      { cwd: dir, env },
    );
    assert.equal(a.status, 0, a.stderr);
    const va = await runCli(['verify-attestation', '--key', 'cosign.pub', '--type', 'slsaprovenance1', image], {
      cwd: dir,
      env,
    });
    assert.equal(va.status, 0, va.stderr);
    assert.deepEqual(JSON.parse(va.stdout).predicate, { builder: { id: 'sekisho' } });
    // the attestation is not counted as an image signature
    const v2 = await runCli(['verify', '--key', 'cosign.pub', image], { cwd: dir, env });
    assert.equal((JSON.parse(v2.stdout) as unknown[]).length, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('attestations as bundles: attest --new-bundle-format shape, verify-attestation reads them, verify ignores them', async () => {
  const digest = await pushImage(client, 'att', 'v1', 'att');
  const t = target('att', 'v1');
  const r = await signImageBundle(t, key.signer, {
    predicateType: 'https://slsa.dev/provenance/v1',
    predicate: { buildDefinition: { buildType: 'https://sekisho.dev/build/v1' } },
  });
  const { manifest, bundle } = await bundleOf('att', r.referrer);
  assert.equal(manifest.annotations?.['dev.sigstore.bundle.predicateType'], 'https://slsa.dev/provenance/v1');
  sigstoreVerify(bundle, key);
  const st = await verifyAttestations(t, [key.pub], 'https://slsa.dev/provenance/v1');
  assert.equal(st.length, 1);
  assert.deepEqual(st[0]!.subject[0]!.digest, { sha256: digest.slice(7) });
  await assert.rejects(verifyAttestations(t, [other.pub]), { code: 'SIGNATURE_INVALID' });
  await assert.rejects(verifyAttestations(t, [key.pub], 'https://cyclonedx.org/bom'), { code: 'NO_SIGNATURES' });
  // not an image signature: verify finds no signatures (and says so) rather than a bad one
  const v = await verifyImage(t, [key.pub]);
  assert.deepEqual([v.verified.length, v.rejected.length, v.bundles], [0, 0, 0]);
});

test('a bundle built by sigstore-js (@sigstore/bundle toDSSEBundle) is read by Sekisho', () => {
  const digest = 'sha256:' + 'ab'.repeat(32);
  const statement = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'registry.local/app', digest: { sha256: 'ab'.repeat(32) } }],
      predicateType: SIGN_PREDICATE_TYPE,
      predicate: {},
    }),
  );
  const type = 'application/vnd.in-toto+json';
  const b = bundleToJSON(
    toDSSEBundle({
      artifact: statement,
      artifactType: type,
      signature: key.signer.sign(pae(type, statement)),
      keyHint: keyHint(key.pub),
    }),
  );
  const bytes = Buffer.from(JSON.stringify(b));
  const ok = checkBundle([key.pub], digest, bytes, { index: 0, digest: 'sha256:x' });
  assert.ok(!('reason' in ok), JSON.stringify(ok));
  const bad = checkBundle([other.pub], digest, bytes, { index: 0, digest: 'sha256:x' });
  assert.equal('reason' in bad && bad.code, 'SIGNATURE_INVALID');
  sigstoreVerify(b, key);
});
