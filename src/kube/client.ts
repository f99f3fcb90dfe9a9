// A Kubernetes client for controllers: kubeconfig loading and authentication (through
// @kubernetes/client-node's KubeConfig: certificates, tokens, exec plugins), discovery with caching,
// get/list/watch with resourceVersion and bookmarks, create/replace/patch, server-side apply with a
// field manager and force, dry-run and deletion with propagation.
import https from 'node:https';
import http from 'node:http';
// loaded on first use: @kubernetes/client-node is large and only clients of real clusters need it
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeError } from './errors.ts';
import { formatApiVersion, parseApiVersion } from './gvk.ts';
import { BUILTIN_RESOURCES, ResourceRegistry, type ResourceInfo } from './registry.ts';
import type { KubeList, KubeObject } from './object.ts';

/** The error for a non-2xx answer: its Status object, or its text as the message. */
function statusError(status: number, text: string): KubeError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { message: text.trim() || `HTTP ${status}` };
  }
  return KubeError.fromStatus(status, parsed);
}

/** A request that failed on a reused keep-alive socket the server had closed (sent again once). */
class StaleSocketError extends Error {
  constructor(readonly wrapped: KubeError) {
    super(wrapped.message);
  }
}

export interface KubeconfigSource {
  /** path of a kubeconfig file; default: $KUBECONFIG or ~/.kube/config (resolved by the caller's env) */
  path?: string;
  /** kubeconfig YAML text instead of a file */
  content?: string;
  context?: string;
}

export interface ClientOptions {
  /** default namespace for namespaced calls that give none */
  namespace?: string;
  /** how long discovery results are trusted (ms) */
  discoveryTtlMs?: number;
  userAgent?: string;
}

