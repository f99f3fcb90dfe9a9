// What is attached to an image, read rather than listed: signatures from cosign's `.sig` tag (simple-signing
// payloads, keyless certificates) and from Sigstore bundle referrers (key hint, certificate identity),
// attestations from the `.att` tag, bundle referrers and DSSE referrers (predicate types, key ids), and the
// vulnerability summary of the newest scan report attached as a referrer (Sekisho/Trivy JSON, SARIF,
// CycloneDX with vulnerabilities) or carried by a cosign vuln attestation. Signatures are checked against the
// public keys the platform knows (the AppProjects' image verification keys) with the gates' own checks
// (src/sign), to say which of those keys made them; anything else is what the attachment claims.
import { X509Certificate, createHash, type KeyObject } from 'node:crypto';
import { parseManifest, type Descriptor } from '../oci/index.ts';
import { SEVERITIES } from '../scan/index.ts';
import {
  BUNDLE_MEDIA_TYPES,
  BUNDLE_PREDICATE_ANNOTATION,
  DSSE_MEDIA_TYPE,
  SIGNATURE_ANNOTATION,
  SIGN_PREDICATE_TYPE,
  SIMPLE_SIGNING_MEDIA_TYPE,
  checkBundle,
  checkSignatureLayer,
  signatureTag,
} from '../sign/index.ts';
import type { KubeClient } from '../kube/index.ts';
import { resolvePublicKey } from '../sign/index.ts';
import type { ImageSource } from './image-source.ts';
import type { Schema } from './route.ts';
import { rec, str } from './route.ts';

type Obj = Record<string, unknown>;

const MAX_SMALL = 1024 * 1024;
const MAX_REPORT = 32 * 1024 * 1024;
const CERT_ANNOTATION = 'dev.sigstore.cosign/certificate';
const VULN_PREDICATE = 'https://cosign.sigstore.dev/attestation/vuln/v1';
const SCAN_REPORT_TYPES = [
  'application/vnd.sekisho.scan-report.v1+json',
  'application/sarif+json',
  'application/vnd.cyclonedx+json',
];

export interface SignatureInfo {
  kind: 'cosign' | 'bundle';
  via: 'tag' | 'referrers';
  /** the .sig tag or the referrer manifest digest */
  source: string;
  digest: string;
  /** who: the certificate's identity (e-mail / URI), or a signer annotation of the payload */
  signer?: string;
  issuer?: string;
  /** key id: the bundle's public key hint, the DSSE keyid, or the certificate's SHA-256 fingerprint */
  keyId?: string;
  /** the payload names this image's digest */
  matchesImage?: boolean;
  /** the known key that verifies it (name given by the caller, e.g. "AppProject demo"), when one does */
  verifiedBy?: string;
  created?: string;
  annotations?: Record<string, string>;
}

/** A public key the platform knows, by the name shown for it. */
export interface KnownKey {
  name: string;
  key: KeyObject;
}

/** sha256:<hex> of the key's SubjectPublicKeyInfo. */
export function keyFingerprint(key: KeyObject): string {
  return `sha256:${createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex')}`;
}

export interface AttestationInfo {
  predicateType: string;
  via: 'tag' | 'referrers';
  source: string;
  digest: string;
  keyId?: string;
  signer?: string;
}

export interface VulnerabilitySummary {
  /** where the counts come from */
  source: { digest: string; artifactType: string; via: 'referrers' | 'attestation'; created?: string };
  total: number;
  bySeverity: Record<string, number>;
  /** findings with a fixed version known */
  fixable?: number;
  scanner?: string;
}

