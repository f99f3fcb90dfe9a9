// Kubernetes manifest signatures in k8s-manifest-sigstore's annotation format: the signed "message" is the
// manifest YAML (signature annotations removed, documents joined with `---`), stored gzipped and base64 in
// `cosign.sigstore.dev/message`; `cosign.sigstore.dev/signature` is the base64 DER signature over the
// message bytes (what `cosign sign-blob` makes). Older signers put a tar.gz of the files in the message;
// both are read. Verification checks the signature, then that each object matches its copy in the message
// except for the fields k8s-manifest-sigstore ignores by default.
import { gunzipSync, gzipSync } from 'node:zlib';
import type { KeyObject } from 'node:crypto';
import { parseAllDocuments, stringify } from 'yaml';
import { SignError } from './errors.ts';
import { verifySignature, type Signer } from './keys.ts';

export const ANNOTATION_DOMAIN = 'cosign.sigstore.dev';
export const MESSAGE_ANNOTATION = `${ANNOTATION_DOMAIN}/message`;
export const MANIFEST_SIGNATURE_ANNOTATION = `${ANNOTATION_DOMAIN}/signature`;

export interface IgnoreRule {
  fields: string[];
  /** Kinds the rule applies to (`*` = all), optionally with an API group. */
  objects: { kind: string; group?: string }[];
}

/** k8s-manifest-sigstore's default `ignoreFields` (pkg/k8smanifest/resources/default-config.yaml). */
export const DEFAULT_IGNORE_FIELDS: IgnoreRule[] = [
  {
    fields: [
      'metadata.annotations.cosign.sigstore.dev/resourceBundleRef',
      'metadata.annotations.cosign.sigstore.dev/signature',
      'metadata.annotations.cosign.sigstore.dev/message',
      'metadata.annotations.cosign.sigstore.dev/certificate',
      'metadata.annotations.cosign.sigstore.dev/bundle',
    ],
    objects: [{ kind: '*' }],
  },
  {
    fields: [
      'metadata.managedFields.*',
      'metadata.resourceVersion',
      'metadata.selfLink',
      'metadata.annotations.kubectl.kubernetes.io/last-applied-configuration',
      'metadata.annotations.namespace',
      'metadata.creationTimestamp',
      'metadata.generation',
      'metadata.uid',
      'metadata.finalizers',
      'metadata.labels.app.kubernetes.io/instance',
      'status',
    ],
    objects: [{ kind: '*' }],
  },
  { fields: ['secrets.*.name', 'imagePullSecrets.*.name'], objects: [{ kind: 'ServiceAccount' }] },
  { fields: ['spec.ports.*.nodePort', 'spec.clusterIP', 'spec.clusterIPs.0'], objects: [{ kind: 'Service' }] },
  { fields: ['metadata.annotations.deployment.kubernetes.io/revision'], objects: [{ kind: 'Deployment' }] },
  { fields: ['metadata.annotations.deprecated.daemonset.template.generation'], objects: [{ kind: 'DaemonSet' }] },
  { fields: ['spec.host'], objects: [{ kind: 'Route', group: 'route.openshift.io' }] },
];

type Obj = Record<string, unknown>;

function parseYamlObjects(text: string, file: string): Obj[] {
  const out: Obj[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const pos = e.linePos?.[0];
      throw new SignError('MANIFEST_INVALID', `${file}: ${e.message}`, {
        ...(pos ? { location: { file, row: pos.line, col: pos.col } } : {}),
      });
    }
    const v = doc.toJS() as unknown;
    if (v === null || v === undefined) continue;
    if (typeof v !== 'object' || Array.isArray(v))
      throw new SignError('MANIFEST_INVALID', `${file}: a document is not a Kubernetes object`);
    out.push(v as Obj);
  }
  return out;
}

function annotationsOf(o: Obj): Record<string, string> {
  const md = o.metadata as Obj | undefined;
  return (md?.annotations as Record<string, string> | undefined) ?? {};
}

/** A copy of the object without the signing annotations (what goes in the message). */
function withoutSignatureAnnotations(o: Obj): Obj {
  const copy = structuredClone(o);
  const md = copy.metadata as Obj | undefined;
  const ann = md?.annotations as Record<string, string> | undefined;
  if (md && ann) {
    for (const k of Object.keys(ann)) if (k.startsWith(`${ANNOTATION_DOMAIN}/`)) delete ann[k];
  }
  return copy;
}

