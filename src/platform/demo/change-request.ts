// The demo's change requests as ChangeRequest objects (ci.sekisho.dev/v1alpha1, the pipeline area's
// model and store) in the cluster, so `sekisho cr list`, `kubectl get changerequests` and the web UI show
// them with their policy results: opened with the branch, the policy check recorded on the head commit,
// then Merged (with a note when the merge went past a failed check).
import { KubeError } from '../../kube/index.ts';
import {
  API_VERSION as CI_API_VERSION,
  KubeChangeRequestStore,
  changeRequestCrd,
  changeRequestName,
  CI_NAMESPACE,
  type ChangeRequest,
  type PolicyFinding,
} from '../../pipeline/index.ts';
import type { DemoContext } from './types.ts';

/** Namespace of the demo's ChangeRequests: the platform's CI namespace, where its pipeline runs open them. */
export const CR_NAMESPACE = CI_NAMESPACE;

async function store(ctx: DemoContext): Promise<KubeChangeRequestStore> {
  if (!ctx.state.has('cr:crd')) {
    await ctx.kube.apply(changeRequestCrd(), { fieldManager: 'sekisho-demo', force: true });
    // the new kind is served once discovery lists it
    const end = Date.now() + ctx.waitMs;
    for (;;) {
      try {
        await ctx.kube.discover(true);
        await ctx.kube.resourceFor(CI_API_VERSION, 'ChangeRequest');
        break;
      } catch (e) {
        if (Date.now() > end) throw e;
        await new Promise((r) => setTimeout(r, 150));
      }
    }
    ctx.state.set('cr:crd', 'yes');
  }
  return new KubeChangeRequestStore(ctx.kube, CR_NAMESPACE);
}

/** The change request of `branch`: the one a pipeline run opened for it (recorded by the demo), else the
 * name the demo gives the change requests it opens itself. */
export function crName(branch: string, ctx?: DemoContext): string {
  return ctx?.state.get(`cr:${branch}`) ?? changeRequestName(branch);
}

/** Opens (or reopens) the change request of `branch` at `head`. */
export async function openChangeRequest(
  ctx: DemoContext,
  o: { branch: string; title: string; head: string; base: string; files: string[]; repo: string; image?: string },
): Promise<ChangeRequest> {
  const s = await store(ctx);
  const name = crName(o.branch);
  const now = new Date().toISOString();
  const cr: ChangeRequest = {
    apiVersion: CI_API_VERSION,
    kind: 'ChangeRequest',
    metadata: { name, creationTimestamp: now, labels: { 'app.kubernetes.io/part-of': 'sekisho-demo' } },
    spec: {
      repo: o.repo,
      base: 'main',
      head: o.branch,
      title: o.title,
      description: `sekisho demo: ${o.title}`,
      images: o.image ? [{ name: 'demo-app', image: o.image }] : [],
      paths: ['app'],
      policy: { paths: [ctx.policies.regoDir], namespaces: ['main'] },
    },
    status: {
      phase: 'Open',
      headCommit: o.head,
      baseCommit: o.base,
      changedFiles: o.files,
      approvals: [],
      updatedAt: now,
    },
  };
  const existing = await s.get(name);
  return existing ? s.update({ ...cr, metadata: { ...existing.metadata, ...cr.metadata } }) : s.create(cr);
}

async function change(
  ctx: DemoContext,
  branch: string,
  f: (cr: ChangeRequest) => void,
): Promise<ChangeRequest | undefined> {
  const s = await store(ctx);
  const cr = await s.get(crName(branch, ctx));
  if (!cr?.status) return undefined;
  f(cr);
  cr.status.updatedAt = new Date().toISOString();
  return s.update(cr);
}

export async function recordPolicy(
  ctx: DemoContext,
  branch: string,
  check: { commit: string; passed: boolean; failures: string[]; warnings: string[]; file: string },
): Promise<void> {
  const shown = 'app (kustomize render)';
  const results: PolicyFinding[] = [
    ...check.failures.map((message) => ({ level: 'failure' as const, file: shown, message, namespace: 'main' })),
    ...check.warnings.map((message) => ({ level: 'warning' as const, file: shown, message, namespace: 'main' })),
  ];
  await change(ctx, branch, (cr) => {
    cr.status!.policy = {
      result: check.passed ? 'Passed' : 'Failed',
      commit: check.commit,
      checkedAt: new Date().toISOString(),
      results,
      files: [shown],
    };
  });
}

export async function recordMerge(
  ctx: DemoContext,
  branch: string,
  mergeCommit: string,
): Promise<{ note?: string; cr?: ChangeRequest }> {
  let note: string | undefined;
  const cr = await change(ctx, branch, (cr) => {
    cr.status!.phase = 'Merged';
    cr.status!.mergeCommit = mergeCommit;
    cr.status!.mergedAt = new Date().toISOString();
    if (cr.status!.policy?.result === 'Failed') {
      note = 'merged over a failed policy check';
      cr.status!.message = note;
    }
  });
  return { ...(note ? { note } : {}), ...(cr ? { cr } : {}) };
}

export function isNotFound(e: unknown): boolean {
  return e instanceof KubeError && e.status === 404;
}
