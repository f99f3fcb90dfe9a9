// The UI's only door to the platform: JSON calls to the Sekisho HTTP API under /api/v1, with the cookie
// session (set by POST /api/v1/session) and the CSRF token it returns sent on every state-changing call.

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
  /** the endpoint does not exist on this server (an older or partial API) */
  get missing(): boolean {
    return this.status === 404 && this.code === 'server_not_found' && /no route/.test(this.message);
  }
}

let csrfToken = '';
let onUnauthenticated: (() => void) | undefined;

export function setCsrf(token: string): void {
  csrfToken = token;
}
export function onSessionLost(f: () => void): void {
  onUnauthenticated = f;
}

export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let r: Response;
  try {
    r = await fetch(`/api/v1${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(signal ? { signal } : {}),
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'network', `the server cannot be reached (${(e as Error).message})`);
  }
  const text = await r.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!r.ok) {
    const err = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    const e = new ApiError(r.status, err?.code ?? `http_${r.status}`, err?.message ?? `${r.status} ${r.statusText}`);
    if (r.status === 401 && path !== '/session') onUnauthenticated?.();
    throw e;
  }
  return parsed as T;
}

export const enc = encodeURIComponent;

// ---- shapes (what the UI reads; every field optional where servers may differ) ----

export interface Session {
  user: string;
  role: string;
  /** AppProjects the role applies to ("*": all) */
  projects?: string[];
  via?: string;
  csrfToken?: string;
}

export interface AppSummary {
  name: string;
  namespace: string;
  project: string;
  labels?: Record<string, string>;
  source?: { repoURL?: string; path?: string; targetRevision?: string };
  destination?: { server?: string; namespace?: string; name?: string };
  sync: { status: string; revision?: string };
  health: { status: string; message?: string };
  operation?: { phase: string; message?: string; startedAt?: string };
  reconciledAt?: string;
  automated?: boolean;
}

export interface AppPage {
  items: AppSummary[];
  continue?: string;
  total?: number;
}

export interface Condition {
  type: string;
  message: string;
  lastTransitionTime?: string;
}

export interface HistoryEntry {
  id: number;
  revision: string;
  deployedAt: string;
  deployStartedAt?: string;
  source?: { repoURL?: string; path?: string; targetRevision?: string };
  initiatedBy?: { username?: string; automated?: boolean };
}

export interface ResourceStatus {
  group?: string;
  version?: string;
  kind: string;
  namespace?: string;
  name: string;
  status?: string;
  health?: { status: string; message?: string };
  requiresPruning?: boolean;
  hook?: boolean;
}

export interface OperationState {
  phase: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  operation?: {
    sync?: { dryRun?: boolean; prune?: boolean };
    initiatedBy?: { username?: string; automated?: boolean };
  };
  syncResult?: { revision?: string; resources?: { kind: string; name: string; status: string; message?: string }[] };
}

export interface AppDetail extends AppSummary {
  object?: {
    metadata?: { labels?: Record<string, string>; creationTimestamp?: string };
    spec?: Record<string, unknown>;
    status?: {
      resources?: ResourceStatus[];
      conditions?: Condition[];
      history?: HistoryEntry[];
      operationState?: OperationState;
      reconciledAt?: string;
      summary?: { images?: string[] };
      sync?: { status?: string; revision?: string };
      health?: { status?: string; message?: string };
    };
  };
}

export interface TreeNode {
  group?: string;
  version?: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  parentRefs?: { group?: string; kind: string; namespace?: string; name: string; uid?: string }[];
  health?: { status: string; message?: string };
  status?: string;
  sync?: string | { status?: string };
  images?: string[];
}

export interface DiffItem {
  group?: string;
  kind: string;
  namespace?: string;
  name: string;
  status?: string;
  /** why the resource is out of sync (server's explanation), when given */
  reason?: string;
  live?: unknown;
  desired?: unknown;
  liveState?: unknown;
  targetState?: unknown;
  diff?: string;
  modified?: boolean;
  requiresPruning?: boolean;
}

export interface KubeEvent {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string;
  eventTime?: string;
  firstTimestamp?: string;
  involvedObject?: { kind?: string; name?: string; namespace?: string };
  metadata?: { creationTimestamp?: string; name?: string };
}

export interface Token {
  id: string;
  name: string;
  user?: string;
  role: string;
  createdAt?: string;
  expiresAt?: string | null;
  lastUsedAt?: string | null;
}

// ---- calls ----

export interface AppQuery {
  search?: string;
  project?: string;
  sync?: string;
  health?: string;
  labels?: string;
  sort?: string;
  limit?: number;
  continue?: string;
}

export function appQueryString(q: AppQuery): string {
  const p = new URLSearchParams();
  if (q.search) p.set('search', q.search);
  if (q.project) p.set('project', q.project);
  if (q.sync) p.set('sync', q.sync);
  if (q.health) p.set('health', q.health);
  if (q.labels) p.set('selector', q.labels);
  if (q.sort) p.set('sort', q.sort);
  if (q.limit) p.set('limit', String(q.limit));
  if (q.continue) p.set('continue', q.continue);
  const s = p.toString();
  return s ? `?${s}` : '';
}

export const appPath = (ns: string, name: string): string => `/applications/${enc(ns)}/${enc(name)}`;

/** Picks the list of items out of an answer that is either an array or { items } / { nodes }. */
export function itemsOf<T>(x: unknown, key = 'items'): T[] {
  if (Array.isArray(x)) return x as T[];
  const v = (x as Record<string, unknown> | undefined)?.[key];
  return Array.isArray(v) ? (v as T[]) : [];
}

// ---- pipelines, change requests, image supply chain ----

/** true when the role may change things (approve, merge, close…): developer or admin, whose binding covers
 * every one of `projects` */
export function canChange(session: Session | null | undefined, projects: string[] = []): boolean {
  if (!session || (session.role !== 'developer' && session.role !== 'admin')) return false;
  const mine = session.projects ?? ['*'];
  return session.role === 'admin' || mine.includes('*') || projects.every((p) => mine.includes(p));
}

export interface RunSummary {
  name: string;
  pipeline: string;
  phase: string;
  createdAt?: string;
  startTime?: string;
  completionTime?: string;
  durationMs?: number;
  message?: string;
  commit?: string;
  branch?: string;
  repo?: string;
  steps: Record<string, number>;
}

export interface StepAnnotation {
  level: string;
  file?: string;
  line?: number;
  col?: number;
  message: string;
  rule?: string;
}

export interface RunStep {
  id: string;
  uses: string;
  phase: string;
  needs: string[];
  level: number;
  startTime?: string;
  finishTime?: string;
  durationMs?: number;
  attempts?: number;
  message?: string;
  exitCode?: number;
  outputs?: Record<string, string>;
  annotations?: StepAnnotation[];
  files: { log: boolean; report: string | null; sarif: number };
}

export interface RunDetail extends Omit<RunSummary, 'steps'> {
  params?: Record<string, string>;
  changeRequests?: string[];
  logsArtifact?: { image: string; digest?: string; error?: string };
  steps: RunStep[];
}

export const runPath = (name: string): string => `/pipelineruns/${enc(name)}`;
export const stepPath = (run: string, step: string): string => `${runPath(run)}/steps/${enc(step)}`;

export interface CrSummary {
  name: string;
  title: string;
  phase: string;
  repo: string;
  base: string;
  head: string;
  createdAt?: string;
  updatedAt?: string;
  pipelineRun?: string;
  images: string[];
  approvals: number;
  policy?: string;
  whatIf?: string;
  conflicts: number;
  mergeCommit?: string;
}

export interface PolicyFinding {
  level: string;
  file: string;
  line?: number;
  message: string;
  namespace?: string;
}

export interface WhatIf {
  result: string;
  commit?: string;
  checkedAt?: string;
  cluster?: string;
  message?: string;
  resources: { apiVersion: string; kind: string; namespace?: string; name: string; action: string; diff?: string }[];
  denials: { apiVersion: string; kind: string; namespace?: string; name: string; message: string; webhook?: string }[];
}

export interface CrDetail extends CrSummary {
  /** AppProjects of the Applications deploying the changed paths */
  projects?: string[];
  changeRequest: {
    spec: { description?: string; paths?: string[]; images?: { name: string; image: string }[] };
    status?: {
      phase: string;
      headCommit?: string;
      baseCommit?: string;
      approvals?: { by: string; at: string }[];
      policy?: { result: string; commit?: string; checkedAt?: string; message?: string; results: PolicyFinding[] };
      whatIf?: WhatIf;
      conflicts?: string[];
      message?: string;
      mergedAt?: string;
    };
  };
  diff?: {
    base?: string;
    head?: string;
    error?: string;
    files: { path: string; oldPath?: string; status: string; diff: string; note?: string }[];
  };
}

export interface SupplyChain {
  digest: string;
  signatures: {
    kind: string;
    via: string;
    source: string;
    digest: string;
    signer?: string;
    issuer?: string;
    keyId?: string;
    matchesImage?: boolean;
    verifiedBy?: string;
    created?: string;
  }[];
  attestations: {
    predicateType: string;
    via: string;
    source: string;
    digest: string;
    keyId?: string;
    signer?: string;
  }[];
  vulnerabilities: {
    source: { digest: string; artifactType: string; via: string; created?: string };
    total: number;
    bySeverity: Record<string, number>;
    fixable?: number;
    scanner?: string;
  } | null;
  errors?: string[];
}

/** "1.5 s", "2 min 3 s" */
export function duration(ms: number | undefined): string {
  if (ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** The Images view address of an image reference (host/repo:tag or host/repo@digest), or null. */
export function imageHref(ref: string): string | null {
  const m =
    /^(?:([^/]+\.[^/]+|[^/]+:\d+|localhost)\/)?([a-z0-9][a-z0-9._/-]*?)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(
      ref,
    );
  if (!m) return null;
  const at = m[4] ?? m[3];
  return at ? `/images/${enc(m[2]!)}/${enc(at)}` : `/images/${enc(m[2]!)}`;
}
