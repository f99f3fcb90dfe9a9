// A client for the distribution-spec API of any registry: anonymous, basic and bearer-token auth (the
// challenge flow with per-repository scopes), retries with backoff on 429/5xx and network errors, digest
// verification of everything fetched, streaming blob transfer with monolithic, streamed and chunked
// uploads that resume after a failed chunk, cross-repository mounts, tag pagination, and the referrers
// API with the tag-schema fallback.
import { Readable } from 'node:stream';
import { OciError, type OciErrorCode } from '../errors.ts';
import { VerifyingStream, digestOf, parseDigest } from '../digest.ts';
import { MANIFEST_ACCEPT, MediaType, parseManifest, type Descriptor, type ImageIndex } from '../media-types.ts';
import { parseChallenges } from './challenge.ts';
import type { Credential, CredentialProvider } from './credentials.ts';

export type FetchLike = typeof fetch;

export interface RegistryClientOptions {
  /** Registry host[:port] as it appears in references (`docker.io` is mapped to its API host by the caller). */
  host: string;
  /** `http` for plain-HTTP registries; default https, except http for localhost / 127.0.0.1 / ::1. */
  scheme?: 'http' | 'https';
  credentials?: CredentialProvider;
  fetch?: FetchLike;
  /** Attempts for idempotent requests on 429, 5xx and network errors (default 4). */
  maxAttempts?: number;
  /** First backoff delay in ms (doubles each time; Retry-After wins when sent). */
  backoffMs?: number;
  /** Uploads larger than this go in chunks of this size (default: one streamed PATCH). */
  chunkSize?: number;
  userAgent?: string;
  /** Waits between retries (injected so tests need not sleep). */
  sleep?: (ms: number) => Promise<void>;
}

export interface FetchedManifest {
  bytes: Buffer;
  digest: string;
  mediaType: string;
}

/** A source of blob bytes that can restart at an offset (for resumed uploads). */
export type BlobSource = (offset: number) => Readable;

type Body = Buffer | (() => AsyncIterable<Uint8Array>) | undefined;

interface Req {
  method: string;
  path: string;
  /** Scopes as `repository:<name>:<actions>`. */
  scopes: string[];
  headers?: Record<string, string>;
  body?: Body;
  /** Whether the request may be retried (bodies that are buffers or restartable). */
  idempotent?: boolean;
  query?: Record<string, string>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function isLoopback(host: string): boolean {
  const h = host.replace(/:\d+$/, '');
  return h === 'localhost' || h === '127.0.0.1' || h === '[::1]' || h === '::1';
}

function registryErrorCode(status: number, body: string): { code: OciErrorCode; message: string } {
  try {
    const e = (JSON.parse(body) as { errors?: { code?: string; message?: string }[] }).errors?.[0];
    if (e?.code) return { code: e.code as OciErrorCode, message: e.message ?? e.code };
  } catch {
    // not a spec error body
  }
  const code: OciErrorCode =
    status === 401 ? 'UNAUTHORIZED' : status === 403 ? 'DENIED' : status === 429 ? 'TOOMANYREQUESTS' : 'REGISTRY_ERROR';
  return { code, message: body.slice(0, 200) || `HTTP ${status}` };
}

export class RegistryClient {
  readonly host: string;
  readonly baseUrl: string;
  private readonly opts: RegistryClientOptions;
  private readonly f: FetchLike;
  private readonly sleep: (ms: number) => Promise<void>;
  private credential: Promise<Credential | undefined> | undefined;
  /** Authorization header per scope set. */
  private readonly authCache = new Map<string, string>();
  private basicHeader: string | undefined;

  constructor(opts: RegistryClientOptions) {
    this.opts = opts;
    this.host = opts.host;
    const scheme = opts.scheme ?? (isLoopback(opts.host) ? 'http' : 'https');
    this.baseUrl = `${scheme}://${opts.host}`;
    this.f = opts.fetch ?? fetch;
    this.sleep = opts.sleep ?? defaultSleep;
  }

