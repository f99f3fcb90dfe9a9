// Image signatures at admission, with sigstore policy-controller's `ClusterImagePolicy`
// (policy.sigstore.dev/v1beta1) as the policy kind, so existing policies carry over: `spec.images[].glob`
// selects images, `spec.authorities[].key` (`data`: a PEM public key, or `secretRef`: a Secret holding
// one) lists who may sign, `spec.mode` is `enforce` (deny) or `warn`. Every matching policy must be
// satisfied (AND) by at least one of its authorities (OR), as policy-controller decides.
//
// An authority may instead list `attestations` (policy-controller's shape: `[{name, predicateType, policy:
// {type: rego, data}}]`): it is then satisfied when, for every entry, the image carries attestations of that
// predicate type (cosign shorthands or URIs) signed by the authority's key, and every one of them passes the
// Rego policy (`package sigstore` with `isCompliant`, or cosign's `package signature` with `allow`; the input
// is the in-toto statement). As in policy-controller, such an authority checks attestations, not signatures.
//
// Each image of a Pod or Pod template is resolved to its digest in the registry on every review (a tag
// may move); the verdict per digest and key set is cached (ImageVerifier). When the registry cannot be
// asked the review fails closed (an evaluation error: the webhook denies) unless `registryFailurePolicy`
// is `Ignore`, which admits with a warning.
import { createHash, type KeyObject } from 'node:crypto';
import { Informer, KubeError, type KubeClient, type KubeObject } from '../kube/index.ts';
import {
  ImageVerifier,
  PREDICATE_TYPE_SHORTHANDS,
  SECRET_PUBLIC_KEY,
  SignError,
  compileAttestationPolicy,
  imageGlobMatch,
  loadPublicKey,
  verifyAttestations,
  workloadImages,
  type AttestationPolicy,
  type ImageTarget,
  type KeySources,
  type RegistryAuthContext,
  type VerifyRequirement,
  podSpecPath,
} from '../sign/index.ts';
import { credentialFromConfig, parseReference } from '../oci/index.ts';
import { AdmissionError } from './errors.ts';
import type { AdmissionRequest } from './review.ts';
import type { LogEntry } from './webhook.ts';
import { isObj, str, type Obj } from './yaml-load.ts';

export const IMAGE_POLICY_GROUP = 'policy.sigstore.dev';
export const IMAGE_POLICY_API_VERSION = `${IMAGE_POLICY_GROUP}/v1beta1`;
export const IMAGE_POLICY_KIND = 'ClusterImagePolicy';
/** policy-controller's namespace, where `secretRef` Secrets live unless a namespace is given. */
export const DEFAULT_SECRET_NAMESPACE = 'cosign-system';

export interface ImageAttestation {
  name: string;
  /** The predicate type URI (cosign shorthands are expanded when the policy is read). */
  predicateType: string;
  policy?: AttestationPolicy;
}

export interface ImageAuthority {
  name: string;
  key: { data?: string; secretRef?: { name: string; namespace?: string } };
  /** When present, the authority checks these attestations instead of signatures. */
  attestations?: ImageAttestation[];
  /** Cache id of the attestation requirement (hash of types and policies). */
  requirement?: VerifyRequirement;
}

export interface ImagePolicy {
  name: string;
  globs: string[];
  authorities: ImageAuthority[];
  mode: 'enforce' | 'warn';
}

/** What the image check adds to a review. */
export interface ImageReview {
  deny: string[];
  warnings: string[];
  /** Evaluation errors (registry unreachable, unreadable keys): the webhook fails closed on them. */
  errors: string[];
}

