// Image signatures stored as cosign stores them: a "simple signing" JSON payload per signature, kept as a
// layer (`application/vnd.dev.cosign.simplesigning.v1+json`) of an OCI manifest tagged `sha256-<hex>.sig`
// in the image's repository, with the base64 signature in the layer annotation
// `dev.cosignproject.cosign/signature`. New signatures are appended as new layers.
import { Readable } from 'node:stream';
import type { KeyObject } from 'node:crypto';
import {
  MediaType,
  OciError,
  digestOf,
  parseDigest,
  type Descriptor,
  type ImageManifest,
  type RegistryClient,
} from '../oci/index.ts';
import { SignError } from './errors.ts';
import { verifySignature, type Signer } from './keys.ts';
import { verifyImageBundles } from './bundle.ts';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';

export interface SimpleSigning {
  critical: {
    identity: { 'docker-reference': string };
    image: { 'docker-manifest-digest': string };
    type: string;
  };
  optional: Record<string, unknown> | null;
}

/** The repository name cosign writes as `docker-reference` (go-containerregistry's `Context().Name()`). */
export function dockerReference(registry: string, repository: string): string {
  return `${registry === 'docker.io' ? 'index.docker.io' : registry}/${repository}`;
}

/** cosign's payload bytes, field for field as Go's encoding/json writes them. */
export function simpleSigningPayload(dockerRef: string, digest: string, annotations?: Record<string, unknown>): Buffer {
  const p: SimpleSigning = {
    critical: {
      identity: { 'docker-reference': dockerRef },
      image: { 'docker-manifest-digest': digest },
      type: COSIGN_SIGNATURE_TYPE,
    },
    optional: annotations && Object.keys(annotations).length > 0 ? sortKeys(annotations) : null,
  };
  return Buffer.from(JSON.stringify(p));
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, o[k]]),
  );
}

