// Policy routes: ConstraintTemplates, constraints with their audit results, and every violation —
// those the admission audit found (constraint status) and those the GitOps pre-apply gate stopped a sync
// for — each with the object and the Application owning it.
import type { KubeObject } from '../../kube/index.ts';
import { appProject, enumParam, kubeStatus, needKube, upstream, type RouteEnv, type RouteSpec, rec } from '../route.ts';
import { scopeFilter } from './scope.ts';

const TEMPLATE_API = 'templates.gatekeeper.sh/v1';
const CONSTRAINT_GROUP = 'constraints.gatekeeper.sh';
export const GATE_PREFIX = 'sync denied by the pre-apply gate: ';

type Obj = Record<string, unknown>;

function templateKind(t: KubeObject): string | undefined {
  const k = rec(rec(rec(rec(t.spec).crd).spec).names).kind;
  return typeof k === 'string' ? k : undefined;
}

const notServed = (e: unknown): boolean =>
  kubeStatus(e) === 404 || /not served|no resource|unknown|could not find/i.test((e as Error).message);

const ownerSchema = {
  type: 'object',
  nullable: true,
  required: ['namespace', 'name', 'project'],
  properties: { namespace: { type: 'string' }, name: { type: 'string' }, project: { type: 'string' } },
};

export function policyRoutes({ d, apps }: RouteEnv): RouteSpec[] {
  const listTemplates = async (): Promise<KubeObject[]> => {
    try {
      return (await needKube(d).listAll(TEMPLATE_API, 'ConstraintTemplate')).items;
    } catch (e) {
      if (notServed(e)) return [];
      throw upstream(e, 'constraint templates');
    }
  };
  const listConstraints = async (): Promise<KubeObject[]> => {
    const out: KubeObject[] = [];
    const lists = await Promise.all(
      (await listTemplates()).map(async (t) => {
        const k = templateKind(t);
        if (!k) return [];
        try {
          return (await needKube(d).listAll(`${CONSTRAINT_GROUP}/v1beta1`, k)).items;
        } catch (e) {
          // a template whose constraint CRD is not served yet has no constraints
          if (notServed(e)) return [];
          throw upstream(e, `constraints of kind ${k}`);
        }
      }),
    );
    for (const l of lists) out.push(...l);
    return out;
  };
  const constraintView = (c: KubeObject) => {
    const spec = rec(c.spec);
    const status = rec(c.status);
    return {
      kind: c.kind,
      name: c.metadata?.name,
      enforcementAction: (spec.enforcementAction as string | undefined) ?? 'deny',
      match: spec.match,
      parameters: spec.parameters,
      totalViolations: (status.totalViolations as number | undefined) ?? 0,
      auditTimestamp: status.auditTimestamp,
      violations: Array.isArray(status.violations) ? (status.violations as Obj[]) : [],
    };
  };
  /** group/kind/namespace/name → the Application whose status lists it */
  const owners = (): Map<string, KubeObject> => {
    const m = new Map<string, KubeObject>();
    for (const a of apps.all())
      for (const r of (rec(a.status).resources as Obj[] | undefined) ?? [])
        m.set(`${r.group ?? ''}/${r.kind}/${r.namespace ?? ''}/${r.name}`, a);
    return m;
  };
  const appRef = (a: KubeObject | undefined) =>
    a ? { namespace: a.metadata?.namespace ?? '', name: a.metadata?.name ?? '', project: appProject(a) } : null;

  return [
    {
      method: 'GET',
      path: '/api/v1/policies/templates',
      role: 'viewer',
      tag: 'policies',
      summary: 'ConstraintTemplates (templates.gatekeeper.sh/v1) with their status',
      response: {
        type: 'object',
        required: ['items'],
        properties: {
          items: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name'],
              properties: { name: { type: 'string' }, kind: { type: 'string' }, status: { type: 'object' } },
            },
          },
        },
      },
      handler: async () => ({
        items: (await listTemplates()).map((t) => ({
          name: t.metadata?.name,
          kind: templateKind(t),
          ...(t.status ? { status: t.status } : {}),
        })),
      }),
    },
    {
      method: 'GET',
      path: '/api/v1/policies/constraints',
      role: 'viewer',
      tag: 'policies',
      summary: 'Constraints of every template with their enforcement action and audit results',
      response: {
        type: 'object',
        required: ['items'],
        properties: {
          items: {
            type: 'array',
            items: {
              type: 'object',
              required: ['kind', 'name', 'enforcementAction', 'totalViolations', 'violations'],
              properties: {
                kind: { type: 'string' },
                name: { type: 'string' },
                enforcementAction: { type: 'string' },
                totalViolations: { type: 'integer' },
                violations: { type: 'array', items: { type: 'object' } },
              },
            },
          },
        },
      },
      handler: async () => ({ items: (await listConstraints()).map(constraintView) }),
    },
    {
      method: 'GET',
      path: '/api/v1/policies/violations',
      role: 'viewer',
      tag: 'policies',
      summary:
        'Every violation: admission audit results and syncs the pre-apply gate denied, each with its object and owning Application',
      query: [
        { name: 'kind', description: 'only constraints of this kind' },
        { name: 'source', description: 'audit or sync-gate' },
      ],
      response: {
        type: 'object',
        required: ['items'],
        properties: {
          items: {
            type: 'array',
            items: {
              type: 'object',
              required: ['source', 'message', 'application'],
              properties: {
                source: { type: 'string', enum: ['audit', 'sync-gate'] },
                constraint: { type: 'object', properties: { kind: { type: 'string' }, name: { type: 'string' } } },
                enforcementAction: { type: 'string' },
                message: { type: 'string' },
                object: { type: 'object', nullable: true },
                application: ownerSchema,
                revision: { type: 'string' },
              },
            },
          },
        },
      },
      handler: async (ctx) => {
        const kind = ctx.url.searchParams.get('kind');
        const source = enumParam(ctx.url, 'source', ['audit', 'sync-gate'] as const);
        const p = ctx.principal!;
        // ownership needs the Applications; without the CRD there is simply no owner
        await apps.ready().catch(() => undefined);
        const own = owners();
        const items: Obj[] = [];
        if (source !== 'sync-gate')
          for (const c of await listConstraints()) {
            if (kind !== null && c.kind !== kind) continue;
            const v = constraintView(c);
            for (const x of v.violations) {
              const group = typeof x.group === 'string' ? x.group : '';
              const owner = own.get(`${group}/${x.kind}/${x.namespace ?? ''}/${x.name}`);
              items.push({
                source: 'audit',
                constraint: { kind: v.kind, name: v.name },
                enforcementAction: x.enforcementAction ?? v.enforcementAction,
                message: x.message ?? '',
                object: {
                  group,
                  version: x.version,
                  kind: x.kind,
                  ...(x.namespace ? { namespace: x.namespace } : {}),
                  name: x.name,
                },
                application: appRef(owner),
                // kept for clients of the first version of this endpoint
                kind: x.kind,
                name: x.name,
                ...(x.namespace ? { namespace: x.namespace } : {}),
              });
            }
          }
        if (source !== 'audit' && kind === null)
          for (const a of apps.all()) {
            const op = rec(rec(a.status).operationState);
            const msg = typeof op.message === 'string' ? op.message : '';
            if (!msg.startsWith(GATE_PREFIX)) continue;
            const sync = rec(rec(op.syncResult));
            for (const m of msg.slice(GATE_PREFIX.length).split('; '))
              items.push({
                source: 'sync-gate',
                enforcementAction: 'deny',
                message: m,
                object: null,
                application: appRef(a),
                ...(typeof sync.revision === 'string' ? { revision: sync.revision } : {}),
                ...(typeof op.finishedAt === 'string' ? { time: op.finishedAt } : {}),
              });
          }
        // a violation of an object no Application owns belongs to no project: only unscoped callers see it
        return {
          items: scopeFilter(p, items, (i) => (i.application as { project: string } | null)?.project ?? null, {
            unowned: 'hidden',
          }),
        };
      },
    },
  ];
}
