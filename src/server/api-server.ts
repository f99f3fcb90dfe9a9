// The HTTP API server (node:http): the route table (src/server/routes/, one file per resource group)
// under /api/v1 with the role each route needs, authentication by cookie session (with CSRF token) or
// bearer API token, roles scoped by AppProject, an audit log of every state-changing call, Prometheus
// metrics, health and readiness, live updates over server-sent events (one watch fanned out to every
// subscriber), the built web UI at "/", and an OpenAPI document generated from the same route table.
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { AppCache } from './app-cache.ts';
import { roleAtLeast, type Principal } from './auth.ts';
import { ServerError } from './errors.ts';
import { StorageImageSource, type ImageSource } from './image-source.ts';
import { ApiMetrics } from './metrics.ts';
import { openApiDocument } from './openapi.ts';
import { checkBody, sendJson, type ApiDeps, type Ctx, type RouteSpec } from './route.ts';
import { buildRoutes, SESSION_COOKIE, summarizeApp } from './routes/index.ts';
import { serveStatic } from './static.ts';
import { StreamHub } from './stream-hub.ts';

export { APP_API, type ApiDeps, type Ctx, type ReadyCheck, type RouteSpec } from './route.ts';

interface CompiledRoute extends RouteSpec {
  re: RegExp;
  names: string[];
}

function compile(r: RouteSpec): CompiledRoute {
  const names: string[] = [];
  const re = new RegExp(
    '^' +
      r.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, n: string) => {
        names.push(n);
        return '([^/]+)';
      }) +
      '$',
  );
  return { ...r, re, names };
}

function parseCookies(h: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (h ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) {
      try {
        out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        // a malformed cookie is ignored like a missing one
      }
    }
  }
  return out;
}

const MAX_BODY = 1024 * 1024;

async function readJson(req: IncomingMessage): Promise<unknown> {
  const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (ct !== 'application/json')
    throw new ServerError('server_bad_request', `request body must be application/json, got "${ct || 'none'}"`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new ServerError('server_bad_request', `request body exceeds ${MAX_BODY} bytes`);
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    throw new ServerError('server_bad_request', `request body is not valid JSON: ${(e as Error).message}`, {
      cause: e,
      location: { file: 'request body', row: 1, col: m ? Number(m[1]) + 1 : 0 },
    });
  }
}

export interface ApiServer {
  url: string;
  server: Server;
  routes: RouteSpec[];
  metrics: ApiMetrics;
  /** open live-update streams */
  readonly subscribers: number;
  close(): Promise<void>;
}

export interface ApiServerOptions extends ApiDeps {
  host: string;
  port: number;
  tls?: { cert: string | Buffer; key: string | Buffer };
}

