// What-if preview of a change request: the head revision of its paths rendered the way the GitOps
// controller would (same renderer; an Application of the cluster that tracks the repo and path gives its
// source options, destination namespace, CreateNamespace and the objects it would prune), then every object
// applied with a server-side dry-run (dryRun=All) to the target cluster. Nothing is written: the result
// holds per object the action (create/update/unchanged/delete) and the normalised unified diff live →
// dry-run result (Secret values masked), and the admission denials (webhook name and message).
import { mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  API_VERSION as GITOPS_API_VERSION,
  ARGO_API_VERSION,
  diffObjects,
  FIELD_MANAGER,
  instanceName,
  Renderer,
  resourceKey,
  spawnRunner,
  trackingId,
  TRACKING_ANNOTATION,
  type Application,
  type ApplicationSource,
} from '../../gitops/index.ts';
import { KubeError, type KubeClient, type KubeObject } from '../../kube/index.ts';
import type { ChangeRequest, WhatIfResult } from './change-request.ts';
import type { Git } from './git.ts';

export interface WhatIfOptions {
  changeRequest: ChangeRequest;
  /** a checkout of the change request's head commit */
  root: string;
  /** paths to render (default: the change request's paths) */
  paths?: string[];
  client: KubeClient;
  /** field manager of the dry-run apply (default: the GitOps controller's) */
  fieldManager?: string;
  /** the Applications to consider (default: listed from the cluster, all namespaces) */
  applications?: Application[];
  /** namespace of the GitOps controller (instance names of Applications elsewhere carry their namespace) */
  controllerNamespace?: string;
  kubectl?: string;
  now?: () => Date;
}

type Resource = WhatIfResult['resources'][number];
type Denial = WhatIfResult['denials'][number];

const DENIED = /admission webhook "([^"]+)" denied the request(?::\s*([\s\S]*))?/;

function normRepo(u: string): string {
  return u
    .trim()
    .replace(/^file:\/\//, '')
    .replace(/\.git$/, '')
    .replace(/\/+$/, '');
}
function normPath(p: string | undefined): string {
  return (p ?? '.').replace(/^\.\/+/, '').replace(/\/+$/, '') || '.';
}

/** The Application (if any) that deploys `repo` at `path`. */
export function trackingApplication(apps: Application[], repo: string, path: string): Application | undefined {
  const r = normRepo(repo);
  const p = normPath(path);
  return apps.find((a) => {
    const srcs = a.spec.sources?.length ? a.spec.sources : a.spec.source ? [a.spec.source] : [];
    return srcs.some((s) => normRepo(s.repoURL) === r && normPath(s.path) === p);
  });
}

/** Applications of the cluster, ours and Argo CD's (a cluster without the CRD has none). */
async function listApplications(client: KubeClient): Promise<Application[]> {
  const out: Application[] = [];
  for (const apiVersion of [GITOPS_API_VERSION, ARGO_API_VERSION]) {
    try {
      const l = await client.listAll(apiVersion, 'Application', { namespace: '' });
      out.push(...(l.items as unknown as Application[]));
    } catch (e) {
      if (e instanceof KubeError && e.status === 404) continue;
      throw e;
    }
  }
  return out;
}

const ident = (o: { apiVersion: string; kind: string; metadata: { name?: string; namespace?: string } }) => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
  name: o.metadata.name ?? '',
});
const label = (o: { kind: string; metadata: { name?: string; namespace?: string } }) =>
  `${o.kind} ${o.metadata.namespace ? o.metadata.namespace + '/' : ''}${o.metadata.name ?? ''}`;

async function getLive(client: KubeClient, o: KubeObject): Promise<KubeObject | undefined> {
  try {
    return await client.get(o.apiVersion, o.kind, o.metadata.name!, o.metadata.namespace);
  } catch (e) {
    if (e instanceof KubeError && e.status === 404) return undefined;
    throw e;
  }
}

