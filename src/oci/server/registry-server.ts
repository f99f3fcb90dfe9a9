// The embedded OCI registry: the distribution-spec v1.1 HTTP API over a RegistryStorage, on node:http
// (or node:https with a certificate). Request bodies stream straight to storage; nothing holds a layer
// in memory.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { OciError, httpStatusFor, type OciErrorCode } from '../errors.ts';
import { digestOf, parseDigest } from '../digest.ts';
import { checkRepositoryName, isValidTag } from '../reference.ts';
import { MediaType, isNondistributable, parseManifest, type Descriptor } from '../media-types.ts';
import type { RegistryStorage } from '../storage/registry-storage.ts';
import { RegistryAuth, parseScope, type Action, type Principal, type Scope } from './auth.ts';

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface RegistryServerOptions {
  storage: RegistryStorage;
  auth?: RegistryAuth;
  /** Upload sessions older than this are dropped (default 24 h). */
  uploadTtlMs?: number;
  /** Called for each request once answered (for logs); never given credentials. */
  onRequest?: (info: { method: string; path: string; status: number; ms: number }) => void;
}

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  principal: Principal;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(data.length), ...headers });
  res.end(data);
}

function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string | number> = {}): void {
  res.writeHead(status, { 'Content-Length': '0', ...headers });
  res.end();
}