/** The tag cosign keeps an image's signatures under: `sha256:abc` → `sha256-abc.sig`. */
export function signatureTag(digest: string, suffix = 'sig'): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm}-${hex}.${suffix}`;
}

export interface ImageTarget {
  client: RegistryClient;
  /** Registry host as in the reference (for docker-reference). */
  registry: string;
  repository: string;
  /** Tag or digest. */
  ref: string;
}

async function resolveDigest(t: ImageTarget): Promise<string> {
  if (t.ref.includes(':') && /^[a-z0-9]+:[a-f0-9]+$/.test(t.ref)) return t.ref;
  const d = await t.client.headManifest(t.repository, t.ref);
  if (!d) throw new OciError('MANIFEST_UNKNOWN', `${t.registry}/${t.repository}:${t.ref}: image not found`);
  return d.digest;
}

async function existingSignatureManifest(
  client: RegistryClient,
  repo: string,
  tag: string,
): Promise<ImageManifest | null> {
  try {
    const m = await client.getManifest(repo, tag);
    return JSON.parse(m.bytes.toString('utf8')) as ImageManifest;
  } catch (err) {
    if (err instanceof OciError && (err.code === 'MANIFEST_UNKNOWN' || err.status === 404)) return null;
    throw err;
  }
}

async function pushBytes(client: RegistryClient, repo: string, bytes: Buffer): Promise<Descriptor> {
  const desc = { digest: digestOf(bytes), size: bytes.length };
  await client.pushBlob(repo, desc, () => Readable.from([bytes]));
  return { mediaType: '', ...desc };
}

export interface SignImageResult {
  digest: string;
  signatureTag: string;
  /** Digest of the signature manifest now under the tag. */
  signatureManifest: string;
  payload: Buffer;
  signature: string;
  /** Signatures under the tag after this one was added. */
  count: number;
  /** False when an identical signature was already there (nothing pushed). */
  appended: boolean;
}

/** Signs an image: pushes the payload layer and appends it to the `.sig` manifest. */
export async function signImage(
  t: ImageTarget,
  signer: Signer,
  opts: { annotations?: Record<string, unknown> } = {},
): Promise<SignImageResult> {
  const digest = await resolveDigest(t);
  const payload = simpleSigningPayload(dockerReference(t.registry, t.repository), digest, opts.annotations);
  const signature = signer.signImagePayload(payload).toString('base64');
  const tag = signatureTag(digest);
  const layer = await pushBytes(t.client, t.repository, payload);
  layer.mediaType = SIMPLE_SIGNING_MEDIA_TYPE;
  layer.annotations = { [SIGNATURE_ANNOTATION]: signature };
  const prev = await existingSignatureManifest(t.client, t.repository, tag);
  const layers = prev?.layers ? [...prev.layers] : [];
  const dup = layers.some((l) => l.digest === layer.digest && l.annotations?.[SIGNATURE_ANNOTATION] === signature);
  if (dup && prev) {
    return {
      digest,
      signatureTag: tag,
      signatureManifest: digestOf(Buffer.from(JSON.stringify(prev))),
      payload,
      signature,
      count: layers.length,
      appended: false,
    };
  }
  layers.push(layer);
  // The config cosign writes for signature images: an empty image config whose diff_ids are the layers.
  const config = Buffer.from(
    JSON.stringify({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: layers.map(() => ({ created: '0001-01-01T00:00:00Z' })),
      os: '',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
      config: {},
    }),
  );
  const cfg = await pushBytes(t.client, t.repository, config);
  cfg.mediaType = MediaType.OciConfig;
  const manifest: ImageManifest = { schemaVersion: 2, mediaType: MediaType.OciManifest, config: cfg, layers };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const sigDigest = await t.client.putManifest(t.repository, tag, bytes, MediaType.OciManifest);
  return {
    digest,
    signatureTag: tag,
    signatureManifest: sigDigest,
    payload,
    signature,
    count: layers.length,
    appended: true,
  };
}

export interface VerifiedSignature {
  payload: SimpleSigning;
  payloadBytes: Buffer;
  signature: string;
  layerDigest: string;
}

export interface RejectedSignature {
  layer: number;
  layerDigest: string;
  /** Why: which check failed. */
  reason: string;
  code: 'SIGNATURE_INVALID' | 'PAYLOAD_INVALID' | 'DIGEST_MISMATCH';
}

export interface VerifyImageResult {
  digest: string;
  signatureTag: string;
  verified: VerifiedSignature[];
  rejected: RejectedSignature[];
  /** Sigstore bundle referrers found (undefined when they were not looked for). */
  bundles?: number;
}

/**
 * Checks one signature layer: the payload bytes match the layer digest, the signature verifies with one
 * of the keys, the payload is a cosign simple-signing claim, and it names the image's digest.
 */
export function checkSignatureLayer(
  keys: KeyObject[],
  imageDigest: string,
  layer: Descriptor,
  payloadBytes: Buffer,
  index = 0,
): VerifiedSignature | RejectedSignature {
  const reject = (code: RejectedSignature['code'], reason: string): RejectedSignature => ({
    layer: index,
    layerDigest: layer.digest,
    code,
    reason,
  });
  if (digestOf(payloadBytes, parseDigest(layer.digest).algorithm) !== layer.digest)
    return reject('PAYLOAD_INVALID', `payload bytes do not match the layer digest ${layer.digest}`);
  const b64 = layer.annotations?.[SIGNATURE_ANNOTATION];
  if (!b64) return reject('SIGNATURE_INVALID', `layer has no ${SIGNATURE_ANNOTATION} annotation`);
  const sig = Buffer.from(b64, 'base64');
  if (!keys.some((k) => verifySignature(k, payloadBytes, sig)))
    return reject(
      'SIGNATURE_INVALID',
      `signature does not verify with the ${keys.length === 1 ? 'given key' : `${keys.length} given keys`} (wrong key, or payload or signature altered)`,
    );
  let payload: SimpleSigning;
  try {
    payload = JSON.parse(payloadBytes.toString('utf8')) as SimpleSigning;
  } catch {
    return reject('PAYLOAD_INVALID', 'payload is not JSON');
  }
  if (payload?.critical?.type !== COSIGN_SIGNATURE_TYPE)
    return reject(
      'PAYLOAD_INVALID',
      `payload type is ${JSON.stringify(payload?.critical?.type)}, not "${COSIGN_SIGNATURE_TYPE}"`,
    );
  const claimed = payload.critical.image?.['docker-manifest-digest'];
  if (claimed !== imageDigest)
    return reject('DIGEST_MISMATCH', `signature is for digest ${claimed ?? '(none)'}, the image is ${imageDigest}`);
  return { payload, payloadBytes, signature: b64, layerDigest: layer.digest };
}

/**
 * Reads and checks every signature of an image — cosign's `.sig` tag and, unless `bundles` is false,
 * Sigstore bundles attached as referrers; does not throw on bad signatures (see `requireSigned`).
 */
export async function verifyImage(
  t: ImageTarget,
  keys: KeyObject[],
  opts: { bundles?: boolean } = {},
): Promise<VerifyImageResult> {
  const digest = await resolveDigest(t);
  const tag = signatureTag(digest);
  const m = await existingSignatureManifest(t.client, t.repository, tag);
  const result: VerifyImageResult = { digest, signatureTag: tag, verified: [], rejected: [] };
  if (opts.bundles !== false) {
    const b = await verifyImageBundles(t, digest, keys);
    result.bundles = b.found;
    result.verified.push(...b.verified);
    result.rejected.push(...b.rejected);
  }
  if (!m) return result;
  for (const [i, layer] of (m.layers ?? []).entries()) {
    if (layer.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE) continue;
    let bytes: Buffer;
    try {
      bytes = await t.client.getBlobBytes(t.repository, layer.digest, layer.size);
    } catch (err) {
      if (err instanceof OciError && (err.code === 'DIGEST_INVALID' || err.code === 'SIZE_INVALID')) {
        result.rejected.push({
          layer: i,
          layerDigest: layer.digest,
          code: 'PAYLOAD_INVALID',
          reason: `payload blob is corrupted: ${err.message}`,
        });
        continue;
      }
      throw err;
    }
    const r = checkSignatureLayer(keys, digest, layer, bytes, i);
    if ('reason' in r) result.rejected.push(r);
    else result.verified.push(r);
  }
  return result;
}

/** Throws unless at least one signature verified, with a message naming each rejected signature and why. */
export function requireSigned(r: VerifyImageResult, image: string): VerifiedSignature[] {
  if (r.verified.length > 0) return r.verified;
  if (r.rejected.length === 0)
    throw new SignError(
      'NO_SIGNATURES',
      `no signatures found for ${image} (looked for tag ${r.signatureTag}${r.bundles !== undefined ? ' and Sigstore bundle referrers' : ''})`,
    );
  const why = r.rejected
    .map((x) => (x.reason.startsWith('bundle') ? x.reason : `signature ${x.layer} (${x.layerDigest}): ${x.reason}`))
    .join('; ');
  throw new SignError(r.rejected[0]!.code, `no matching signatures for ${image}: ${why}`);
}
