// The sync engine: takes target objects (already tracked and namespaced), the live objects, the
// objects to prune and a revision, and runs the operation as gitops-engine does — PreSync hooks,
// Sync waves (each applied in kind order and waited on until healthy), prune, PostSync hooks, and
// SyncFail hooks when anything fails — with server-side apply under our field manager. Before
// anything is applied, the pre-apply gate sees every object and may deny the sync.
import { gvkOf, type KubeObject } from '../../kube/index.ts';
import { GitOpsError } from '../errors.ts';
import { assessHealth, type HealthOverride } from '../health/index.ts';
import {
  HOOK_DELETE_POLICY_ANNOTATION,
  HOOK_OPERATION_ANNOTATION,
  SYNC_OPTIONS_ANNOTATION,
  TRACKING_ANNOTATION,
  type HealthStatus,
  type HookType,
  type OperationPhase,
  type ResourceResult,
  type SyncPhase,
} from '../types.ts';
import type { ClusterOps } from './ops.ts';
import { planTasks, waveOf, type OrderedTask } from './order.ts';

export {
  planTasks,
  compareTasks,
  kindRank,
  waveOf,
  hookTypesOf,
  isHook,
  KIND_ORDER,
  type OrderedTask,
} from './order.ts';
export { kubeClusterOps, type ClusterOps } from './ops.ts';

/** A decision of the pre-apply gate (policies, signature verification). */
export interface GateDecision {
  allowed: boolean;
  messages: string[];
  /** Condition type the Application shows when denied (default SyncError). */
  condition?: string;
}
export type PreApplyGate = (
  objects: KubeObject[],
  ctx: { app: string; revision: string },
) => Promise<GateDecision> | GateDecision;

