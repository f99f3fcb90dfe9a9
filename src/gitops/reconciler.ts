// The controller loop: watches Applications (in every namespace) and AppProjects, and for each app
// resolves its source revision, renders it, compares it with the live state (server-side dry-run
// diff), assesses health, runs sync operations (manual, automated, self-heal, rollback; with retry and
// backoff) and writes status the way Argo CD reports it. CRDs and the default project are installed
// on start.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { clone, deepEqual, gvkOf, Informer, KubeError, type KubeClient, type KubeObject } from '../kube/index.ts';
import { applicationCrd, appProjectCrd, defaultProject } from './crds.ts';
import { diffObjects, type DiffResult } from './diff/index.ts';
import { respectIgnores } from './diff/normalize.ts';
import { GitOpsError, redact } from './errors.ts';
import { compileCustomHealth, CUSTOM_HEALTH_CONFIGMAP, type CustomHealth } from './health/custom.ts';
import { aggregateHealth, assessHealth, type HealthOverride } from './health/index.ts';
import { LiveCache } from './live-cache.ts';
import type { ProcessRunner } from './process.ts';
import {
  destinationPermitted,
  IN_CLUSTER,
  repoPermitted,
  resourcePermitted,
  sourceNamespacePermitted,
} from './project.ts';
import { Renderer } from './render/index.ts';
import { GitCache, type GitCredentials } from './source/git.ts';
import { GPG_KEYS_CONFIGMAP, parseKeyring, signatureProblem, SignatureVerifier } from './source/signature.ts';
import { isHook, kubeClusterOps, resourceKey, runSync, type ClusterOps, type PreApplyGate } from './sync/index.ts';
import { composeGates, signatureGate, SIGNATURE_CONDITION } from './sync/verify-gate.ts';
import { ImageVerifier, type KeySources } from '../sign/index.ts';
import {
  API_VERSION,
  appSources,
  FIELD_MANAGER,
  REFRESH_ANNOTATION,
  syncOptionsOf,
  TRACKING_ANNOTATION,
  type Application,
  type ApplicationCondition,
  type ApplicationStatus,
  type AppProject,
  type HealthStatus,
  type Operation,
  type OperationState,
  type ResourceStatus,
  type RevisionHistory,
} from './types.ts';

export interface Logger {
  (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
}

export interface ControllerOptions {
  client: KubeClient;
  dataDir: string;
  run: ProcessRunner;
  /** polling period of git sources (ms); default 120 s, with up to 10% jitter */
  resyncMs?: number;
  /** namespace of the control plane (projects, apps without namespace prefix); default sekisho-gitops */
  namespace?: string;
  log?: Logger;
  gate?: PreApplyGate;
  /** checks image signatures for projects with imageVerification (default: plain registry clients) */
  imageVerifier?: ImageVerifier;
  /** where k8s:// and file keys of projects are read (default: Secrets through the client) */
  keySources?: KeySources;
  health?: HealthOverride;
  credentials?: (repoURL: string) => GitCredentials | undefined;
  kubectl?: string;
  helm?: string;
  /** apps reconciled at once */
  workers?: number;
  /** how long a sync waits for a wave to become healthy (ms) */
  waitTimeoutMs?: number;
  /** install the CRDs and the default project on start (default true) */
  install?: boolean;
  now?: () => Date;
}

export interface Controller {
  /** asks for an immediate refresh (re-resolves the revision) of one app, or all */
  refresh(namespace?: string, name?: string): void;
  /** refreshes (hard) every app with a source from this repository URL; returns how many */
  refreshRepo(repoURL: string): number;
  /** resolves once every queued reconciliation has run */
  idle(): Promise<void>;
  close(): Promise<void>;
  readonly namespace: string;
}

interface Compared {
  revision: string;
  targets: KubeObject[];
  hooks: KubeObject[];
  live: Map<string, KubeObject>;
  prune: KubeObject[];
  diffs: Map<string, DiffResult>;
  resources: ResourceStatus[];
  health: HealthStatus;
  syncStatus: 'Synced' | 'OutOfSync';
  sourceType: ApplicationStatus['sourceType'];
  images: string[];
}

const nowIso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function parseDuration(s: string | undefined, d: number): number {
  if (!s) return d;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) return d;
  const n = Number(m[1]);
  return n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000);
}

export function instanceName(
  app: { metadata: { name?: string; namespace?: string } },
  controllerNamespace: string,
): string {
  const ns = app.metadata.namespace ?? controllerNamespace;
  return ns === controllerNamespace ? app.metadata.name! : `${ns}_${app.metadata.name!}`;
}

