// The declarative route table's types and the helpers every routes file shares: JSON answers, body and
// query checking, cluster error mapping, and the AppProject scope check.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeClient, KubeObject } from '../kube/index.ts';
import type { RegistryStorage } from '../oci/index.ts';
import type { PipelineTrigger } from '../pipeline/index.ts';
import type { AppCache } from './app-cache.ts';
import type { AuditLog } from './audit-log.ts';
import { canAccessProject, coversAll, type AuthStore, type Principal, type Role } from './auth.ts';
import { ServerError } from './errors.ts';
import type { ImageSource } from './image-source.ts';
import type { ApiMetrics } from './metrics.ts';
import type { StreamHub } from './stream-hub.ts';

export const APP_API = 'gitops.sekisho.dev/v1alpha1';

export interface ReadyCheck {
  name: string;
  check: () => Promise<void>;
}

export interface ApiDeps {
  auth: AuthStore;
  audit: AuditLog;
  /** the cluster holding Applications, ConstraintTemplates and constraints */
  kube?: KubeClient;
  /** the embedded registry's storage */
  registry?: RegistryStorage;
  /** a registry read over the distribution API instead of `registry` (sekisho up --registry) */
  images?: ImageSource;
  /** folder of the local git repositories */
  gitRoot?: string;
  gitUrl?: string;
  /** folder where the API server keeps its own git cache to render desired state for diffs */
  cacheDir?: string;
  readiness?: ReadyCheck[];
  /** extra information shown by GET /api/v1/info */
  info?: Record<string, unknown>;
  /** folder of the built web UI served at "/" (a 404 page explains how to build it when absent) */
  uiDir?: string;
  /** SSE keep-alive period (ms), default 15 000 */
  heartbeatMs?: number;
  /** namespace of the GitOps controller (instance names in tracking ids); default sekisho-gitops */
  controllerNamespace?: string;
  /** folder holding PipelineRun logs, reports and workspaces (<data-dir>/ci); files outside it are never served */
  ciDir?: string;
  /** the platform's pipeline runner: takes git webhooks (POST /api/v1/webhooks/git) */
  pipelineTrigger?: Pick<PipelineTrigger, 'receiveWebhook'>;
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

/** A JSON schema (OpenAPI 3.0 subset). */
export type Schema = Record<string, unknown>;

export type BodyProp =
  | { type: 'string' | 'integer' | 'boolean'; description: string; enum?: string[] }
  | { type: 'array'; items: 'string' | Schema; description: string }
  | { type: 'object'; description: string };

export interface RouteSpec {
  method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';
  /** OpenAPI-style path, e.g. /api/v1/applications/{namespace}/{name} */
  path: string;
  /** null: no authentication */
  role: Role | null;
  summary: string;
  tag: string;
  /** query parameters (documented) */
  query?: { name: string; description: string; type?: 'string' | 'integer' | 'boolean' }[];
  /** JSON request body: required properties and their types (documented and checked) */
  body?: { required: string[]; properties: Record<string, BodyProp> };
  /** content type of a successful answer (default application/json) */
  produces?: string;
  /** status of a successful answer (default 200; 201 for creating POSTs) */
  status?: number;
  /** JSON schema of a successful answer */
  response?: Schema;
  /** the route checks the caller's AppProject scope (403 for another project) */
  projectScoped?: boolean;
  handler: (ctx: Ctx) => Promise<unknown>;
}

/** What the routes files get: the dependencies and the server's shared machinery. */
export interface RouteEnv {
  d: ApiDeps;
  metrics: ApiMetrics;
  openapi: () => unknown;
  apps: AppCache;
  hub: StreamHub;
  images?: ImageSource;
}

/** An object field of an untyped (JSON or Kubernetes) value, or {} when it is not an object. */
export const rec = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
/** A string field of an untyped value, or undefined. */
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
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

export function kubeStatus(e: unknown): number | undefined {
  const s = (e as { status?: unknown }).status;
  return typeof s === 'number' ? s : undefined;
}

/** Maps a cluster error: 404 stays 404, everything else is an upstream failure. */
export function upstream(e: unknown, what: string): ServerError {
  if (e instanceof ServerError) return e;
  if (kubeStatus(e) === 404) return new ServerError('server_not_found', `${what} not found`, { cause: e });
  return new ServerError('server_upstream_error', `${what}: ${(e as Error).message}`, { cause: e });
}

export function needKube(d: ApiDeps): KubeClient {
  if (!d.kube) throw new ServerError('server_upstream_error', 'no cluster is configured');
  return d.kube;
}

/** An integer query parameter within [min, max]; undefined when absent. */
export function intParam(url: URL, name: string, min: number, max: number): number | undefined {
  const s = url.searchParams.get(name);
  if (s === null) return undefined;
  const n = Number(s);
  if (s.trim() === '' || !Number.isInteger(n) || n < min || n > max)
    throw new ServerError('server_bad_request', `${name} must be an integer from ${min} to ${max}, got "${s}"`);
  return n;
}

export function boolParam(url: URL, name: string): boolean | undefined {
  const s = url.searchParams.get(name);
  if (s === null) return undefined;
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  throw new ServerError('server_bad_request', `${name} must be true or false, got "${s}"`);
}

export function enumParam<T extends string>(url: URL, name: string, values: readonly T[]): T | undefined {
  const s = url.searchParams.get(name);
  if (s === null) return undefined;
  if (!(values as readonly string[]).includes(s))
    throw new ServerError('server_bad_request', `${name} must be one of ${values.join(', ')}, got "${s}"`);
  return s as T;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export function checkName(what: string, v: string, label = false): string {
  if (!(label ? DNS_LABEL : DNS_SUBDOMAIN).test(v))
    throw new ServerError(
      'server_bad_request',
      `${what} "${v}" is not a valid Kubernetes name (lowercase letters, digits, "-"${label ? '' : ', "."'})`,
    );
  return v;
}

function typeOk(p: BodyProp, v: unknown): boolean {
  switch (p.type) {
    case 'integer':
      return Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'string':
      return typeof v === 'string' && (!p.enum || p.enum.includes(v));
    case 'array':
      return (
        Array.isArray(v) &&
        v.every((x) =>
          p.items === 'string' ? typeof x === 'string' : typeof x === 'object' && x !== null && !Array.isArray(x),
        )
      );
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
  }
}

function describe(p: BodyProp): string {
  if (p.type === 'array') return p.items === 'string' ? 'an array of strings' : 'an array of objects';
  if (p.type === 'string' && p.enum) return `one of ${p.enum.join(', ')}`;
  return `a${p.type === 'integer' || p.type === 'object' ? 'n' : ''} ${p.type}`;
}

export function checkBody(spec: NonNullable<RouteSpec['body']>, body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ServerError('server_bad_request', 'request body must be a JSON object');
  const o = body as Record<string, unknown>;
  for (const k of spec.required)
    if (o[k] === undefined) throw new ServerError('server_bad_request', `missing required field "${k}"`);
  for (const [k, v] of Object.entries(o)) {
    const p = spec.properties[k];
    if (!p) throw new ServerError('server_bad_request', `unknown field "${k}"`);
    if (!typeOk(p, v)) throw new ServerError('server_bad_request', `field "${k}" must be ${describe(p)}`);
  }
  return o;
}

/** The project of an Application (Argo CD: spec.project, "default" when empty). */
export function appProject(a: KubeObject): string {
  const p = (a.spec as { project?: unknown } | undefined)?.project;
  return typeof p === 'string' && p !== '' ? p : 'default';
}

/** The 403 of a project-scoped caller; it names neither the object's project nor whether it exists. */
export function projectDenied(ctx: Ctx, action: string, namespace: string, name: string): ServerError {
  const p = ctx.principal!;
  return new ServerError(
    'server_forbidden',
    `${p.user} (${p.role} of project${p.projects.length === 1 ? '' : 's'} ${p.projects.join(', ')}) may not ${action} application ${namespace}/${name}`,
  );
}

/** true when the caller's binding covers every project (admins, or "*") */
export function unscoped(ctx: Ctx): boolean {
  return coversAll(ctx.principal!);
}

/** Throws 403 unless the caller's role binding covers the Application's project. */
export function requireProject(ctx: Ctx, app: KubeObject, action: string): void {
  if (!canAccessProject(ctx.principal!, appProject(app)))
    throw projectDenied(ctx, action, app.metadata?.namespace ?? '', app.metadata?.name ?? '');
}