export const supplyChainSchema: Schema = {
  type: 'object',
  required: ['digest', 'signatures', 'attestations', 'vulnerabilities'],
  properties: {
    repository: { type: 'string' },
    digest: { type: 'string' },
    signatures: {
      type: 'array',
      items: {
        type: 'object',
        required: ['kind', 'via', 'source', 'digest'],
        properties: {
          kind: { type: 'string', enum: ['cosign', 'bundle'] },
          via: { type: 'string', enum: ['tag', 'referrers'] },
          source: { type: 'string' },
          digest: { type: 'string' },
          signer: { type: 'string' },
          issuer: { type: 'string' },
          keyId: { type: 'string' },
          matchesImage: { type: 'boolean' },
          verifiedBy: { type: 'string', description: 'the known key (AppProject image verification) that verifies it' },
          created: { type: 'string' },
          annotations: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
    },
    attestations: {
      type: 'array',
      items: {
        type: 'object',
        required: ['predicateType', 'via', 'source', 'digest'],
        properties: {
          predicateType: { type: 'string' },
          via: { type: 'string', enum: ['tag', 'referrers'] },
          source: { type: 'string' },
          digest: { type: 'string' },
          keyId: { type: 'string' },
          signer: { type: 'string' },
        },
      },
    },
    vulnerabilities: {
      type: 'object',
      nullable: true,
      required: ['source', 'total', 'bySeverity'],
      properties: {
        source: {
          type: 'object',
          required: ['digest', 'artifactType', 'via'],
          properties: {
            digest: { type: 'string' },
            artifactType: { type: 'string' },
            via: { type: 'string', enum: ['referrers', 'attestation'] },
            created: { type: 'string' },
          },
        },
        total: { type: 'integer' },
        bySeverity: { type: 'object', additionalProperties: { type: 'integer' } },
        fixable: { type: 'integer' },
        scanner: { type: 'string' },
      },
    },
    errors: { type: 'array', items: { type: 'string' }, description: 'attachments that could not be read' },
  },
};

function certIdentity(pemOrDer: string | Buffer): { signer?: string; issuer?: string; keyId: string } | undefined {
  try {
    const c = new X509Certificate(pemOrDer);
    const san = c.subjectAltName ?? '';
    const m = /(?:email|URI):([^,\s]+)/.exec(san);
    const issuer = /O=([^\n,]+)/.exec(c.issuer)?.[1] ?? c.issuer.split('\n')[0];
    return {
      ...(m?.[1] ? { signer: m[1] } : c.subject ? { signer: c.subject.split('\n').join(', ') } : {}),
      ...(issuer ? { issuer } : {}),
      keyId: `sha256:${c.fingerprint256.replaceAll(':', '').toLowerCase()}`,
    };
  } catch {
    return undefined;
  }
}

function jsonOf(b: Buffer | null): Obj | undefined {
  if (!b) return undefined;
  try {
    return rec(JSON.parse(b.toString('utf8')));
  } catch {
    return undefined;
  }
}

function emptyCounts(): Record<string, number> {
  return Object.fromEntries([...SEVERITIES].reverse().map((s) => [s, 0]));
}

/** Counts findings of a report: Trivy/Sekisho JSON, SARIF, or CycloneDX with vulnerabilities. */
export function countVulnerabilities(doc: Obj): Omit<VulnerabilitySummary, 'source'> | undefined {
  const by = emptyCounts();
  const sev = (s: unknown) => {
    const k = String(s ?? 'UNKNOWN').toUpperCase();
    by[k in by ? k : 'UNKNOWN'] = (by[k in by ? k : 'UNKNOWN'] ?? 0) + 1;
  };
  if (Array.isArray(doc.Results)) {
    let fixable = 0;
    for (const r of doc.Results)
      for (const v of (rec(r).Vulnerabilities as unknown[] | undefined) ?? []) {
        sev(rec(v).Severity);
        if (rec(v).FixedVersion) fixable++;
      }
    const total = Object.values(by).reduce((a, b) => a + b, 0);
    return { total, bySeverity: by, fixable, scanner: 'sekisho scan (Trivy JSON)' };
  }
  if (Array.isArray(doc.runs)) {
    let scanner: string | undefined;
    for (const run of doc.runs) {
      const driver = rec(rec(rec(run).tool).driver);
      scanner ??= str(driver.name);
      const rules = new Map<string, Obj>();
      for (const r of (driver.rules as unknown[] | undefined) ?? []) rules.set(String(rec(r).id), rec(r));
      for (const res of (rec(run).results as unknown[] | undefined) ?? []) {
        const tags = (rec(rules.get(String(rec(res).ruleId))?.properties).tags as unknown[] | undefined) ?? [];
        const t = tags.map((x) => String(x).toUpperCase()).find((x) => (SEVERITIES as string[]).includes(x));
        sev(
          t ??
            ({ error: 'HIGH', warning: 'MEDIUM', note: 'LOW' } as Record<string, string>)[String(rec(res).level)] ??
            'UNKNOWN',
        );
      }
    }
    return { total: Object.values(by).reduce((a, b) => a + b, 0), bySeverity: by, ...(scanner ? { scanner } : {}) };
  }
  if (Array.isArray(doc.vulnerabilities)) {
    for (const v of doc.vulnerabilities) {
      const ratings = (rec(v).ratings as unknown[] | undefined) ?? [];
      sev(str(rec(ratings[0]).severity) ?? 'UNKNOWN');
    }
    return { total: doc.vulnerabilities.length, bySeverity: by, scanner: 'CycloneDX' };
  }
  return undefined;
}

/** Signatures, attestations and vulnerability summary of one image manifest. */
export async function supplyChain(
  src: ImageSource,
  repo: string,
  digest: string,
  known: KnownKey[] = [],
): Promise<{
  digest: string;
  signatures: SignatureInfo[];
  attestations: AttestationInfo[];
  vulnerabilities: VulnerabilitySummary | null;
  errors?: string[];
}> {
  const signatures: SignatureInfo[] = [];
  const attestations: AttestationInfo[] = [];
  const errors: string[] = [];
  const reports: { d: Descriptor; created: string }[] = [];
  let vulnFromAttestation: VulnerabilitySummary | undefined;

  // 1. cosign's .sig tag: one layer per signature, the simple-signing payload as the blob
  const sigTag = signatureTag(digest);
  const sig = await src.getManifest(repo, sigTag);
  if (sig) {
    const layers = (parseManifest(sig.bytes, sig.mediaType).manifest as { layers?: Descriptor[] }).layers ?? [];
    for (const l of layers) {
      if (l.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE) continue;
      const anns = l.annotations ?? {};
      const info: SignatureInfo = { kind: 'cosign', via: 'tag', source: sigTag, digest: l.digest };
      const bytes = await src.getBlob(repo, l.digest, MAX_SMALL).catch(() => null);
      const payload = jsonOf(bytes);
      if (bytes)
        for (const k of known)
          if (!('code' in checkSignatureLayer([k.key], digest, l, bytes))) {
            info.verifiedBy = k.name;
            info.keyId = keyFingerprint(k.key);
            break;
          }
      if (payload) {
        info.matchesImage = str(rec(rec(payload.critical).image)['docker-manifest-digest']) === digest;
        const optional = rec(payload.optional);
        const who = str(optional.signer) ?? str(optional.creator) ?? str(optional.by);
        if (who) info.signer = who;
        const strs = Object.entries(optional).filter(([, v]) => typeof v === 'string') as [string, string][];
        if (strs.length) info.annotations = Object.fromEntries(strs);
      } else errors.push(`signature payload ${l.digest} is not readable JSON`);
      const cert = anns[CERT_ANNOTATION];
      if (cert) {
        const id = certIdentity(cert);
        if (id) Object.assign(info, { ...id, ...(info.keyId ? { keyId: info.keyId } : {}) });
      }
      if (!anns[SIGNATURE_ANNOTATION]) errors.push(`signature layer ${l.digest} has no ${SIGNATURE_ANNOTATION}`);
      signatures.push(info);
    }
  }

  // 2. cosign's .att tag: DSSE envelopes with their predicate type
  const attTag = signatureTag(digest, 'att');
  const att = await src.getManifest(repo, attTag);
  if (att) {
    const layers = (parseManifest(att.bytes, att.mediaType).manifest as { layers?: Descriptor[] }).layers ?? [];
    for (const l of layers) {
      if (l.mediaType !== DSSE_MEDIA_TYPE) continue;
      const env = jsonOf(await src.getBlob(repo, l.digest, MAX_REPORT).catch(() => null));
      const statement = env ? jsonOf(Buffer.from(String(env.payload ?? ''), 'base64')) : undefined;
      const predicateType = l.annotations?.predicateType ?? str(statement?.predicateType) ?? 'unknown';
      const keyId = str(rec((env?.signatures as unknown[] | undefined)?.[0]).keyid);
      attestations.push({
        predicateType,
        via: 'tag',
        source: attTag,
        digest: l.digest,
        ...(keyId ? { keyId } : {}),
      });
      if (predicateType === VULN_PREDICATE && statement && !vulnFromAttestation) {
        const pred = rec(statement.predicate);
        const result = rec(rec(pred.scanner).result);
        const counted = countVulnerabilities(Object.keys(result).length ? result : pred);
        if (counted)
          vulnFromAttestation = {
            source: { digest: l.digest, artifactType: VULN_PREDICATE, via: 'attestation' },
            ...counted,
            ...(str(rec(pred.scanner).uri) ? { scanner: str(rec(pred.scanner).uri)! } : {}),
          };
      }
    }
  }

  // 3. OCI 1.1 referrers: Sigstore bundles (signatures or attestations), DSSE attestations, scan reports
  for (const d of await src.referrers(repo, digest)) {
    const t = d.artifactType ?? '';
    const anns = d.annotations ?? {};
    if (BUNDLE_MEDIA_TYPES.includes(t)) {
      const m = await src.getManifest(repo, d.digest);
      const layer = m
        ? ((parseManifest(m.bytes, m.mediaType).manifest as { layers?: Descriptor[] }).layers ?? [])[0]
        : undefined;
      const bundleBytes = layer ? await src.getBlob(repo, layer.digest, MAX_SMALL).catch(() => null) : null;
      const bundle = jsonOf(bundleBytes);
      if (!bundle) {
        errors.push(`bundle ${d.digest} is not readable`);
        continue;
      }
      const vm = rec(bundle.verificationMaterial);
      const raw =
        str(rec(vm.certificate).rawBytes) ??
        str(rec(((rec(vm.x509CertificateChain).certificates as unknown[] | undefined) ?? [])[0]).rawBytes);
      const id = raw ? certIdentity(Buffer.from(raw, 'base64')) : undefined;
      const hint = str(rec(vm.publicKey).hint);
      const env = rec(bundle.dsseEnvelope);
      const statement = env.payload ? jsonOf(Buffer.from(String(env.payload), 'base64')) : undefined;
      const predicateType =
        anns[BUNDLE_PREDICATE_ANNOTATION] ??
        str(statement?.predicateType) ??
        (bundle.messageSignature ? SIGN_PREDICATE_TYPE : '');
      const keyId = hint ?? str(rec((env.signatures as unknown[] | undefined)?.[0]).keyid) ?? id?.keyId;
      const verifier = known.find(
        (k) =>
          !('code' in checkBundle([k.key], digest, bundleBytes!, { index: 0, digest: layer!.digest }, predicateType)),
      );
      if (predicateType === SIGN_PREDICATE_TYPE || !predicateType) {
        const subj = (statement?.subject as unknown[] | undefined) ?? [];
        const matches = subj.some((s) => {
          const dg = rec(rec(s).digest);
          return Object.entries(dg).some(([a, h]) => `${a}:${String(h)}` === digest);
        });
        signatures.push({
          kind: 'bundle',
          via: 'referrers',
          source: d.digest,
          digest: layer!.digest,
          ...(id?.signer ? { signer: id.signer } : {}),
          ...(id?.issuer ? { issuer: id.issuer } : {}),
          ...(keyId ? { keyId } : {}),
          ...(statement ? { matchesImage: matches } : {}),
          ...(verifier ? { verifiedBy: verifier.name } : {}),
          ...(anns['org.opencontainers.image.created'] ? { created: anns['org.opencontainers.image.created'] } : {}),
        });
      } else
        attestations.push({
          predicateType,
          via: 'referrers',
          source: d.digest,
          digest: layer!.digest,
          ...(keyId ? { keyId } : {}),
          ...(id?.signer ? { signer: id.signer } : {}),
        });
    } else if (t === DSSE_MEDIA_TYPE || /in-?toto/i.test(t)) {
      attestations.push({
        predicateType: anns.predicateType ?? anns[BUNDLE_PREDICATE_ANNOTATION] ?? t,
        via: 'referrers',
        source: d.digest,
        digest: d.digest,
      });
    } else if (SCAN_REPORT_TYPES.includes(t)) {
      reports.push({ d, created: anns['org.opencontainers.image.created'] ?? '' });
    }
  }

  // the newest scan report that counts vulnerabilities (an SBOM without them does not)
  let vulnerabilities: VulnerabilitySummary | null = null;
  reports.sort((a, b) => b.created.localeCompare(a.created));
  for (const { d, created } of reports) {
    const m = await src.getManifest(repo, d.digest);
    if (!m) continue;
    const layer = ((parseManifest(m.bytes, m.mediaType).manifest as { layers?: Descriptor[] }).layers ?? [])[0];
    if (!layer) continue;
    const doc = jsonOf(await src.getBlob(repo, layer.digest, MAX_REPORT).catch(() => null));
    const counted = doc ? countVulnerabilities(doc) : undefined;
    if (!counted) continue;
    vulnerabilities = {
      source: {
        digest: d.digest,
        artifactType: d.artifactType ?? '',
        via: 'referrers',
        ...(created ? { created } : {}),
      },
      ...counted,
    };
    break;
  }
  vulnerabilities ??= vulnFromAttestation ?? null;
  return { digest, signatures, attestations, vulnerabilities, ...(errors.length ? { errors } : {}) };
}

/**
 * The keys of the AppProjects' image verification rules (inline PEM or k8s://ns/secret[/entry]; file
 * references are not read by the API server), named "AppProject <name>". Keys that cannot be read are
 * reported, not thrown.
 */
export async function projectKeys(kube: KubeClient | undefined): Promise<{ keys: KnownKey[]; errors: string[] }> {
  const keys: KnownKey[] = [];
  const errors: string[] = [];
  if (!kube) return { keys, errors };
  let projects;
  try {
    projects = (await kube.listAll('gitops.sekisho.dev/v1alpha1', 'AppProject', { namespace: '' })).items;
  } catch {
    return { keys, errors }; // no AppProject kind here: no known keys
  }
  const seen = new Set<string>();
  const readSecret = async (ns: string, name: string) => {
    const s = await kube.get('v1', 'Secret', name, ns).catch(() => undefined);
    if (!s) return undefined;
    const o = s as Obj;
    // data is base64; a cluster that has not folded stringData into data yet (the sandbox) keeps it plain
    return {
      ...Object.fromEntries(
        Object.entries(rec(o.data)).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString('utf8')]),
      ),
      ...Object.fromEntries(Object.entries(rec(o.stringData)).map(([k, v]) => [k, String(v)])),
    };
  };
  for (const p of projects) {
    const rules = (rec(p.spec).imageVerification as unknown[] | undefined) ?? [];
    for (const r of rules)
      for (const ref of (rec(r).keys as unknown[] | undefined) ?? []) {
        if (typeof ref !== 'string') continue;
        const id = `${p.metadata?.name}|${ref}`;
        if (seen.has(id)) continue;
        seen.add(id);
        if (!ref.trim().startsWith('-----BEGIN') && !ref.trim().startsWith('k8s://')) continue;
        try {
          keys.push({ name: `AppProject ${p.metadata?.name}`, key: await resolvePublicKey(ref, { readSecret }) });
        } catch (e) {
          errors.push(`AppProject ${p.metadata?.name}: ${(e as Error).message}`);
        }
      }
  }
  return { keys, errors };
}
