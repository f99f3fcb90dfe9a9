// The HTTP API server (node:http): a route table under /api/v1 with the role each route needs,
// authentication by cookie session (with CSRF token) or bearer API token, an audit log of every
// state-changing call, Prometheus metrics, health and readiness, live updates over server-sent events,
// and an OpenAPI document generated from the same route table.
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { KubeClient, KubeObject } from '../kube/index.ts';
import type { RegistryStorage } from '../oci/index.ts';
import { AuditLog } from './audit-log.ts';
import { AuthStore, isRole, roleAtLeast, type Principal, type Role } from './auth.ts';
import { ServerError } from './errors.ts';
import { createRepo, listRepos } from './git-server.ts';
import { ApiMetrics } from './metrics.ts';
import { openApiDocument } from './openapi.ts';
import { serveStatic } from './static.ts';

export const APP_API = 'gitops.sekisho.dev/v1alpha1';
const TEMPLATE_API = 'templates.gatekeeper.sh/v1';
const CONSTRAINT_GROUP = 'constraints.gatekeeper.sh';
const SESSION_COOKIE = 'sekisho_session';

export interface ReadyCheck {
  name: string;
  check: () => Promise<void>;
}

export interface ApiDeps {
  auth: AuthStore;
  audit: AuditLog;
  /** the cluster holding Applications, ConstraintTemplates and constraints */
  kube?: KubeClient;
  registry?: RegistryStorage;
  /** folder of the local git repositories */
  gitRoot?: string;
  gitUrl?: string;
  readiness?: ReadyCheck[];
  /** extra information shown by GET /api/v1/info */
  info?: Record<string, unknown>;
  /** folder of the built web UI served at "/" (a 404 page explains how to build it when absent) */
  uiDir?: string;
  /** SSE keep-alive period (ms), default 15 000 */
  heartbeatMs?: number;
}

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  principal?: Principal;
  body?: unknown;
  /** set by handlers for the audit log */
  target?: string;
}

export interface RouteSpec {
  method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';
  /** OpenAPI-style path, e.g. /api/v1/applications/{namespace}/{name} */
  path: string;
  /** null: no authentication */
  role: Role | null;
  summary: string;
  tag: string;
  /** query parameters (documented) */
  query?: { name: string; description: string; type?: 'string' | 'integer' }[];
  /** JSON request body: required properties and their types (documented and checked) */
  body?: { required: string[]; properties: Record<string, { type: 'string' | 'integer'; description: string }> };
  /** content type of a successful answer (default application/json) */
  produces?: string;
  handler: (ctx: Ctx) => Promise<unknown>;
}

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

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