/** The message k8s-manifest-sigstore signs: each object's YAML, joined with `---`. */
export function manifestMessage(objects: Obj[]): Buffer {
  return Buffer.from(objects.map((o) => stringify(withoutSignatureAnnotations(o))).join('---\n'));
}

/** Signs a manifest file's objects; returns the YAML with the message and signature annotations on each. */
export function signManifest(yamlText: string, signer: Signer, file = 'manifest'): string {
  const objects = parseYamlObjects(yamlText, file);
  if (objects.length === 0) throw new SignError('MANIFEST_INVALID', `${file}: no objects to sign`);
  const message = manifestMessage(objects);
  const ann = {
    [MESSAGE_ANNOTATION]: gzipSync(message).toString('base64'),
    [MANIFEST_SIGNATURE_ANNOTATION]: signer.sign(message).toString('base64'),
  };
  return objects
    .map((o) => {
      const copy = withoutSignatureAnnotations(o);
      const md = (copy.metadata ??= {}) as Obj;
      md.annotations = { ...((md.annotations as Obj | undefined) ?? {}), ...ann };
      return stringify(copy);
    })
    .join('---\n');
}

/** Reads the files of a ustar archive (the old tarball message format). */
function untar(buf: Buffer): Buffer[] {
  const files: Buffer[] = [];
  let off = 0;
  while (off + 512 <= buf.length) {
    const header = buf.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(header.subarray(124, 136).toString('ascii').replace(/\0.*$/, '').trim() || '0', 8);
    const type = String.fromCharCode(header[156] ?? 48);
    if (type === '0' || type === '\0') files.push(buf.subarray(off + 512, off + 512 + size));
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** Decodes a message annotation to the signed blob and the YAML it holds. */
export function decodeMessage(b64: string): { blob: Buffer; yaml: string } {
  let blob: Buffer;
  try {
    blob = gunzipSync(Buffer.from(b64, 'base64'));
  } catch (err) {
    throw new SignError('MANIFEST_INVALID', `the ${MESSAGE_ANNOTATION} annotation is not base64 gzip data`, {
      cause: err,
    });
  }
  if (blob[0] === 0x1f && blob[1] === 0x8b) {
    // tarball mode: the blob is a tar.gz of the signed files
    const files = untar(gunzipSync(blob));
    return { blob, yaml: files.map((f) => f.toString('utf8')).join('\n---\n') };
  }
  return { blob, yaml: blob.toString('utf8') };
}

function flatten(v: unknown, prefix: string, out: Map<string, string>): void {
  if (v !== null && typeof v === 'object') {
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v as Obj);
    // empty maps and lists carry nothing (an `annotations: {}` left after removing the signature equals none)
    for (const [k, x] of entries) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, JSON.stringify(v));
}

function groupOf(o: Obj): string {
  const av = typeof o.apiVersion === 'string' ? o.apiVersion : '';
  return av.includes('/') ? av.slice(0, av.indexOf('/')) : '';
}

function ignoredPatterns(o: Obj, rules: IgnoreRule[]): RegExp[] {
  const kind = typeof o.kind === 'string' ? o.kind : '';
  const out: RegExp[] = [];
  for (const r of rules) {
    if (
      !r.objects.some((m) => (m.kind === '*' || m.kind === kind) && (m.group === undefined || m.group === groupOf(o)))
    )
      continue;
    for (const f of r.fields) {
      const re = f
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
        .join('.*');
      out.push(new RegExp(`^${re}(?:\\..*)?$`));
    }
  }
  // any signature annotation (signature_1, message_1, ...) is part of the envelope, not the content
  out.push(new RegExp(`^metadata\\.annotations\\.${ANNOTATION_DOMAIN.replace(/\./g, '\\.')}/`));
  return out;
}

/** Field paths where `actual` differs from `signed`, except ignored ones. */
export function diffObjects(signed: Obj, actual: Obj, rules: IgnoreRule[] = DEFAULT_IGNORE_FIELDS): string[] {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  flatten(signed, '', a);
  flatten(actual, '', b);
  const ignore = ignoredPatterns(actual, rules);
  const keys = new Set([...a.keys(), ...b.keys()]);
  const diffs: string[] = [];
  for (const k of keys) {
    if (a.get(k) === b.get(k)) continue;
    if (ignore.some((re) => re.test(k))) continue;
    diffs.push(k);
  }
  return diffs.sort();
}

function idOf(o: Obj): string {
  const md = (o.metadata as Obj | undefined) ?? {};
  return `${String(o.apiVersion ?? '')}/${String(o.kind ?? '')}/${md.namespace ? String(md.namespace) + '/' : ''}${String(md.name ?? '')}`;
}

export interface ManifestVerifyResult {
  object: string;
  verified: boolean;
  /** Why not, when not verified. */
  reason?: string;
  code?: 'NO_SIGNATURES' | 'SIGNATURE_INVALID' | 'MANIFEST_MODIFIED' | 'MANIFEST_INVALID';
  /** Field paths that differ from the signed message. */
  diff?: string[];
}

/** Verifies one object against the signature annotations it carries (or `sigSource`'s). */
export function verifyManifestObject(
  o: Obj,
  keys: KeyObject[],
  opts: {
    ignoreFields?: IgnoreRule[];
    sigSource?: Obj;
    /** A namespace the deployer filled in: accepted when the signed copy has none (a GitOps destination). */
    defaultNamespace?: string;
  } = {},
): ManifestVerifyResult {
  const id = idOf(o);
  const ann = annotationsOf(opts.sigSource ?? o);
  const msg = ann[MESSAGE_ANNOTATION];
  const sigs = Object.entries(ann)
    .filter(([k]) => k === MANIFEST_SIGNATURE_ANNOTATION || k.startsWith(`${MANIFEST_SIGNATURE_ANNOTATION}_`))
    .map(([, v]) => v);
  if (!msg || sigs.length === 0)
    return {
      object: id,
      verified: false,
      code: 'NO_SIGNATURES',
      reason: `${id} has no ${MESSAGE_ANNOTATION} / signature annotations`,
    };
  let decoded: { blob: Buffer; yaml: string };
  try {
    decoded = decodeMessage(msg);
  } catch (err) {
    return { object: id, verified: false, code: 'MANIFEST_INVALID', reason: `${id}: ${(err as Error).message}` };
  }
  if (!sigs.some((s) => keys.some((k) => verifySignature(k, decoded.blob, Buffer.from(s, 'base64')))))
    return {
      object: id,
      verified: false,
      code: 'SIGNATURE_INVALID',
      reason: `${id}: none of ${sigs.length} signature(s) verifies the message with the given key(s) (wrong key, or message or signature altered)`,
    };
  let signedObjects: Obj[];
  try {
    signedObjects = parseYamlObjects(decoded.yaml, 'message');
  } catch (err) {
    return { object: id, verified: false, code: 'MANIFEST_INVALID', reason: `${id}: ${(err as Error).message}` };
  }
  const signed =
    signedObjects.find((s) => idOf(s) === id) ??
    signedObjects.find((s) => idOf(s).endsWith(`/${String(o.kind)}/${String((o.metadata as Obj | undefined)?.name)}`));
  if (!signed)
    return { object: id, verified: false, code: 'MANIFEST_MODIFIED', reason: `${id} is not in the signed message` };
  let actual = o;
  const signedNs = (signed.metadata as Obj | undefined)?.namespace;
  const md = o.metadata as Obj | undefined;
  if (opts.defaultNamespace !== undefined && signedNs === undefined && md?.namespace === opts.defaultNamespace) {
    const { namespace: _ns, ...rest } = md;
    actual = { ...o, metadata: rest };
  }
  const diff = diffObjects(signed, actual, opts.ignoreFields);
  if (diff.length > 0)
    return {
      object: id,
      verified: false,
      code: 'MANIFEST_MODIFIED',
      diff,
      reason: `${id} differs from the signed manifest at ${diff.join(', ')}`,
    };
  return { object: id, verified: true };
}

/** Verifies every object in a YAML file. */
export function verifyManifest(
  yamlText: string,
  keys: KeyObject[],
  opts: { file?: string; ignoreFields?: IgnoreRule[] } = {},
): ManifestVerifyResult[] {
  const objects = parseYamlObjects(yamlText, opts.file ?? 'manifest');
  if (objects.length === 0) throw new SignError('MANIFEST_INVALID', `${opts.file ?? 'manifest'}: no objects`);
  return objects.map((o) =>
    verifyManifestObject(o, keys, opts.ignoreFields ? { ignoreFields: opts.ignoreFields } : {}),
  );
}

/** Throws the first failure (with all reasons) unless every object verified. */
export function requireManifestVerified(results: ManifestVerifyResult[]): void {
  const bad = results.filter((r) => !r.verified);
  if (bad.length === 0) return;
  throw new SignError(bad[0]!.code ?? 'SIGNATURE_INVALID', bad.map((r) => r.reason).join('; '));
}
