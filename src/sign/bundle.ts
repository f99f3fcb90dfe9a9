// Image signatures as Sigstore bundles (v0.3 JSON, `application/vnd.dev.sigstore.bundle.v0.3+json`) stored
// as OCI 1.1 referrers, the way `cosign sign --new-bundle-format` stores them (cosign's BUNDLE_SPEC): the
// signature is a DSSE envelope over an in-toto Statement v1 whose subject is the image digest and whose
// predicateType is `https://sigstore.dev/cosign/sign/v1` (empty predicate); the bundle JSON is the single
// layer of an OCI manifest with that artifactType, the empty config and the image as `subject`, annotated
// with `dev.sigstore.bundle.content` / `.predicateType` and the creation time. Key-based bundles carry the
// key as `verificationMaterial.publicKey.hint` and no transparency-log entries (offline).
import { createHash, type KeyObject } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  MediaType,
  OciError,
  digestOf,
  parseDigest,
  type Descriptor,
  type ImageManifest,
  type RegistryClient,
} from '../oci/index.ts';
import {
  IN_TOTO_PAYLOAD_TYPE,
  IN_TOTO_STATEMENT_TYPES,
  IN_TOTO_STATEMENT_V1,
  signDsse,
  verifyDsse,
  type DsseEnvelope,
  type InTotoStatement,
} from './attestations.ts';
import type { Signer } from './keys.ts';
import { SignError } from './errors.ts';
import {
  dockerReference,
  type ImageTarget,
  type RejectedSignature,
  type SimpleSigning,
  type VerifiedSignature,
} from './image-signatures.ts';

export const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/** Older spellings of the v0.3 (and v0.2) media type that readers accept. */
export const BUNDLE_MEDIA_TYPES = [
  BUNDLE_V03_MEDIA_TYPE,
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
];
/** The predicate type of a cosign (v3 / --new-bundle-format) image signature. */
export const SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';
export const BUNDLE_CONTENT_ANNOTATION = 'dev.sigstore.bundle.content';
export const BUNDLE_PREDICATE_ANNOTATION = 'dev.sigstore.bundle.predicateType';
export const CREATED_ANNOTATION = 'org.opencontainers.image.created';
export const TITLE_ANNOTATION = 'org.opencontainers.image.title';
/** OCI's empty descriptor content (`{}`). */
export const EMPTY_JSON = Buffer.from('{}');

/** A Sigstore bundle v0.3 (protobuf-specs JSON form), the parts Sekisho writes and reads. */
export interface SigstoreBundle {
  mediaType: string;
  verificationMaterial: {
    publicKey?: { hint: string };
    certificate?: { rawBytes: string };
    x509CertificateChain?: { certificates: { rawBytes: string }[] };
    tlogEntries: unknown[];
    timestampVerificationData?: { rfc3161Timestamps?: unknown[] };
  };
  dsseEnvelope?: { payload: string; payloadType: string; signatures: { sig: string; keyid?: string }[] };
  messageSignature?: { messageDigest?: { algorithm: string; digest: string }; signature: string };
}

/** The key hint sigstore-go writes for a public key: base64 of the SHA-256 of its PKIX DER. */
export function keyHint(key: KeyObject): string {
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('base64');
}

/** Wraps a DSSE envelope signed with a key into a v0.3 bundle. */
export function dsseBundle(env: DsseEnvelope, key: KeyObject): SigstoreBundle {
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: { publicKey: { hint: keyHint(key) }, tlogEntries: [], timestampVerificationData: {} },
    dsseEnvelope: {
      payload: env.payload,
      payloadType: env.payloadType,
      signatures: env.signatures.map((s) => ({ sig: s.sig, keyid: s.keyid })),
    },
  };
}

async function pushBytes(
  client: RegistryClient,
  repo: string,
  bytes: Buffer,
): Promise<{ digest: string; size: number }> {
  const d = { digest: digestOf(bytes), size: bytes.length };
  await client.pushBlob(repo, d, () => Readable.from([bytes]));
  return d;
}