function parseCookies(h: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (h ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
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

function checkBody(spec: NonNullable<RouteSpec['body']>, body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ServerError('server_bad_request', 'request body must be a JSON object');
  const o = body as Record<string, unknown>;
  for (const k of spec.required)
    if (o[k] === undefined) throw new ServerError('server_bad_request', `missing required field "${k}"`);
  for (const [k, v] of Object.entries(o)) {
    const p = spec.properties[k];
    if (!p) throw new ServerError('server_bad_request', `unknown field "${k}"`);
    const ok = p.type === 'integer' ? Number.isInteger(v) : typeof v === 'string';
    if (!ok) throw new ServerError('server_bad_request', `field "${k}" must be a ${p.type}`);
  }
  return o;
}

function kubeStatus(e: unknown): number | undefined {
  const s = (e as { status?: unknown }).status;
  return typeof s === 'number' ? s : undefined;
}

/** Maps a cluster error: 404 stays 404, everything else is an upstream failure. */
function upstream(e: unknown, what: string): ServerError {
  if (e instanceof ServerError) return e;
  if (kubeStatus(e) === 404) return new ServerError('server_not_found', `${what} not found`, { cause: e });
  return new ServerError('server_upstream_error', `${what}: ${(e as Error).message}`, { cause: e });
}

function summarizeApp(a: KubeObject): Record<string, unknown> {
  const spec = (a.spec ?? {}) as Record<string, unknown>;
  const status = (a.status ?? {}) as Record<string, unknown>;
  const sync = (status.sync ?? {}) as Record<string, unknown>;
  const health = (status.health ?? {}) as Record<string, unknown>;
  return {
    name: a.metadata?.name,
    namespace: a.metadata?.namespace,
    project: spec.project ?? 'default',
    source: spec.source,
    destination: spec.destination,
    sync: { status: sync.status ?? 'Unknown', revision: sync.revision },
    health: { status: health.status ?? 'Unknown' },
  };
}

export interface ApiServer {
  url: string;
  server: Server;
  routes: RouteSpec[];
  metrics: ApiMetrics;
  close(): Promise<void>;
}

export function buildRoutes(d: ApiDeps, metrics: ApiMetrics, openapi: () => unknown): RouteSpec[] {
  const needKube = (): KubeClient => {
    if (!d.kube) throw new ServerError('server_upstream_error', 'no cluster is configured');
    return d.kube;
  };
  const needRegistry = (): RegistryStorage => {
    if (!d.registry) throw new ServerError('server_upstream_error', 'no registry is configured');
    return d.registry;
  };
  const needGit = (): string => {
    if (!d.gitRoot) throw new ServerError('server_upstream_error', 'no git server is configured');
    return d.gitRoot;
  };
  const limitParam = (url: URL): number | undefined => {
    const s = url.searchParams.get('limit');
    if (s === null) return undefined;
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1 || n > 1000)
      throw new ServerError('server_bad_request', `limit must be an integer from 1 to 1000, got "${s}"`);
    return n;
  };
  const listTemplates = async (): Promise<KubeObject[]> => {
    try {
      return (await needKube().listAll(TEMPLATE_API, 'ConstraintTemplate')).items;
    } catch (e) {
      if (kubeStatus(e) === 404 || /not served|no resource|unknown/i.test((e as Error).message)) return [];
      throw upstream(e, 'constraint templates');
    }
  };
  const listConstraints = async (): Promise<KubeObject[]> => {
    const out: KubeObject[] = [];
    for (const t of await listTemplates()) {
      const kind = (
        ((t.spec as Record<string, unknown> | undefined)?.crd as Record<string, unknown> | undefined)?.spec as
          Record<string, unknown> | undefined
      )?.names as Record<string, unknown> | undefined;
      const k = typeof kind?.kind === 'string' ? kind.kind : undefined;
      if (!k) continue;
      try {
        out.push(...(await needKube().listAll(`${CONSTRAINT_GROUP}/v1beta1`, k)).items);
      } catch (e) {
        // a template whose constraint CRD is not served yet has no constraints
        if (kubeStatus(e) === 404 || /not served|no resource|unknown/i.test((e as Error).message)) continue;
        throw upstream(e, `constraints of kind ${k}`);
      }
    }
    return out;
  };
  const constraintView = (c: KubeObject): Record<string, unknown> => {
    const spec = (c.spec ?? {}) as Record<string, unknown>;
    const status = (c.status ?? {}) as Record<string, unknown>;
    return {
      kind: c.kind,
      name: c.metadata?.name,
      enforcementAction: spec.enforcementAction ?? 'deny',
      match: spec.match,
      parameters: spec.parameters,
      totalViolations: status.totalViolations ?? 0,
      auditTimestamp: status.auditTimestamp,
      violations: Array.isArray(status.violations) ? status.violations : [],
    };
  };

  return [
    {
      method: 'GET',
      path: '/healthz',
      role: null,
      tag: 'system',
      summary: 'Liveness: the API server answers',
      handler: async () => ({ status: 'ok' }),
    },
    {
      method: 'GET',
      path: '/readyz',
      role: null,
      tag: 'system',
      summary: 'Readiness: every service the platform started answers (503 otherwise)',
      handler: async (ctx) => {
        const checks: Record<string, string> = {};
        let ok = true;
        await Promise.all(
          (d.readiness ?? []).map(async (c) => {
            try {
              await c.check();
              checks[c.name] = 'ok';
            } catch (e) {
              ok = false;
              checks[c.name] = (e as Error).message;
            }
          }),
        );
        if (!ok) {
          sendJson(ctx.res, 503, { status: 'unavailable', checks });
          return undefined;
        }
        return { status: 'ok', checks };
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      role: null,
      tag: 'system',
      summary: 'Prometheus metrics of the API server',
      produces: 'text/plain; version=0.0.4',
      handler: async (ctx) => {
        ctx.res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
        ctx.res.end(metrics.render());
        return undefined;
      },
    },
    {
      method: 'GET',
      path: '/api/v1/openapi.json',
      role: null,
      tag: 'system',
      summary: 'This OpenAPI 3.0 document',
      handler: async () => openapi(),
    },
    {
      method: 'GET',
      path: '/api/v1/info',
      role: 'viewer',
      tag: 'system',
      summary: 'URLs and versions of the platform services',
      handler: async () => ({ version: '0.1.0', ...(d.info ?? {}) }),
    },
    {
      method: 'POST',
      path: '/api/v1/session',
      role: null,
      tag: 'auth',
      summary: 'Log in with a user name and password; sets a session cookie and returns its CSRF token',
      body: {
        required: ['username', 'password'],
        properties: {
          username: { type: 'string', description: 'user name' },
          password: { type: 'string', description: 'password' },
        },
      },
      handler: async (ctx) => {
        const b = ctx.body as { username: string; password: string };
        ctx.target = b.username;
        const client = ctx.req.socket.remoteAddress ?? '';
        let s;
        try {
          s = await d.auth.login(b.username, b.password, client);
        } catch (e) {
          if (e instanceof ServerError && e.code === 'server_unauthenticated') metrics.loginFailures++;
          throw e;
        }
        ctx.principal = { user: s.user, role: s.role, via: 'session' };
        const secure = ctx.req.socket && 'encrypted' in ctx.req.socket ? '; Secure' : '';
        ctx.res.setHeader(
          'Set-Cookie',
          `${SESSION_COOKIE}=${encodeURIComponent(s.sessionId)}; HttpOnly; SameSite=Strict; Path=/${secure}`,
        );
        return { user: s.user, role: s.role, csrfToken: s.csrf, expiresAt: s.expiresAt };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/session',
      role: 'viewer',
      tag: 'auth',
      summary: 'Who the caller is (user, role, how authenticated)',
      handler: async (ctx) => ({
        user: ctx.principal!.user,
        role: ctx.principal!.role,
        via: ctx.principal!.via,
        ...(ctx.principal!.csrf ? { csrfToken: ctx.principal!.csrf } : {}),
      }),
    },
    {
      method: 'DELETE',
      path: '/api/v1/session',
      role: 'viewer',
      tag: 'auth',
      summary: 'Log out (ends the cookie session)',
      handler: async (ctx) => {
        if (ctx.principal!.sessionId) d.auth.logout(ctx.principal!.sessionId);
        ctx.res.setHeader('Set-Cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
        return { status: 'logged out' };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/tokens',
      role: 'viewer',
      tag: 'auth',
      summary: "The caller's API tokens (every token for admins); never the secret",
      handler: async (ctx) => ({
        items: d.auth.listTokens(ctx.principal!.role === 'admin' ? undefined : ctx.principal!.user),
      }),
    },
    {
      method: 'POST',
      path: '/api/v1/tokens',
      role: 'viewer',
      tag: 'auth',
      summary: "Create an API token (role at most the caller's); the secret is returned once",
      body: {
        required: ['name'],
        properties: {
          name: { type: 'string', description: 'what the token is for' },
          role: { type: 'string', description: "admin, developer or viewer (default: the caller's role)" },
          expiresInSeconds: { type: 'integer', description: 'lifetime in seconds (default: no expiry)' },
        },
      },
      handler: async (ctx) => {
        const b = ctx.body as { name: string; role?: string; expiresInSeconds?: number };
        const p = ctx.principal!;
        if (!/^[\w .:-]{1,64}$/.test(b.name))
          throw new ServerError('server_bad_request', 'name must be 1-64 letters, digits, spaces or . _ : -');
        const role = b.role ?? p.role;
        if (!isRole(role))
          throw new ServerError('server_bad_request', `role must be admin, developer or viewer, got "${role}"`);
        if (!roleAtLeast(p.role, role))
          throw new ServerError('server_forbidden', `a ${p.role} cannot create a token with role ${role}`);
        if (b.expiresInSeconds !== undefined && b.expiresInSeconds < 1)
          throw new ServerError('server_bad_request', 'expiresInSeconds must be positive');
        const t = d.auth.createToken(p.user, b.name, role, b.expiresInSeconds);
        ctx.target = `token ${t.id}`;
        ctx.res.statusCode = 201;
        return t;
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/tokens/{id}',
      role: 'viewer',
      tag: 'auth',
      summary: 'Revoke an API token (own tokens; admins any)',
      handler: async (ctx) => {
        const id = ctx.params.id!;
        ctx.target = `token ${id}`;
        const owner = d.auth.tokenOwner(id);
        if (owner === undefined) throw new ServerError('server_not_found', `token ${id} not found`);
        if (owner !== ctx.principal!.user && ctx.principal!.role !== 'admin')
          throw new ServerError('server_forbidden', 'only the owner or an admin may revoke this token');
        d.auth.deleteToken(id);
        return { status: 'revoked', id };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/users',
      role: 'admin',
      tag: 'auth',
      summary: 'Local users and their roles',
      handler: async () => ({ items: d.auth.listUsers() }),
    },
    {
      method: 'POST',
      path: '/api/v1/users',
      role: 'admin',
      tag: 'auth',
      summary: 'Create a local user or set its password and role',
      body: {
        required: ['name', 'password', 'role'],
        properties: {
          name: { type: 'string', description: 'user name' },
          password: { type: 'string', description: 'at least 12 characters' },
          role: { type: 'string', description: 'admin, developer or viewer' },
        },
      },
      handler: async (ctx) => {
        const b = ctx.body as { name: string; password: string; role: string };
        ctx.target = `user ${b.name}`;
        if (!isRole(b.role))
          throw new ServerError('server_bad_request', `role must be admin, developer or viewer, got "${b.role}"`);
        await d.auth.setUser(b.name, b.password, b.role);
        ctx.res.statusCode = 201;
        return { name: b.name, role: b.role };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/audit',
      role: 'admin',
      tag: 'auth',
      summary: 'The latest entries of the audit log of state-changing calls',
      query: [{ name: 'limit', type: 'integer', description: 'how many entries (1-1000, default 100)' }],
      handler: async (ctx) => ({ items: d.audit.tail(limitParam(ctx.url) ?? 100) }),
    },
    {
      method: 'GET',
      path: '/api/v1/applications',
      role: 'viewer',
      tag: 'applications',
      summary: 'Applications (gitops.sekisho.dev/v1alpha1), one page at a time',
      query: [
        { name: 'namespace', description: 'only this namespace' },
        { name: 'project', description: 'only Applications of this AppProject' },
        { name: 'limit', type: 'integer', description: 'page size (1-1000)' },
        { name: 'continue', description: 'continue token from the previous page' },
      ],
      handler: async (ctx) => {
        const limit = limitParam(ctx.url);
        const cont = ctx.url.searchParams.get('continue') ?? undefined;
        const ns = ctx.url.searchParams.get('namespace') ?? '';
        const project = ctx.url.searchParams.get('project');
        let list;
        try {
          list = await needKube().list(APP_API, 'Application', {
            namespace: ns,
            ...(limit ? { limit } : {}),
            ...(cont ? { continue: cont } : {}),
          });
        } catch (e) {
          if (kubeStatus(e) === 410)
            throw new ServerError('server_bad_request', 'continue token expired', { cause: e });
          throw upstream(e, 'applications');
        }
        const items = list.items.map(summarizeApp).filter((a) => project === null || a.project === project);
        return { items, ...(list.metadata.continue ? { continue: list.metadata.continue } : {}) };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/applications/{namespace}/{name}',
      role: 'viewer',
      tag: 'applications',
      summary: 'One Application with its full spec and status',
      handler: async (ctx) => {
        try {
          const a = await needKube().get(APP_API, 'Application', ctx.params.name!, ctx.params.namespace!);
          return { ...summarizeApp(a), object: a };
        } catch (e) {
          throw upstream(e, `application ${ctx.params.namespace}/${ctx.params.name}`);
        }
      },
    },
    {
      method: 'GET',
      path: '/api/v1/stream',
      role: 'viewer',
      tag: 'applications',
      summary: 'Server-sent events: every change of an Application (event "application")',
      produces: 'text/event-stream',
      handler: async (ctx) => {
        const kube = needKube();
        const { res, req } = ctx;
        res.writeHead(200, {
          'Content-Type': 'text/event-stream; charset=utf-8',
          'Cache-Control': 'no-store',
          Connection: 'keep-alive',
          'X-Accel-Buffering': 'no',
        });
        res.write(': connected\n\n');
        metrics.sseSubscribers++;
        const ac = new AbortController();
        const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), d.heartbeatMs ?? 15_000);
        let closed = false;
        const done = new Promise<void>((resolve) => {
          const finish = (): void => {
            if (closed) return;
            closed = true;
            clearInterval(heartbeat);
            ac.abort();
            metrics.sseSubscribers--;
            resolve();
          };
          req.on('close', finish);
          res.on('close', finish);
        });
        let id = 0;
        const loop = async (): Promise<void> => {
          let backoff = 500;
          while (!closed) {
            try {
              for await (const ev of kube.watch(APP_API, 'Application', { namespace: '', signal: ac.signal })) {
                backoff = 500;
                if (ev.type === 'BOOKMARK') continue;
                if (ev.type === 'ERROR') break;
                res.write(
                  `id: ${++id}\nevent: application\ndata: ${JSON.stringify({ type: ev.type, application: summarizeApp(ev.object) })}\n\n`,
                );
              }
            } catch (e) {
              if (closed) return;
              res.write(`event: error\ndata: ${JSON.stringify({ message: (e as Error).message })}\n\n`);
            }
            if (closed) return;
            // the watch ended (server timeout or error): reconnect after a short backoff
            await new Promise((r) => setTimeout(r, backoff).unref());
            backoff = Math.min(backoff * 2, 10_000);
          }
        };
        void loop();
        await done;
        res.end();
        return undefined;
      },
    },
    {
      method: 'GET',
      path: '/api/v1/registry/repositories',
      role: 'viewer',
      tag: 'registry',
      summary: 'Repositories in the embedded registry',
      handler: async () => ({ items: (await needRegistry().listRepositories()).map((name) => ({ name })) }),
    },
    {
      method: 'GET',
      path: '/api/v1/registry/repositories/{repository}/tags',
      role: 'viewer',
      tag: 'registry',
      summary: 'Tags of a repository (repository name URL-encoded, "/" as %2F) with their digests',
      handler: async (ctx) => {
        const repo = ctx.params.repository!;
        const { isValidRepositoryName } = await import('../oci/index.ts');
        if (!isValidRepositoryName(repo))
          throw new ServerError('server_bad_request', `invalid repository name "${repo}"`);
        const reg = needRegistry();
        const tags = await reg.listTags(repo);
        if (tags === null) throw new ServerError('server_not_found', `repository ${repo} not found`);
        const items = await Promise.all(tags.map(async (tag) => ({ tag, digest: await reg.resolveTag(repo, tag) })));
        return { repository: repo, items };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/git/repositories',
      role: 'viewer',
      tag: 'git',
      summary: 'Local git repositories served over smart HTTP',
      handler: async () => {
        const root = needGit();
        return {
          items: (await listRepos(root)).map((name) => ({
            name,
            url: d.gitUrl ? `${d.gitUrl}/${name}.git` : undefined,
          })),
        };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/git/repositories',
      role: 'developer',
      tag: 'git',
      summary: 'Create an empty local git repository (default branch main)',
      body: { required: ['name'], properties: { name: { type: 'string', description: 'e.g. app or team/config' } } },
      handler: async (ctx) => {
        const b = ctx.body as { name: string };
        ctx.target = `git ${b.name}`;
        const name = await createRepo(needGit(), b.name);
        ctx.res.statusCode = 201;
        return { name, url: d.gitUrl ? `${d.gitUrl}/${name}.git` : undefined };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/policies/templates',
      role: 'viewer',
      tag: 'policies',
      summary: 'ConstraintTemplates (templates.gatekeeper.sh/v1) with their status',
      handler: async () => ({
        items: (await listTemplates()).map((t) => ({
          name: t.metadata?.name,
          kind: (
            (
              ((t.spec as Record<string, unknown> | undefined)?.crd as Record<string, unknown> | undefined)?.spec as
                Record<string, unknown> | undefined
            )?.names as Record<string, unknown> | undefined
          )?.kind,
          status: t.status,
        })),
      }),
    },
    {
      method: 'GET',
      path: '/api/v1/policies/constraints',
      role: 'viewer',
      tag: 'policies',
      summary: 'Constraints of every template with their enforcement action and audit results',
      handler: async () => ({ items: (await listConstraints()).map(constraintView) }),
    },
    {
      method: 'GET',
      path: '/api/v1/policies/violations',
      role: 'viewer',
      tag: 'policies',
      summary: 'Audit violations of every constraint, flattened',
      query: [{ name: 'kind', description: 'only constraints of this kind' }],
      handler: async (ctx) => {
        const kind = ctx.url.searchParams.get('kind');
        const items: unknown[] = [];
        for (const c of await listConstraints()) {
          if (kind !== null && c.kind !== kind) continue;
          const v = constraintView(c);
          for (const x of v.violations as Record<string, unknown>[])
            items.push({ constraint: { kind: v.kind, name: v.name }, enforcementAction: v.enforcementAction, ...x });
        }
        return { items };
      },
    },
  ];
}

export interface ApiServerOptions extends ApiDeps {
  host: string;
  port: number;
  tls?: { cert: string | Buffer; key: string | Buffer };
}

export async function startApiServer(o: ApiServerOptions): Promise<ApiServer> {
  const metrics = new ApiMetrics();
  const holder: { doc?: unknown } = {};
  const routes = buildRoutes(o, metrics, () => holder.doc);
  holder.doc = openApiDocument(routes);
  const compiled = routes.map(compile);

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
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