/** Reads and checks a ClusterImagePolicy; malformed ones throw with the file. */
export function parseImagePolicy(obj: Obj, file?: string): ImagePolicy {
  const loc = file ? { file, row: 0, col: 0 } : undefined;
  const name = str(isObj(obj.metadata) ? obj.metadata.name : undefined);
  const bad = (m: string) =>
    new AdmissionError('admission_constraint_error', `ClusterImagePolicy ${name ?? '?'}: ${m}`, loc);
  if (!name) throw bad('metadata.name is required');
  const spec = isObj(obj.spec) ? obj.spec : {};
  const images = Array.isArray(spec.images) ? spec.images : [];
  const globs = images.map((i, n) => {
    const g = isObj(i) ? str(i.glob) : undefined;
    if (!g) throw bad(`spec.images[${n}].glob is required`);
    return g;
  });
  if (globs.length === 0) throw bad('spec.images must list at least one glob');
  const auths = Array.isArray(spec.authorities) ? spec.authorities : [];
  const authorities = auths.map((a, n): ImageAuthority => {
    if (!isObj(a)) throw bad(`spec.authorities[${n}] is not an object`);
    if (isObj(a.keyless) || isObj(a.static))
      throw bad(`spec.authorities[${n}]: keyless and static authorities are not supported offline (use key)`);
    const key = isObj(a.key) ? a.key : undefined;
    const data = key ? str(key.data) : undefined;
    const ref = key && isObj(key.secretRef) ? key.secretRef : undefined;
    const refName = ref ? str(ref.name) : undefined;
    if (key && isObj(key.kms)) throw bad(`spec.authorities[${n}].key.kms is not supported`);
    if (!data && !refName) throw bad(`spec.authorities[${n}].key needs data or secretRef.name`);
    if (data) loadPublicKey(data, `ClusterImagePolicy ${name} authorities[${n}]`);
    const attestations = parseAttestations(a.attestations, `spec.authorities[${n}]`, bad);
    return {
      name: str(a.name) ?? `authority-${n}`,
      key: data
        ? { data }
        : { secretRef: { name: refName!, ...(ref && str(ref.namespace) ? { namespace: str(ref.namespace)! } : {}) } },
      ...(attestations ? { attestations: attestations.list, requirement: attestations.requirement } : {}),
    };
  });
  if (authorities.length === 0) throw bad('spec.authorities must list at least one authority');
  const mode = str(spec.mode) ?? 'enforce';
  if (mode !== 'enforce' && mode !== 'warn') throw bad(`spec.mode must be enforce or warn, not ${mode}`);
  return { name, globs, authorities, mode };
}

/** Reads `authorities[].attestations`; policies are compiled here so a bad one is refused with the policy. */
function parseAttestations(
  raw: unknown,
  where: string,
  bad: (m: string) => AdmissionError,
): { list: ImageAttestation[]; requirement: VerifyRequirement } | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.length === 0) throw bad(`${where}.attestations must be a non-empty list`);
  const ids: unknown[] = [];
  const list = raw.map((x, i): ImageAttestation => {
    const at = `${where}.attestations[${i}]`;
    if (!isObj(x)) throw bad(`${at} is not an object`);
    const name = str(x.name);
    if (!name) throw bad(`${at}.name is required`);
    const pt = str(x.predicateType);
    if (!pt) throw bad(`${at}.predicateType is required`);
    const predicateType = PREDICATE_TYPE_SHORTHANDS[pt] ?? pt;
    let policy: AttestationPolicy | undefined;
    let data: string | undefined;
    if (x.policy !== undefined) {
      const p = isObj(x.policy) ? x.policy : undefined;
      const type = p ? str(p.type) : undefined;
      if (type !== 'rego')
        throw bad(
          `${at}.policy.type ${JSON.stringify(type ?? null)} is not supported (use rego; cue is not available)`,
        );
      data = p ? str(p.data) : undefined;
      if (!data)
        throw bad(`${at}.policy needs inline data (configMapRef, url and fetchConfigFile are not supported offline)`);
      try {
        policy = compileAttestationPolicy([{ file: `${at}.policy`, text: data }]);
      } catch (err) {
        throw bad(`${at}.policy: ${err instanceof SignError ? err.message : String(err)}`);
      }
    }
    ids.push([predicateType, data ?? null]);
    return { name, predicateType, ...(policy ? { policy } : {}) };
  });
  const id = createHash('sha256').update(JSON.stringify(ids)).digest('hex').slice(0, 32);
  return { list, requirement: { id: `attestations:${id}`, check: (t, keys) => checkAttestations(t, keys, list) } };
}

