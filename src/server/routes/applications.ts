// Application routes (Argo CD's application API, in our shape): list with filters, sorting and paging,
// get, resource tree, diff, sync, rollback, history, events, a managed resource and its events, and the
// live-update stream. Every route on one application checks the caller's AppProject scope.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GitCache,
  HOOK_ANNOTATION,
  Renderer,
  TRACKING_ANNOTATION,
  assessHealth,
  diffObjects,
  instanceName,
  spawnRunner,
  trackingId,
  type ApplicationSource,
  type ResourceIgnoreDifferences,
} from '../../gitops/index.ts';
import {
  clone,
  matchesSelector,
  parseLabelSelector,
  type KubeClient,
  type KubeObject,
  type Selector,
} from '../../kube/index.ts';
import { ServerError } from '../errors.ts';
import {
  APP_API,
  appProject,
  boolParam,
  checkName,
  enumParam,
  intParam,
  kubeStatus,
  needKube,
  projectDenied,
  requireProject,
  unscoped,
  upstream,
  type Ctx,
  type RouteEnv,
  type RouteSpec,
  type Schema,
  rec,
  str,
} from '../route.ts';
import { scopeFilter, visibleTo } from './scope.ts';

type Obj = Record<string, unknown>;

export function summarizeApp(a: KubeObject): Obj {
  const spec = rec(a.spec);
  const status = rec(a.status);
  const sync = rec(status.sync);
  const health = rec(status.health);
  const op = rec(status.operationState);
  return {
    name: a.metadata?.name,
    namespace: a.metadata?.namespace,
    project: appProject(a),
    labels: a.metadata?.labels ?? {},
    source: spec.source ?? (Array.isArray(spec.sources) ? spec.sources[0] : undefined),
    destination: spec.destination,
    sync: { status: sync.status ?? 'Unknown', ...(sync.revision ? { revision: sync.revision } : {}) },
    health: { status: health.status ?? 'Unknown', ...(health.message ? { message: health.message } : {}) },
    ...(op.phase ? { operation: { phase: op.phase, message: op.message, startedAt: op.startedAt } } : {}),
    ...(status.reconciledAt ? { reconciledAt: status.reconciledAt } : {}),
    automated: !!rec(spec.syncPolicy).automated,
  };
}

const appSummarySchema: Schema = {
  type: 'object',
  required: ['name', 'namespace', 'project', 'sync', 'health'],
  properties: {
    name: { type: 'string' },
    namespace: { type: 'string' },
    project: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    source: { type: 'object' },
    destination: { type: 'object' },
    sync: {
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string' }, revision: { type: 'string' } },
    },
    health: {
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string' }, message: { type: 'string' } },
    },
    operation: { type: 'object' },
    reconciledAt: { type: 'string' },
    automated: { type: 'boolean' },
  },
};
const refSchema: Schema = {
  type: 'object',
  required: ['kind', 'name'],
  properties: {
    group: { type: 'string' },
    version: { type: 'string' },
    kind: { type: 'string' },
    namespace: { type: 'string' },
    name: { type: 'string' },
    uid: { type: 'string' },
  },
};
const appRefSchema: Schema = {
  type: 'object',
  required: ['namespace', 'name'],
  properties: { namespace: { type: 'string' }, name: { type: 'string' } },
};
const listOf = (s: Schema, extra: Obj = {}): Schema => ({
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array', items: s }, ...extra },
});

const SORTS = ['name', '-name', 'project', 'sync', 'health', '-reconciledAt'] as const;
const SYNC_CODES = ['Synced', 'OutOfSync', 'Unknown'];
const HEALTH_CODES = ['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown'];

/** Kinds the tree lists in each namespace to find children through ownerReferences. */
const CHILD_KINDS: [string, string][] = [
  ['apps/v1', 'ReplicaSet'],
  ['v1', 'Pod'],
  ['batch/v1', 'Job'],
  ['apps/v1', 'ControllerRevision'],
  ['discovery.k8s.io/v1', 'EndpointSlice'],
  ['v1', 'Endpoints'],
  ['v1', 'PersistentVolumeClaim'],
];

