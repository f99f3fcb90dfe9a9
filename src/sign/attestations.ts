// In-toto attestations in DSSE envelopes, attached as cosign attaches them: a layer of media type
// `application/vnd.dsse.envelope.v1+json` (the envelope JSON) in an OCI manifest tagged `sha256-<hex>.att`,
// appended like signatures. The DSSE signature is over PAE("DSSEv1", payloadType, payload).
import { Readable } from 'node:stream';
import type { KeyObject } from 'node:crypto';
import { MediaType, OciError, digestOf, type Descriptor, type ImageManifest } from '../oci/index.ts';
import { SignError } from './errors.ts';
import { verifySignature, type Signer } from './keys.ts';
import { signatureTag, type ImageTarget } from './image-signatures.ts';
import { verifyBundleAttestations } from './bundle.ts';

export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const PREDICATE_TYPE_ANNOTATION = 'predicateType';

export interface InTotoStatement {
  _type: string;
  subject: { name: string; digest: Record<string, string> }[];
  predicateType: string;
  predicate: unknown;
}

export interface DsseEnvelope {
  payloadType: string;
  payload: string;
  signatures: { keyid: string; sig: string }[];
}

/** DSSE's pre-authentication encoding. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const t = Buffer.from(payloadType);
  return Buffer.concat([Buffer.from(`DSSEv1 ${t.length} `), t, Buffer.from(` ${payload.length} `), payload]);
}

export function signDsse(payload: Buffer, payloadType: string, signer: Signer): DsseEnvelope {
  return {
    payloadType,
    payload: payload.toString('base64'),
    signatures: [{ keyid: '', sig: signer.sign(pae(payloadType, payload)).toString('base64') }],
  };
}

export function verifyDsse(env: DsseEnvelope, keys: KeyObject[]): Buffer | null {
  const payload = Buffer.from(env.payload ?? '', 'base64');
  const msg = pae(env.payloadType ?? '', payload);
  for (const s of env.signatures ?? [])
    if (keys.some((k) => verifySignature(k, msg, Buffer.from(s.sig ?? '', 'base64')))) return payload;
  return null;
}

/** The in-toto statement types cosign writes: v1, and v0.1 from cosign before v2.x. */
export const IN_TOTO_STATEMENT_TYPES = [IN_TOTO_STATEMENT_V1, 'https://in-toto.io/Statement/v0.1'];

/**
 * Checks one attestation envelope as cosign's verify-attestation does: the DSSE signature verifies with one
 * of the keys, the payload is an in-toto statement, and one of its subjects has exactly `digest`.
 */
export function checkAttestationEnvelope(
  env: DsseEnvelope,
  keys: KeyObject[],
  digest: string,
): { statement: InTotoStatement } | { why: string } {
  const payload = verifyDsse(env, keys);
  if (!payload) return { why: 'DSSE signature does not verify with the given key(s)' };
  let st: InTotoStatement;
  try {
    st = JSON.parse(payload.toString('utf8')) as InTotoStatement;
  } catch {
    return { why: 'the signed payload is not JSON' };
  }
  if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE || !IN_TOTO_STATEMENT_TYPES.includes(st?._type))
    return { why: `not an in-toto statement (${env.payloadType}, ${String(st?._type)})` };
  const subjects = (Array.isArray(st.subject) ? st.subject : []).flatMap((s) =>
    Object.entries(s?.digest ?? {}).map(([a, h]) => `${a}:${h}`),
  );
  if (!subjects.includes(digest)) return { why: `statement subject is not ${digest}` };
  return { statement: st };
}

async function resolve(t: ImageTarget): Promise<string> {
  if (/^[a-z0-9]+:[a-f0-9]+$/.test(t.ref)) return t.ref;
  const d = await t.client.headManifest(t.repository, t.ref);
  if (!d) throw new OciError('MANIFEST_UNKNOWN', `${t.registry}/${t.repository}:${t.ref}: image not found`);
  return d.digest;
}

async function getManifestOrNull(t: ImageTarget, tag: string): Promise<ImageManifest | null> {
  try {
    return JSON.parse((await t.client.getManifest(t.repository, tag)).bytes.toString('utf8')) as ImageManifest;
  } catch (err) {
    if (err instanceof OciError && (err.code === 'MANIFEST_UNKNOWN' || err.status === 404)) return null;
    throw err;
  }
}

