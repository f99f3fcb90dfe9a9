// Public surface of the GitOps area: the engine (diff, sync, health) that takes plain objects and a
// revision, the sources and renderers, the Application/AppProject model and CRDs, and the controller.
import { KubeClient } from '../kube/index.ts';
import type { HealthOverride } from './health/index.ts';
import { spawnRunner, type ProcessRunner } from './process.ts';
import { startReconciler, type Controller, type Logger } from './reconciler.ts';
import type { GitCredentials } from './source/git.ts';
import type { PreApplyGate } from './sync/index.ts';

export * from './types.ts';
export { GitOpsError, redact, type GitOpsErrorCode, type GitOpsErrorLocation } from './errors.ts';
export { applicationCrd, appProjectCrd, defaultProject } from './crds.ts';
export { diffObjects, mergeApply, unifiedDiff, type DiffOptions, type DiffResult } from './diff/index.ts';
export { assessHealth, aggregateHealth, HEALTH_ORDER, type HealthOverride } from './health/index.ts';
export {
  celHealthKey,
  CEL_HEALTH_PREFIX,
  compileCustomHealth,
  customHealthKey,
  CUSTOM_HEALTH_CONFIGMAP,
  CUSTOM_HEALTH_PREFIX,
  type CustomHealth,
} from './health/custom.ts';
export {
  runSync,
  planTasks,
  resourceKey,
  kubeClusterOps,
  KIND_ORDER,
  type ClusterOps,
  type GateDecision,
  type PreApplyGate,
  type SyncOutcome,
  type SyncRequest,
} from './sync/index.ts';
export { signatureGate, composeGates, SIGNATURE_CONDITION, type SignatureGateOptions } from './sync/verify-gate.ts';
export { GitCache, type GitCredentials } from './source/git.ts';
export { Renderer, parseManifests } from './render/index.ts';
export { spawnRunner, type ProcessRunner, type RunResult } from './process.ts';
export {
  install,
  instanceName,
  trackingId,
  startReconciler,
  type Controller,
  type ControllerOptions,
  type Logger,
} from './reconciler.ts';
export { importArgoApplication } from './import.ts';
export { webhookRepoURLs } from './webhook.ts';

export interface StartControllerOptions {
  /** a kubeconfig path or YAML text, or a ready client */
  kubeconfig?: { path?: string; content?: string; context?: string };
  client?: KubeClient;
  dataDir: string;
  /** git polling period in ms (default 120 000) */
  resync?: number;
  namespace?: string;
  log?: Logger;
  run?: ProcessRunner;
  gate?: PreApplyGate;
  health?: HealthOverride;
  credentials?: (repoURL: string) => GitCredentials | undefined;
  kubectl?: string;
  workers?: number;
  waitTimeoutMs?: number;
}

/** Starts the GitOps controller against a cluster; `close()` stops it. */
export async function startController(o: StartControllerOptions): Promise<Controller> {
  const client = o.client ?? (await KubeClient.fromKubeconfig(o.kubeconfig ?? {}));
  const c = await startReconciler({
    client,
    dataDir: o.dataDir,
    run: o.run ?? spawnRunner,
    ...(o.resync !== undefined ? { resyncMs: o.resync } : {}),
    ...(o.namespace ? { namespace: o.namespace } : {}),
    ...(o.log ? { log: o.log } : {}),
    ...(o.gate ? { gate: o.gate } : {}),
    ...(o.health ? { health: o.health } : {}),
    ...(o.credentials ? { credentials: o.credentials } : {}),
    ...(o.kubectl ? { kubectl: o.kubectl } : {}),
    ...(o.workers ? { workers: o.workers } : {}),
    ...(o.waitTimeoutMs ? { waitTimeoutMs: o.waitTimeoutMs } : {}),
  });
  return {
    namespace: c.namespace,
    refresh: c.refresh,
    refreshRepo: c.refreshRepo,
    idle: c.idle,
    async close() {
      await c.close();
      if (!o.client) client.close();
    },
  };
}