function sendError(
  res: ServerResponse,
  code: OciErrorCode,
  message: string,
  headers: Record<string, string> = {},
  detail?: unknown,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = httpStatusFor[code] ?? 500;
  sendJson(res, status, { errors: [{ code, message, detail: detail ?? null }] }, headers);
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > limit) throw new OciError('SIZE_INVALID', `body exceeds ${limit} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Drains an unread request body so the connection can be reused. */
function drain(req: IncomingMessage): void {
  if (!req.complete) req.resume();
}

function parseRange(header: string, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null;
  const [, a, b] = m as unknown as [string, string, string];
  if (a === '' && b === '') return null;
  let start: number;
  let end: number;
  if (a === '') {
    const n = Number(b);
    if (n === 0) return 'unsatisfiable';
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
    if (b !== '' && Number(b) < start) return 'unsatisfiable';
  }
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

function uploadRange(size: number): string {
  return `0-${Math.max(0, size - 1)}`;
}

export class RegistryServer {
  readonly storage: RegistryStorage;
  readonly auth?: RegistryAuth;
  private readonly uploadTtlMs: number;
  private readonly onRequest?: RegistryServerOptions['onRequest'];
  private server?: Server;
  private expiryTimer?: NodeJS.Timeout;
  private baseUrl = '';

  constructor(opts: RegistryServerOptions) {
    this.storage = opts.storage;
    if (opts.auth) this.auth = opts.auth;
    this.uploadTtlMs = opts.uploadTtlMs ?? 24 * 3600 * 1000;
    if (opts.onRequest) this.onRequest = opts.onRequest;
  }

  /** The node:http request listener (usable inside another server). */
  handler = (req: IncomingMessage, res: ServerResponse): void => {
    const t0 = Date.now();
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    const done = (): void =>
      this.onRequest?.({
        method: req.method ?? '',
        path: (req.url ?? '').split('?')[0] ?? '',
        status: res.statusCode,
        ms: Date.now() - t0,
      });
    res.on('finish', done);
    this.dispatch(req, res).catch((err: unknown) => {
      if (err instanceof OciError) sendError(res, err.code, err.message, {}, err.detail);
      else if (
        req.destroyed ||
        (err as NodeJS.ErrnoException)?.code === 'ECONNRESET' ||
        (err as Error)?.name === 'AbortError'
      )
        res.destroy();
      else sendError(res, 'REGISTRY_ERROR', 'internal error');
      drain(req);
    });
  };

  async listen(opts: {
    host: string;
    port: number;
    tls?: { cert: string | Buffer; key: string | Buffer };
  }): Promise<string> {
    const server = opts.tls
      ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, this.handler)
      : createHttpServer(this.handler);
    server.keepAliveTimeout = 30_000;
    server.requestTimeout = 0;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => resolve());
    });
    const addr = server.address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.baseUrl = `${opts.tls ? 'https' : 'http'}://${host}:${addr.port}`;
    this.expiryTimer = setInterval(
      () => {
        this.storage.expireUploads(this.uploadTtlMs).catch(() => undefined);
      },
      Math.min(this.uploadTtlMs, 60_000),
    );
    this.expiryTimer.unref();
    return this.baseUrl;
  }

  get url(): string {
    return this.baseUrl;
  }

  async close(): Promise<void> {
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    const s = this.server;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  private realm(req: IncomingMessage): string {
    const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    return `${proto}://${req.headers.host ?? 'localhost'}/token`;
  }

  /** Requires `actions` on `repository`; answers 401/403 and returns false when not permitted. */
  private authorize(ctx: Ctx, scopes: { repository: string; action: Action }[]): boolean {
    const auth = this.auth;
    if (!auth) return true;
    const missing = scopes.filter((s) => !auth.permits(ctx.principal, s.repository, s.action));
    if (missing.length === 0) return true;
    const wanted = new Map<string, Set<string>>();
    for (const s of scopes) {
      const set = wanted.get(s.repository) ?? new Set<string>();
      set.add(s.action);
      if (s.action === 'push') set.add('pull');
      wanted.set(s.repository, set);
    }
    const chScopes: Scope[] = [...wanted].map(([name, acts]) => ({
      type: 'repository',
      name,
      actions: [...acts].sort(),
    }));
    // Authenticated but not allowed: 403 with basic auth; with tokens a 401 lets the client ask for more.
    if (ctx.principal.account !== undefined && auth.options.mode === 'basic') {
      sendError(ctx.res, 'DENIED', `access to ${missing.map((m) => `${m.repository}:${m.action}`).join(', ')} denied`);
    } else {
      sendError(ctx.res, 'UNAUTHORIZED', 'authentication required', {
        'WWW-Authenticate': auth.challenge(this.realm(ctx.req), chScopes),
      });
    }
    drain(ctx.req);
    return false;
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The path is used raw: URL parsing would resolve `..` segments before the name check sees them.
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q >= 0 ? raw.slice(0, q) : raw;
    const url = new URL(q >= 0 ? raw.slice(q) : '', 'http://registry.invalid/');
    const method = req.method ?? 'GET';
    if (path === '/token' && this.auth?.options.mode === 'token') return this.tokenEndpoint(req, res, url);
    if (path !== '/v2' && !path.startsWith('/v2/')) {
      drain(req);
      return sendError(res, 'NAME_UNKNOWN', 'not found');
    }
    let principal: Principal = {};
    if (this.auth) {
      try {
        principal = await this.auth.authenticate(req.headers.authorization);
      } catch (err) {
        drain(req);
        return sendError(res, 'UNAUTHORIZED', (err as Error).message, {
          'WWW-Authenticate': this.auth.challenge(this.realm(req), []),
        });
      }
    }
    const ctx: Ctx = { req, res, url, principal };
    const rest = path.slice(4); // after "/v2/"
    if (rest === '' || path === '/v2') {
      drain(req);
      if (this.auth && principal.account === undefined && !principal.granted) {
        return sendError(res, 'UNAUTHORIZED', 'authentication required', {
          'WWW-Authenticate': this.auth.challenge(this.realm(req), []),
        });
      }
      return sendJson(res, 200, {});
    }
    if (rest === '_catalog') {
      drain(req);
      if (method !== 'GET') return sendError(res, 'UNSUPPORTED', `${method} not supported`);
      return this.catalog(ctx);
    }
    const m = /^(.+?)\/(blobs\/uploads\/?(.*)|blobs\/([^/]+)|manifests\/([^/]+)|tags\/list|referrers\/([^/]+))$/.exec(
      rest,
    );
    if (!m) {
      drain(req);
      // a path that names a repository badly gets NAME_INVALID, anything else is unknown
      const nm = /^(.*)\/(blobs|manifests|tags|referrers)\//.exec(rest);
      if (nm) return sendError(res, 'NAME_INVALID', `invalid repository name ${JSON.stringify(nm[1])}`);
      return sendError(res, 'NAME_UNKNOWN', 'not found');
    }
    const name = m[1]!;
    try {
      checkRepositoryName(name);
    } catch (err) {
      drain(req);
      throw err;
    }
    const dec = (s: string): string => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    };
    const kind = m[2]!;
    if (kind.startsWith('blobs/uploads')) return this.uploads(ctx, method, name, dec(m[3] ?? ''));
    if (m[4] !== undefined) return this.blobs(ctx, method, name, dec(m[4]));
    if (m[5] !== undefined) return this.manifests(ctx, method, name, dec(m[5]));
    if (m[6] !== undefined) {
      drain(req);
      if (method !== 'GET') return sendError(res, 'UNSUPPORTED', `${method} not supported`);
      return this.referrers(ctx, name, dec(m[6]));
    }
    drain(req);
    if (method !== 'GET') return sendError(res, 'UNSUPPORTED', `${method} not supported`);
    return this.tags(ctx, name);
  }

  /**
   * Docker's token endpoint: `GET /token?service=&scope=` with optional basic credentials, and the OAuth2
   * form (`POST /token`, grant_type=password) that containerd and buildkit try first.
   */
  private async tokenEndpoint(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const auth = this.auth!;
    let params = url.searchParams;
    let header = req.headers.authorization;
    if (req.method === 'POST') {
      const form = new URLSearchParams((await readBody(req, 64 * 1024)).toString('utf8'));
      params = form;
      const grant = form.get('grant_type');
      if (grant === 'password') {
        header = `Basic ${Buffer.from(`${form.get('username') ?? ''}:${form.get('password') ?? ''}`).toString('base64')}`;
      } else {
        return sendJson(res, 400, { error: 'unsupported_grant_type' });
      }
    } else if (req.method !== 'GET') {
      drain(req);
      return sendError(res, 'UNSUPPORTED', `${req.method ?? ''} not supported`);
    } else drain(req);
    let account: string | undefined;
    try {
      if (header) {
        if (!header.toLowerCase().startsWith('basic '))
          throw new OciError('UNAUTHORIZED', 'the token endpoint takes basic credentials');
        account = (await auth.authenticate(header)).account;
      }
    } catch (err) {
      return sendError(res, 'UNAUTHORIZED', (err as Error).message, {
        'WWW-Authenticate': `Basic realm="${auth.service}"`,
      });
    }
    const scopes: Scope[] = [];
    for (const raw of params.getAll('scope')) {
      for (const one of raw.split(' ')) {
        const s = parseScope(one);
        if (s) scopes.push(s);
      }
    }
    const t = auth.issueToken(account, scopes);
    sendJson(res, 200, { token: t.token, access_token: t.token, expires_in: t.expiresIn, issued_at: t.issuedAt });
  }

  private async catalog(ctx: Ctx): Promise<void> {
    if (this.auth) {
      const p = ctx.principal;
      const ok = p.granted
        ? p.granted.some((s) => s.type === 'registry' && s.name === 'catalog')
        : p.account !== undefined;
      if (!ok) {
        return sendError(ctx.res, 'UNAUTHORIZED', 'authentication required', {
          'WWW-Authenticate': this.auth.challenge(this.realm(ctx.req), [
            { type: 'registry', name: 'catalog', actions: ['*'] },
          ]),
        });
      }
    }
    const all = await this.storage.listRepositories();
    const { items, link } = paginate(all, ctx.url, '/v2/_catalog');
    sendJson(ctx.res, 200, { repositories: items }, link ? { Link: link } : {});
  }

  private async tags(ctx: Ctx, name: string): Promise<void> {
    if (!this.authorize(ctx, [{ repository: name, action: 'pull' }])) return;
    const tags = await this.storage.listTags(name);
    if (tags === null) return sendError(ctx.res, 'NAME_UNKNOWN', `repository ${name} is not known`);
    const { items, link } = paginate(tags, ctx.url, `/v2/${name}/tags/list`);
    sendJson(ctx.res, 200, { name, tags: items }, link ? { Link: link } : {});
  }

  private async referrers(ctx: Ctx, name: string, digest: string): Promise<void> {
    if (!this.authorize(ctx, [{ repository: name, action: 'pull' }])) return;
    parseDigest(digest);
    let list = await this.storage.listReferrers(name, digest);
    const headers: Record<string, string> = {};
    const at = ctx.url.searchParams.get('artifactType');
    if (at !== null) {
      list = list.filter((d) => d.artifactType === at);
      headers['OCI-Filters-Applied'] = 'artifactType';
    }
    const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: list }));
    ctx.res.writeHead(200, { 'Content-Type': MediaType.OciIndex, 'Content-Length': String(body.length), ...headers });
    ctx.res.end(body);
  }

  private async blobs(ctx: Ctx, method: string, name: string, digest: string): Promise<void> {
    const { req, res } = ctx;
    drain(req);
    if (method === 'DELETE') {
      if (!this.authorize(ctx, [{ repository: name, action: 'delete' }])) return;
      parseDigest(digest);
      if (!(await this.storage.unlinkBlob(name, digest)))
        return sendError(res, 'BLOB_UNKNOWN', `blob ${digest} is not known in ${name}`);
      return sendEmpty(res, 202);
    }
    if (method !== 'GET' && method !== 'HEAD') return sendError(res, 'UNSUPPORTED', `${method} not supported`);
    if (!this.authorize(ctx, [{ repository: name, action: 'pull' }])) return;
    parseDigest(digest);
    const info = await this.storage.statRepoBlob(name, digest);
    if (!info) return sendError(res, 'BLOB_UNKNOWN', `blob ${digest} is not known in ${name}`);
    const headers: Record<string, string> = {
      'Content-Type': 'application/octet-stream',
      'Docker-Content-Digest': digest,
      'Accept-Ranges': 'bytes',
      ETag: `"${digest}"`,
      'Cache-Control': 'max-age=31536000',
    };
    const rangeHeader = req.headers.range;
    if (rangeHeader !== undefined) {
      const r = parseRange(rangeHeader, info.size);
      if (r === 'unsatisfiable') {
        return sendError(res, 'RANGE_INVALID', `range ${rangeHeader} is not satisfiable`, {
          'Content-Range': `bytes */${info.size}`,
        });
      }
      if (r !== null) {
        res.writeHead(206, {
          ...headers,
          'Content-Length': String(r.end - r.start + 1),
          'Content-Range': `bytes ${r.start}-${r.end}/${info.size}`,
        });
        if (method === 'HEAD') return void res.end();
        return pipeBlob(this.storage.readBlob(digest, r), res);
      }
    }
    res.writeHead(200, { ...headers, 'Content-Length': String(info.size) });
    if (method === 'HEAD' || info.size === 0) return void res.end();
    return pipeBlob(this.storage.readBlob(digest), res);
  }

  private uploadHeaders(name: string, id: string, size: number): Record<string, string> {
    return { Location: `/v2/${name}/blobs/uploads/${id}`, Range: uploadRange(size), 'Docker-Upload-UUID': id };
  }

  private blobCreated(name: string, digest: string): Record<string, string> {
    return { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest };
  }

  private async uploads(ctx: Ctx, method: string, name: string, id: string): Promise<void> {
    const { req, res, url } = ctx;
    if (id === '') {
      if (method !== 'POST') {
        drain(req);
        return sendError(res, 'UNSUPPORTED', `${method} not supported`);
      }
      return this.startUpload(ctx, name);
    }
    if (!this.authorize(ctx, [{ repository: name, action: 'push' }])) return;
    const upload = await this.storage.getUpload(name, id);
    if (!upload) {
      drain(req);
      return sendError(res, 'BLOB_UPLOAD_UNKNOWN', `upload ${id} is not known in ${name}`);
    }
    if (method === 'GET') {
      drain(req);
      return sendEmpty(res, 204, this.uploadHeaders(name, id, upload.size));
    }
    if (method === 'DELETE') {
      drain(req);
      await this.storage.cancelUpload(name, id);
      return sendEmpty(res, 204);
    }
    if (method !== 'PATCH' && method !== 'PUT') {
      drain(req);
      return sendError(res, 'UNSUPPORTED', `${method} not supported`);
    }
    let digest: string | null = null;
    if (method === 'PUT') {
      digest = url.searchParams.get('digest');
      if (digest === null) {
        drain(req);
        return sendError(res, 'DIGEST_INVALID', 'the digest query parameter is required to finish an upload');
      }
      try {
        parseDigest(digest);
      } catch (err) {
        drain(req);
        throw err;
      }
    }
    // A chunk: PATCH always, PUT when it carries a body.
    const len = req.headers['content-length'];
    const hasBody =
      method === 'PATCH' || (len !== undefined ? Number(len) > 0 : req.headers['transfer-encoding'] !== undefined);
    let size = upload.size;
    if (hasBody) {
      const cr = req.headers['content-range'];
      let offset = upload.size;
      if (cr !== undefined) {
        const mm = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/\d+|\/\*)?$/.exec(cr.trim());
        if (!mm) {
          drain(req);
          return sendError(res, 'BLOB_UPLOAD_INVALID', `invalid Content-Range ${JSON.stringify(cr)}`);
        }
        offset = Number(mm[1]);
        const last = Number(mm[2]);
        if (offset !== upload.size || last < offset) {
          drain(req);
          return sendError(
            res,
            'RANGE_INVALID',
            `chunk ${cr} does not continue the upload at ${upload.size}`,
            this.uploadHeaders(name, id, upload.size),
          );
        }
        if (len !== undefined && Number(len) !== last - offset + 1) {
          drain(req);
          return sendError(res, 'BLOB_UPLOAD_INVALID', `Content-Length ${len} does not match Content-Range ${cr}`);
        }
      }
      try {
        size = (await this.storage.appendUpload(name, id, offset, req)).size;
      } catch (err) {
        if (err instanceof OciError && err.code === 'RANGE_INVALID') {
          drain(req);
          return sendError(res, 'RANGE_INVALID', err.message, this.uploadHeaders(name, id, upload.size));
        }
        throw err;
      }
    } else drain(req);
    if (method === 'PATCH') return sendEmpty(res, 202, this.uploadHeaders(name, id, size));
    const info = await this.storage.commitUpload(name, id, digest!);
    return sendEmpty(res, 201, this.blobCreated(name, info.digest));
  }

  private async startUpload(ctx: Ctx, name: string): Promise<void> {
    const { req, res, url } = ctx;
    const mount = url.searchParams.get('mount');
    const from = url.searchParams.get('from');
    const scopes: { repository: string; action: Action }[] = [{ repository: name, action: 'push' }];
    if (!this.authorize(ctx, scopes)) return;
    if (mount !== null) {
      let ok = false;
      try {
        parseDigest(mount);
        if (from !== null) {
          checkRepositoryName(from);
          const mayRead = !this.auth || this.auth.permits(ctx.principal, from, 'pull');
          ok = mayRead && (await this.storage.statRepoBlob(from, mount)) !== null;
        } else {
          // anonymous mount only when access control cannot be bypassed by it
          ok = !this.auth && (await this.storage.statBlob(mount)) !== null;
        }
      } catch {
        ok = false;
      }
      if (ok) {
        drain(req);
        await this.storage.linkBlob(name, mount);
        return sendEmpty(res, 201, this.blobCreated(name, mount));
      }
      // fall back to a regular upload session, as the spec requires
    }
    const digest = url.searchParams.get('digest');
    if (digest !== null && mount === null) {
      try {
        parseDigest(digest);
      } catch (err) {
        drain(req);
        throw err;
      }
      const len = req.headers['content-length'];
      const info = await this.storage.putBlob(name, digest, req, len !== undefined ? Number(len) : undefined);
      return sendEmpty(res, 201, this.blobCreated(name, info.digest));
    }
    drain(req);
    const u = await this.storage.createUpload(name);
    return sendEmpty(res, 202, this.uploadHeaders(name, u.id, 0));
  }

  private async manifests(ctx: Ctx, method: string, name: string, ref: string): Promise<void> {
    const { req, res } = ctx;
    const byDigest = ref.includes(':');
    if (byDigest) {
      try {
        parseDigest(ref);
      } catch (err) {
        drain(req);
        throw err;
      }
    } else if (!isValidTag(ref)) {
      drain(req);
      return sendError(
        res,
        method === 'PUT' ? 'TAG_INVALID' : 'MANIFEST_UNKNOWN',
        `invalid tag ${JSON.stringify(ref)}`,
      );
    }
    if (method === 'GET' || method === 'HEAD') {
      drain(req);
      if (!this.authorize(ctx, [{ repository: name, action: 'pull' }])) return;
      const m = await this.storage.getManifest(name, ref);
      if (!m) return sendError(res, 'MANIFEST_UNKNOWN', `manifest ${ref} is not known in ${name}`);
      res.writeHead(200, {
        'Content-Type': m.mediaType,
        'Content-Length': String(m.bytes.length),
        'Docker-Content-Digest': m.digest,
        ETag: `"${m.digest}"`,
      });
      return void res.end(method === 'HEAD' ? undefined : m.bytes);
    }
    if (method === 'DELETE') {
      drain(req);
      if (!this.authorize(ctx, [{ repository: name, action: 'delete' }])) return;
      const ok = byDigest ? await this.storage.deleteManifest(name, ref) : await this.storage.deleteTag(name, ref);
      if (!ok) return sendError(res, 'MANIFEST_UNKNOWN', `manifest ${ref} is not known in ${name}`);
      return sendEmpty(res, 202);
    }
    if (method !== 'PUT') {
      drain(req);
      return sendError(res, 'UNSUPPORTED', `${method} not supported`);
    }
    if (!this.authorize(ctx, [{ repository: name, action: 'push' }])) return;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_MANIFEST_BYTES) {
      // the spec's answer to an oversized manifest is 413; the body is not read
      res.setHeader('Connection', 'close');
      req.resume();
      return sendJson(res, 413, {
        errors: [{ code: 'SIZE_INVALID', message: `manifest exceeds ${MAX_MANIFEST_BYTES} bytes`, detail: null }],
      });
    }
    const bytes = await readBody(req, MAX_MANIFEST_BYTES);
    const digest = byDigest ? digestOf(bytes, parseDigest(ref).algorithm) : digestOf(bytes);
    if (byDigest && digest !== ref)
      throw new OciError('DIGEST_INVALID', `manifest digest ${digest} does not match ${ref}`);
    const parsed = parseManifest(bytes, req.headers['content-type']);
    const missing: string[] = [];
    for (const b of parsed.blobs) {
      if (isNondistributable(b.mediaType)) continue;
      if (!(await this.storage.statRepoBlob(name, b.digest))) missing.push(b.digest);
    }
    for (const c of parsed.children) {
      if (!(await this.storage.getManifest(name, c.digest))) missing.push(c.digest);
    }
    if (missing.length > 0) {
      throw new OciError('MANIFEST_BLOB_UNKNOWN', `manifest references content not in ${name}: ${missing.join(', ')}`, {
        detail: { digests: missing },
      });
    }
    let referrer: Descriptor | undefined;
    if (parsed.subject) {
      referrer = { mediaType: parsed.mediaType, digest, size: bytes.length };
      if (parsed.artifactType !== undefined) referrer.artifactType = parsed.artifactType;
      const ann = parsed.manifest.annotations;
      if (ann && Object.keys(ann).length > 0) referrer.annotations = ann;
    }
    const tags = byDigest ? ctx.url.searchParams.getAll('tag').filter((t) => isValidTag(t)) : [ref];
    await this.storage.putManifest(
      name,
      { digest, mediaType: parsed.mediaType, bytes },
      tags[0],
      parsed.subject,
      referrer,
    );
    for (const t of tags.slice(1))
      await this.storage.putManifest(name, { digest, mediaType: parsed.mediaType, bytes }, t);
    const headers: Record<string, string> = {
      Location: `/v2/${name}/manifests/${digest}`,
      'Docker-Content-Digest': digest,
    };
    if (parsed.subject) headers['OCI-Subject'] = parsed.subject.digest;
    if (byDigest && tags.length > 0) headers['OCI-Tag'] = tags.join(',');
    return sendEmpty(res, 201, headers);
  }
}

function pipeBlob(src: NodeJS.ReadableStream & { destroy(): void }, res: ServerResponse): void {
  src.on('error', () => res.destroy());
  res.on('close', () => src.destroy());
  src.pipe(res);
}

function paginate(all: string[], url: URL, path: string): { items: string[]; link?: string } {
  const last = url.searchParams.get('last');
  const nRaw = url.searchParams.get('n');
  let items = last !== null ? all.filter((t) => t > last) : all;
  if (nRaw !== null) {
    const n = Number(nRaw);
    if (!Number.isInteger(n) || n < 0) throw new OciError('UNSUPPORTED', `invalid n ${JSON.stringify(nRaw)}`);
    if (items.length > n) {
      items = items.slice(0, n);
      const lastItem = items[items.length - 1];
      if (lastItem !== undefined) {
        return { items, link: `<${path}?n=${n}&last=${encodeURIComponent(lastItem)}>; rel="next"` };
      }
    }
  }
  return { items };
}