async function subjectOf(t: ImageTarget): Promise<Descriptor> {
  const d = await t.client.headManifest(t.repository, t.ref);
  if (!d) throw new OciError('MANIFEST_UNKNOWN', `${t.registry}/${t.repository}:${t.ref}: image not found`);
  return { mediaType: d.mediaType, digest: d.digest, size: d.size };
}

export interface SignBundleResult {
  digest: string;
  /** Digest of the referrer manifest holding the bundle. */
  referrer: string;
  bundle: SigstoreBundle;
}

/** Signs an image as `cosign sign --new-bundle-format` does and pushes the bundle as a referrer. */
export async function signImageBundle(
  t: ImageTarget,
  signer: Signer,
  opts: { now?: Date; predicateType?: string; predicate?: unknown; statement?: InTotoStatement } = {},
): Promise<SignBundleResult> {
  const subject = await subjectOf(t);
  const { algorithm, hex } = parseDigest(subject.digest);
  const statement: InTotoStatement = opts.statement ?? {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [{ name: dockerReference(t.registry, t.repository), digest: { [algorithm]: hex } }],
    predicateType: opts.predicateType ?? SIGN_PREDICATE_TYPE,
    predicate: opts.predicate ?? {},
  };
  const predicateType = statement.predicateType;
  if (!statement.subject?.some((s) => s.digest?.[algorithm] === hex))
    throw new SignError('DIGEST_MISMATCH', `the statement's subjects do not name the image ${subject.digest}`);
  const env = signDsse(Buffer.from(JSON.stringify(statement)), IN_TOTO_PAYLOAD_TYPE, signer);
  const bundle = dsseBundle(env, signer.publicKey);
  const bundleBytes = Buffer.from(JSON.stringify(bundle));
  const layer = await pushBytes(t.client, t.repository, bundleBytes);
  const config = await pushBytes(t.client, t.repository, EMPTY_JSON);
  const lp = parseDigest(layer.digest);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    artifactType: BUNDLE_V03_MEDIA_TYPE,
    config: { mediaType: MediaType.OciEmpty, ...config },
    layers: [
      {
        mediaType: BUNDLE_V03_MEDIA_TYPE,
        ...layer,
        annotations: { [TITLE_ANNOTATION]: `${lp.algorithm}-${lp.hex}.sigstore.json` },
      },
    ],
    subject,
    annotations: {
      [BUNDLE_CONTENT_ANNOTATION]: 'dsse-envelope',
      [BUNDLE_PREDICATE_ANNOTATION]: predicateType,
      [CREATED_ANNOTATION]: (opts.now ?? new Date()).toISOString(),
    },
  };
  const referrer = await t.client.putReferrer(
    t.repository,
    Buffer.from(JSON.stringify(manifest)),
    MediaType.OciManifest,
    subject.digest,
  );
  return { digest: subject.digest, referrer, bundle };
}

/**
 * Checks one bundle against the keys and the image digest: a v0.3-family media type, a DSSE envelope
 * whose signature verifies, an in-toto statement naming the digest, of the signing predicate type.
 */