/** Renders the change request's paths and dry-runs them against the cluster (see the file comment). */
export async function whatIfPreview(o: WhatIfOptions): Promise<WhatIfResult> {
  const now = o.now ?? (() => new Date());
  const cr = o.changeRequest;
  const commit = cr.status?.headCommit ?? '';
  const result: WhatIfResult = {
    result: 'Passed',
    commit,
    checkedAt: now().toISOString(),
    cluster: o.client.server,
    resources: [],
    denials: [],
  };
  const errors: string[] = [];
  const fieldManager = o.fieldManager ?? FIELD_MANAGER;
  const controllerNs = o.controllerNamespace ?? 'sekisho-gitops';
  try {
    const apps = o.applications ?? (await listApplications(o.client));
    const renderer = new Renderer({ run: spawnRunner, ...(o.kubectl ? { kubectl: o.kubectl } : {}) });
    const targets: KubeObject[] = [];
    const newKind = new Set<KubeObject>();
    const createNs = new Set<string>();
    const prunable: Array<{ app: Application; inst: string }> = [];
    for (const p of o.paths ?? cr.spec.paths) {
      const app = trackingApplication(apps, cr.spec.repo, p);
      const srcs = app ? (app.spec.sources?.length ? app.spec.sources : app.spec.source ? [app.spec.source] : []) : [];
      const src: ApplicationSource = srcs.find(
        (s) => normRepo(s.repoURL) === normRepo(cr.spec.repo) && normPath(s.path) === normPath(p),
      ) ?? { repoURL: cr.spec.repo, path: p };
      const r = await renderer.render(resolve(o.root), commit, { ...src, path: p });
      const destNs = app?.spec.destination?.namespace || 'default';
      const inst = app ? instanceName(app, controllerNs) : undefined;
      if (app && inst) prunable.push({ app, inst });
      // kinds whose CustomResourceDefinition is in the render (not served yet): scope from the CRD
      const crdScope = new Map<string, boolean>();
      for (const c of r.objects)
        if (c.kind === 'CustomResourceDefinition' && c.apiVersion.startsWith('apiextensions.k8s.io/')) {
          const sp = c.spec as { group?: string; names?: { kind?: string }; scope?: string } | undefined;
          if (sp?.group && sp.names?.kind) crdScope.set(`${sp.group}/${sp.names.kind}`, sp.scope !== 'Cluster');
        }
      for (const t of r.objects) {
        let namespaced: boolean;
        try {
          namespaced = (await o.client.resourceFor(t.apiVersion, t.kind)).namespaced;
        } catch (e) {
          const group = t.apiVersion.includes('/') ? t.apiVersion.slice(0, t.apiVersion.lastIndexOf('/')) : '';
          const scope = crdScope.get(`${group}/${t.kind}`);
          if (!(e instanceof KubeError && e.status === 404) || scope === undefined) {
            errors.push(`${label(t)}: ${e instanceof Error ? e.message : String(e)}`);
            continue;
          }
          namespaced = scope;
          newKind.add(t);
        }
        if (namespaced) {
          t.metadata.namespace ??= destNs;
          // a missing namespace is treated as the sync does with CreateNamespace=true: dry-run the Namespace too
          createNs.add(t.metadata.namespace);
        } else delete t.metadata.namespace;
        if (inst)
          t.metadata.annotations = { ...(t.metadata.annotations ?? {}), [TRACKING_ANNOTATION]: trackingId(inst, t) };
        targets.push(t);
      }
    }
    // namespaces the sync would create (CreateNamespace) and that neither exist nor are rendered
    const renderedNs = new Set(targets.filter((t) => t.kind === 'Namespace').map((t) => t.metadata.name));
    const missingNs = new Set<string>();
    for (const ns of createNs) {
      if (renderedNs.has(ns)) {
        if (!(await getLive(o.client, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })))
          missingNs.add(ns);
        continue;
      }
      const nsObj: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } };
      if (await getLive(o.client, nsObj)) continue;
      missingNs.add(ns);
      targets.unshift(nsObj);
    }
    const wanted = new Set(targets.map(resourceKey));
    for (const t of targets) {
      const id = ident(t);
      try {
        if (newKind.has(t)) {
          // like a sync, which applies the CRD first: the object cannot be dry-run before its kind is served
          result.message = appendMsg(
            result.message,
            `${label(t)}: its CustomResourceDefinition is created by this change; the object was not dry-run on the server`,
          );
          const d = diffObjects(t, undefined);
          result.resources.push({ ...id, action: 'create', ...(d.diff ? { diff: d.diff } : {}) });
          continue;
        }
        const live = await getLive(o.client, t);
        let predicted: KubeObject;
        try {
          predicted = await o.client.apply(t, { fieldManager, force: true, dryRun: true, fieldValidation: 'Strict' });
        } catch (e) {
          // the namespace does not exist yet (it is created by this change): like the sync, which creates the
          // namespace first, the object itself cannot be dry-run before that; its rendered form is the prediction
          if (
            e instanceof KubeError &&
            e.status === 404 &&
            t.metadata.namespace &&
            missingNs.has(t.metadata.namespace) &&
            !live
          ) {
            predicted = t;
            result.message = appendMsg(
              result.message,
              `${label(t)}: namespace ${t.metadata.namespace} does not exist yet; the object was not dry-run on the server`,
            );
          } else throw e;
        }
        const d = diffObjects(t, live, { predictedLive: predicted });
        const action: Resource['action'] = !live ? 'create' : d.modified ? 'update' : 'unchanged';
        result.resources.push({ ...id, action, ...(d.diff ? { diff: d.diff } : {}) });
      } catch (e) {
        const m = e instanceof Error ? e.message : String(e);
        const den = DENIED.exec(m);
        if (den) {
          result.denials.push({ ...id, message: (den[2] ?? m).trim(), webhook: den[1]! } satisfies Denial);
          // the change that was refused, predicted locally (config merged onto live as an apply would)
          const live = await getLive(o.client, t).catch(() => undefined);
          const d = diffObjects(t, live);
          result.resources.push({ ...id, action: live ? 'update' : 'create', ...(d.diff ? { diff: d.diff } : {}) });
        } else errors.push(`${label(t)}: ${m}`);
      }
    }
    // what an Application tracks that is no longer rendered: pruned by its sync
    for (const { app, inst } of prunable) {
      for (const r of app.status?.resources ?? []) {
        if (r.hook) continue;
        const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
        const ref = {
          apiVersion,
          kind: r.kind,
          metadata: { name: r.name, ...(r.namespace ? { namespace: r.namespace } : {}) },
        } as KubeObject;
        if (wanted.has(resourceKey(ref))) continue;
        const id = ident(ref);
        try {
          const live = await getLive(o.client, ref);
          if (!live || !live.metadata.annotations?.[TRACKING_ANNOTATION]?.startsWith(inst + ':')) continue;
          if (live.metadata.deletionTimestamp) continue;
          await o.client.delete(apiVersion, r.kind, r.name, r.namespace || undefined, { dryRun: true });
          const d = diffObjects(undefined, live);
          result.resources.push({ ...id, action: 'delete', ...(d.diff ? { diff: d.diff } : {}) });
          wanted.add(resourceKey(ref));
        } catch (e) {
          const m = e instanceof Error ? e.message : String(e);
          const den = DENIED.exec(m);
          if (den) result.denials.push({ ...id, message: (den[2] ?? m).trim(), webhook: den[1]! });
          else errors.push(`${label(ref)}: ${m}`);
        }
      }
    }
  } catch (e) {
    errors.push(e instanceof Error ? e.message : String(e));
  }
  if (errors.length) {
    result.result = 'Error';
    result.message = appendMsg(errors.join('; '), result.message);
  } else if (result.denials.length) result.result = 'Denied';
  return result;
}

function appendMsg(a: string | undefined, b: string | undefined): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return `${a}; ${b}`;
}

/** Checks out the change request's head commit in a temporary worktree and runs the preview there. */
export async function whatIfAtHead(
  g: Git,
  cr: ChangeRequest,
  o: Omit<WhatIfOptions, 'changeRequest' | 'root'> & { dataDir: string },
): Promise<WhatIfResult> {
  const commit = cr.status!.headCommit;
  const tree = mkdtempSync(join(o.dataDir, 'promote', 'whatif-'));
  try {
    await g.run(['worktree', 'add', '--quiet', '--detach', '--force', tree, commit]);
    return await whatIfPreview({ ...o, changeRequest: cr, root: tree });
  } catch (e) {
    return {
      result: 'Error',
      commit,
      checkedAt: (o.now ?? (() => new Date()))().toISOString(),
      cluster: o.client.server,
      resources: [],
      denials: [],
      message: e instanceof Error ? e.message : String(e),
    };
  } finally {
    await g.run(['worktree', 'remove', '--force', tree], { allowFail: true });
    rmSync(tree, { recursive: true, force: true });
    await g.run(['worktree', 'prune'], { allowFail: true });
  }
}