function groupOf(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

const listCsv = (url: URL, name: string, allowed?: string[]): string[] | undefined => {
  const s = url.searchParams.get(name);
  if (s === null) return undefined;
  const vals = s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  if (allowed)
    for (const v of vals)
      if (!allowed.includes(v))
        throw new ServerError('server_bad_request', `${name} must be among ${allowed.join(', ')}, got "${v}"`);
  return vals;
};

function encodeContinue(offset: number, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ o: offset, f: fingerprint })).toString('base64url');
}
function decodeContinue(tok: string, fingerprint: string): number {
  try {
    const v = JSON.parse(Buffer.from(tok, 'base64url').toString('utf8')) as { o?: unknown; f?: unknown };
    if (!Number.isInteger(v.o) || (v.o as number) < 0) throw new Error('bad offset');
    if (v.f !== fingerprint) throw new Error('filters changed');
    return v.o as number;
  } catch (e) {
    throw new ServerError(
      'server_bad_request',
      `continue token is not valid for this query (${(e as Error).message}); start again without it`,
      { cause: e },
    );
  }
}

/** Masks a core Secret's values as Argo CD does: each distinct value becomes a run of "+" (8 or more). */
export function maskSecret(o: KubeObject): KubeObject {
  if (o.kind !== 'Secret' || o.apiVersion !== 'v1') return o;
  const masks = new Map<string, string>();
  for (const f of ['data', 'stringData']) {
    const m = rec(o[f]);
    for (const [k, v] of Object.entries(m)) {
      const key = JSON.stringify(v);
      if (!masks.has(key)) masks.set(key, '+'.repeat(8 + masks.size));
      m[k] = masks.get(key);
    }
  }
  const anns = o.metadata.annotations;
  if (anns?.['kubectl.kubernetes.io/last-applied-configuration'])
    anns['kubectl.kubernetes.io/last-applied-configuration'] = '++++++++';
  return o;
}

function isHook(o: KubeObject): boolean {
  const a = o.metadata.annotations ?? {};
  return a[HOOK_ANNOTATION] !== undefined || a['helm.sh/hook'] !== undefined;
}

/** Event objects about the given objects, newest last. */
async function eventsFor(kube: KubeClient, namespaces: Set<string>, match: (io: Obj) => boolean): Promise<Obj[]> {
  const lists = await Promise.all(
    [...namespaces].map((ns) =>
      kube.listAll('v1', 'Event', { namespace: ns }).then(
        (l) => l.items,
        (e: unknown) => {
          throw upstream(e, `events in ${ns}`);
        },
      ),
    ),
  );
  const out: Obj[] = [];
  for (const ev of lists.flat()) {
    const e = ev as unknown as Obj;
    if (!match(rec(e.involvedObject))) continue;
    out.push({
      type: e.type ?? 'Normal',
      reason: e.reason,
      message: e.message,
      count: e.count ?? 1,
      firstTimestamp: e.firstTimestamp ?? e.eventTime ?? ev.metadata.creationTimestamp,
      lastTimestamp: e.lastTimestamp ?? e.eventTime ?? ev.metadata.creationTimestamp,
      involvedObject: e.involvedObject,
      source: e.source ?? e.reportingComponent,
    });
  }
  out.sort((a, b) => String(a.lastTimestamp ?? '').localeCompare(String(b.lastTimestamp ?? '')));
  return out;
}

const eventSchema: Schema = {
  type: 'object',
  properties: {
    type: { type: 'string' },
    reason: { type: 'string' },
    message: { type: 'string' },
    count: { type: 'integer' },
    firstTimestamp: { type: 'string' },
    lastTimestamp: { type: 'string' },
    involvedObject: { type: 'object' },
  },
};