/** Every listed attestation is present, signed by the keys, and passes its policy; else a SignError. */
export async function checkAttestations(t: ImageTarget, keys: KeyObject[], list: ImageAttestation[]): Promise<void> {
  for (const a of list) {
    let statements;
    try {
      statements = await verifyAttestations(t, keys, a.predicateType);
    } catch (err) {
      if (err instanceof SignError)
        throw new SignError(err.code, `attestation ${a.name} (${a.predicateType}): ${err.message}`, { cause: err });
      throw err;
    }
    if (!a.policy) continue;
    const errors: string[] = [];
    for (const [i, st] of statements.entries())
      for (const e of a.policy.evaluate(st).errors) errors.push(`statement ${i}: ${e}`);
    if (errors.length)
      throw new SignError(
        'POLICY_DENIED',
        `attestation ${a.name} (${a.predicateType}): policy failed: ${errors.join('; ')}`,
      );
  }
}

type DockerConfigAuths = Parameters<typeof credentialFromConfig>[0];

/** The names in the Pod spec's `imagePullSecrets` (Pods and workload templates). */
export function imagePullSecretNames(obj: Obj): string[] {
  const path = podSpecPath(typeof obj.kind === 'string' ? obj.kind : '');
  if (!path) return [];
  let spec: unknown = obj;
  for (const p of path) spec = isObj(spec) ? spec[p] : undefined;
  const list = isObj(spec) && Array.isArray(spec.imagePullSecrets) ? spec.imagePullSecrets : [];
  return list.flatMap((x) => (isObj(x) && str(x.name) ? [str(x.name)!] : []));
}

/** A pull secret's docker config (`.dockerconfigjson`, or the legacy `.dockercfg` map); undefined if neither. */
export function dockerConfigOfSecret(data: Record<string, string>, name: string): DockerConfigAuths | undefined {
  const json = data['.dockerconfigjson'];
  const legacy = data['.dockercfg'];
  if (json === undefined && legacy === undefined) return undefined;
  try {
    const parsed = JSON.parse(json ?? legacy!) as unknown;
    if (!isObj(parsed)) throw new Error('not a JSON object');
    return (json !== undefined ? parsed : { auths: parsed }) as DockerConfigAuths;
  } catch (err) {
    throw new Error(
      `secret ${name}: ${json !== undefined ? '.dockerconfigjson' : '.dockercfg'} is not JSON: ${(err as Error).message}`,
    );
  }
}

export interface ImagePoliciesOptions {
  verifier?: ImageVerifier;
  keys?: KeySources;
  /** `Fail` (default): a registry that cannot be asked denies; `Ignore`: admit with a warning. */
  registryFailurePolicy?: 'Fail' | 'Ignore';
  secretNamespace?: string;
}

export class ImagePolicies {
  readonly policies = new Map<string, ImagePolicy>();
  readonly verifier: ImageVerifier;
  private readonly o: ImagePoliciesOptions;

  constructor(o: ImagePoliciesOptions = {}) {
    this.o = o;
    this.verifier = o.verifier ?? new ImageVerifier();
  }

  upsert(obj: Obj, file?: string): ImagePolicy {
    const p = parseImagePolicy(obj, file);
    this.policies.set(p.name, p);
    return p;
  }

  remove(name: string): void {
    this.policies.delete(name);
  }