export type PatchType = 'json' | 'merge' | 'strategic';
const PATCH_CT: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface WatchOptions extends ListOptions {
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface WatchEvent<T = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface WriteOpts {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

export interface ApplyOpts extends WriteOpts {
  fieldManager: string;
  force?: boolean;
}

export interface DeleteOpts {
  dryRun?: boolean;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
}

export class KubeClient {
  readonly server: string;
  readonly namespace: string;
  private readonly kc: KubeConfig;
  private readonly registry = new ResourceRegistry(BUILTIN_RESOURCES);
  private discoveredAt = 0;
  private discovering?: Promise<void>;
  private readonly ttl: number;
  private readonly userAgent: string;
  private reqOpts?: https.RequestOptions;

  constructor(kc: KubeConfig, opts: ClientOptions = {}) {
    this.kc = kc;
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new KubeError('BadRequest', 400, 'kubeconfig has no current cluster');
    this.server = cluster.server.replace(/\/+$/, '');
    const ctx = kc.getContextObject(kc.getCurrentContext());
    this.namespace = opts.namespace ?? ctx?.namespace ?? 'default';
    this.ttl = opts.discoveryTtlMs ?? 5 * 60_000;
    this.userAgent = opts.userAgent ?? 'sekisho/0.1.0';
  }

  static async fromKubeconfig(src: KubeconfigSource = {}, opts: ClientOptions = {}): Promise<KubeClient> {
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    try {
      if (src.content !== undefined) kc.loadFromString(src.content);
      else if (src.path) kc.loadFromFile(src.path);
      else kc.loadFromDefault();
    } catch (err) {
      throw new KubeError(
        'BadRequest',
        400,
        `cannot load kubeconfig${src.path ? ' ' + src.path : ''}: ${(err as Error).message}`,
        {
          cause: err,
          ...(src.path ? { location: { file: src.path, row: 0, col: 0 } } : {}),
        },
      );
    }
    if (src.context) kc.setCurrentContext(src.context);
    return new KubeClient(kc, opts);
  }

  private optsAt = 0;
  private agent?: https.Agent;

  private async options(): Promise<https.RequestOptions> {
    // credentials from exec plugins can expire: KubeConfig refreshes them when asked again, so the
    // options are rebuilt every minute (and after a 401); connections are kept alive in between
    if (this.reqOpts && Date.now() - this.optsAt < 60_000) return this.reqOpts;
    const o: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(o);
    this.agent?.destroy();
    const { headers: _h, ...tls } = o;
    this.agent = new https.Agent({ ...(tls as https.AgentOptions), keepAlive: true, maxSockets: 64 });
    o.agent = this.agent;
    this.reqOpts = o;
    this.optsAt = Date.now();
    return o;
  }

  /** Closes kept-alive connections. */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
    this.reqOpts = undefined;
  }

  /** One HTTP request to the API server; JSON in and out; throws KubeError on non-2xx. */
  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    accept = 'application/json',
  ): Promise<T> {
    const res = await this.raw(method, path, body, contentType, accept);
    const text = await readAll(res);
    if (res.statusCode === 401) this.reqOpts = undefined;
    if ((res.statusCode ?? 0) >= 300) throw statusError(res.statusCode ?? 0, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** One request whose answer is text (e.g. pods/log); throws KubeError on non-2xx. */
  async requestText(path: string): Promise<string> {
    const res = await this.raw('GET', path, undefined, 'application/json', '*/*');
    const text = await readAll(res);
    if ((res.statusCode ?? 0) >= 300) throw statusError(res.statusCode ?? 0, text);
    return text;
  }

  /** A GET whose answer is streamed as it arrives (e.g. pods/log?follow=true); ends with it or the signal. */
  async *streamText(path: string, signal?: AbortSignal): AsyncGenerator<Buffer> {
    const res = await this.raw('GET', path, undefined, 'application/json', '*/*', signal);
    if ((res.statusCode ?? 0) >= 300) throw statusError(res.statusCode ?? 0, await readAll(res));
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) yield chunk;
    } finally {
      res.destroy();
    }
  }

  private async raw(
    method: string,
    path: string,
    body: unknown,
    contentType: string,
    accept: string,
    signal?: AbortSignal,
  ): Promise<http.IncomingMessage> {
    const base = await this.options();
    const url = new URL(this.server + path);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const lib = url.protocol === 'http:' ? http : https;
    // a kept-alive socket the server closed just as it was reused fails before the request reached the server:
    // sent again once on a fresh socket, as Node's documentation advises (req.reusedSocket)
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.send(lib, url, base, method, payload, contentType, accept, signal);
      } catch (err) {
        if (!(err instanceof StaleSocketError) || attempt > 0)
          throw err instanceof StaleSocketError ? err.wrapped : err;
      }
    }
  }

  private send(
    lib: typeof http | typeof https,
    url: URL,
    base: https.RequestOptions,
    method: string,
    payload: string | undefined,
    contentType: string,
    accept: string,
    signal?: AbortSignal,
  ): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = lib.request(
        url,
        {
          ...base,
          method,
          headers: {
            ...(base.headers ?? {}),
            accept,
            'user-agent': this.userAgent,
            ...(payload !== undefined
              ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }
              : {}),
          },
          ...(signal ? { signal } : {}),
        },
        resolve,
      );
      req.on('error', (err) => {
        const e =
          err instanceof KubeError
            ? err
            : new KubeError('ServiceUnavailable', 503, `cannot reach the API server ${this.server}: ${err.message}`, {
                cause: err,
              });
        const stale = req.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET' && !signal?.aborted;
        reject(stale ? new StaleSocketError(e) : e);
      });
      req.end(payload);
    });
  }

  // ---------------------------------------------------------------- discovery

  /** Refreshes the resource table from the server's discovery documents. */
  async discover(force = false): Promise<void> {
    if (!force && Date.now() - this.discoveredAt < this.ttl) return;
    if (this.discovering) return this.discovering;
    this.discovering = (async () => {
      const gvs: string[] = ['v1'];
      const groups = await this.request<{
        groups: { name: string; preferredVersion: { groupVersion: string }; versions: { groupVersion: string }[] }[];
      }>('GET', '/apis');
      for (const g of groups.groups) for (const v of g.versions) gvs.push(v.groupVersion);
      const lists = await Promise.all(
        gvs.map((gv) =>
          this.request<{
            resources: {
              name: string;
              singularName: string;
              namespaced: boolean;
              kind: string;
              verbs: string[];
              shortNames?: string[];
              categories?: string[];
            }[];
          }>('GET', gv === 'v1' ? '/api/v1' : `/apis/${gv}`).catch(() => ({ resources: [] })),
        ),
      );
      lists.forEach((l, i) => {
        const gv = parseApiVersion(gvs[i]!);
        const subs = new Map<string, string[]>();
        for (const r of l.resources) {
          const [base, sub] = r.name.split('/') as [string, string | undefined];
          if (sub) subs.set(base, [...(subs.get(base) ?? []), sub]);
        }
        for (const r of l.resources) {
          if (r.name.includes('/')) continue;
          this.registry.add({
            group: gv.group,
            version: gv.version,
            kind: r.kind,
            resource: r.name,
            singular: r.singularName || r.kind.toLowerCase(),
            namespaced: r.namespaced,
            shortNames: r.shortNames ?? [],
            verbs: r.verbs,
            subresources: subs.get(r.name) ?? [],
            categories: r.categories ?? [],
            listKind: r.kind + 'List',
          });
        }
      });
      this.discoveredAt = Date.now();
    })().finally(() => (this.discovering = undefined));
    return this.discovering;
  }

  /** The resource serving a kind; asks discovery again once when the kind is unknown (a new CRD). */
  async resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const gvk = { ...parseApiVersion(apiVersion), kind };
    let r = this.registry.byKind(gvk);
    if (r && BUILTIN_RESOURCES.includes(r)) return r;
    if (!r) {
      await this.discover(true);
      r = this.registry.byKind(gvk);
    }
    if (!r) throw new KubeError('NotFound', 404, `no matches for kind "${kind}" in version "${apiVersion}"`);
    return r;
  }

  private async path(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name?: string,
    sub?: string,
  ): Promise<string> {
    const r = await this.resourceFor(apiVersion, kind);
    const prefix = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    const ns = r.namespaced && namespace !== '' ? `/namespaces/${encodeURIComponent(namespace ?? this.namespace)}` : '';
    return `${prefix}${ns}/${r.resource}${name !== undefined ? '/' + encodeURIComponent(name) : ''}${sub ? '/' + sub : ''}`;
  }

  // ---------------------------------------------------------------- verbs

  async get<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    name: string,
    namespace?: string,
  ): Promise<T> {
    return this.request<T>('GET', await this.path(apiVersion, kind, namespace, name));
  }

  /** One page of a list; pass `namespace: ''` for all namespaces. */
  async list<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    o: ListOptions = {},
  ): Promise<KubeList<T>> {
    const q = query({
      labelSelector: o.labelSelector,
      fieldSelector: o.fieldSelector,
      limit: o.limit,
      continue: o.continue,
      resourceVersion: o.resourceVersion,
    });
    return this.request<KubeList<T>>('GET', (await this.path(apiVersion, kind, o.namespace)) + q);
  }

  /** Every page of a list. */
  async listAll<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    o: ListOptions = {},
  ): Promise<KubeList<T>> {
    const first = await this.list<T>(apiVersion, kind, { ...o, limit: o.limit ?? 500 });
    let page = first;
    while (page.metadata.continue) {
      page = await this.list<T>(apiVersion, kind, { ...o, limit: o.limit ?? 500, continue: page.metadata.continue });
      first.items.push(...page.items);
    }
    delete first.metadata.continue;
    return first;
  }

  async create<T extends KubeObject>(obj: T, o: WriteOpts = {}): Promise<T> {
    return this.request<T>(
      'POST',
      (await this.path(obj.apiVersion, obj.kind, obj.metadata.namespace)) + query(writeQuery(o)),
      obj,
    );
  }

  async replace<T extends KubeObject>(obj: T, o: WriteOpts & { subresource?: 'status' } = {}): Promise<T> {
    return this.request<T>(
      'PUT',
      (await this.path(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name, o.subresource)) +
        query(writeQuery(o)),
      obj,
    );
  }

  async patch<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    name: string,
    namespace: string | undefined,
    patch: unknown,
    type: PatchType,
    o: WriteOpts & { subresource?: 'status' | 'scale' } = {},
  ): Promise<T> {
    return this.request<T>(
      'PATCH',
      (await this.path(apiVersion, kind, namespace, name, o.subresource)) + query(writeQuery(o)),
      patch,
      PATCH_CT[type],
    );
  }

  /** Server-side apply: the object is the full intent of `fieldManager`; 409 on conflicts unless `force`. */
  async apply<T extends KubeObject>(obj: T, o: ApplyOpts & { subresource?: 'status' }): Promise<T> {
    const q = query({ ...writeQuery(o), force: o.force ? 'true' : undefined });
    const body = { ...obj, metadata: { ...obj.metadata } };
    delete body.metadata.managedFields;
    delete body.metadata.resourceVersion;
    return this.request<T>(
      'PATCH',
      (await this.path(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name, o.subresource)) + q,
      body,
      'application/apply-patch+yaml',
    );
  }

  async delete(
    apiVersion: string,
    kind: string,
    name: string,
    namespace?: string,
    o: DeleteOpts = {},
  ): Promise<KubeObject> {
    const body = {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      ...(o.propagationPolicy ? { propagationPolicy: o.propagationPolicy } : {}),
      ...(o.preconditions ? { preconditions: o.preconditions } : {}),
      ...(o.dryRun ? { dryRun: ['All'] } : {}),
    };
    return this.request<KubeObject>(
      'DELETE',
      (await this.path(apiVersion, kind, namespace, name)) + query({ dryRun: o.dryRun ? 'All' : undefined }),
      body,
    );
  }

  /** A watch stream; ends when the server closes it or the signal aborts. 410 arrives as an ERROR event. */
  async *watch<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    o: WatchOptions = {},
  ): AsyncGenerator<WatchEvent<T>> {
    const q = query({
      watch: 'true',
      labelSelector: o.labelSelector,
      fieldSelector: o.fieldSelector,
      resourceVersion: o.resourceVersion,
      allowWatchBookmarks: o.allowWatchBookmarks ? 'true' : undefined,
      timeoutSeconds: o.timeoutSeconds,
    });
    const res = await this.raw(
      'GET',
      (await this.path(apiVersion, kind, o.namespace)) + q,
      undefined,
      'application/json',
      'application/json',
      o.signal,
    );
    if ((res.statusCode ?? 0) >= 300) {
      const text = await readAll(res);
      let parsed: unknown = { message: text };
      try {
        parsed = JSON.parse(text);
      } catch {
        // keep the text
      }
      throw KubeError.fromStatus(res.statusCode ?? 0, parsed);
    }
    let buf = '';
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        buf += chunk.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line) yield JSON.parse(line) as WatchEvent<T>;
        }
      }
    } catch (err) {
      if (o.signal?.aborted) return;
      throw err;
    }
    if (buf.trim()) yield JSON.parse(buf) as WatchEvent<T>;
  }

  get apiServer(): string {
    return this.server;
  }

  /** The request options last used (CA, client certificate, headers), for callers that open their own connections. */
  get lastRequestOptions(): https.RequestOptions | undefined {
    return this.reqOpts;
  }
}

function writeQuery(o: WriteOpts): Record<string, string | undefined> {
  return { dryRun: o.dryRun ? 'All' : undefined, fieldManager: o.fieldManager, fieldValidation: o.fieldValidation };
}

function query(q: Record<string, string | number | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? '?' + s : '';
}

function readAll(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

export { formatApiVersion };