export function applicationRoutes({ d, apps, hub }: RouteEnv): RouteSpec[] {
  const controllerNs = d.controllerNamespace ?? 'sekisho-gitops';
  let git: GitCache | undefined;
  let renderer: Renderer | undefined;

  const appParams = (ctx: Ctx): { namespace: string; name: string } => ({
    namespace: checkName('namespace', ctx.params.namespace!, true),
    name: checkName('application name', ctx.params.name!),
  });
  /** The Application, fresh from the cluster, after the project check. */
  const loadApp = async (ctx: Ctx, action: string): Promise<KubeObject> => {
    const { namespace, name } = appParams(ctx);
    let a: KubeObject;
    try {
      a = await needKube(d).get(APP_API, 'Application', name, namespace);
    } catch (e) {
      // as Argo CD: a caller scoped to some projects cannot tell a missing application from a forbidden one
      if (kubeStatus(e) === 404 && !unscoped(ctx)) throw projectDenied(ctx, action, namespace, name);
      throw upstream(e, `application ${namespace}/${name}`);
    }
    requireProject(ctx, a, action);
    ctx.target = `application ${namespace}/${name}`;
    return a;
  };
  const managed = (a: KubeObject): Obj[] => (rec(a.status).resources as Obj[] | undefined) ?? [];
  const destNs = (a: KubeObject): string => str(rec(rec(a.spec).destination).namespace) || 'default';

  /** The resource tree: managed resources and their descendants through ownerReferences. */
  const tree = async (a: KubeObject): Promise<Obj[]> => {
    const kube = needKube(d);
    const roots = managed(a);
    const namespaces = new Set<string>([destNs(a)]);
    for (const r of roots) if (str(r.namespace)) namespaces.add(r.namespace as string);
    const nodes: Obj[] = [];
    const byUid = new Map<string, Obj>();
    const liveRoots = await Promise.all(
      roots.slice(0, 1000).map(async (r) => {
        const apiVersion = r.group ? `${r.group}/${r.version}` : String(r.version);
        const live = await kube
          .get(apiVersion, String(r.kind), String(r.name), str(r.namespace) || undefined)
          .catch(() => undefined);
        return { r, live };
      }),
    );
    for (const { r, live } of liveRoots) {
      const n: Obj = {
        group: r.group ?? '',
        version: r.version,
        kind: r.kind,
        ...(r.namespace ? { namespace: r.namespace } : {}),
        name: r.name,
        ...(live?.metadata.uid ? { uid: live.metadata.uid } : {}),
        parentRefs: [],
        sync: r.status ?? 'Unknown',
        health: r.health ?? (live ? assessHealth(live) : { status: 'Missing' }),
        ...(live?.metadata.creationTimestamp ? { createdAt: live.metadata.creationTimestamp } : {}),
        ...(r.hook ? { hook: true } : {}),
        ...(r.requiresPruning ? { requiresPruning: true } : {}),
      };
      nodes.push(n);
      if (live?.metadata.uid) byUid.set(live.metadata.uid, n);
    }
    // children: anything in the app's namespaces owned (transitively) by a node already in the tree
    const candidates = (
      await Promise.all(
        [...namespaces].flatMap((ns) =>
          CHILD_KINDS.map(([api, kind]) =>
            kube.listAll(api, kind, { namespace: ns }).then(
              (l) => l.items.map((o): KubeObject => ({ ...o, apiVersion: o.apiVersion ?? api, kind: o.kind ?? kind })),
              () => [] as KubeObject[],
            ),
          ),
        ),
      )
    ).flat();
    let added = true;
    const pending = new Set(candidates.filter((c) => c.metadata.ownerReferences?.length));
    while (added) {
      added = false;
      for (const c of pending) {
        const parents = (c.metadata.ownerReferences ?? []).filter((o) => byUid.has(o.uid));
        if (!parents.length) continue;
        pending.delete(c);
        added = true;
        const { group, version } = groupOf(c.apiVersion);
        const health = assessHealth(c);
        const n: Obj = {
          group,
          version,
          kind: c.kind,
          ...(c.metadata.namespace ? { namespace: c.metadata.namespace } : {}),
          name: c.metadata.name,
          uid: c.metadata.uid,
          parentRefs: parents.map((o) => {
            const p = byUid.get(o.uid)!;
            return { group: p.group, kind: p.kind, namespace: p.namespace, name: p.name, uid: o.uid };
          }),
          ...(health ? { health } : {}),
          ...(c.metadata.creationTimestamp ? { createdAt: c.metadata.creationTimestamp } : {}),
        };
        if (c.kind === 'Pod') {
          const images = ((rec(c.spec).containers as Obj[] | undefined) ?? []).map((x) => x.image);
          n.info = { phase: rec(c.status).phase, images };
        }
        nodes.push(n);
        if (c.metadata.uid) byUid.set(c.metadata.uid, n);
      }
    }
    return nodes;
  };

  /** Desired objects of the app at its compared revision, as the controller renders them. */
  const desired = async (a: KubeObject): Promise<{ revision: string; objects: KubeObject[] }> => {
    const status = rec(a.status);
    const sync = rec(status.sync);
    const revision = str(sync.revision);
    if (!revision)
      throw new ServerError(
        'server_conflict',
        'the application has not been compared yet (no sync revision); retry shortly',
      );
    const spec = rec(a.spec);
    const sources = (
      Array.isArray(spec.sources)
        ? (spec.sources as ApplicationSource[])
        : spec.source
          ? [spec.source as ApplicationSource]
          : []
    ).filter((s) => s.path !== undefined || s.chart || !s.ref);
    const revisions = Array.isArray(sync.revisions) ? (sync.revisions as string[]) : [];
    git ??= new GitCache({ dir: join(d.cacheDir ?? join(tmpdir(), 'sekisho-api-cache'), 'repos'), run: spawnRunner });
    renderer ??= new Renderer({ run: spawnRunner });
    const cacheDir = d.cacheDir ?? join(tmpdir(), 'sekisho-api-cache');
    const objects: KubeObject[] = [];
    for (const [i, s] of sources.entries()) {
      const rev = i === 0 ? revision : (revisions[i] ?? s.targetRevision);
      const sha = await git.resolve(s.repoURL, rev, 60_000);
      const root = await git.export(
        s.repoURL,
        sha,
        join(cacheDir, 'trees', `${i}-${sha}-${Buffer.from(s.repoURL).toString('hex').slice(0, 32)}`),
      );
      objects.push(...(await renderer.render(root, sha, s)).objects);
    }
    const kube = needKube(d);
    const inst = instanceName(a as { metadata: { name?: string; namespace?: string } }, controllerNs);
    const out: KubeObject[] = [];
    for (const t of objects) {
      if (isHook(t)) continue;
      const namespaced = await kube
        .resourceFor(t.apiVersion, t.kind)
        .then((r) => r.namespaced)
        .catch(() => true);
      if (namespaced) t.metadata.namespace ??= destNs(a);
      else delete t.metadata.namespace;
      t.metadata.annotations = { ...(t.metadata.annotations ?? {}), [TRACKING_ANNOTATION]: trackingId(inst, t) };
      out.push(t);
    }
    return { revision, objects: out };
  };

  /** The managed (or descendant) resource named by the query, or 404/400. */
  const resourceQuery = async (
    ctx: Ctx,
    a: KubeObject,
  ): Promise<{ apiVersion: string; kind: string; name: string; namespace?: string }> => {
    const q = ctx.url.searchParams;
    const kind = q.get('kind');
    const name = q.get('name');
    if (!kind || !/^[A-Za-z][A-Za-z0-9]*$/.test(kind))
      throw new ServerError('server_bad_request', 'query parameter kind is required (e.g. Deployment)');
    if (!name) throw new ServerError('server_bad_request', 'query parameter name is required');
    checkName('resource name', name);
    const group = q.get('group') ?? '';
    const namespace = q.get('namespace') ?? undefined;
    if (namespace !== undefined) checkName('resource namespace', namespace, true);
    const same = (r: Obj): boolean =>
      (r.group ?? '') === group && r.kind === kind && r.name === name && (str(r.namespace) ?? '') === (namespace ?? '');
    let node = managed(a).find(same);
    if (!node) node = (await tree(a)).find(same);
    if (!node)
      throw new ServerError(
        'server_not_found',
        `${group ? group + '/' : ''}${kind} ${namespace ? namespace + '/' : ''}${name} is not a resource of application ${a.metadata.namespace}/${a.metadata.name}`,
      );
    const version = q.get('version') ?? str(node.version) ?? 'v1';
    return { apiVersion: group ? `${group}/${version}` : version, kind, name, ...(namespace ? { namespace } : {}) };
  };

  const operationPatch = async (ctx: Ctx, a: KubeObject, op: Obj): Promise<Obj> => {
    const status = rec(a.status);
    if ((a as Obj).operation || rec(status.operationState).phase === 'Running')
      throw new ServerError('server_conflict', 'another operation is already in progress');
    const operation = { ...op, initiatedBy: { username: ctx.principal!.user } };
    try {
      await needKube(d).patch(APP_API, 'Application', a.metadata.name!, a.metadata.namespace, { operation }, 'merge');
    } catch (e) {
      throw upstream(e, `application ${a.metadata.namespace}/${a.metadata.name}`);
    }
    ctx.res.statusCode = 202;
    return { application: { namespace: a.metadata.namespace, name: a.metadata.name }, operation };
  };

  const appPath = '/api/v1/applications/{namespace}/{name}';
  const resourceQueryDoc = [
    { name: 'group', description: 'API group ("" for the core group)' },
    { name: 'version', description: 'API version (default: the one the application records)' },
    { name: 'kind', description: 'kind, e.g. Deployment (required)' },
    { name: 'namespace', description: 'namespace of a namespaced resource' },
    { name: 'name', description: 'name (required)' },
  ];

  return [
    {
      method: 'GET',
      path: '/api/v1/applications',
      role: 'viewer',
      tag: 'applications',
      projectScoped: true,
      summary:
        "Applications the caller's projects cover, filtered and sorted, one page at a time (limit/continue or page/pageSize), with the total count",
      query: [
        { name: 'namespace', description: 'only this namespace' },
        { name: 'project', description: 'only these AppProjects (comma-separated)' },
        { name: 'sync', description: 'only these sync statuses (Synced, OutOfSync, Unknown; comma-separated)' },
        { name: 'health', description: 'only these health statuses (comma-separated)' },
        { name: 'selector', description: 'label selector, e.g. team=web,tier!=db' },
        { name: 'search', description: 'case-insensitive substring of the name' },
        { name: 'sort', description: `order: ${SORTS.join(', ')} (default name)` },
        { name: 'limit', type: 'integer', description: 'page size (1-1000) for continue-token paging' },
        { name: 'continue', description: 'continue token from the previous page' },
        { name: 'page', type: 'integer', description: 'page number from 1 (with pageSize)' },
        { name: 'pageSize', type: 'integer', description: 'page size (1-1000) for numbered pages' },
      ],
      response: listOf(appSummarySchema, {
        total: { type: 'integer' },
        continue: { type: 'string' },
        page: { type: 'integer' },
        pageSize: { type: 'integer' },
      }),
      handler: async (ctx) => {
        const u = ctx.url;
        const limit = intParam(u, 'limit', 1, 1000);
        const cont = u.searchParams.get('continue');
        const page = intParam(u, 'page', 1, 1_000_000);
        const pageSize = intParam(u, 'pageSize', 1, 1000);
        if ((page !== undefined || pageSize !== undefined) && (limit !== undefined || cont !== null))
          throw new ServerError('server_bad_request', 'use either limit/continue or page/pageSize, not both');
        const ns = u.searchParams.get('namespace');
        if (ns) checkName('namespace', ns, true);
        const projects = listCsv(u, 'project');
        const syncs = listCsv(u, 'sync', SYNC_CODES);
        const healths = listCsv(u, 'health', HEALTH_CODES);
        const selText = u.searchParams.get('selector');
        let sel: Selector | undefined;
        if (selText) {
          try {
            sel = parseLabelSelector(selText);
          } catch (e) {
            throw new ServerError('server_bad_request', `selector: ${(e as Error).message}`, { cause: e });
          }
        }
        const search = u.searchParams.get('search')?.toLowerCase();
        const sort = enumParam(u, 'sort', SORTS) ?? 'name';
        await apps.ready();
        const p = ctx.principal!;
        const out: KubeObject[] = [];
        for (const a of scopeFilter(p, apps.all(), appProject)) {
          if (ns && a.metadata.namespace !== ns) continue;
          const proj = appProject(a);
          if (projects && !projects.includes(proj)) continue;
          const st = rec(a.status);
          if (syncs && !syncs.includes(str(rec(st.sync).status) ?? 'Unknown')) continue;
          if (healths && !healths.includes(str(rec(st.health).status) ?? 'Unknown')) continue;
          if (sel && !matchesSelector(sel, a.metadata.labels)) continue;
          if (search && !(a.metadata.name ?? '').toLowerCase().includes(search)) continue;
          out.push(a);
        }
        if (sort !== 'name') {
          const key = (a: KubeObject): string =>
            sort === 'project'
              ? appProject(a)
              : sort === 'sync'
                ? (str(rec(rec(a.status).sync).status) ?? 'Unknown')
                : sort === 'health'
                  ? (str(rec(rec(a.status).health).status) ?? 'Unknown')
                  : sort === '-reconciledAt'
                    ? (str(rec(a.status).reconciledAt) ?? '')
                    : '';
          if (sort === '-name') out.reverse();
          else if (sort === '-reconciledAt') out.sort((x, y) => key(y).localeCompare(key(x)));
          else out.sort((x, y) => key(x).localeCompare(key(y))); // stable: ties keep name order
        }
        const total = out.length;
        if (page !== undefined || pageSize !== undefined) {
          const size = pageSize ?? 100;
          const pg = page ?? 1;
          return { items: out.slice((pg - 1) * size, pg * size).map(summarizeApp), total, page: pg, pageSize: size };
        }
        const fp = [ns, projects, syncs, healths, selText, search, sort, p.user].join('|');
        const start = cont ? decodeContinue(cont, fp) : 0;
        const end = limit ? start + limit : total;
        const items = out.slice(start, end).map(summarizeApp);
        return { items, total, ...(end < total ? { continue: encodeContinue(end, fp) } : {}) };
      },
    },
    {
      method: 'GET',
      path: appPath,
      role: 'viewer',
      tag: 'applications',
      projectScoped: true,
      summary: 'One Application with its full spec and status',
      response: {
        ...appSummarySchema,
        properties: { ...(appSummarySchema.properties as Obj), object: { type: 'object' } },
      },
      handler: async (ctx) => {
        const a = await loadApp(ctx, 'view');
        return { ...summarizeApp(a), object: a };
      },
    },
    {
      method: 'GET',
      path: `${appPath}/tree`,
      role: 'viewer',
      tag: 'applications',
      projectScoped: true,
      summary:
        'Resource tree: managed resources and their descendants (ownerReferences), with health and sync per node',
      response: listOf({
        ...refSchema,
        properties: {
          ...(refSchema.properties as Obj),
          parentRefs: { type: 'array', items: refSchema },
          health: { type: 'object', nullable: true },
          sync: { type: 'string' },
        },
      }),
      handler: async (ctx) => {
        const a = await loadApp(ctx, 'view');
        return { items: await tree(a) };
      },
    },
    {
      method: 'GET',
      path: `${appPath}/diff`,
      role: 'viewer',
      tag: 'applications',
      projectScoped: true,
      summary:
        'Per-resource diff of the live state against the desired state at the compared revision (Secret data masked as ++++++++)',
      query: [{ name: 'modifiedOnly', type: 'boolean', description: 'only resources that differ (default false)' }],
      response: listOf(
        {
          ...refSchema,
          properties: {
            ...(refSchema.properties as Obj),
            modified: { type: 'boolean' },
            requiresPruning: { type: 'boolean' },
            diff: { type: 'string' },
            live: { type: 'object', nullable: true },
            desired: { type: 'object', nullable: true },
          },
        },
        { revision: { type: 'string' } },
      ),
      handler: async (ctx) => {
        const mod = ctx.url.searchParams.get('modifiedOnly');
        if (mod !== null && mod !== 'true' && mod !== 'false')
          throw new ServerError('server_bad_request', `modifiedOnly must be true or false, got "${mod}"`);
        const a = await loadApp(ctx, 'view');
        const kube = needKube(d);
        let want;
        try {
          want = await desired(a);
        } catch (e) {
          if (e instanceof ServerError) throw e;
          throw new ServerError('server_upstream_error', `rendering the desired state: ${(e as Error).message}`, {
            cause: e,
          });
        }
        const ignore = rec(a.spec).ignoreDifferences as ResourceIgnoreDifferences[] | undefined;
        const items: Obj[] = [];
        const seen = new Set<string>();
        const key = (g: string, k: string, ns: string | undefined, n: string) => `${g}/${k}/${ns ?? ''}/${n}`;
        for (const t of want.objects) {
          const live = await kube
            .get(t.apiVersion, t.kind, t.metadata.name!, t.metadata.namespace)
            .catch(() => undefined);
          const r = diffObjects(t, live, ignore ? { ignoreDifferences: ignore } : {});
          const { group, version } = groupOf(t.apiVersion);
          seen.add(key(group, t.kind, t.metadata.namespace, t.metadata.name!));
          items.push({
            group,
            version,
            kind: t.kind,
            ...(t.metadata.namespace ? { namespace: t.metadata.namespace } : {}),
            name: t.metadata.name,
            modified: r.modified,
            diff: r.diff,
            live: r.normalizedLive ?? null,
            desired: r.predictedLive ?? null,
          });
        }
        // managed resources no longer desired: a prune would delete them
        for (const r of managed(a)) {
          if (r.hook || seen.has(key(String(r.group ?? ''), String(r.kind), str(r.namespace), String(r.name))))
            continue;
          const apiVersion = r.group ? `${r.group}/${r.version}` : String(r.version);
          const live = await kube
            .get(apiVersion, String(r.kind), String(r.name), str(r.namespace) || undefined)
            .catch(() => undefined);
          if (!live) continue;
          const dr = diffObjects(undefined, live);
          items.push({
            group: r.group ?? '',
            version: r.version,
            kind: r.kind,
            ...(r.namespace ? { namespace: r.namespace } : {}),
            name: r.name,
            modified: true,
            requiresPruning: true,
            diff: dr.diff,
            live: dr.normalizedLive ?? null,
            desired: null,
          });
        }
        return { revision: want.revision, items: mod === 'true' ? items.filter((i) => i.modified) : items };
      },
    },
    {
      method: 'POST',
      path: `${appPath}/sync`,
      role: 'developer',
      tag: 'applications',
      projectScoped: true,
      status: 202,
      summary: 'Start a sync operation (the controller runs it; watch the stream or the application for its result)',
      body: {
        required: [],
        properties: {
          revision: { type: 'string', description: 'git revision to sync to (default: the target revision)' },
          prune: { type: 'boolean', description: 'delete resources no longer in git' },
          dryRun: { type: 'boolean', description: 'compute and report without changing the cluster' },
          resources: {
            type: 'array',
            items: refSchema,
            description: 'only these resources ({group, kind, namespace, name})',
          },
          syncOptions: {
            type: 'array',
            items: 'string',
            description: 'Argo CD sync options, e.g. ServerSideApply=true',
          },
        },
      },
      response: {
        type: 'object',
        required: ['application', 'operation'],
        properties: { application: appRefSchema, operation: { type: 'object' } },
      },
      handler: async (ctx) => {
        const b = ctx.body as {
          revision?: string;
          prune?: boolean;
          dryRun?: boolean;
          resources?: Obj[];
          syncOptions?: string[];
        };
        if (b.revision !== undefined && !/^[\w./-]{1,200}$/.test(b.revision))
          throw new ServerError('server_bad_request', `revision "${b.revision}" is not a branch, tag or commit`);
        const resources = b.resources?.map((r, i) => {
          if (typeof r.kind !== 'string' || typeof r.name !== 'string')
            throw new ServerError('server_bad_request', `resources[${i}] needs string fields kind and name`);
          for (const k of Object.keys(r))
            if (!['group', 'kind', 'namespace', 'name', 'version'].includes(k))
              throw new ServerError('server_bad_request', `resources[${i}] has unknown field "${k}"`);
          return {
            ...(typeof r.group === 'string' && r.group ? { group: r.group } : {}),
            kind: r.kind,
            name: r.name,
            ...(typeof r.namespace === 'string' && r.namespace ? { namespace: r.namespace } : {}),
          };
        });
        for (const o of b.syncOptions ?? [])
          if (!/^[A-Za-z]+=[\w-]+$/.test(o))
            throw new ServerError('server_bad_request', `sync option "${o}" is not Name=value`);
        const a = await loadApp(ctx, 'sync');
        return operationPatch(ctx, a, {
          sync: {
            ...(b.revision ? { revision: b.revision } : {}),
            ...(b.prune !== undefined ? { prune: b.prune } : {}),
            ...(b.dryRun !== undefined ? { dryRun: b.dryRun } : {}),
            ...(resources ? { resources } : {}),
            ...(b.syncOptions ? { syncOptions: b.syncOptions } : {}),
          },
        });
      },
    },
    {
      method: 'POST',
      path: `${appPath}/rollback`,
      role: 'developer',
      tag: 'applications',
      projectScoped: true,
      status: 202,
      summary: 'Sync back to a deployment of the history (refused while automated sync is on, as in Argo CD)',
      body: {
        required: ['id'],
        properties: {
          id: { type: 'integer', description: 'history id (GET …/history)' },
          prune: { type: 'boolean', description: 'delete resources not in that revision' },
          dryRun: { type: 'boolean', description: 'compute and report without changing the cluster' },
        },
      },
      response: {
        type: 'object',
        required: ['application', 'operation'],
        properties: { application: appRefSchema, operation: { type: 'object' } },
      },
      handler: async (ctx) => {
        const b = ctx.body as { id: number; prune?: boolean; dryRun?: boolean };
        if (b.id < 0) throw new ServerError('server_bad_request', 'id must not be negative');
        const a = await loadApp(ctx, 'roll back');
        if (rec(rec(a.spec).syncPolicy).automated)
          throw new ServerError(
            'server_bad_request',
            'rollback cannot be started while automated sync is enabled; turn off spec.syncPolicy.automated first',
          );
        const h = ((rec(a.status).history as Obj[] | undefined) ?? []).find((x) => x.id === b.id);
        if (!h) throw new ServerError('server_not_found', `history id ${b.id} not found`);
        return operationPatch(ctx, a, {
          sync: {
            revision: h.revision,
            ...(h.source ? { source: h.source } : {}),
            ...(b.prune !== undefined ? { prune: b.prune } : {}),
            ...(b.dryRun !== undefined ? { dryRun: b.dryRun } : {}),
          },
          info: [{ name: 'rollback', value: String(b.id) }],
        });
      },
    },
    {
      method: 'GET',
      path: `${appPath}/history`,
      role: 'viewer',
      tag: 'applications',
      projectScoped: true,
      summary: 'Deployment history, newest first',
      response: listOf({
        type: 'object',
        required: ['id', 'revision'],
        properties: {
          id: { type: 'integer' },
          revision: { type: 'string' },
          deployedAt: { type: 'string' },
          deployStartedAt: { type: 'string' },
          source: { type: 'object' },
          initiatedBy: { type: 'object' },
        },
      }),
      handler: async (ctx) => {
        const a = await loadApp(ctx, 'view');
        const h = [...((rec(a.status).history as Obj[] | undefined) ?? [])];
        h.sort((x, y) => Number(y.id) - Number(x.id));
        return { items: h };
      },
    },
    {
      method: 'GET',
      path: `${appPath}/events`,
      role: 'viewer',
      tag: 'applications',
      projectScoped: true,
      summary: 'Kubernetes events of the Application and of its managed resources',
      response: listOf(eventSchema),
      handler: async (ctx) => {
        const a = await loadApp(ctx, 'view');
        const keys = new Set<string>([`Application/${a.metadata.namespace}/${a.metadata.name}`]);
        const namespaces = new Set<string>([a.metadata.namespace!]);
        for (const r of managed(a)) {
          keys.add(`${r.kind}/${r.namespace ?? ''}/${r.name}`);
          if (str(r.namespace)) namespaces.add(r.namespace as string);
        }
        return {
          items: await eventsFor(needKube(d), namespaces, (io) =>
            keys.has(`${io.kind}/${io.namespace ?? ''}/${io.name}`),
          ),
        };
      },
    },
    {
      method: 'GET',
      path: `${appPath}/resource`,
      role: 'viewer',
      tag: 'applications',
      projectScoped: true,
      summary: 'A live resource of the application (managed or a descendant); Secret data masked',
      query: resourceQueryDoc,
      response: { type: 'object', required: ['object'], properties: { object: { type: 'object' } } },
      handler: async (ctx) => {
        const a = await loadApp(ctx, 'view');
        const r = await resourceQuery(ctx, a);
        let live: KubeObject;
        try {
          live = await needKube(d).get(r.apiVersion, r.kind, r.name, r.namespace);
        } catch (e) {
          throw upstream(e, `${r.kind} ${r.namespace ? r.namespace + '/' : ''}${r.name}`);
        }
        return { object: maskSecret(clone(live)) };
      },
    },
    {
      method: 'GET',
      path: `${appPath}/resource/events`,
      role: 'viewer',
      tag: 'applications',
      projectScoped: true,
      summary: 'Kubernetes events of one resource of the application',
      query: resourceQueryDoc,
      response: listOf(eventSchema),
      handler: async (ctx) => {
        const a = await loadApp(ctx, 'view');
        const r = await resourceQuery(ctx, a);
        const ns = r.namespace ?? 'default';
        return {
          items: await eventsFor(
            needKube(d),
            new Set([ns]),
            (io) => io.kind === r.kind && io.name === r.name && (str(io.namespace) ?? '') === (r.namespace ?? ''),
          ),
        };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/stream',
      role: 'viewer',
      tag: 'applications',
      projectScoped: true,
      summary:
        'Server-sent events: every change of an Application the caller may see (event "application", data {type, application}); Last-Event-ID resumes (event "reset" when the missed changes are gone: list again); snapshot=true first sends every visible Application (type SNAPSHOT) and then "snapshot-end"',
      query: [
        { name: 'project', description: 'only Applications of these AppProjects (comma-separated)' },
        { name: 'name', description: 'only Applications with this name' },
        { name: 'snapshot', type: 'boolean', description: 'start with the current Applications' },
      ],
      produces: 'text/event-stream',
      handler: async (ctx) => {
        const projects = listCsv(ctx.url, 'project');
        const name = ctx.url.searchParams.get('name');
        if (name) checkName('name', name);
        const snapshot = boolParam(ctx.url, 'snapshot') ?? false;
        const lastId = ctx.req.headers['last-event-id'];
        await apps.ready();
        const { res, req } = ctx;
        const p = ctx.principal!;
        const visible = (a: { project: string; name: string }): boolean =>
          visibleTo(p, a.project) && (!projects || projects.includes(a.project)) && (!name || a.name === name);
        res.writeHead(200, {
          'Content-Type': 'text/event-stream; charset=utf-8',
          'Cache-Control': 'no-store',
          Connection: 'keep-alive',
          'X-Accel-Buffering': 'no',
        });
        res.write(': connected\n\n');
        const sub = {
          res,
          filter: (data: unknown) => visible((data as { application: { project: string; name: string } }).application),
        };
        // everything below runs in one turn of the event loop: no change can slip between the
        // snapshot (or the replay) and the subscription
        if (typeof lastId === 'string' && lastId !== '' && !hub.replay(sub, lastId))
          res.write(
            `event: reset\ndata: ${JSON.stringify({ reason: 'missed changes are no longer known; list again' })}\n\n`,
          );
        if (snapshot) {
          for (const a of apps.all()) {
            const sum = summarizeApp(a);
            if (visible(sum as { project: string; name: string }))
              res.write(`event: application\ndata: ${JSON.stringify({ type: 'SNAPSHOT', application: sum })}\n\n`);
          }
          res.write('event: snapshot-end\ndata: {}\n\n');
        }
        const remove = hub.add(sub);
        await new Promise<void>((resolve) => {
          req.on('close', resolve);
          res.on('close', resolve);
        });
        remove();
        res.end();
        return undefined;
      },
    },
  ];
}