/** Argo CD's tracking id: `<app>:<group>/<kind>:<namespace>/<name>`. */
export function trackingId(instance: string, obj: KubeObject): string {
  return `${instance}:${gvkOf(obj).group}/${obj.kind}:${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

export async function startReconciler(o: ControllerOptions): Promise<Controller> {
  const client = o.client;
  const ns = o.namespace ?? 'sekisho-gitops';
  const log: Logger = o.log ?? (() => undefined);
  const resyncMs = o.resyncMs ?? 120_000;
  const now = o.now ?? (() => new Date());
  mkdirSync(o.dataDir, { recursive: true });
  const git = new GitCache({
    dir: join(o.dataDir, 'repos'),
    run: o.run,
    ...(o.credentials ? { credentials: o.credentials } : {}),
  });
  const renderer = new Renderer({
    run: o.run,
    ...(o.kubectl ? { kubectl: o.kubectl } : {}),
    ...(o.helm ? { helm: o.helm } : {}),
  });
  const ops: ClusterOps = kubeClusterOps(client);
  const signatures = new SignatureVerifier({ dir: join(o.dataDir, 'gnupg'), run: o.run });
  const treesDir = join(o.dataDir, 'trees');
  const imageVerifier = o.imageVerifier ?? new ImageVerifier();
  const keySources: KeySources = o.keySources ?? {
    readSecret: async (namespace, name) => {
      try {
        const sec = await client.get('v1', 'Secret', name, namespace);
        const data = (sec as { data?: Record<string, string> }).data ?? {};
        return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
      } catch (err) {
        if (err instanceof KubeError && err.status === 404) return undefined;
        throw err;
      }
    },
  };

  if (o.install !== false) await install(client, ns);

  // ---------------------------------------------------------------- queue
  const appKey = (a: { metadata: { namespace?: string; name?: string } }) =>
    `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`;
  const queue = new Set<string>();
  /** app → when its hard refresh was asked for: git refs listed since then are fresh enough for it, so one
   * `git ls-remote` per repository serves every app of a refresh cycle */
  const hardRefresh = new Map<string, number>();
  const running = new Set<string>();
  const again = new Set<string>();
  const idleWaiters: (() => void)[] = [];
  const workers = o.workers ?? 8;
  let closed = false;
  const instanceToKey = new Map<string, string>();
  const diffCache = new Map<string, { sig: string; result: DiffResult }>();
  const selfHealAt = new Map<string, number>();
  /** apps with an operation running in this process (a Running state seen elsewhere was interrupted) */
  const running2 = new Set<string>();

  const pump = () => {
    if (closed) return;
    for (const k of [...queue]) {
      if (running.size >= workers) break;
      if (running.has(k)) {
        queue.delete(k);
        again.add(k);
        continue;
      }
      queue.delete(k);
      running.add(k);
      void reconcileKey(k)
        .catch((err) =>
          log('error', 'reconcile failed', { app: k, error: redact(String((err as Error)?.message ?? err)) }),
        )
        .finally(() => {
          running.delete(k);
          if (again.delete(k)) queue.add(k);
          pump();
          if (!queue.size && !running.size) for (const w of idleWaiters.splice(0)) w();
        });
    }
  };
  const enqueue = (k: string, hard = false) => {
    if (hard) hardRefresh.set(k, Date.now());
    if (running.has(k)) again.add(k);
    else queue.add(k);
    queueMicrotask(pump);
  };

  // ---------------------------------------------------------------- informers
  const apps = new Informer(client, API_VERSION, 'Application');
  const projects = new Informer(client, API_VERSION, 'AppProject');
  const live = new LiveCache(client, (tid) => {
    const inst = tid.slice(0, tid.indexOf(':'));
    const k = instanceToKey.get(inst);
    if (k) enqueue(k);
  });
  // custom health checks (Rego) from the ConfigMap sekisho-cm, compiled once per resourceVersion
  let custom: { rv: string | undefined; health: CustomHealth } = { rv: undefined, health: compileCustomHealth({}) };
  const refreshCustomHealth = async (): Promise<void> => {
    const cm = await live.get('v1', 'ConfigMap', CUSTOM_HEALTH_CONFIGMAP, ns).catch(() => undefined);
    const rv = cm?.metadata.resourceVersion;
    if (rv === custom.rv) return;
    custom = { rv, health: compileCustomHealth(cm?.data as Record<string, string> | undefined) };
    for (const e of custom.health.errors) log('warn', e.message, { code: e.code, location: e.location });
  };
  const healthOverride: HealthOverride = (obj) => o.health?.(obj) ?? custom.health.assess(obj);
  apps.on('add', (a) => enqueue(appKey(a), true));
  apps.on('update', (a, old) => {
    const app = a as Application;
    const prev = old as Application | undefined;
    if (
      !prev ||
      !deepEqual(app.spec, prev.spec) ||
      (app.operation && !deepEqual(app.operation, prev.operation)) ||
      app.metadata.annotations?.[REFRESH_ANNOTATION] ||
      app.metadata.deletionTimestamp
    )
      enqueue(
        appKey(app),
        !!app.metadata.annotations?.[REFRESH_ANNOTATION] || !prev || !deepEqual(app.spec, prev.spec),
      );
  });
  apps.on('delete', (a) => {
    for (const [inst, k] of instanceToKey) if (k === appKey(a)) instanceToKey.delete(inst);
  });
  projects.on('update', () => {
    for (const a of apps.list()) enqueue(appKey(a));
  });
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (closed) return;
    timer = setTimeout(
      () => {
        for (const a of apps.list()) enqueue(appKey(a));
        schedule();
      },
      resyncMs + Math.floor(Math.random() * resyncMs * 0.1),
    );
    timer.unref?.();
  };

  // ---------------------------------------------------------------- status
  const patchApp = async (app: Application, patch: Record<string, unknown>) => {
    await client.patch(API_VERSION, 'Application', app.metadata.name!, app.metadata.namespace, patch, 'merge', {
      fieldManager: FIELD_MANAGER,
    });
  };

  const condition = (type: string, message: string): ApplicationCondition => ({
    type,
    message: redact(message),
    lastTransitionTime: nowIso(now()),
  });

  // ---------------------------------------------------------------- compare
  const compare = async (
    app: Application,
    project: AppProject,
    revisionOverride: string | undefined,
    /** true: list the remote's refs now; a time: refs listed since then will do (a hard refresh cycle) */
    hard: boolean | number,
  ): Promise<Compared> => {
    await refreshCustomHealth();
    const sources = appSources(app).filter((s) => s.path !== undefined || s.chart || !s.ref);
    if (!sources.length) throw new GitOpsError('gitops_invalid_spec', 'application has no source');
    const dest = app.spec.destination;
    if (dest.server && dest.server !== IN_CLUSTER)
      throw new GitOpsError(
        'gitops_invalid_spec',
        `cluster "${dest.server}" is not configured (only ${IN_CLUSTER}, the controller's own cluster)`,
      );
    if (dest.name && dest.name !== 'in-cluster')
      throw new GitOpsError('gitops_invalid_spec', `cluster "${dest.name}" is not configured (only in-cluster)`);
    if (!destinationPermitted(project, dest))
      throw new GitOpsError(
        'gitops_project_denied',
        `application destination {${dest.server ?? dest.name} ${dest.namespace ?? ''}} is not permitted in project "${project.metadata.name}"`,
      );
    const targets: KubeObject[] = [];
    let revision = '';
    let sourceType: ApplicationStatus['sourceType'] = 'Directory';
    for (const [i, src] of sources.entries()) {
      if (!repoPermitted(project, src.repoURL))
        throw new GitOpsError(
          'gitops_project_denied',
          `application repo ${src.repoURL} is not permitted in project '${project.metadata.name}'`,
        );
      const want = i === 0 && revisionOverride ? revisionOverride : src.targetRevision;
      const maxAgeMs = typeof hard === 'number' ? Math.max(0, Date.now() - hard) : hard ? 0 : resyncMs / 2;
      const sha = await git.resolve(src.repoURL, want, maxAgeMs);
      if (i === 0) revision = sha;
      const signatureKeys = project.spec.signatureKeys ?? [];
      if (signatureKeys.length) {
        // Argo CD's signed-commit verification: the keyring is the ConfigMap argocd-gpg-keys-cm
        const cm = await live.get('v1', 'ConfigMap', GPG_KEYS_CONFIGMAP, ns).catch(() => undefined);
        const keyring = parseKeyring(cm?.data as Record<string, string> | undefined);
        // an annotated tag is verified instead of its commit, also when a sync names the commit it resolved to
        const tag = [await git.annotatedTag(src.repoURL, want, Number.MAX_SAFE_INTEGER)]
          .concat(
            want !== src.targetRevision
              ? [await git.annotatedTag(src.repoURL, src.targetRevision, Number.MAX_SAFE_INTEGER)]
              : [],
          )
          .find((t) => t?.commit === sha);
        const result = await signatures.verify(git, src.repoURL, sha, tag, keyring);
        const problem = signatureProblem(result, sha, signatureKeys);
        if (problem) throw new GitOpsError('gitops_signature_invalid', problem);
      }
      const root = await git.export(
        src.repoURL,
        sha,
        join(treesDir, createHash('sha256').update(src.repoURL).digest('hex').slice(0, 16) + '-' + sha),
      );
      const r = await renderer.render(root, sha, src);
      sourceType = r.sourceType;
      targets.push(...r.objects);
    }
    const inst = instanceName(app, ns);
    instanceToKey.set(inst, appKey(app));
    const destNs = dest.namespace || 'default';
    for (const t of targets) {
      const namespaced = await ops.isNamespaced(t.apiVersion, t.kind).catch(() => true);
      if (namespaced) t.metadata.namespace ??= destNs;
      else delete t.metadata.namespace;
      if (!resourcePermitted(project, t, namespaced))
        throw new GitOpsError(
          'gitops_project_denied',
          `resource ${gvkOf(t).group}:${t.kind} is not permitted in project ${project.metadata.name}`,
        );
      t.metadata.annotations = { ...(t.metadata.annotations ?? {}), [TRACKING_ANNOTATION]: trackingId(inst, t) };
    }
    // duplicate resources are an error in Argo CD too
    const seen = new Set<string>();
    for (const t of targets) {
      if (!t.metadata.name) continue;
      const k = resourceKey(t);
      if (seen.has(k)) throw new GitOpsError('gitops_manifest_invalid', `resource ${k} appeared more than once`);
      seen.add(k);
    }
    const hooks = targets.filter(isHook);
    const resourcesT = targets.filter((t) => !isHook(t));
    const liveMap = new Map<string, KubeObject>();
    await Promise.all(
      resourcesT.map(async (t) => {
        const l = await live.get(t.apiVersion, t.kind, t.metadata.name!, t.metadata.namespace).catch(() => undefined);
        if (l) liveMap.set(resourceKey(t), l);
      }),
    );
    // prune candidates: what the app managed before (its last resource list) that is no longer wanted,
    // still carrying this app's tracking id
    const prune: KubeObject[] = [];
    const wanted = new Set(resourcesT.map(resourceKey));
    for (const r of app.status?.resources ?? []) {
      if (r.hook) continue;
      const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
      const fake = {
        apiVersion,
        kind: r.kind,
        metadata: { name: r.name, ...(r.namespace ? { namespace: r.namespace } : {}) },
      };
      if (wanted.has(resourceKey(fake))) continue;
      const l = await live.get(apiVersion, r.kind, r.name, r.namespace || undefined).catch(() => undefined);
      if (l && l.metadata.annotations?.[TRACKING_ANNOTATION]?.startsWith(inst + ':') && !l.metadata.deletionTimestamp)
        prune.push(l);
    }
    const diffs = new Map<string, DiffResult>();
    await Promise.all(
      resourcesT.map(async (t) => {
        const k = resourceKey(t);
        const l = liveMap.get(k);
        if (!l) {
          diffs.set(k, diffObjects(t, undefined, { ignoreDifferences: app.spec.ignoreDifferences ?? [] }));
          return;
        }
        const sig = JSON.stringify([t, l.metadata.resourceVersion, app.spec.ignoreDifferences]);
        const hit = diffCache.get(inst + '|' + k);
        if (hit && hit.sig === sig) {
          diffs.set(k, hit.result);
          return;
        }
        let predicted: KubeObject | undefined;
        try {
          predicted = await ops.apply(t, { dryRun: true });
        } catch {
          // an object the server rejects is out of sync; the sync reports why
          predicted = undefined;
        }
        const result = predicted
          ? diffObjects(t, l, { predictedLive: predicted, ignoreDifferences: app.spec.ignoreDifferences ?? [] })
          : { ...diffObjects(t, l, { ignoreDifferences: app.spec.ignoreDifferences ?? [] }), modified: true };
        diffCache.set(inst + '|' + k, { sig, result });
        diffs.set(k, result);
      }),
    );
    const resources: ResourceStatus[] = [];
    const healths: (HealthStatus | undefined)[] = [];
    const images = new Set<string>();
    for (const t of resourcesT) {
      const k = resourceKey(t);
      const l = liveMap.get(k);
      const gvk = gvkOf(t);
      const hs = assessHealth(l, healthOverride);
      healths.push(hs);
      for (const c of collectImages(l ?? t)) images.add(c);
      resources.push({
        group: gvk.group,
        version: gvk.version,
        kind: t.kind,
        namespace: t.metadata.namespace ?? '',
        name: t.metadata.name!,
        status: diffs.get(k)?.modified ? 'OutOfSync' : 'Synced',
        ...(hs ? { health: hs } : {}),
        syncWave: Number(t.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0) || 0,
      });
    }
    for (const p of prune) {
      const gvk = gvkOf(p);
      resources.push({
        group: gvk.group,
        version: gvk.version,
        kind: p.kind,
        namespace: p.metadata.namespace ?? '',
        name: p.metadata.name!,
        status: 'OutOfSync',
        requiresPruning: true,
        health: assessHealth(p, healthOverride) ?? { status: 'Healthy' },
      });
    }
    resources.sort((a, b) => (a.kind + a.namespace + a.name).localeCompare(b.kind + b.namespace + b.name));
    const outOfSync = resources.some((r) => r.status === 'OutOfSync');
    return {
      revision,
      targets: resourcesT,
      hooks,
      live: liveMap,
      prune,
      diffs,
      resources,
      health: aggregateHealth(healths),
      syncStatus: outOfSync ? 'OutOfSync' : 'Synced',
      sourceType,
      images: [...images].sort(),
    };
  };

  // ---------------------------------------------------------------- sync operation
  const runOperation = async (
    app: Application,
    project: AppProject,
    op: Operation,
    resumed?: OperationState,
  ): Promise<void> => {
    const startedAt = resumed?.startedAt ?? nowIso(now());
    const operationId = createHash('sha256')
      .update(appKey(app) + '|' + startedAt)
      .digest('hex')
      .slice(0, 16);
    const retryCount = resumed?.retryCount ?? 0;
    const state: OperationState = {
      operation: op,
      phase: 'Running',
      message: 'syncing',
      startedAt,
      ...(retryCount ? { retryCount } : {}),
    };
    await patchApp(app, { status: { operationState: state } });
    running2.add(appKey(app));
    try {
      await runOperationLoop(app, project, op, state, startedAt, operationId, retryCount);
    } finally {
      running2.delete(appKey(app));
    }
  };
  const runOperationLoop = async (
    app: Application,
    project: AppProject,
    op: Operation,
    state: OperationState,
    startedAt: string,
    operationId: string,
    retryCount: number,
  ): Promise<void> => {
    const retry = op.retry ?? app.spec.syncPolicy?.retry;
    for (;;) {
      let cmp: Compared;
      try {
        cmp = await compare(app, project, op.sync?.revision, true);
      } catch (err) {
        state.phase = 'Error';
        state.message = redact(errMessage(err));
        state.finishedAt = nowIso(now());
        await patchApp(app, {
          operation: null,
          status: { operationState: state, conditions: [condition('SyncError', state.message)] },
        });
        return;
      }
      const opts = syncOptionsOf(app);
      const prune = op.sync?.prune ?? app.spec.syncPolicy?.automated?.prune ?? false;
      const selected = op.sync?.resources;
      const sel = (t: KubeObject) =>
        !selected ||
        selected.some(
          (r) =>
            r.kind === t.kind && r.name === t.metadata.name && (!r.namespace || r.namespace === t.metadata.namespace),
        );
      const skip = new Set<string>();
      if (opts.get('ApplyOutOfSyncOnly') === 'true') for (const [k, d] of cmp.diffs) if (!d.modified) skip.add(k);
      const dest = app.spec.destination;
      // signatures (per the project) first, then the configured gate
      const gate = composeGates(
        signatureGate(project, {
          verifier: imageVerifier,
          keys: keySources,
          destinationNamespace: dest.namespace || 'default',
        }),
        o.gate,
      );
      let lastReport = 0;
      const outcome = await runSync(
        {
          app: instanceName(app, ns),
          revision: cmp.revision,
          operationId,
          targets: [
            ...cmp.targets
              .filter(sel)
              .map((t) =>
                opts.get('RespectIgnoreDifferences') === 'true'
                  ? respectIgnores(t, cmp.live.get(resourceKey(t)), app.spec.ignoreDifferences ?? []).object
                  : t,
              ),
            ...(selected ? [] : cmp.hooks),
          ],
          live: cmp.live,
          prune: cmp.prune.filter(sel),
          pruneEnabled: prune,
          pruneLast: opts.get('PruneLast') === 'true',
          ...(opts.get('PrunePropagationPolicy')
            ? {
                prunePropagationPolicy: (opts.get('PrunePropagationPolicy')![0]!.toUpperCase() +
                  opts.get('PrunePropagationPolicy')!.slice(1)) as 'Foreground',
              }
            : {}),
          skip,
          ...(opts.get('CreateNamespace') === 'true' && dest.namespace
            ? {
                createNamespace: {
                  name: dest.namespace,
                  ...(app.spec.syncPolicy?.managedNamespaceMetadata?.labels
                    ? { labels: app.spec.syncPolicy.managedNamespaceMetadata.labels }
                    : {}),
                  ...(app.spec.syncPolicy?.managedNamespaceMetadata?.annotations
                    ? { annotations: app.spec.syncPolicy.managedNamespaceMetadata.annotations }
                    : {}),
                },
              }
            : {}),
          replace: opts.get('Replace') === 'true',
          failOnSharedResource: opts.get('FailOnSharedResource') === 'true',
          validate: opts.get('Validate') !== 'false',
          dryRun: !!op.sync?.dryRun,
          ...(gate ? { gate } : {}),
          health: healthOverride,
          ...(o.waitTimeoutMs ? { waitTimeoutMs: o.waitTimeoutMs } : {}),
          log: (m, f) => log('info', m, f),
          onProgress: (results) => {
            if (Date.now() - lastReport < 500) return;
            lastReport = Date.now();
            void patchApp(app, {
              status: { operationState: { ...state, syncResult: { resources: results, revision: cmp.revision } } },
            }).catch(() => undefined);
          },
        },
        ops,
      );
      state.syncResult = {
        resources: outcome.resources,
        revision: cmp.revision,
        ...(appSources(app)[0] ? { source: appSources(app)[0]! } : {}),
      };
      if (
        outcome.phase === 'Failed' &&
        retry &&
        (retry.limit ?? 0) !== 0 &&
        (retry.limit! < 0 || retryCount < retry.limit!)
      ) {
        const base = parseDuration(retry.backoff?.duration, 5000);
        const factor = retry.backoff?.factor ?? 2;
        const max = parseDuration(retry.backoff?.maxDuration, 180_000);
        const delay = Math.min(max, base * factor ** retryCount);
        retryCount++;
        state.retryCount = retryCount;
        state.message = `${outcome.message}. Retrying attempt #${retryCount} in ${Math.round(delay / 1000)}s`;
        await patchApp(app, { status: { operationState: state } });
        await new Promise((r) => setTimeout(r, delay));
        if (closed) return;
        continue;
      }
      state.phase = outcome.phase;
      state.message = outcome.message;
      state.finishedAt = nowIso(now());
      const status: Record<string, unknown> = { operationState: state };
      if (outcome.phase === 'Succeeded' && !op.sync?.dryRun) {
        const fresh = (await client.get<Application>(
          API_VERSION,
          'Application',
          app.metadata.name!,
          app.metadata.namespace,
        )) as Application;
        const history: RevisionHistory[] = [...(fresh.status?.history ?? [])];
        const id = history.reduce((m, h) => Math.max(m, h.id), -1) + 1;
        history.push({
          id,
          revision: cmp.revision,
          deployedAt: state.finishedAt,
          deployStartedAt: startedAt,
          ...(appSources(app)[0] ? { source: appSources(app)[0]! } : {}),
          ...(op.initiatedBy ? { initiatedBy: op.initiatedBy } : {}),
        });
        const limit = app.spec.revisionHistoryLimit ?? 10;
        status.history = history.slice(Math.max(0, history.length - limit));
        status.conditions = (fresh.status?.conditions ?? []).filter(
          (c) => c.type !== 'SyncError' && c.type !== SIGNATURE_CONDITION,
        );
      } else if (outcome.phase !== 'Succeeded') {
        status.conditions = [condition(outcome.condition ?? 'SyncError', outcome.message)];
      }
      await patchApp(app, { operation: null, status });
      log(outcome.phase === 'Succeeded' ? 'info' : 'warn', 'sync finished', {
        app: appKey(app),
        revision: cmp.revision,
        phase: outcome.phase,
        message: outcome.message,
      });
      return;
    }
  };

  // ---------------------------------------------------------------- reconcile one app
  const reconcileKey = async (k: string): Promise<void> => {
    const [namespace, name] = k.split('/') as [string, string];
    let app: Application;
    try {
      app = await client.get<Application>(API_VERSION, 'Application', name, namespace || undefined);
    } catch (err) {
      if (err instanceof KubeError && err.status === 404) return;
      throw err;
    }
    if (app.metadata.deletionTimestamp) {
      // cascading delete, as with Argo CD's resources finalizer: everything the app tracks goes first
      const fin = app.metadata.finalizers ?? [];
      const ours = fin.filter(
        (f) =>
          f === 'resources-finalizer.argocd.argoproj.io' || f.startsWith('resources-finalizer.argocd.argoproj.io/'),
      );
      if (!ours.length) return;
      const inst = instanceName(app, ns);
      for (const r of app.status?.resources ?? []) {
        if (r.hook) continue;
        const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
        const l = await ops.get(apiVersion, r.kind, r.name, r.namespace || undefined);
        if (l?.metadata.annotations?.[TRACKING_ANNOTATION]?.startsWith(inst + ':'))
          await ops.delete(
            apiVersion,
            r.kind,
            r.name,
            r.namespace || undefined,
            ours[0]!.endsWith('/background') ? 'Background' : 'Foreground',
          );
      }
      await client.patch(
        API_VERSION,
        'Application',
        name,
        namespace || undefined,
        [
          { op: 'test', path: '/metadata/resourceVersion', value: app.metadata.resourceVersion },
          { op: 'replace', path: '/metadata/finalizers', value: fin.filter((f) => !ours.includes(f)) },
        ],
        'json',
      );
      return;
    }
    const hardAt = hardRefresh.get(k);
    hardRefresh.delete(k);
    const hard = hardAt !== undefined;
    const refreshAnn = app.metadata.annotations?.[REFRESH_ANNOTATION];
    const projName = app.spec.project || 'default';
    const project = (projects.get(projName, ns) ??
      (await client.get<AppProject>(API_VERSION, 'AppProject', projName, ns).catch(() => undefined))) as
      AppProject | undefined;
    const conds: ApplicationCondition[] = [];
    if (!project)
      conds.push(condition('InvalidSpecError', `Application referencing project ${projName} which does not exist`));
    else if (!sourceNamespacePermitted(project, app.metadata.namespace ?? ns, ns))
      conds.push(
        condition(
          'InvalidSpecError',
          `application ${app.metadata.name} in namespace ${app.metadata.namespace} is not permitted by project ${projName} (sourceNamespaces)`,
        ),
      );
    if (conds.length || !project) {
      await patchApp(app, {
        status: {
          conditions: conds,
          sync: { status: 'Unknown' },
          health: { status: 'Unknown' },
          reconciledAt: nowIso(now()),
        },
      });
      return;
    }

    // an operation to run: requested (sync, rollback) or interrupted (controller restarted mid-sync)
    if (app.operation) {
      const resumed =
        app.status?.operationState?.phase === 'Running' && deepEqual(app.status.operationState.operation, app.operation)
          ? app.status.operationState
          : undefined;
      await runOperation(app, project, app.operation, resumed);
      enqueue(k);
      return;
    }

    const interrupted = app.status?.operationState;
    if (interrupted?.phase === 'Running' && !running2.has(k)) {
      await runOperation(app, project, interrupted.operation, interrupted);
      enqueue(k);
      return;
    }

    let cmp: Compared;
    try {
      cmp = await compare(app, project, undefined, refreshAnn ? true : (hardAt ?? false));
    } catch (err) {
      const msg = redact(errMessage(err));
      // the last synced state stays; the app shows why it cannot be compared
      await patchApp(app, {
        ...(refreshAnn ? { metadata: { annotations: { [REFRESH_ANNOTATION]: null } } } : {}),
        status: {
          conditions: [condition('ComparisonError', msg)],
          sync: { ...(app.status?.sync ?? {}), status: 'Unknown' },
          reconciledAt: nowIso(now()),
        },
      });
      log('warn', 'comparison failed', { app: k, error: msg });
      return;
    }
    const src = appSources(app)[0];
    const status: ApplicationStatus = {
      sync: {
        status: cmp.syncStatus,
        revision: cmp.revision,
        comparedTo: { ...(src ? { source: src } : {}), destination: app.spec.destination },
      },
      health: cmp.health,
      resources: cmp.resources,
      reconciledAt: nowIso(now()),
      observedAt: nowIso(now()),
      ...(cmp.sourceType ? { sourceType: cmp.sourceType } : {}),
      summary: { images: cmp.images },
      controllerNamespace: ns,
      conditions: (app.status?.conditions ?? []).filter(
        (c) => c.type !== 'ComparisonError' && c.type !== 'InvalidSpecError',
      ),
    };
    const auto = app.spec.syncPolicy?.automated;
    let autoSync: Operation | undefined;
    if (auto && cmp.syncStatus === 'OutOfSync') {
      const last = app.status?.operationState;
      const lastRev = last?.syncResult?.revision;
      const emptyBlocked = !cmp.targets.length && !auto.allowEmpty;
      const onlyPrune = cmp.resources.every((r) => r.status === 'Synced' || r.requiresPruning);
      if (emptyBlocked) {
        status.conditions!.push(condition('SyncError', 'auto-sync will wipe out all resources: allowEmpty is not set'));
      } else if (onlyPrune && !auto.prune) {
        // nothing to do without pruning
      } else if (lastRev !== cmp.revision) {
        autoSync = { sync: { revision: cmp.revision, prune: !!auto.prune }, initiatedBy: { automated: true } };
      } else if (last?.phase === 'Succeeded' && auto.selfHeal) {
        // self-heal, at most once every 5 s per app (Argo CD's selfHealTimeout)
        const at = selfHealAt.get(k) ?? 0;
        if (Date.now() - at >= 5000 || Date.now() - Date.parse(last.finishedAt ?? '') >= 5000) {
          selfHealAt.set(k, Date.now());
          autoSync = { sync: { revision: cmp.revision, prune: !!auto.prune }, initiatedBy: { automated: true } };
        } else {
          const t = setTimeout(() => enqueue(k), 5000 - (Date.now() - at));
          t.unref?.();
        }
      }
    }
    const patch: Record<string, unknown> = { status };
    if (refreshAnn) patch.metadata = { annotations: { [REFRESH_ANNOTATION]: null } };
    const before = clone(app.status ?? {});
    const changed = !deepEqual(
      { ...before, reconciledAt: undefined, observedAt: undefined },
      { ...before, ...status, reconciledAt: undefined, observedAt: undefined },
    );
    if (changed || refreshAnn || autoSync || hard) await patchApp(app, patch);
    if (autoSync) {
      log('info', 'auto-sync', { app: k, revision: cmp.revision });
      const fresh = (await client.get<Application>(
        API_VERSION,
        'Application',
        name,
        namespace || undefined,
      )) as Application;
      await runOperation(fresh, project, autoSync);
      enqueue(k);
    } else if (cmp.health.status === 'Progressing' || cmp.health.status === 'Missing') {
      // follow rollouts closely without waiting for the next poll
      const t = setTimeout(() => enqueue(k), 1000);
      t.unref?.();
    }
  };

  // The informers start only now: their first events reconcile existing Applications at once, which needs
  // every function above to be defined (starting them earlier crashed a controller that restarted with apps).
  await projects.start();
  await apps.start();
  schedule();

  return {
    namespace: ns,
    refresh(namespace?: string, name?: string) {
      for (const a of apps.list())
        if (!name || (a.metadata.name === name && (namespace === undefined || a.metadata.namespace === namespace)))
          enqueue(appKey(a), true);
    },
    refreshRepo(repoURL: string) {
      const norm = (u: string) =>
        u
          .toLowerCase()
          .replace(/\.git$/, '')
          .replace(/\/+$/, '')
          .replace(/^[a-z+]+:\/\/([^@/]*@)?/, '')
          .replace(/^git@([^:]+):/, '$1/');
      let n = 0;
      for (const a of apps.list() as Application[])
        if (appSources(a).some((s) => norm(s.repoURL) === norm(repoURL))) {
          enqueue(appKey(a), true);
          n++;
        }
      return n;
    },
    idle() {
      if (!queue.size && !running.size) return Promise.resolve();
      return new Promise((r) => idleWaiters.push(r));
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      apps.stop();
      projects.stop();
      live.close();
      const deadline = Date.now() + 5000;
      while (running.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    },
  };
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function collectImages(obj: KubeObject): string[] {
  const out: string[] = [];
  const walk = (v: unknown, depth: number) => {
    if (depth > 8 || !v || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
      return;
    }
    const r = v as Record<string, unknown>;
    if ((Array.isArray(r.containers) || Array.isArray(r.initContainers)) && depth > 0)
      for (const c of [...((r.containers as unknown[]) ?? []), ...((r.initContainers as unknown[]) ?? [])])
        if (c && typeof (c as { image?: unknown }).image === 'string') out.push((c as { image: string }).image);
    for (const [k, x] of Object.entries(r)) if (k !== 'metadata' && k !== 'status') walk(x, depth + 1);
  };
  walk(obj.spec, 1);
  return out;
}

/** Installs the CRDs (server-side apply), waits until they are served, and creates the default project. */
export async function install(client: KubeClient, namespace: string): Promise<void> {
  for (const crd of [applicationCrd(), appProjectCrd()])
    await client.apply(crd, { fieldManager: FIELD_MANAGER, force: true });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await client.discover(true);
      await client.resourceFor(API_VERSION, 'Application');
      await client.resourceFor(API_VERSION, 'AppProject');
      await client.list(API_VERSION, 'Application', { namespace: '', limit: 1 });
      break;
    } catch (err) {
      if (Date.now() > deadline)
        throw new GitOpsError('gitops_timeout', `the Application CRD was not served within 30s: ${errMessage(err)}`, {
          cause: err,
        });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await client.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    { fieldManager: FIELD_MANAGER, force: true },
  );
  try {
    await client.create(defaultProject(namespace), { fieldManager: FIELD_MANAGER });
  } catch (err) {
    if (!(err instanceof KubeError && err.status === 409)) throw err;
  }
}