  private async authorityKey(p: ImagePolicy, a: ImageAuthority): Promise<KeyObject> {
    if (a.key.data) return loadPublicKey(a.key.data, `ClusterImagePolicy ${p.name} ${a.name}`);
    const ns = a.key.secretRef!.namespace ?? this.o.secretNamespace ?? DEFAULT_SECRET_NAMESPACE;
    const name = a.key.secretRef!.name;
    const read = this.o.keys?.readSecret;
    if (!read) throw new Error(`secret ${ns}/${name}: no cluster to read it from`);
    const data = await read(ns, name);
    if (!data) throw new Error(`secret ${ns}/${name} not found`);
    const entries = Object.entries(data);
    // cosign's entry name, else the secret's only entry (policy-controller's rule)
    const pem = data[SECRET_PUBLIC_KEY] ?? (entries.length === 1 ? entries[0]![1] : undefined);
    if (pem === undefined) throw new Error(`secret ${ns}/${name} has no ${SECRET_PUBLIC_KEY} entry`);
    return loadPublicKey(pem, `secret ${ns}/${name}`);
  }

  /**
   * Registry credentials from the Pod spec's `imagePullSecrets` (Secrets of type
   * kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg in the object's namespace), as the kubelet
   * would use them; undefined when the object names none. Secrets that do not exist are skipped (the
   * kubelet does the same); ones that do not parse are an error.
   */
  async pullAuth(obj: Obj, namespace: string | undefined): Promise<RegistryAuthContext | undefined> {
    const names = imagePullSecretNames(obj);
    const read = this.o.keys?.readSecret;
    const ns = namespace ?? (isObj(obj.metadata) ? str(obj.metadata.namespace) : undefined) ?? 'default';
    if (names.length === 0 || !read) return undefined;
    const configs: DockerConfigAuths[] = [];
    const h = createHash('sha256').update(ns);
    for (const name of names) {
      const data = await read(ns, name);
      if (!data) continue;
      const cfg = dockerConfigOfSecret(data, `${ns}/${name}`);
      if (!cfg) continue;
      configs.push(cfg);
      h.update(`\0${name}\0${JSON.stringify(cfg)}`);
    }
    if (configs.length === 0) return undefined;
    return {
      id: `pull:${h.digest('hex').slice(0, 32)}`,
      credentials: async (host) => {
        for (const c of configs) {
          const found = credentialFromConfig(c, host);
          if (found && !('helper' in found)) return found;
        }
        return undefined;
      },
    };
  }

  /** Checks the images of the request's object against every matching policy. */
  async review(req: AdmissionRequest): Promise<ImageReview> {
    const out: ImageReview = { deny: [], warnings: [], errors: [] };
    if (this.policies.size === 0 || req.operation === 'DELETE' || !isObj(req.object)) return out;
    const images = workloadImages(req.object);
    if (images.length === 0) return out;
    const ignore = this.o.registryFailurePolicy === 'Ignore';
    let auth: RegistryAuthContext | undefined;
    try {
      auth = await this.pullAuth(req.object, req.namespace);
    } catch (err) {
      out.errors.push(`imagePullSecrets: ${(err as Error).message}`);
      return out;
    }
    const tasks: Promise<void>[] = [];
    for (const p of this.policies.values()) {
      for (const wi of images) {
        if (!p.globs.some((g) => imageGlobMatch(g, wi.image))) continue;
        tasks.push(
          (async () => {
            const why: string[] = [];
            let unreachable: string | undefined;
            for (const a of p.authorities) {
              let key: KeyObject;
              try {
                key = await this.authorityKey(p, a);
              } catch (err) {
                why.push(`authority ${a.name}: key: ${(err as Error).message}`);
                continue;
              }
              const v = await this.verifier.verify(wi.image, [key], {
                ...(a.requirement ? { requirement: a.requirement } : {}),
                ...(auth ? { auth } : {}),
              });
              if (v.verified) return;
              if (v.code === 'REGISTRY_UNREACHABLE') unreachable = v.reason;
              why.push(`authority ${a.name}: ${v.code}: ${v.reason}`);
            }
            const what = p.authorities.some((a) => a.attestations)
              ? 'does not satisfy any authority of the policy'
              : 'is not signed by any authority of the policy';
            const line = `[${p.name}] image ${wi.image} (${wi.path}) ${what}: ${why.join('; ')}`;
            if (
              unreachable &&
              why.length === p.authorities.length &&
              why.every((w) => w.includes('REGISTRY_UNREACHABLE'))
            ) {
              if (ignore) out.warnings.push(`${line} (admitted: registryFailurePolicy Ignore)`);
              else out.errors.push(line);
            } else if (p.mode === 'warn') out.warnings.push(line);
            else out.deny.push(line);
          })(),
        );
      }
    }
    await Promise.all(tasks);
    out.deny.sort();
    out.warnings.sort();
    out.errors.sort();
    return out;
  }
}

