// The HTTPS front of the sandbox cluster: bearer-token authentication, discovery, OpenAPI, the REST
// paths of every served resource (collections, objects, status/scale/log subresources), content
// negotiation (JSON, Table, PartialObjectMetadata) and watch streams.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import {
  KubeError,
  formatApiVersion,
  isObject,
  matchesFieldSelector,
  matchesSelector,
  notFound,
  parseFieldSelector,
  parseLabelSelector,
  type KubeObject,
  type ResourceInfo,
} from '../kube/index.ts';
import { resKey, type Cluster, type DeleteOptions, type WriteOptions } from './cluster.ts';
import {
  AGGREGATED_CONTENT_TYPE,
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
} from './discovery.ts';
import { contentHash, openApiV2, openApiV3ForGroupVersion, openApiV3Index } from './openapi.ts';
import type { StoreEvent } from './store.ts';
import { buildTable } from './table.ts';
import { decodeProtobuf } from './protobuf.ts';

export interface ApiServerOptions {
  cluster: Cluster;
  token: string;
  cert: string;
  key: string;
  /** pod log text for `kubectl logs` */
  logs?: (pod: KubeObject, container: string) => string;
  /** real container logs (pods run by the pod executor); undefined falls back to `logs` */
  podLogs?: (
    pod: KubeObject,
    container: string,
    o: { follow?: boolean; tailLines?: number; signal?: AbortSignal },
  ) => AsyncIterable<Buffer> | undefined;
}

interface Route {
  info: ResourceInfo;
  ns: string | undefined;
  name?: string;
  sub?: string;
}

const MAX_BODY = 8 * 1024 * 1024;
/** responses to requests that may have written: sent only after the store's commit */
const WRITES = new WeakSet<ServerResponse>();

export class ApiServer {
  readonly server: https.Server;
  private readonly cluster: Cluster;
  private readonly token: Buffer;
  private readonly watches = new Set<() => void>();
  private readonly openapiCache = new Map<string, { rv: string; body: string; hash: string }>();