export async function startApiServer(o: ApiServerOptions): Promise<ApiServer> {
  const metrics = new ApiMetrics();
  const holder: { doc?: unknown } = {};
  const apps = new AppCache(o.kube);
  const hub = new StreamHub();
  const images: ImageSource | undefined = o.images ?? (o.registry ? new StorageImageSource(o.registry) : undefined);
  const routes = buildRoutes({ d: o, metrics, openapi: () => holder.doc, apps, hub, ...(images ? { images } : {}) });
  holder.doc = openApiDocument(routes);
  const compiled = routes.map(compile);
  metrics.gauge('sekisho_api_stream_subscribers', 'Open live-update streams.', () => hub.size);
  metrics.gauge('sekisho_api_stream_dropped_total', 'Live-update streams dropped for not reading.', () => hub.dropped);
  metrics.gauge('sekisho_api_applications', "Applications in the API server's cache.", () => apps.all().length);
  const unsubscribe = apps.subscribe((e) =>
    hub.publish('application', { type: e.type, application: summarizeApp(e.object) }),
  );
  const heartbeat = setInterval(() => hub.heartbeat(), o.heartbeatMs ?? 15_000);
  heartbeat.unref();
  // start watching Applications now so the first list and the first stream find a warm cache
  if (o.kube) void apps.ready().catch(() => undefined);

  const authenticate = (req: IncomingMessage): Principal | undefined => {
    const h = req.headers.authorization;
    if (h) {
      const m = /^Bearer\s+(\S+)$/i.exec(h);
      if (!m) throw new ServerError('server_unauthenticated', 'Authorization must be "Bearer <token>"');
      const p = o.auth.fromToken(m[1]!);
      if (!p) throw new ServerError('server_unauthenticated', 'unknown or expired API token');
      return p;
    }
    const sid = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    if (sid) return o.auth.fromSession(sid);
    return undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const t0 = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const ctx: Ctx = { req, res, url, params: {} };
    let routeName = 'unmatched';
    let errCode: string | undefined;
    const mutating = method !== 'GET' && method !== 'HEAD';
    res.on('finish', () => {
      metrics.observe(method, routeName, res.statusCode, Number(process.hrtime.bigint() - t0) / 1e9);
      if (mutating && routeName !== 'unmatched')
        o.audit.append({
          time: new Date().toISOString(),
          ...(ctx.principal ? { user: ctx.principal.user, role: ctx.principal.role, via: ctx.principal.via } : {}),
          method,
          path: url.pathname,
          status: res.statusCode,
          remote: req.socket.remoteAddress ?? '',
          ...(errCode ? { code: errCode } : {}),
          ...(ctx.target ? { target: ctx.target } : {}),
        });
    });
    try {
      let pathMatched = false;
      let route: CompiledRoute | undefined;
      for (const r of compiled) {
        const m = r.re.exec(url.pathname);
        if (!m) continue;
        pathMatched = true;
        if (r.method !== method && !(method === 'HEAD' && r.method === 'GET')) continue;
        route = r;
        r.names.forEach((n, i) => {
          try {
            ctx.params[n] = decodeURIComponent(m[i + 1]!);
          } catch {
            throw new ServerError('server_bad_request', `bad URL encoding in ${n}`);
          }
        });
        break;
      }
      if (!route) {
        if (!pathMatched && (method === 'GET' || method === 'HEAD')) {
          routeName = 'static';
          if (await serveStatic(o.uiDir, req, res, url.pathname)) return;
        }
        if (pathMatched)
          throw new ServerError('server_method_not_allowed', `${method} is not allowed on ${url.pathname}`);
        throw new ServerError('server_not_found', `no route for ${url.pathname}`);
      }
      routeName = route.path;
      if (route.role !== null) {
        const p = authenticate(req);
        if (!p)
          throw new ServerError('server_unauthenticated', 'authentication required (session cookie or Bearer token)');
        ctx.principal = p;
        if (!roleAtLeast(p.role, route.role))
          throw new ServerError(
            'server_forbidden',
            `${route.method} ${route.path} needs role ${route.role}; ${p.user} has ${p.role}`,
          );
        if (mutating && p.via === 'session' && req.headers['x-csrf-token'] !== p.csrf)
          throw new ServerError('server_forbidden', 'missing or wrong X-CSRF-Token header for a cookie session');
      }
      if (route.body) ctx.body = checkBody(route.body, await readJson(req));
      const out = await route.handler(ctx);
      if (out !== undefined && !res.headersSent) sendJson(res, res.statusCode || 200, out);
    } catch (e) {
      const err =
        e instanceof ServerError
          ? e
          : new ServerError('server_upstream_error', (e as Error).message ?? String(e), { cause: e });
      errCode = err.code;
      if (res.headersSent) {
        res.end();
        return;
      }
      const headers: Record<string, string> = {};
      if (err.retryAfter !== undefined) headers['Retry-After'] = String(err.retryAfter);
      if (err.status === 401) headers['WWW-Authenticate'] = 'Bearer realm="sekisho"';
      sendJson(
        res,
        err.status,
        { error: { code: err.code, message: err.message, ...(err.location ? { location: err.location } : {}) } },
        headers,
      );
    }
  };

  const server = o.tls
    ? createHttps({ cert: o.tls.cert, key: o.tls.key }, (q, s) => void handle(q, s))
    : createHttp((q, s) => void handle(q, s));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    url: `${o.tls ? 'https' : 'http'}://${host}:${a.port}`,
    server,
    routes,
    metrics,
    get subscribers() {
      return hub.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        unsubscribe();
        apps.close();
        hub.closeAll();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