/**
 * policy-controller's tag resolution, for Pods: images a policy matches that are named by tag are rewritten
 * to `registry/repository@digest`, so the kubelet runs what admission verified. Returns the new object, or
 * undefined when nothing changed (or the registry could not be asked: validation then decides).
 */
export async function resolveImageTags(
  policies: ImagePolicies,
  obj: Obj,
  namespace?: string,
): Promise<Obj | undefined> {
  if (obj.kind !== 'Pod' || policies.policies.size === 0) return undefined;
  const auth = await policies.pullAuth(obj, namespace).catch(() => undefined);
  const out = structuredClone(obj);
  let changed = false;
  const spec = isObj(out.spec) ? out.spec : undefined;
  for (const field of ['initContainers', 'containers', 'ephemeralContainers']) {
    const list = spec?.[field];
    if (!Array.isArray(list)) continue;
    for (const c of list) {
      if (!isObj(c) || typeof c.image !== 'string' || c.image.includes('@')) continue;
      const image = c.image;
      if (![...policies.policies.values()].some((p) => p.globs.some((g) => imageGlobMatch(g, image)))) continue;
      const digest = await policies.verifier.resolve(image, auth);
      if (!digest) continue;
      const ref = parseReference(image, { defaultTag: 'latest' });
      c.image = `${ref.registry}/${ref.repository}@${digest}`;
      changed = true;
    }
  }
  return changed ? out : undefined;
}

/** The CRD the cluster needs to store ClusterImagePolicies (a free-form subset of policy-controller's). */
export function imagePolicyCrd(): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `clusterimagepolicies.${IMAGE_POLICY_GROUP}` },
    spec: {
      group: IMAGE_POLICY_GROUP,
      names: {
        kind: IMAGE_POLICY_KIND,
        listKind: `${IMAGE_POLICY_KIND}List`,
        plural: 'clusterimagepolicies',
        singular: 'clusterimagepolicy',
        shortNames: ['cip'],
      },
      scope: 'Cluster',
      versions: ['v1alpha1', 'v1beta1'].map((v) => ({
        name: v,
        served: true,
        storage: v === 'v1beta1',
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      })),
    },
  } as KubeObject;
}

/** Installs the CRD (if missing) and keeps `policies` in step with the cluster's ClusterImagePolicies. */
export async function watchImagePolicies(
  client: KubeClient,
  policies: ImagePolicies,
  log: (e: LogEntry) => void = () => {},
): Promise<{ stop(): void }> {
  const crd = imagePolicyCrd();
  try {
    await client.get(crd.apiVersion, crd.kind, crd.metadata.name!);
  } catch (e) {
    if (!(e instanceof KubeError && e.status === 404)) throw e;
    try {
      await client.create(crd);
    } catch (err) {
      if (!(err instanceof KubeError && err.status === 409)) throw err;
    }
  }
  const inf = new Informer(client, IMAGE_POLICY_API_VERSION, IMAGE_POLICY_KIND);
  const put = (o: KubeObject) => {
    try {
      policies.upsert(o as unknown as Obj);
    } catch (err) {
      policies.remove(o.metadata.name ?? '');
      log({ level: 'error', msg: 'ClusterImagePolicy rejected', name: o.metadata.name, error: String(err) });
    }
  };
  inf
    .on('add', put)
    .on('update', put)
    .on('delete', (o) => policies.remove(o.metadata.name ?? ''));
  await inf.start();
  return { stop: () => inf.stop() };
}
