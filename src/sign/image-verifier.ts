// Verification of image references for gates (GitOps pre-apply, admission): a tag is resolved to its
// digest in the registry, the digest's signatures are checked against the keys, and the verdict is cached
// by digest and key set for a while (positive and negative verdicts for their own TTLs; registry failures
// are never cached). Concurrent checks of the same digest and keys share one registry round.
import { createHash, type KeyObject } from 'node:crypto';
import {
  OciError,
  RegistryClient,
  formatReference,
  parseReference,
  registryApiHost,
  type Reference,
  type CredentialProvider,
  pathGlobToRegExp,
} from '../oci/index.ts';
import { SignError, type SignErrorCode } from './errors.ts';
import { requireSigned, verifyImage, type ImageTarget } from './image-signatures.ts';

export interface ImageVerdict {
  /** The reference as given. */
  image: string;
  /** The digest the reference resolved to (absent when it could not be resolved). */
  digest?: string;
  verified: boolean;
  /** Why not, with a stable code; `REGISTRY_UNREACHABLE` when the registry could not be asked. */
  code?: SignErrorCode;
  reason?: string;
  /** True when the verdict came from the cache. */
  cached: boolean;
}

export interface ImageVerifierOptions {
  /** A registry client for a registry host as written in references (default: a client with `credentials`). */
  registry?: (registry: string) => RegistryClient;
  /** Credentials for the default clients (e.g. `dockerConfigCredentials(~/.docker/config.json)`); none by default. */
  credentials?: CredentialProvider;
  /** How long a positive verdict is kept (ms; default 5 minutes). */
  ttlMs?: number;
  /** How long a negative verdict is kept (ms; default 10 seconds: an image signed later passes soon). */
  negativeTtlMs?: number;
  maxEntries?: number;
  now?: () => number;
  /** Checks one digest (default: cosign `.sig` tag and Sigstore bundle referrers). */
  check?: (t: ImageTarget, keys: KeyObject[], display: string) => Promise<void>;
}

/**
 * Credentials for one check (a Pod's imagePullSecrets), tried before the verifier's own; `id` names them
 * (it keys the registry client, so give a new id when the secrets change).
 */
export interface RegistryAuthContext {
  id: string;
  credentials: CredentialProvider;
}

export interface VerifyOptions {
  /** A check other than "signed by one of the keys" (e.g. attestations). */
  requirement?: VerifyRequirement;
  auth?: RegistryAuthContext;
}

/** A check other than "signed by one of the keys", with a stable id for the verdict cache. */
export interface VerifyRequirement {
  id: string;
  /** Throws (SignError with a code) when the digest does not meet the requirement. */
  check: (t: ImageTarget, keys: KeyObject[], display: string) => Promise<void>;
}

interface Entry {
  verdict: Omit<ImageVerdict, 'image' | 'cached'>;
  expires: number;
}

/** Fingerprint of a key set (order-insensitive): SHA-256 of the sorted SPKI DER digests. */
export function keySetId(keys: KeyObject[]): string {
  const ids = keys.map((k) =>
    createHash('sha256')
      .update(k.export({ type: 'spki', format: 'der' }))
      .digest('hex'),
  );
  return createHash('sha256').update(ids.sort().join(',')).digest('hex').slice(0, 32);
}

/**
 * sigstore policy-controller's image globs: `*` matches within one path segment, `**` across segments,
 * `?` one character. The glob is matched against the full reference (`registry/repo:tag@digest`) and
 * against the bare repository name; Docker Hub images also match as `index.docker.io/...`.
 */
export function imageGlobMatch(glob: string, image: string): boolean {
  let ref: Reference;
  try {
    ref = parseReference(image, { defaultTag: 'latest' });
  } catch {
    return false;
  }
  const rx = pathGlobToRegExp(glob);
  const names = [formatReference(ref), `${ref.registry}/${ref.repository}`];
  if (ref.registry === 'docker.io') for (const n of [...names]) names.push('index.' + n);
  return names.some((n) => rx.test(n));
}

export class ImageVerifier {
  private readonly cache = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Omit<ImageVerdict, 'image' | 'cached'>>>();
  private readonly clients = new Map<string, RegistryClient>();
  private readonly o: ImageVerifierOptions;
  /** Cache statistics (for metrics and tests). */
  readonly stats = { hits: 0, misses: 0 };

  constructor(o: ImageVerifierOptions = {}) {
    this.o = o;
  }

  private static defaultCredentials: CredentialProvider | undefined;

  /**
   * Credentials for verifiers made without `credentials` (gates built deep inside other areas): the CLI
   * sets Docker's config.json here once, so the GitOps gate can read a registry that needs a login.
   */
  static useDefaultCredentials(c: CredentialProvider | undefined): void {
    ImageVerifier.defaultCredentials = c;
  }