export interface SyncRequest {
  app: string;
  revision: string;
  /** stable across restarts of the same operation: hooks created for it are not created again */
  operationId: string;
  targets: KubeObject[];
  /** live objects (by resourceKey) as last seen */
  live: Map<string, KubeObject>;
  /** live objects that are no longer in the targets */
  prune: KubeObject[];
  pruneEnabled: boolean;
  pruneLast?: boolean;
  prunePropagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  /** resourceKeys to skip (ApplyOutOfSyncOnly: the ones already in sync) */
  skip?: Set<string>;
  createNamespace?: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  replace?: boolean;
  /** FailOnSharedResource: fail before writing when a target is tracked by another app */
  failOnSharedResource?: boolean;
  validate?: boolean;
  dryRun?: boolean;
  gate?: PreApplyGate;
  health?: HealthOverride;
  /** how long to wait for a wave or hook to become healthy (ms) */
  waitTimeoutMs?: number;
  pollMs?: number;
  signal?: AbortSignal;
  onProgress?: (results: ResourceResult[]) => void;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface SyncOutcome {
  phase: OperationPhase;
  message: string;
  resources: ResourceResult[];
  /** Condition type for a failure, when more specific than SyncError (from the gate). */
  condition?: string;
}

export function resourceKey(o: {
  apiVersion: string;
  kind: string;
  metadata: { namespace?: string; name?: string };
}): string {
  return `${gvkOf(o).group}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

function resultOf(
  t: { obj: KubeObject; phase: SyncPhase; hookType?: HookType },
  status: ResourceResult['status'],
  message: string,
  hookPhase?: OperationPhase,
): ResourceResult {
  const gvk = gvkOf(t.obj);
  return {
    group: gvk.group,
    version: gvk.version,
    kind: t.obj.kind,
    namespace: t.obj.metadata.namespace ?? '',
    name: t.obj.metadata.name ?? t.obj.metadata.generateName ?? '',
    status,
    message,
    ...(t.hookType ? { hookType: t.hookType, ...(hookPhase ? { hookPhase } : {}) } : {}),
    syncPhase: t.phase,
  };
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function deletePolicies(obj: KubeObject): string[] {
  const p = obj.metadata.annotations?.[HOOK_DELETE_POLICY_ANNOTATION];
  return p ? p.split(',').map((s) => s.trim()) : ['BeforeHookCreation'];
}

function healthDone(h: HealthStatus | undefined): 'ok' | 'wait' | 'failed' {
  if (!h || h.status === 'Healthy' || h.status === 'Suspended') return 'ok';
  if (h.status === 'Degraded') return 'failed';
  return 'wait';
}

export async function runSync(req: SyncRequest, ops: ClusterOps): Promise<SyncOutcome> {
  const log = req.log ?? (() => undefined);
  const results: ResourceResult[] = [];
  const report = () => req.onProgress?.([...results]);
  const pollMs = req.pollMs ?? 200;
  const timeout = req.waitTimeoutMs ?? 5 * 60_000;
  const tasks = planTasks(req.targets);

  // the gate sees everything this operation would write, before anything is written
  if (req.gate) {
    const d = await req.gate(req.targets, { app: req.app, revision: req.revision });
    if (!d.allowed)
      return {
        phase: 'Failed',
        message: `sync denied by the pre-apply gate: ${d.messages.join('; ') || 'no reason given'}`,
        resources: [],
        ...(d.condition ? { condition: d.condition } : {}),
      };
  }

  // FailOnSharedResource: a live object carrying another app's tracking id is not taken over
  if (req.failOnSharedResource) {
    const shared: string[] = [];
    for (const t of req.targets) {
      if (!t.metadata.name) continue;
      const id = req.live.get(resourceKey(t))?.metadata.annotations?.[TRACKING_ANNOTATION];
      if (!id) continue;
      const owner = id.slice(0, id.indexOf(':'));
      if (owner && owner !== req.app)
        shared.push(
          `${gvkOf(t).group}/${t.kind} ${t.metadata.namespace ? t.metadata.namespace + '/' : ''}${t.metadata.name} is already managed by application ${owner}`,
        );
    }
    if (shared.length)
      return {
        phase: 'Failed',
        message: `shared resource found (FailOnSharedResource=true): ${shared.join('; ')}`,
        resources: [],
      };
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      req.signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });

  /** waits until every object is healthy (ok), one is Degraded (failed) or the timeout passes */
  const waitHealthy = async (
    objs: KubeObject[],
  ): Promise<{ ok: boolean; message?: string; live: Map<KubeObject, KubeObject | undefined> }> => {
    const deadline = Date.now() + timeout;
    const live = new Map<KubeObject, KubeObject | undefined>();
    let pending = objs;
    while (pending.length) {
      const next: KubeObject[] = [];
      for (const o of pending) {
        const l = await ops.get(o.apiVersion, o.kind, o.metadata.name!, o.metadata.namespace);
        live.set(o, l);
        const h = assessHealth(l, req.health);
        const s = healthDone(h);
        if (s === 'failed')
          return {
            ok: false,
            message: `${o.kind}/${o.metadata.name} is ${h!.status}${h!.message ? ': ' + h!.message : ''}`,
            live,
          };
        if (s === 'wait') next.push(o);
      }
      pending = next;
      if (!pending.length) break;
      if (req.signal?.aborted) return { ok: false, message: 'operation cancelled', live };
      if (Date.now() > deadline) {
        const o = pending[0]!;
        const h = assessHealth(live.get(o), req.health);
        return {
          ok: false,
          message: `timed out waiting for ${o.kind}/${o.metadata.name} to become healthy (${h?.status}${h?.message ? ': ' + h.message : ''})`,
          live,
        };
      }
      await sleep(pollMs);
    }
    return { ok: true, live };
  };

  const applyOne = async (t: OrderedTask): Promise<{ ok: boolean; applied?: KubeObject; message: string }> => {
    const obj = t.obj;
    const opts = obj.metadata.annotations?.[SYNC_OPTIONS_ANNOTATION] ?? '';
    try {
      if (req.dryRun) {
        await ops.apply(obj, { dryRun: true, validate: req.validate !== false && !opts.includes('Validate=false') });
        return { ok: true, message: `${obj.kind}/${obj.metadata.name} configured (dry run)` };
      }
      if (t.hookType) {
        const withOp = {
          ...obj,
          metadata: {
            ...obj.metadata,
            annotations: { ...(obj.metadata.annotations ?? {}), [HOOK_OPERATION_ANNOTATION]: req.operationId },
          },
        };
        if (obj.metadata.name) {
          const existing = await ops.get(obj.apiVersion, obj.kind, obj.metadata.name, obj.metadata.namespace);
          if (existing && existing.metadata.annotations?.[HOOK_OPERATION_ANNOTATION] === req.operationId)
            return {
              ok: true,
              applied: existing,
              message: `${obj.kind}/${obj.metadata.name} already created by this operation`,
            };
          if (existing && deletePolicies(obj).includes('BeforeHookCreation')) {
            await ops.delete(obj.apiVersion, obj.kind, obj.metadata.name, obj.metadata.namespace, 'Foreground');
            const deadline = Date.now() + timeout;
            while (await ops.get(obj.apiVersion, obj.kind, obj.metadata.name, obj.metadata.namespace)) {
              if (Date.now() > deadline)
                return { ok: false, message: `timed out deleting the previous ${obj.kind}/${obj.metadata.name}` };
              await sleep(pollMs);
            }
          }
          const applied = await ops.apply(withOp, { validate: req.validate !== false });
          return { ok: true, applied, message: `${obj.kind}/${obj.metadata.name} created` };
        }
        // a generateName hook this operation created before a restart is found again, not created twice
        const prior = ops.list
          ? (await ops.list(obj.apiVersion, obj.kind, obj.metadata.namespace)).find(
              (o) =>
                o.metadata.annotations?.[HOOK_OPERATION_ANNOTATION] === req.operationId &&
                o.metadata.generateName === obj.metadata.generateName &&
                o.metadata.annotations?.[TRACKING_ANNOTATION] === obj.metadata.annotations?.[TRACKING_ANNOTATION] &&
                !o.metadata.deletionTimestamp,
            )
          : undefined;
        if (prior) {
          t.obj = { ...obj, metadata: { ...obj.metadata, name: prior.metadata.name } };
          return {
            ok: true,
            applied: prior,
            message: `${obj.kind}/${prior.metadata.name} already created by this operation`,
          };
        }
        const applied = await ops.create(withOp);
        t.obj = { ...obj, metadata: { ...obj.metadata, name: applied.metadata.name } };
        return { ok: true, applied, message: `${obj.kind}/${applied.metadata.name} created` };
      }
      const existed = req.live.has(resourceKey(obj));
      const applied =
        req.replace || opts.includes('Replace=true')
          ? await ops.replace(obj)
          : await ops.apply(obj, { validate: req.validate !== false && !opts.includes('Validate=false') });
      return { ok: true, applied, message: `${obj.kind}/${obj.metadata.name} ${existed ? 'configured' : 'created'}` };
    } catch (err) {
      return { ok: false, message: errMessage(err) };
    }
  };

  let failure: string | undefined;

  if (req.createNamespace && !req.dryRun) {
    try {
      await ops.apply({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: req.createNamespace.name,
          ...(req.createNamespace.labels ? { labels: req.createNamespace.labels } : {}),
          ...(req.createNamespace.annotations ? { annotations: req.createNamespace.annotations } : {}),
        },
      });
    } catch (err) {
      failure = `cannot create namespace ${req.createNamespace.name}: ${errMessage(err)}`;
    }
  }

  const runPhaseTasks = async (phaseTasks: OrderedTask[]): Promise<void> => {
    const waves = [...new Set(phaseTasks.map((t) => t.wave))].sort((a, b) => a - b);
    for (const wave of waves) {
      if (failure || req.signal?.aborted) return;
      const inWave = phaseTasks.filter((t) => t.wave === wave);
      const applied: { t: OrderedTask; res: ResourceResult; obj: KubeObject }[] = [];
      // kind order inside a wave: groups of one kind rank applied one after another, a group at once
      const ranks: OrderedTask[][] = [];
      for (const t of inWave) {
        const last = ranks[ranks.length - 1];
        if (last && last[0]!.obj.kind === t.obj.kind) last.push(t);
        else ranks.push([t]);
      }
      for (const group of ranks) {
        const outs = await Promise.all(
          group.map(async (t) => {
            if (!t.hookType && req.skip?.has(resourceKey(t.obj))) return undefined;
            return { t, r: await applyOne(t) };
          }),
        );
        for (const o of outs) {
          if (!o) continue;
          const res = resultOf(
            o.t,
            o.r.ok ? 'Synced' : 'SyncFailed',
            o.r.message,
            o.t.hookType ? (o.r.ok ? 'Running' : 'Failed') : undefined,
          );
          results.push(res);
          if (o.r.ok) applied.push({ t: o.t, res, obj: o.t.obj });
          else {
            failure ??= `one or more objects failed to apply, reason: ${o.r.message}`;
            log('apply failed', { app: req.app, object: resourceKey(o.t.obj), message: o.r.message });
          }
        }
        report();
      }
      if (failure || req.dryRun) {
        continue;
      }
      // wait for the wave (and its hooks) before the next one
      const w = await waitHealthy(applied.map((a) => a.obj));
      for (const a of applied) {
        if (!a.t.hookType) continue;
        const ok = w.ok || healthDone(assessHealth(w.live.get(a.obj), req.health)) === 'ok';
        a.res.hookPhase = ok ? 'Succeeded' : 'Failed';
        if (!ok) a.res.status = 'SyncFailed';
        if (!ok && w.message) a.res.message = w.message;
        const pol = deletePolicies(a.t.obj);
        if ((ok && pol.includes('HookSucceeded')) || (!ok && pol.includes('HookFailed')))
          await ops
            .delete(a.obj.apiVersion, a.obj.kind, a.obj.metadata.name!, a.obj.metadata.namespace, 'Background')
            .catch(() => undefined);
      }
      report();
      if (!w.ok) failure = a11y(w.message);
    }
  };
  const a11y = (m: string | undefined) => m ?? 'a resource did not become healthy';

  if (!failure) await runPhaseTasks(tasks.filter((t) => t.phase === 'PreSync'));
  if (!failure) await runPhaseTasks(tasks.filter((t) => t.phase === 'Sync'));

  // prune, after the Sync phase (PruneLast: the same here, prune always runs after every wave)
  if (!failure) {
    const toPrune = [...req.prune].sort((a, b) => waveOf(b) - waveOf(a));
    for (const obj of toPrune) {
      const t = { obj, phase: 'Sync' as SyncPhase };
      const opts = obj.metadata.annotations?.[SYNC_OPTIONS_ANNOTATION] ?? '';
      if (!req.pruneEnabled || opts.includes('Prune=false')) {
        results.push(resultOf(t, 'PruneSkipped', 'ignored (requires pruning)'));
        continue;
      }
      if (req.dryRun) {
        results.push(resultOf(t, 'Pruned', 'pruned (dry run)'));
        continue;
      }
      try {
        await ops.delete(
          obj.apiVersion,
          obj.kind,
          obj.metadata.name!,
          obj.metadata.namespace,
          req.prunePropagationPolicy ?? 'Foreground',
        );
        results.push(resultOf(t, 'Pruned', 'pruned'));
      } catch (err) {
        results.push(resultOf(t, 'SyncFailed', errMessage(err)));
        failure ??= `one or more objects failed to prune, reason: ${errMessage(err)}`;
      }
    }
    report();
  }

  if (!failure) await runPhaseTasks(tasks.filter((t) => t.phase === 'PostSync'));
  if (failure) {
    const failTasks = tasks.filter((t) => t.phase === 'SyncFail');
    if (failTasks.length) {
      const saved = failure;
      failure = undefined;
      await runPhaseTasks(failTasks);
      failure = saved;
    }
    return { phase: 'Failed', message: failure, resources: results };
  }
  const pruned = results.filter((r) => r.status === 'Pruned').length;
  return {
    phase: 'Succeeded',
    message: req.dryRun
      ? 'successfully synced (dry run)'
      : `successfully synced (all tasks run)${pruned ? `, ${pruned} pruned` : ''}`,
    resources: results,
  };
}

export { GitOpsError };