  private cred(): Promise<Credential | undefined> {
    this.credential ??= this.opts.credentials ? this.opts.credentials(this.host) : Promise.resolve(undefined);
    return this.credential;
  }

  private async authorize(scopes: string[], challengeHeader: string): Promise<string | undefined> {
    const chs = parseChallenges(challengeHeader);
    const bearer = chs.find((c) => c.scheme === 'bearer');
    const cred = await this.cred();
    if (bearer) {
      const realm = bearer.params.realm;
      if (!realm) throw new OciError('UNAUTHORIZED', `registry ${this.host} sent a bearer challenge without a realm`);
      if (cred?.registryToken) return `Bearer ${cred.registryToken}`;
      const u = new URL(realm);
      if (bearer.params.service) u.searchParams.set('service', bearer.params.service);
      const wanted = new Set(scopes);
      for (const s of (bearer.params.scope ?? '').split(' ')) if (s) wanted.add(s);
      for (const s of wanted) u.searchParams.append('scope', s);
      let res: Response;
      if (cred?.identityToken) {
        const form = new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: cred.identityToken,
          service: bearer.params.service ?? '',
          client_id: 'sekisho',
        });
        for (const s of wanted) form.append('scope', s);
        res = await this.f(realm, {
          method: 'POST',
          body: form,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        });
      } else {
        const headers: Record<string, string> = {};
        if (cred?.username !== undefined)
          headers.Authorization = `Basic ${Buffer.from(`${cred.username}:${cred.password ?? ''}`).toString('base64')}`;
        res = await this.f(u, { headers });
      }
      const text = await res.text();
      if (res.status !== 200) {
        throw new OciError(
          'UNAUTHORIZED',
          `token request to ${u.origin}${u.pathname} failed with ${res.status}: ${text.slice(0, 200)}`,
          { status: res.status },
        );
      }
      const body = JSON.parse(text) as { token?: string; access_token?: string };
      const token = body.token ?? body.access_token;
      if (!token) throw new OciError('UNAUTHORIZED', `token response from ${u.origin} has no token`);
      return `Bearer ${token}`;
    }
    if (chs.some((c) => c.scheme === 'basic')) {
      if (cred?.username === undefined) return undefined;
      this.basicHeader = `Basic ${Buffer.from(`${cred.username}:${cred.password ?? ''}`).toString('base64')}`;
      return this.basicHeader;
    }
    return undefined;
  }

  private url(path: string, query?: Record<string, string>): URL {
    const u = new URL(path, this.baseUrl);
    for (const [k, v] of Object.entries(query ?? {})) u.searchParams.set(k, v);
    return u;
  }

  /** Sends a request with auth, retries and spec error mapping; returns the response (status < 400). */
  async request(r: Req, okStatuses?: number[]): Promise<Response> {
    const key = r.scopes.join(' ');
    const max = r.idempotent === false ? 1 : (this.opts.maxAttempts ?? 4);
    let authRetried = false;
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { 'User-Agent': this.opts.userAgent ?? 'sekisho', ...(r.headers ?? {}) };
      const auth = this.authCache.get(key) ?? this.basicHeader;
      if (auth) headers.Authorization = auth;
      const init: RequestInit & { duplex?: 'half' } = { method: r.method, headers, redirect: 'follow' };
      if (Buffer.isBuffer(r.body)) init.body = r.body as unknown as BodyInit;
      else if (typeof r.body === 'function') {
        init.body = r.body() as unknown as BodyInit;
        init.duplex = 'half';
      }
      let res: Response;
      try {
        res = await this.f(this.url(r.path, r.query), init);
      } catch (err) {
        if (attempt < max) {
          await this.sleep((this.opts.backoffMs ?? 200) * 2 ** (attempt - 1));
          continue;
        }
        throw new OciError('REGISTRY_ERROR', `${r.method} ${this.baseUrl}${r.path}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      if (res.status === 401 && !authRetried) {
        const ch = res.headers.get('www-authenticate');
        await res.body?.cancel();
        if (ch) {
          const h = await this.authorize(r.scopes, ch);
          if (h) {
            this.authCache.set(key, h);
            authRetried = true;
            attempt--;
            continue;
          }
        }
        throw new OciError('UNAUTHORIZED', `${r.method} ${this.baseUrl}${r.path}: authentication required`, {
          status: 401,
        });
      }
      if ((res.status === 429 || res.status >= 500) && attempt < max) {
        const ra = Number(res.headers.get('retry-after'));
        await res.body?.cancel();
        await this.sleep(
          Number.isFinite(ra) && ra > 0
            ? Math.min(ra * 1000, 30_000)
            : (this.opts.backoffMs ?? 200) * 2 ** (attempt - 1),
        );
        continue;
      }
      if (res.status >= 400 && !(okStatuses ?? []).includes(res.status)) {
        const text = await res.text();
        const e = registryErrorCode(res.status, text);
        throw new OciError(e.code, `${r.method} ${this.baseUrl}${r.path}: ${e.message}`, { status: res.status });
      }
      return res;
    }
  }

  private pull(repo: string): string[] {
    return [`repository:${repo}:pull`];
  }
  private push(repo: string): string[] {
    return [`repository:${repo}:pull,push`];
  }

  async ping(): Promise<void> {
    const res = await this.request({ method: 'GET', path: '/v2/', scopes: [] });
    await res.body?.cancel();
  }

  /** Fetches a manifest; its digest is computed and checked against a digest reference and the header. */
  async getManifest(repo: string, ref: string, accept = MANIFEST_ACCEPT): Promise<FetchedManifest> {
    const res = await this.request({
      method: 'GET',
      path: `/v2/${repo}/manifests/${ref}`,
      scopes: this.pull(repo),
      headers: { Accept: accept },
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const header = res.headers.get('docker-content-digest');
    const algorithm = ref.includes(':')
      ? parseDigest(ref).algorithm
      : header && header.startsWith('sha512:')
        ? 'sha512'
        : 'sha256';
    const digest = digestOf(bytes, algorithm);
    if (ref.includes(':') && digest !== ref)
      throw new OciError('DIGEST_INVALID', `manifest ${repo}@${ref} has digest ${digest}`);
    if (header && header.startsWith(`${algorithm}:`) && header !== digest) {
      throw new OciError(
        'DIGEST_INVALID',
        `manifest ${repo}:${ref} has digest ${digest} but the registry says ${header}`,
      );
    }
    const ct = res.headers.get('content-type')?.split(';')[0]?.trim();
    const mediaType = parseManifest(bytes, ct).mediaType;
    return { bytes, digest, mediaType };
  }

  async headManifest(repo: string, ref: string): Promise<Descriptor | null> {
    const res = await this.request(
      {
        method: 'HEAD',
        path: `/v2/${repo}/manifests/${ref}`,
        scopes: this.pull(repo),
        headers: { Accept: MANIFEST_ACCEPT },
      },
      [404],
    );
    if (res.status === 404) return null;
    const digest = res.headers.get('docker-content-digest');
    if (!digest) {
      const m = await this.getManifest(repo, ref);
      return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length };
    }
    return {
      mediaType: res.headers.get('content-type') ?? MediaType.OciManifest,
      digest,
      size: Number(res.headers.get('content-length') ?? 0),
    };
  }

  async putManifest(repo: string, ref: string, bytes: Buffer, mediaType: string): Promise<string> {
    const res = await this.request({
      method: 'PUT',
      path: `/v2/${repo}/manifests/${ref}`,
      scopes: this.push(repo),
      headers: { 'Content-Type': mediaType },
      body: bytes,
    });
    await res.body?.cancel();
    const digest = digestOf(bytes, ref.includes(':') ? parseDigest(ref).algorithm : 'sha256');
    const header = res.headers.get('docker-content-digest');
    if (header && header.split(':')[0] === digest.split(':')[0] && header !== digest) {
      throw new OciError('DIGEST_INVALID', `registry stored manifest as ${header}, expected ${digest}`);
    }
    return digest;
  }

  async deleteManifest(repo: string, ref: string): Promise<void> {
    const res = await this.request({
      method: 'DELETE',
      path: `/v2/${repo}/manifests/${ref}`,
      scopes: [`repository:${repo}:delete`],
    });
    await res.body?.cancel();
  }

  /** Size of a blob in the repository, or null. */
  async blobSize(repo: string, digest: string): Promise<number | null> {
    const res = await this.request(
      { method: 'HEAD', path: `/v2/${repo}/blobs/${digest}`, scopes: this.pull(repo) },
      [404],
    );
    if (res.status === 404) return null;
    return Number(res.headers.get('content-length') ?? 0);
  }

  /**
   * Streams a blob. The whole-blob stream verifies digest (and size when given) and errors at the end
   * if they differ; a range read returns the bytes as sent.
   */
  async getBlob(
    repo: string,
    digest: string,
    opts: { size?: number; range?: { start: number; end?: number } } = {},
  ): Promise<Readable> {
    parseDigest(digest);
    const headers: Record<string, string> = {};
    if (opts.range) headers.Range = `bytes=${opts.range.start}-${opts.range.end ?? ''}`;
    const res = await this.request({
      method: 'GET',
      path: `/v2/${repo}/blobs/${digest}`,
      scopes: this.pull(repo),
      headers,
    });
    if (!res.body) throw new OciError('REGISTRY_ERROR', `blob ${digest} came without a body`);
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    if (opts.range) {
      if (res.status !== 206 && opts.range.start > 0) {
        body.destroy();
        throw new OciError('UNSUPPORTED', `registry ${this.host} ignored the range request`);
      }
      return body;
    }
    const v = new VerifyingStream(digest, opts.size);
    body.on('error', (e) => v.destroy(e));
    return body.pipe(v);
  }

  async getBlobBytes(repo: string, digest: string, size?: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of await this.getBlob(repo, digest, size !== undefined ? { size } : {}))
      chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  /** Tries a cross-repository mount; true if the registry mounted the blob. */
  async mountBlob(repo: string, digest: string, from: string): Promise<boolean> {
    const res = await this.request({
      method: 'POST',
      path: `/v2/${repo}/blobs/uploads/`,
      query: { mount: digest, from },
      scopes: [...this.push(repo), `repository:${from}:pull`],
      body: Buffer.alloc(0),
    });
    await res.body?.cancel();
    if (res.status === 201) return true;
    // 202: the registry opened an upload session instead; cancel it
    const loc = res.headers.get('location');
    if (loc)
      await this.request(
        { method: 'DELETE', path: new URL(loc, this.baseUrl).pathname, scopes: this.push(repo) },
        [404],
      )
        .then((r) => r.body?.cancel())
        .catch(() => undefined);
    return false;
  }

  /**
   * Uploads a blob unless the repository has it: mount from `mountFrom` if given, else monolithic for
   * small blobs (in memory), else a streamed or chunked upload that resumes from the registry's offset
   * after a failed chunk.
   */
  async pushBlob(
    repo: string,
    desc: { digest: string; size: number },
    source: BlobSource,
    opts: { mountFrom?: string; onProgress?: (n: number) => void } = {},
  ): Promise<'exists' | 'mounted' | 'uploaded'> {
    if ((await this.blobSize(repo, desc.digest)) !== null) return 'exists';
    if (opts.mountFrom && opts.mountFrom !== repo && (await this.mountBlob(repo, desc.digest, opts.mountFrom)))
      return 'mounted';
    const small = desc.size <= 1024 * 1024;
    if (small) {
      const chunks: Buffer[] = [];
      for await (const c of source(0)) chunks.push(c as Buffer);
      const bytes = Buffer.concat(chunks);
      const start = await this.startUpload(repo);
      const res = await this.request({
        method: 'PUT',
        path: start.pathname,
        query: { ...Object.fromEntries(start.searchParams), digest: desc.digest },
        scopes: this.push(repo),
        headers: { 'Content-Type': 'application/octet-stream' },
        body: bytes,
      });
      await res.body?.cancel();
      opts.onProgress?.(bytes.length);
      return 'uploaded';
    }
    let loc = await this.startUpload(repo);
    let offset = 0;
    const chunk = this.opts.chunkSize;
    let failures = 0;
    while (offset < desc.size) {
      const end = chunk ? Math.min(offset + chunk, desc.size) : desc.size;
      const from = offset;
      try {
        const res = await this.request({
          method: 'PATCH',
          path: loc.pathname,
          query: Object.fromEntries(loc.searchParams),
          scopes: this.push(repo),
          idempotent: false,
          headers: {
            'Content-Type': 'application/octet-stream',
            'Content-Range': `${from}-${end - 1}`,
            'Content-Length': String(end - from),
          },
          body: () => sliceStream(source(from), end - from),
        });
        await res.body?.cancel();
        loc = new URL(res.headers.get('location') ?? loc.toString(), this.baseUrl);
        offset = end;
        opts.onProgress?.(end - from);
      } catch (err) {
        if (++failures > (this.opts.maxAttempts ?? 4)) throw err;
        // resume: ask the registry how much it has
        const st = await this.request({
          method: 'GET',
          path: loc.pathname,
          query: Object.fromEntries(loc.searchParams),
          scopes: this.push(repo),
        });
        await st.body?.cancel();
        const range = st.headers.get('range');
        const m = range ? /^(?:bytes=)?0-(\d+)$/.exec(range) : null;
        offset = m ? Number(m[1]) + 1 : 0;
        if (offset === 1 && m && m[1] === '0') offset = 0; // "0-0" means empty on most registries
        loc = new URL(st.headers.get('location') ?? loc.toString(), this.baseUrl);
        await this.sleep((this.opts.backoffMs ?? 200) * 2 ** (failures - 1));
      }
    }
    const res = await this.request({
      method: 'PUT',
      path: loc.pathname,
      query: { ...Object.fromEntries(loc.searchParams), digest: desc.digest },
      scopes: this.push(repo),
      body: Buffer.alloc(0),
    });
    await res.body?.cancel();
    return 'uploaded';
  }

  private async startUpload(repo: string): Promise<URL> {
    const res = await this.request({
      method: 'POST',
      path: `/v2/${repo}/blobs/uploads/`,
      scopes: this.push(repo),
      body: Buffer.alloc(0),
    });
    await res.body?.cancel();
    const loc = res.headers.get('location');
    if (!loc) throw new OciError('REGISTRY_ERROR', `registry ${this.host} opened an upload without a Location`);
    return new URL(loc, this.baseUrl);
  }

  /** All tags, following `Link` pagination. */
  async listTags(repo: string, pageSize?: number): Promise<string[]> {
    const out: string[] = [];
    let path = `/v2/${repo}/tags/list`;
    let query: Record<string, string> | undefined = pageSize ? { n: String(pageSize) } : undefined;
    for (let page = 0; page < 10_000; page++) {
      const res = await this.request(
        { method: 'GET', path, scopes: this.pull(repo), ...(query ? { query } : {}) },
        [404],
      );
      if (res.status === 404) {
        await res.body?.cancel();
        return out;
      }
      const body = (await res.json()) as { tags?: string[] | null };
      out.push(...(body.tags ?? []));
      const link = res.headers.get('link');
      const m = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
      if (!m) break;
      const next = new URL(m[1]!, this.baseUrl);
      path = next.pathname;
      query = Object.fromEntries(next.searchParams);
    }
    return out;
  }

  async catalog(pageSize?: number): Promise<string[]> {
    const res = await this.request({
      method: 'GET',
      path: '/v2/_catalog',
      scopes: ['registry:catalog:*'],
      ...(pageSize ? { query: { n: String(pageSize) } } : {}),
    });
    return ((await res.json()) as { repositories?: string[] }).repositories ?? [];
  }

  /**
   * Referrers of a manifest: the referrers API, or when the registry lacks it, the tag-schema fallback
   * index at `<alg>-<hex>`.
   */
  async referrers(
    repo: string,
    digest: string,
    artifactType?: string,
  ): Promise<{ manifests: Descriptor[]; via: 'api' | 'tag-schema' }> {
    const { algorithm, hex } = parseDigest(digest);
    const res = await this.request(
      {
        method: 'GET',
        path: `/v2/${repo}/referrers/${digest}`,
        scopes: this.pull(repo),
        headers: { Accept: MediaType.OciIndex },
        ...(artifactType ? { query: { artifactType } } : {}),
      },
      [404, 400, 405],
    );
    const ct = res.headers.get('content-type') ?? '';
    if (res.status === 200 && ct.startsWith(MediaType.OciIndex)) {
      const idx = (await res.json()) as ImageIndex;
      let list = idx.manifests ?? [];
      if (artifactType && !(res.headers.get('oci-filters-applied') ?? '').includes('artifactType'))
        list = list.filter((d) => d.artifactType === artifactType);
      return { manifests: list, via: 'api' };
    }
    await res.body?.cancel();
    const tag = `${algorithm}-${hex}`;
    let idx: ImageIndex;
    try {
      const m = await this.getManifest(repo, tag, MediaType.OciIndex);
      idx = JSON.parse(m.bytes.toString('utf8')) as ImageIndex;
    } catch (err) {
      if (err instanceof OciError && (err.code === 'MANIFEST_UNKNOWN' || err.status === 404))
        return { manifests: [], via: 'tag-schema' };
      throw err;
    }
    let list = idx.manifests ?? [];
    if (artifactType) list = list.filter((d) => d.artifactType === artifactType);
    return { manifests: list, via: 'tag-schema' };
  }

  /**
   * Pushes a manifest that has a subject; when the registry does not process subjects (no OCI-Subject
   * header), also maintains the tag-schema fallback index.
   */
  async putReferrer(repo: string, bytes: Buffer, mediaType: string, subject: string, ref?: string): Promise<string> {
    const digest = digestOf(bytes);
    const res = await this.request({
      method: 'PUT',
      path: `/v2/${repo}/manifests/${ref ?? digest}`,
      scopes: this.push(repo),
      headers: { 'Content-Type': mediaType },
      body: bytes,
    });
    await res.body?.cancel();
    if (res.headers.get('oci-subject')) return digest;
    const parsed = parseManifest(bytes, mediaType);
    const desc: Descriptor = { mediaType: parsed.mediaType, digest, size: bytes.length };
    if (parsed.artifactType) desc.artifactType = parsed.artifactType;
    if (parsed.manifest.annotations) desc.annotations = parsed.manifest.annotations;
    const { algorithm, hex } = parseDigest(subject);
    const tag = `${algorithm}-${hex}`;
    let idx: ImageIndex = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
    try {
      idx = JSON.parse((await this.getManifest(repo, tag, MediaType.OciIndex)).bytes.toString('utf8')) as ImageIndex;
    } catch (err) {
      if (!(err instanceof OciError && (err.code === 'MANIFEST_UNKNOWN' || err.status === 404))) throw err;
    }
    if (!idx.manifests.some((m) => m.digest === digest)) idx.manifests.push(desc);
    await this.putManifest(repo, tag, Buffer.from(JSON.stringify(idx)), MediaType.OciIndex);
    return digest;
  }
}

/** The first `n` bytes of a stream, as an async iterable (ends the source after). */
async function* sliceStream(src: Readable, n: number): AsyncIterable<Uint8Array> {
  let left = n;
  try {
    for await (const c of src) {
      const b = c as Buffer;
      if (b.length >= left) {
        yield b.subarray(0, left);
        left = 0;
        break;
      }
      left -= b.length;
      yield b;
    }
  } finally {
    src.destroy();
  }
  if (left > 0) throw new OciError('SIZE_INVALID', `source ended ${left} bytes short`);
}