  private client(registry: string, auth?: RegistryAuthContext): RegistryClient {
    const id = auth ? `${registry}|${auth.id}` : registry;
    let c = this.clients.get(id);
    if (!c) {
      const own = this.o.credentials ?? ImageVerifier.defaultCredentials;
      const credentials: CredentialProvider | undefined = auth
        ? async (host) => (await auth.credentials(host)) ?? (own ? await own(host) : undefined)
        : own;
      c =
        this.o.registry && !auth
          ? this.o.registry(registry)
          : new RegistryClient({
              host: registryApiHost(registry),
              maxAttempts: 2,
              backoffMs: 100,
              ...(credentials ? { credentials } : {}),
            });
      // clients per pull-secret set are kept for reuse (tokens), within a bound
      if (this.clients.size >= 1000) this.clients.clear();
      this.clients.set(id, c);
    }
    return c;
  }

  private now(): number {
    return this.o.now ? this.o.now() : Date.now();
  }

  /** Forgets every cached verdict. */
  clear(): void {
    this.cache.clear();
  }

  /** The digest a reference names (its own digest, or the tag's in the registry); undefined when unknown. */
  async resolve(image: string, auth?: RegistryAuthContext): Promise<string | undefined> {
    try {
      const ref = parseReference(image, { defaultTag: 'latest' });
      if (ref.digest) return ref.digest;
      return (await this.client(ref.registry, auth).headManifest(ref.repository, ref.tag ?? 'latest'))?.digest;
    } catch {
      return undefined;
    }
  }

  /**
   * Resolves `image` to a digest and checks its signatures with `keys` — or, with `requirement`, runs that
   * check instead (e.g. attestations and their policies), cached under the requirement's id. Never throws.
   */
  async verify(image: string, keys: KeyObject[], opts: VerifyOptions = {}): Promise<ImageVerdict> {
    const { requirement, auth } = opts;
    let ref: Reference;
    try {
      ref = parseReference(image, { defaultTag: 'latest' });
    } catch (err) {
      return { image, verified: false, code: 'PAYLOAD_INVALID', reason: (err as Error).message, cached: false };
    }
    const client = this.client(ref.registry, auth);
    let digest = ref.digest;
    if (!digest) {
      // tags are resolved on every check: a cached tag would let a re-tagged image through
      try {
        const d = await client.headManifest(ref.repository, ref.tag ?? 'latest');
        if (!d)
          return {
            image,
            verified: false,
            code: 'IMAGE_NOT_FOUND',
            reason: `${formatReference(ref)} not found in the registry`,
            cached: false,
          };
        digest = d.digest;
      } catch (err) {
        return { image, ...this.failure(err, ref), cached: false };
      }
    }
    const key = `${ref.registry}/${ref.repository}@${digest}|${keySetId(keys)}${requirement ? `|${requirement.id}` : ''}`;
    const hit = this.cache.get(key);
    if (hit && hit.expires > this.now()) {
      this.stats.hits++;
      return { image, ...hit.verdict, cached: true };
    }
    this.stats.misses++;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.check(client, ref, digest, keys, requirement?.check).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    const verdict = await p;
    if (verdict.code !== 'REGISTRY_UNREACHABLE') {
      const ttl = verdict.verified ? (this.o.ttlMs ?? 300_000) : (this.o.negativeTtlMs ?? 10_000);
      if (ttl > 0) {
        if (this.cache.size >= (this.o.maxEntries ?? 10_000)) this.cache.delete(this.cache.keys().next().value!);
        this.cache.set(key, { verdict, expires: this.now() + ttl });
      }
    }
    return { image, ...verdict, cached: false };
  }

  private failure(err: unknown, ref: Reference): Omit<ImageVerdict, 'image' | 'cached'> {
    if (err instanceof SignError) return { verified: false, code: err.code, reason: err.message };
    if (err instanceof OciError && (err.code === 'MANIFEST_UNKNOWN' || err.status === 404))
      return { verified: false, code: 'IMAGE_NOT_FOUND', reason: `${formatReference(ref)}: ${err.message}` };
    const msg = err instanceof Error ? err.message : String(err);
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return {
      verified: false,
      code: 'REGISTRY_UNREACHABLE',
      reason: `registry ${ref.registry} could not be asked about ${ref.repository}: ${msg}${cause}`,
    };
  }

  private async check(
    client: RegistryClient,
    ref: Reference,
    digest: string,
    keys: KeyObject[],
    check?: VerifyRequirement['check'],
  ): Promise<Omit<ImageVerdict, 'image' | 'cached'>> {
    const t: ImageTarget = { client, registry: ref.registry, repository: ref.repository, ref: digest };
    const display = `${ref.registry}/${ref.repository}@${digest}`;
    try {
      if (check) await check(t, keys, display);
      else if (this.o.check) await this.o.check(t, keys, display);
      else requireSigned(await verifyImage(t, keys), display);
      return { digest, verified: true };
    } catch (err) {
      return { digest, ...this.failure(err, ref) };
    }
  }
}