export function checkBundle(
  keys: KeyObject[],
  imageDigest: string,
  bytes: Buffer,
  where: { index: number; digest: string },
  predicateType = SIGN_PREDICATE_TYPE,
): VerifiedSignature | RejectedSignature {
  const reject = (code: RejectedSignature['code'], reason: string): RejectedSignature => ({
    layer: where.index,
    layerDigest: where.digest,
    code,
    reason: `bundle: ${reason}`,
  });
  let b: SigstoreBundle;
  try {
    b = JSON.parse(bytes.toString('utf8')) as SigstoreBundle;
  } catch {
    return reject('PAYLOAD_INVALID', 'not JSON');
  }
  if (!BUNDLE_MEDIA_TYPES.includes(b?.mediaType))
    return reject('PAYLOAD_INVALID', `media type ${JSON.stringify(b?.mediaType)} is not a Sigstore bundle v0.3`);
  if (!b.dsseEnvelope)
    return reject('PAYLOAD_INVALID', 'holds a message signature, not a DSSE envelope (not an image signature)');
  const env: DsseEnvelope = {
    payload: b.dsseEnvelope.payload,
    payloadType: b.dsseEnvelope.payloadType,
    signatures: (b.dsseEnvelope.signatures ?? []).map((s) => ({ sig: s.sig, keyid: s.keyid ?? '' })),
  };
  const payload = verifyDsse(env, keys);
  if (!payload)
    return reject(
      'SIGNATURE_INVALID',
      `DSSE signature does not verify with the ${keys.length === 1 ? 'given key' : `${keys.length} given keys`} (wrong key, or statement or signature altered)`,
    );
  let st: InTotoStatement;
  try {
    st = JSON.parse(payload.toString('utf8')) as InTotoStatement;
  } catch {
    return reject('PAYLOAD_INVALID', 'statement is not JSON');
  }
  // image signatures are Statement v1; attestations may be v0.1 (cosign before v2.x wrote those)
  const types = predicateType === SIGN_PREDICATE_TYPE ? [IN_TOTO_STATEMENT_V1] : IN_TOTO_STATEMENT_TYPES;
  if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE || !types.includes(st?._type))
    return reject(
      'PAYLOAD_INVALID',
      `not an in-toto Statement ${types.length === 1 ? 'v1' : 'v1 or v0.1'} (${st?._type})`,
    );
  if (st.predicateType !== predicateType)
    return reject('PAYLOAD_INVALID', `predicate type is ${st.predicateType}, not ${predicateType}`);
  const subjects = (st.subject ?? []).flatMap((s) => Object.entries(s.digest ?? {}).map(([a, h]) => `${a}:${h}`));
  if (!subjects.includes(imageDigest))
    return reject(
      'DIGEST_MISMATCH',
      `statement is for ${subjects.join(', ') || '(no subject)'}, the image is ${imageDigest}`,
    );
  const name = st.subject.find((s) => Object.entries(s.digest).some(([a, h]) => `${a}:${h}` === imageDigest))?.name;
  const claim: SimpleSigning = {
    critical: {
      identity: { 'docker-reference': name ?? '' },
      image: { 'docker-manifest-digest': imageDigest },
      type: st.predicateType,
    },
    optional: {},
  };
  return { payload: claim, payloadBytes: payload, signature: env.signatures[0]?.sig ?? '', layerDigest: where.digest };
}