  constructor(private readonly opts: ApiServerOptions) {
    this.cluster = opts.cluster;
    this.token = Buffer.from(opts.token);
    this.server = https.createServer({ cert: opts.cert, key: opts.key }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => this.fail(res, err));
    });
    this.server.keepAliveTimeout = 60_000;
  }

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const a = this.server.address();
        if (!a || typeof a === 'string') return reject(new Error('no address'));
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  close(): Promise<void> {
    for (const stop of [...this.watches]) stop();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private send(
    res: ServerResponse,
    status: number,
    body: unknown,
    contentType = 'application/json',
    headers: Record<string, string> = {},
  ): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const write = () => {
      res.writeHead(status, {
        'content-type': contentType,
        'content-length': Buffer.byteLength(text),
        'cache-control': 'no-cache, private',
        ...headers,
      });
      res.end(text);
    };
    // a write is acknowledged only once it is committed to disk (group commit of the store)
    if (WRITES.has(res)) {
      this.cluster.store.flushed().then(write, (err: unknown) => {
        WRITES.delete(res);
        this.fail(
          res,
          new KubeError(
            'InternalError',
            500,
            `Internal error occurred: the write could not be persisted: ${(err as Error).message}`,
          ),
        );
      });
    } else write();
  }

  private fail(res: ServerResponse, err: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const e =
      err instanceof KubeError
        ? err
        : new KubeError(
            'InternalError',
            500,
            `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`,
            { cause: err },
          );
    this.send(res, e.status, e.toStatus());
  }

  private authorized(req: IncomingMessage): boolean {
    const h = req.headers.authorization ?? '';
    if (!h.startsWith('Bearer ')) return false;
    const given = Buffer.from(h.slice(7).trim());
    return given.length === this.token.length && timingSafeEqual(given, this.token);
  }

  private async bodyBuffer(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > MAX_BODY) throw new KubeError('BadRequest', 413, 'the request body is too large');
      chunks.push(c);
    }
    return Buffer.concat(chunks);
  }

  /** Reads and decodes a request body: JSON, YAML, or (for a few core kinds) protobuf. */
  private async readObject(req: IncomingMessage): Promise<unknown> {
    const ct = req.headers['content-type'];
    const buf = await this.bodyBuffer(req);
    if (ct?.includes('protobuf')) return decodeProtobuf(buf);
    return this.parseBody(buf.toString('utf8'), ct);
  }

  private async body(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > MAX_BODY) throw new KubeError('BadRequest', 413, 'the request body is too large');
      chunks.push(c);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private parseBody(text: string, ct: string | undefined): unknown {
    if (ct?.includes('protobuf') || ct?.includes('cbor'))
      throw new KubeError(
        'UnsupportedMediaType',
        415,
        `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (the sandbox does not decode ${ct})`,
      );
    if (!text.trim()) return undefined;
    try {
      return ct?.includes('yaml') ? parseYaml(text) : JSON.parse(text);
    } catch (err) {
      try {
        return parseYaml(text);
      } catch {
        throw new KubeError('BadRequest', 400, `the request body could not be decoded: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://sandbox');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const q = url.searchParams;
    const accept = req.headers.accept ?? '';
    if (path === '/healthz' || path === '/livez' || path === '/readyz') return this.send(res, 200, 'ok', 'text/plain');
    if (path === '/version')
      return this.send(res, 200, {
        major: '1',
        minor: '32',
        gitVersion: 'v1.32.0-sekisho',
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2026-01-01T00:00:00Z',
        goVersion: 'go1.23.0',
        compiler: 'gc',
        platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
      });
    if (!this.authorized(req)) {
      return this.send(res, 401, new KubeError('Unauthorized', 401, 'Unauthorized').toStatus());
    }
    const reg = this.cluster.registry;
    if (path === '/api' || path === '/apis') {
      if (accept.includes('as=APIGroupDiscoveryList') && accept.includes('v=v2')) {
        return this.send(res, 200, aggregatedDiscovery(reg, path === '/api'), AGGREGATED_CONTENT_TYPE);
      }
      return this.send(res, 200, path === '/api' ? apiVersions(req.headers.host ?? '127.0.0.1') : apiGroupList(reg));
    }
    if (path.startsWith('/openapi/')) return this.openapi(path, q, res, accept);
    const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (segs[0] === 'api') {
      group = '';
      version = segs[1] ?? '';
      rest = segs.slice(2);
    } else if (segs[0] === 'apis') {
      group = segs[1] ?? '';
      if (segs.length === 2) {
        const g = apiGroup(reg, group);
        if (!g) throw new KubeError('NotFound', 404, 'the server could not find the requested resource');
        return this.send(res, 200, g);
      }
      version = segs[2] ?? '';
      rest = segs.slice(3);
    } else throw new KubeError('NotFound', 404, 'the server could not find the requested resource');
    if (rest.length === 0) {
      const list = apiResourceList(reg, group, version);
      if (!list) throw new KubeError('NotFound', 404, 'the server could not find the requested resource');
      return this.send(res, 200, list);
    }
    const route = this.route(group, version, rest);
    if (req.method !== 'GET' && req.method !== 'HEAD') WRITES.add(res);
    return this.resource(req, res, route, q, accept);
  }

  private route(group: string, version: string, rest: string[]): Route {
    let ns: string | undefined;
    let r = rest;
    if (r[0] === 'namespaces' && r.length >= 3 && !['status', 'finalize'].includes(r[2]!)) {
      ns = r[1];
      r = r.slice(2);
    }
    const [resource, name, sub, ...extra] = r as [string, string | undefined, string | undefined, ...string[]];
    const info = this.cluster.registry.byResource(group, version, resource);
    if (!info || extra.length) throw new KubeError('NotFound', 404, 'the server could not find the requested resource');
    if (!info.namespaced && ns !== undefined)
      throw new KubeError('NotFound', 404, 'the server could not find the requested resource');
    if (sub && !info.subresources.includes(sub))
      throw new KubeError('NotFound', 404, 'the server could not find the requested resource');
    return { info, ns, ...(name !== undefined ? { name } : {}), ...(sub !== undefined ? { sub } : {}) };
  }

  private writeOptions(req: IncomingMessage, q: URLSearchParams): WriteOptions {
    const o: WriteOptions = { userAgent: req.headers['user-agent'] ?? '' };
    if (q.getAll('dryRun').includes('All')) o.dryRun = true;
    else if (q.getAll('dryRun').length)
      throw new KubeError('BadRequest', 400, `Invalid dryRun value: ${q.get('dryRun')}`);
    const fm = q.get('fieldManager');
    if (fm) o.fieldManager = fm;
    if (q.get('force') === 'true') o.force = true;
    const fv = q.get('fieldValidation');
    if (fv) o.fieldValidation = fv;
    return o;
  }

  private warningHeaders(warnings: string[]): Record<string, string> {
    return warnings.length ? { warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ') } : {};
  }

  private async resource(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    q: URLSearchParams,
    accept: string,
  ): Promise<void> {
    const { info, name, sub } = route;
    const ns = route.ns ?? '';
    const method = req.method ?? 'GET';
    const c = this.cluster;
    if (info.namespaced && name !== undefined && route.ns === undefined && method !== 'GET')
      throw new KubeError('NotFound', 404, 'the server could not find the requested resource');
    if (info.verbs.length === 1 && info.verbs[0] === 'create') {
      // SelfSubjectAccessReview / SelfSubjectReview: the token holder is the sandbox's cluster-admin
      if (method !== 'POST' || name !== undefined)
        throw new KubeError('MethodNotAllowed', 405, 'the server does not allow this method on the requested resource');
      // the answer does not depend on the request, so a protobuf body need not be decoded
      const ct = req.headers['content-type'] ?? '';
      const body = (ct.includes('protobuf') ? (await this.bodyBuffer(req), undefined) : await this.readObject(req)) as
        Record<string, unknown> | undefined;
      const user = { username: 'sekisho-admin', groups: ['system:masters', 'system:authenticated'] };
      const status =
        info.kind === 'SelfSubjectReview'
          ? { userInfo: user }
          : { allowed: true, reason: 'the sandbox authenticates one user, sekisho-admin, who may do everything' };
      return this.send(res, 201, {
        ...(body ?? {}),
        apiVersion: formatApiVersion(info),
        kind: info.kind,
        metadata: { creationTimestamp: null },
        status,
      });
    }
    if (name === undefined) {
      if (method === 'GET') {
        if (q.get('watch') === 'true' || q.get('watch') === '1') return this.watch(req, res, route, q, accept);
        return this.list(res, route, q, accept);
      }
      if (method === 'POST') {
        const body = await this.readObject(req);
        const r = await c.create(info, ns, body, this.writeOptions(req, q));
        return this.send(res, 201, r.obj, 'application/json', this.warningHeaders(r.warnings));
      }
      if (method === 'DELETE') {
        const body = this.parseBody(await this.body(req), req.headers['content-type']) as DeleteOptions | undefined;
        const listed = c.list(info, route.ns, {
          labelSelector: q.get('labelSelector') ?? '',
          fieldSelector: q.get('fieldSelector') ?? '',
        });
        const items: KubeObject[] = [];
        for (const s of listed.items) {
          try {
            items.push(
              await c.delete(
                info,
                s.obj.metadata.namespace ?? '',
                s.obj.metadata.name ?? '',
                this.deleteOptions(q, body),
              ),
            );
          } catch (err) {
            if (!(err instanceof KubeError && err.status === 404)) throw err;
          }
        }
        return this.send(res, 200, {
          kind: info.listKind,
          apiVersion: formatApiVersion(info),
          metadata: { resourceVersion: String(c.store.resourceVersion) },
          items,
        });
      }
      throw new KubeError('MethodNotAllowed', 405, `the server does not allow this method on the requested resource`);
    }
    if (sub === 'scale') return this.scale(req, res, route, q);
    if (sub === 'log') {
      const pod = c.get(info, ns, name);
      const container =
        q.get('container') ??
        String((pod.spec as { containers?: { name: string }[] } | undefined)?.containers?.[0]?.name ?? '');
      const tail = q.get('tailLines');
      if (tail !== null && !/^-?\d+$/.test(tail))
        throw new KubeError('BadRequest', 400, `tailLines must be an integer, got "${tail}"`);
      const follow = q.get('follow') === 'true' || q.get('follow') === '1';
      const abort = new AbortController();
      const stream = this.opts.podLogs?.(pod, container, {
        follow,
        ...(tail !== null && Number(tail) >= 0 ? { tailLines: Number(tail) } : {}),
        signal: abort.signal,
      });
      if (stream) {
        res.on('close', () => abort.abort());
        res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-cache, private' });
        res.flushHeaders();
        try {
          for await (const chunk of stream) {
            if (abort.signal.aborted) break;
            res.write(chunk);
          }
        } finally {
          res.end();
        }
        return;
      }
      return this.send(res, 200, this.opts.logs ? this.opts.logs(pod, container) : '', 'text/plain');
    }
    switch (method) {
      case 'GET': {
        const obj = c.get(info, ns, name);
        if (sub === 'status' || !sub) return this.sendObject(res, info, obj, q, accept);
        break;
      }
      case 'PUT': {
        const body = await this.readObject(req);
        if (sub === 'finalize') {
          const r = await c.update(info, ns, name, body, { ...this.writeOptions(req, q), internal: true });
          return this.send(res, 200, r.obj);
        }
        const r = await c.update(info, ns, name, body, {
          ...this.writeOptions(req, q),
          ...(sub ? { subresource: sub } : {}),
        });
        return this.send(res, 200, r.obj, 'application/json', this.warningHeaders(r.warnings));
      }
      case 'PATCH': {
        const raw = await this.body(req);
        const r = await c.patch(info, ns, name, req.headers['content-type'] ?? '', raw, {
          ...this.writeOptions(req, q),
          ...(sub ? { subresource: sub } : {}),
        });
        return this.send(res, r.created ? 201 : 200, r.obj, 'application/json', this.warningHeaders(r.warnings));
      }
      case 'DELETE': {
        const body = this.parseBody(await this.body(req), req.headers['content-type']) as DeleteOptions | undefined;
        const obj = await c.delete(info, ns, name, this.deleteOptions(q, body));
        return this.send(res, 200, obj);
      }
    }
    throw new KubeError('MethodNotAllowed', 405, `the server does not allow this method on the requested resource`);
  }

  private deleteOptions(q: URLSearchParams, body: DeleteOptions | undefined): DeleteOptions {
    const o: DeleteOptions = {};
    const b = isObject(body) ? body : {};
    const pp = q.get('propagationPolicy') ?? (b as DeleteOptions).propagationPolicy;
    if (pp) {
      if (!['Background', 'Foreground', 'Orphan'].includes(pp))
        throw new KubeError('BadRequest', 400, `propagationPolicy: Unsupported value: "${pp}"`);
      o.propagationPolicy = pp as DeleteOptions['propagationPolicy'] & string;
    }
    if ((b as DeleteOptions).orphanDependents === true) o.orphanDependents = true;
    if ((b as DeleteOptions).preconditions) o.preconditions = (b as DeleteOptions).preconditions!;
    const dry = q.getAll('dryRun');
    if (
      dry.includes('All') ||
      (Array.isArray((b as { dryRun?: string[] }).dryRun) && (b as { dryRun: string[] }).dryRun.includes('All'))
    )
      o.dryRun = true;
    return o;
  }

  private sendObject(
    res: ServerResponse,
    info: ResourceInfo,
    obj: KubeObject,
    q: URLSearchParams,
    accept: string,
  ): void {
    if (accept.includes('as=Table')) {
      return this.send(
        res,
        200,
        buildTable(info, [obj], {
          resourceVersion: obj.metadata.resourceVersion ?? '',
          includeObject: q.get('includeObject') ?? 'Metadata',
          ...this.custom(info),
        }),
        'application/json',
      );
    }
    if (accept.includes('as=PartialObjectMetadata') && !accept.includes('as=PartialObjectMetadataList'))
      return this.send(res, 200, {
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: obj.metadata,
      });
    this.send(res, 200, obj);
  }

  private custom(info: ResourceInfo): {
    custom?: { name: string; type: string; jsonPath: string; priority?: number }[];
  } {
    const crd = this.cluster.crdInfo(info);
    return crd ? { custom: crd.printerColumns } : {};
  }

  private list(res: ServerResponse, route: Route, q: URLSearchParams, accept: string): void {
    const { info } = route;
    const limit = Number(q.get('limit') ?? 0) || 0;
    const rvParam = q.get('resourceVersion');
    if (
      rvParam &&
      rvParam !== '0' &&
      q.get('resourceVersionMatch') === 'Exact' &&
      Number(rvParam) !== this.cluster.store.resourceVersion
    )
      throw new KubeError(
        'Expired',
        410,
        `too old resource version: ${rvParam} (${this.cluster.store.resourceVersion})`,
      );
    const r = this.cluster.list(info, route.ns, {
      labelSelector: q.get('labelSelector') ?? '',
      fieldSelector: q.get('fieldSelector') ?? '',
      ...(limit ? { limit } : {}),
      ...(q.get('continue') ? { continue: q.get('continue')! } : {}),
    });
    if (accept.includes('as=Table')) {
      const objs = r.items.map((s) => JSON.parse(this.cluster.presentJson(info, s)) as KubeObject);
      return this.send(
        res,
        200,
        buildTable(info, objs, {
          resourceVersion: String(r.rv),
          ...(r.continue ? { continue: r.continue } : {}),
          includeObject: q.get('includeObject') ?? 'Metadata',
          ...this.custom(info),
        }),
      );
    }
    const meta = JSON.stringify({
      resourceVersion: String(r.rv),
      ...(r.continue ? { continue: r.continue } : {}),
      ...(r.remaining !== undefined ? { remainingItemCount: r.remaining } : {}),
    });
    if (accept.includes('as=PartialObjectMetadataList')) {
      const items = r.items.map((s) => ({
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: s.obj.metadata,
      }));
      return this.send(
        res,
        200,
        `{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":${meta},"items":${JSON.stringify(items)}}`,
      );
    }
    // objects are kept serialized: a list is a concatenation, not a re-encoding
    const items = r.items.map((s) => this.cluster.presentJson(info, s)).join(',');
    this.send(
      res,
      200,
      `{"kind":${JSON.stringify(info.listKind)},"apiVersion":${JSON.stringify(formatApiVersion(info))},"metadata":${meta},"items":[${items}]}`,
    );
  }

  private watch(req: IncomingMessage, res: ServerResponse, route: Route, q: URLSearchParams, accept: string): void {
    const { info } = route;
    const c = this.cluster;
    const label = q.get('labelSelector') ? parseLabelSelector(q.get('labelSelector')!) : undefined;
    const field = q.get('fieldSelector') ? parseFieldSelector(q.get('fieldSelector')!) : undefined;
    const asTable = accept.includes('as=Table');
    const bookmarks = q.get('allowWatchBookmarks') === 'true';
    const key = resKey(info);
    const nsFilter = info.namespaced ? route.ns : undefined;
    const matches = (o: KubeObject | undefined) =>
      !!o &&
      (nsFilter === undefined || o.metadata.namespace === nsFilter) &&
      (!label || matchesSelector(label, o.metadata.labels)) &&
      (!field || matchesFieldSelector(field, o));
    res.writeHead(200, {
      'content-type': 'application/json',
      'transfer-encoding': 'chunked',
      'cache-control': 'no-cache, private',
    });
    res.flushHeaders();
    let first = true;
    const write = (type: string, obj: KubeObject | Record<string, unknown>, json?: string) => {
      let payload: string;
      if (asTable && type !== 'ERROR' && type !== 'BOOKMARK') {
        const table = buildTable(info, [obj as KubeObject], {
          resourceVersion: String((obj as KubeObject).metadata.resourceVersion ?? ''),
          includeObject: q.get('includeObject') ?? 'Metadata',
          ...this.custom(info),
        });
        if (!first) table.columnDefinitions = [];
        first = false;
        payload = JSON.stringify(table);
      } else payload = json ?? JSON.stringify(obj);
      res.write(`{"type":"${type}","object":${payload}}\n`);
    };
    const present = (e: StoreEvent): { obj: KubeObject; json: string } => {
      if (e.obj.apiVersion === formatApiVersion(info)) return { obj: e.obj, json: e.json };
      const o = JSON.parse(e.json) as KubeObject;
      o.apiVersion = formatApiVersion(info);
      return { obj: o, json: JSON.stringify(o) };
    };
    let startRv = c.store.resourceVersion;
    const onEvent = (e: StoreEvent) => {
      if (e.res !== key || e.rv <= startRv) return;
      const now = matches(e.obj);
      const before = e.type === 'MODIFIED' && matches(e.old);
      const p = present(e);
      if (e.type === 'ADDED' && now) write('ADDED', p.obj, p.json);
      else if (e.type === 'DELETED' && (now || matches(e.old))) write('DELETED', p.obj, p.json);
      else if (e.type === 'MODIFIED') {
        if (now && before) write('MODIFIED', p.obj, p.json);
        else if (now) write('ADDED', p.obj, p.json);
        else if (before) write('DELETED', p.obj, p.json);
      }
    };
    const rvParam = q.get('resourceVersion');
    const sendInitial = q.get('sendInitialEvents') === 'true';
    if (!rvParam || rvParam === '0' || sendInitial) {
      for (const s of c.list(info, route.ns, {}).items) {
        if (!matches(s.obj)) continue;
        const json = c.presentJson(info, s);
        write('ADDED', JSON.parse(json) as KubeObject, json);
      }
      if (sendInitial && bookmarks)
        write('BOOKMARK', {
          kind: info.kind,
          apiVersion: formatApiVersion(info),
          metadata: {
            resourceVersion: String(c.store.resourceVersion),
            annotations: { 'k8s.io/initial-events-end': 'true' },
          },
        });
    } else {
      const from = Number(rvParam);
      startRv = from;
      const events = Number.isFinite(from) ? c.store.eventsSince(from) : 'gone';
      if (events === 'gone' || from > c.store.resourceVersion + 0) {
        if (events === 'gone') {
          write(
            'ERROR',
            new KubeError(
              'Expired',
              410,
              `too old resource version: ${rvParam} (${c.store.oldestWatchableRv})`,
            ).toStatus(),
          );
          res.end();
          return;
        }
      }
      for (const e of events as StoreEvent[]) onEvent(e);
    }
    const unsubscribe = c.store.subscribe(onEvent);
    const timers: NodeJS.Timeout[] = [];
    if (bookmarks)
      timers.push(
        setInterval(
          () =>
            write('BOOKMARK', {
              kind: info.kind,
              apiVersion: formatApiVersion(info),
              metadata: { resourceVersion: String(c.store.resourceVersion) },
            }),
          15_000,
        ),
      );
    const timeout = Number(q.get('timeoutSeconds') ?? 0);
    const stop = () => {
      unsubscribe();
      for (const t of timers) clearTimeout(t);
      this.watches.delete(stop);
      if (!res.writableEnded) res.end();
    };
    this.watches.add(stop);
    timers.push(setTimeout(stop, (timeout > 0 ? timeout : 1800) * 1000));
    req.on('close', stop);
    res.on('close', stop);
  }

  private async scale(req: IncomingMessage, res: ServerResponse, route: Route, q: URLSearchParams): Promise<void> {
    const { info, name } = route;
    const ns = route.ns ?? '';
    const c = this.cluster;
    const toScale = (o: KubeObject) => {
      const spec = (o.spec ?? {}) as { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
      const st = (o.status ?? {}) as { replicas?: number };
      return {
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        metadata: {
          name: o.metadata.name,
          namespace: o.metadata.namespace,
          uid: o.metadata.uid,
          resourceVersion: o.metadata.resourceVersion,
          creationTimestamp: o.metadata.creationTimestamp,
        },
        spec: { replicas: spec.replicas ?? 0 },
        status: {
          replicas: st.replicas ?? 0,
          selector: Object.entries(spec.selector?.matchLabels ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
        },
      };
    };
    const obj = c.get(info, ns, name!);
    if (req.method === 'GET') return this.send(res, 200, toScale(obj));
    let replicas: unknown;
    const raw = await this.body(req);
    if (req.method === 'PUT')
      replicas = (this.parseBody(raw, req.headers['content-type']) as { spec?: { replicas?: number } } | undefined)
        ?.spec?.replicas;
    else if (req.method === 'PATCH') {
      const ct = req.headers['content-type'] ?? '';
      const p = this.parseBody(raw, ct) as unknown;
      if (Array.isArray(p))
        replicas = (p as { path: string; value: unknown }[]).find((x) => x.path === '/spec/replicas')?.value;
      else replicas = (p as { spec?: { replicas?: number } })?.spec?.replicas;
    } else
      throw new KubeError('MethodNotAllowed', 405, 'the server does not allow this method on the requested resource');
    if (typeof replicas !== 'number' || replicas < 0)
      throw new KubeError('Invalid', 422, `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value`);
    const next = { ...obj, spec: { ...(obj.spec as object), replicas } };
    const r = await c.update(info, ns, name!, next, this.writeOptions(req, q));
    return this.send(res, 200, toScale(r.obj));
  }

  private async openapi(path: string, q: URLSearchParams, res: ServerResponse, accept: string): Promise<void> {
    const c = this.cluster;
    const rv = String(c.registry.all().length) + ':' + [...c.crdVersions.keys()].join(',');
    const doc = async (gv: string) => {
      const cached = this.openapiCache.get(gv);
      if (cached && cached.rv === rv) return cached;
      const [group, version] = gv.includes('/') ? (gv.split('/') as [string, string]) : ['', gv];
      const d = await openApiV3ForGroupVersion(c, group, version);
      if (!d) return undefined;
      const body = JSON.stringify(d);
      const entry = { rv, body, hash: contentHash(body) };
      this.openapiCache.set(gv, entry);
      return entry;
    };
    if (path === '/openapi/v3') {
      const hashes = new Map<string, string>();
      for (const [group, versions] of c.registry.groups())
        for (const v of versions)
          hashes.set(
            formatApiVersion({ group, version: v }),
            (await doc(formatApiVersion({ group, version: v })))?.hash ?? '',
          );
      return this.send(
        res,
        200,
        openApiV3Index(c, (gv) => hashes.get(gv) ?? ''),
      );
    }
    const m = /^\/openapi\/v3\/(?:api\/(v\w+)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (m) {
      const gv = m[1] ? m[1] : `${m[2]}/${m[3]}`;
      const d = await doc(gv);
      if (!d) throw notFound('openapi', gv);
      return this.send(
        res,
        200,
        d.body,
        'application/json',
        q.get('hash') ? { 'cache-control': 'public, immutable', etag: `"${d.hash}"` } : { etag: `"${d.hash}"` },
      );
    }
    if (path === '/openapi/v2') {
      if (!accept.includes('json') && accept !== '' && !accept.includes('*/*'))
        throw new KubeError('NotAcceptable', 406, 'only application/json is served for /openapi/v2');
      return this.send(res, 200, await openApiV2(c));
    }
    throw new KubeError('NotFound', 404, 'the server could not find the requested resource');
  }
}