async function push(t: ImageTarget, bytes: Buffer): Promise<{ digest: string; size: number }> {
  const d = { digest: digestOf(bytes), size: bytes.length };
  await t.client.pushBlob(t.repository, d, () => Readable.from([bytes]));
  return d;
}

/** Signs an in-toto statement into a DSSE envelope (what `.att` layers and `.intoto.jsonl` files hold). */
export function signStatement(statement: InTotoStatement, signer: Signer): DsseEnvelope {
  return signDsse(Buffer.from(JSON.stringify(statement)), IN_TOTO_PAYLOAD_TYPE, signer);
}

/** Attests an image: an in-toto statement with `predicate`, signed in DSSE, appended under `.att`. */
export async function attestImage(
  t: ImageTarget,
  signer: Signer,
  predicateType: string,
  predicate: unknown,
): Promise<{ digest: string; tag: string; count: number }> {
  const digest = await resolve(t);
  const [alg, hex] = digest.split(':') as [string, string];
  return attestStatement(
    t,
    signer,
    {
      _type: IN_TOTO_STATEMENT_V1,
      subject: [{ name: `${t.registry}/${t.repository}`, digest: { [alg]: hex } }],
      predicateType,
      predicate,
    },
    digest,
  );
}

/**
 * Appends a ready statement (one of whose subjects must be the image's digest) under `.att`, signed in
 * DSSE, as cosign does.
 */
export async function attestStatement(
  t: ImageTarget,
  signer: Signer,
  statement: InTotoStatement,
  resolved?: string,
): Promise<{ digest: string; tag: string; count: number }> {
  const digest = resolved ?? (await resolve(t));
  if (!statement.subject?.some((s) => Object.entries(s.digest ?? {}).some(([a, h]) => `${a}:${h}` === digest)))
    throw new SignError('DIGEST_MISMATCH', `the statement's subjects do not name the image ${digest}`);
  const predicateType = statement.predicateType;
  const env = Buffer.from(JSON.stringify(signStatement(statement, signer)));
  const layer: Descriptor = {
    mediaType: DSSE_MEDIA_TYPE,
    ...(await push(t, env)),
    annotations: { 'dev.cosignproject.cosign/signature': '', [PREDICATE_TYPE_ANNOTATION]: predicateType },
  };
  const tag = signatureTag(digest, 'att');
  const prev = await getManifestOrNull(t, tag);
  const layers = [...(prev?.layers ?? []).filter((l) => l.digest !== layer.digest), layer];
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
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, ...(await push(t, config)) },
    layers,
  };
  await t.client.putManifest(t.repository, tag, Buffer.from(JSON.stringify(manifest)), MediaType.OciManifest);
  return { digest, tag, count: layers.length };
}

/**
 * Verified statements of an image (optionally of one predicate type), from the `.att` tag and from Sigstore
 * bundle referrers; throws with reasons when none.
 */
export async function verifyAttestations(
  t: ImageTarget,
  keys: KeyObject[],
  predicateType?: string,
): Promise<InTotoStatement[]> {
  const digest = await resolve(t);
  const tag = signatureTag(digest, 'att');
  const m = await getManifestOrNull(t, tag);
  const ok: InTotoStatement[] = [];
  const why: string[] = [];
  const fromBundles = await verifyBundleAttestations(t, digest, keys);
  why.push(...fromBundles.why);
  for (const st of fromBundles.statements) if (!predicateType || st.predicateType === predicateType) ok.push(st);
  for (const [i, l] of (m?.layers ?? []).entries()) {
    if (l.mediaType !== DSSE_MEDIA_TYPE) continue;
    let env: DsseEnvelope;
    try {
      env = JSON.parse((await t.client.getBlobBytes(t.repository, l.digest, l.size)).toString('utf8')) as DsseEnvelope;
    } catch (err) {
      why.push(`attestation ${i}: unreadable envelope: ${(err as Error).message}`);
      continue;
    }
    const r = checkAttestationEnvelope(env, keys, digest);
    if ('why' in r) {
      why.push(`attestation ${i}: ${r.why}`);
      continue;
    }
    if (predicateType && r.statement.predicateType !== predicateType) continue;
    ok.push(r.statement);
  }
  if (ok.length === 0)
    throw new SignError(
      why.length ? 'SIGNATURE_INVALID' : 'NO_SIGNATURES',
      why.length
        ? `no matching attestations for ${digest}: ${why.join('; ')}`
        : `no attestations${predicateType ? ` of type ${predicateType}` : ''} found for ${digest} (tag ${tag}, bundle referrers)`,
    );
  return ok;
}