/** The bundles referring to an image digest, checked; bad ones rejected with reasons. */
export async function verifyImageBundles(
  t: ImageTarget,
  digest: string,
  keys: KeyObject[],
): Promise<{ verified: VerifiedSignature[]; rejected: RejectedSignature[]; found: number }> {
  const out = { verified: [] as VerifiedSignature[], rejected: [] as RejectedSignature[], found: 0 };
  const { manifests } = await t.client.referrers(t.repository, digest);
  const list = manifests.filter((m) => m.artifactType !== undefined && BUNDLE_MEDIA_TYPES.includes(m.artifactType));
  out.found = list.length;
  for (const [i, d] of list.entries()) {
    const rej = (code: RejectedSignature['code'], reason: string) =>
      out.rejected.push({ layer: i, layerDigest: d.digest, code, reason: `bundle referrer ${d.digest}: ${reason}` });
    let m: ImageManifest;
    try {
      const fetched = await t.client.getManifest(t.repository, d.digest);
      if (fetched.digest !== d.digest) throw new SignError('PAYLOAD_INVALID', 'manifest digest differs');
      m = JSON.parse(fetched.bytes.toString('utf8')) as ImageManifest;
    } catch (err) {
      if (err instanceof OciError && (err.code === 'MANIFEST_UNKNOWN' || err.code === 'DIGEST_INVALID')) {
        rej('PAYLOAD_INVALID', err.message);
        continue;
      }
      if (err instanceof SignError) {
        rej('PAYLOAD_INVALID', err.message);
        continue;
      }
      throw err;
    }
    const pt = m.annotations?.[BUNDLE_PREDICATE_ANNOTATION];
    if (pt !== undefined && pt !== SIGN_PREDICATE_TYPE) {
      out.found--; // an attestation, not an image signature
      continue;
    }
    if (m.subject?.digest !== digest) {
      rej('DIGEST_MISMATCH', `subject is ${m.subject?.digest ?? '(none)'}, the image is ${digest}`);
      continue;
    }
    const layer = m.layers?.[0];
    if (!layer || !BUNDLE_MEDIA_TYPES.includes(layer.mediaType)) {
      rej('PAYLOAD_INVALID', 'has no bundle layer');
      continue;
    }
    let bytes: Buffer;
    try {
      bytes = await t.client.getBlobBytes(t.repository, layer.digest, layer.size);
    } catch (err) {
      if (err instanceof OciError && (err.code === 'DIGEST_INVALID' || err.code === 'SIZE_INVALID')) {
        rej('PAYLOAD_INVALID', `bundle blob is corrupted: ${err.message}`);
        continue;
      }
      throw err;
    }
    const r = checkBundle(keys, digest, bytes, { index: i, digest: d.digest });
    if ('reason' in r)
      out.rejected.push({ ...r, reason: `bundle referrer ${d.digest}: ${r.reason.replace(/^bundle: /, '')}` });
    else out.verified.push(r);
  }
  return out;
}

/**
 * Verified in-toto statements from bundle referrers other than image signatures (attestations made with
 * `attest --new-bundle-format`), with the reasons the others were refused.
 */
export async function verifyBundleAttestations(
  t: ImageTarget,
  digest: string,
  keys: KeyObject[],
): Promise<{ statements: InTotoStatement[]; why: string[] }> {
  const out = { statements: [] as InTotoStatement[], why: [] as string[] };
  const { manifests } = await t.client.referrers(t.repository, digest);
  for (const d of manifests) {
    if (d.artifactType === undefined || !BUNDLE_MEDIA_TYPES.includes(d.artifactType)) continue;
    let m: ImageManifest;
    try {
      m = JSON.parse((await t.client.getManifest(t.repository, d.digest)).bytes.toString('utf8')) as ImageManifest;
    } catch (err) {
      out.why.push(`bundle referrer ${d.digest}: ${(err as Error).message}`);
      continue;
    }
    if (m.annotations?.[BUNDLE_PREDICATE_ANNOTATION] === SIGN_PREDICATE_TYPE) continue;
    const layer = m.layers?.[0];
    if (m.subject?.digest !== digest || !layer || !BUNDLE_MEDIA_TYPES.includes(layer.mediaType)) {
      out.why.push(`bundle referrer ${d.digest}: not a bundle for ${digest}`);
      continue;
    }
    let bytes: Buffer;
    try {
      bytes = await t.client.getBlobBytes(t.repository, layer.digest, layer.size);
    } catch (err) {
      out.why.push(`bundle referrer ${d.digest}: ${(err as Error).message}`);
      continue;
    }
    let predicateType = '';
    try {
      const b = JSON.parse(bytes.toString('utf8')) as SigstoreBundle;
      const st = JSON.parse(Buffer.from(b.dsseEnvelope?.payload ?? '', 'base64').toString('utf8')) as InTotoStatement;
      predicateType = st.predicateType;
    } catch {
      // checkBundle below reports it
    }
    const r = checkBundle(keys, digest, bytes, { index: 0, digest: d.digest }, predicateType || SIGN_PREDICATE_TYPE);
    if ('reason' in r) out.why.push(`bundle referrer ${d.digest}: ${r.reason.replace(/^bundle: /, '')}`);
    else out.statements.push(JSON.parse(r.payloadBytes.toString('utf8')) as InTotoStatement);
  }
  return out;
}
