// Application and AppProject as Argo CD defines them (argoproj.io/v1alpha1), served in our group
// gitops.sekisho.dev/v1alpha1. Field names and meanings follow Argo CD's types.go.
import type { KubeObject } from '../kube/index.ts';

export const GROUP = 'gitops.sekisho.dev';
export const API_VERSION = `${GROUP}/v1alpha1`;
export const ARGO_API_VERSION = 'argoproj.io/v1alpha1';
export const TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id';
export const REFRESH_ANNOTATION = 'argocd.argoproj.io/refresh';
export const HOOK_ANNOTATION = 'argocd.argoproj.io/hook';
export const HOOK_DELETE_POLICY_ANNOTATION = 'argocd.argoproj.io/hook-delete-policy';
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';
export const SYNC_OPTIONS_ANNOTATION = 'argocd.argoproj.io/sync-options';
export const COMPARE_OPTIONS_ANNOTATION = 'argocd.argoproj.io/compare-options';
/** our own: the operation a hook object was created for, so a resumed sync does not create it twice */
export const HOOK_OPERATION_ANNOTATION = 'gitops.sekisho.dev/operation-id';
export const FIELD_MANAGER = 'sekisho-controller';

export interface ApplicationSourceDirectory {
  recurse?: boolean;
  include?: string;
  exclude?: string;
  jsonnet?: Record<string, unknown>;
}
export interface ApplicationSourceKustomize {
  namePrefix?: string;
  nameSuffix?: string;
  images?: string[];
  commonLabels?: Record<string, string>;
  commonAnnotations?: Record<string, string>;
  namespace?: string;
  version?: string;
  forceCommonLabels?: boolean;
  forceCommonAnnotations?: boolean;
  replicas?: { name: string; count: number | string }[];
  patches?: unknown[];
  components?: string[];
}
export interface ApplicationSourceHelm {
  valueFiles?: string[];
  parameters?: { name: string; value: string; forceString?: boolean }[];
  fileParameters?: { name: string; path: string }[];
  releaseName?: string;
  values?: string;
  valuesObject?: Record<string, unknown>;
  ignoreMissingValueFiles?: boolean;
  skipCrds?: boolean;
  passCredentials?: boolean;
  version?: string;
  namespace?: string;
  kubeVersion?: string;
  apiVersions?: string[];
}
export interface ApplicationSource {
  repoURL: string;
  path?: string;
  targetRevision?: string;
  chart?: string;
  ref?: string;
  name?: string;
  directory?: ApplicationSourceDirectory;
  kustomize?: ApplicationSourceKustomize;
  helm?: ApplicationSourceHelm;
  plugin?: Record<string, unknown>;
}
export interface ApplicationDestination {
  server?: string;
  name?: string;
  namespace?: string;
}
export interface RetryStrategy {
  limit?: number;
  backoff?: { duration?: string; factor?: number; maxDuration?: string };
}
export interface SyncPolicy {
  automated?: { prune?: boolean; selfHeal?: boolean; allowEmpty?: boolean };
  syncOptions?: string[];
  retry?: RetryStrategy;
  managedNamespaceMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
}
export interface ResourceIgnoreDifferences {
  group?: string;
  kind: string;
  name?: string;
  namespace?: string;
  jsonPointers?: string[];
  jqPathExpressions?: string[];
  managedFieldsManagers?: string[];
}
export interface ApplicationSpec {
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  destination: ApplicationDestination;
  project: string;
  syncPolicy?: SyncPolicy;
  ignoreDifferences?: ResourceIgnoreDifferences[];
  info?: { name: string; value: string }[];
  revisionHistoryLimit?: number;
}

export type SyncStatusCode = 'Synced' | 'OutOfSync' | 'Unknown';
export type HealthStatusCode = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';
export type OperationPhase = 'Running' | 'Succeeded' | 'Failed' | 'Error' | 'Terminating';
export type ResultCode = 'Synced' | 'SyncFailed' | 'Pruned' | 'PruneSkipped';
export type HookType = 'PreSync' | 'Sync' | 'PostSync' | 'SyncFail' | 'Skip' | 'PostDelete';
export type SyncPhase = 'PreSync' | 'Sync' | 'PostSync' | 'SyncFail';

export interface HealthStatus {
  status: HealthStatusCode;
  message?: string;
}
export interface ResourceStatus {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  status: SyncStatusCode;
  health?: HealthStatus;
  hook?: boolean;
  requiresPruning?: boolean;
  syncWave?: number;
}
export interface ResourceResult {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  status: ResultCode;
  message: string;
  hookType?: HookType;
  hookPhase?: OperationPhase;
  syncPhase: SyncPhase;
}
export interface SyncOperation {
  revision?: string;
  prune?: boolean;
  dryRun?: boolean;
  syncOptions?: string[];
  resources?: { group?: string; kind: string; name: string; namespace?: string }[];
  source?: ApplicationSource;
  syncStrategy?: { apply?: { force?: boolean }; hook?: { force?: boolean } };
}
export interface Operation {
  sync?: SyncOperation;
  initiatedBy?: { username?: string; automated?: boolean };
  info?: { name: string; value: string }[];
  retry?: RetryStrategy;
}
export interface OperationState {
  operation: Operation;
  phase: OperationPhase;
  message?: string;
  syncResult?: { resources?: ResourceResult[]; revision: string; source?: ApplicationSource };
  startedAt: string;
  finishedAt?: string;
  retryCount?: number;
}
export interface RevisionHistory {
  id: number;
  revision: string;
  deployedAt: string;
  deployStartedAt?: string;
  source?: ApplicationSource;
  initiatedBy?: { username?: string; automated?: boolean };
}
export interface ApplicationCondition {
  type: string;
  message: string;
  lastTransitionTime?: string;
}
export interface ApplicationStatus {
  resources?: ResourceStatus[];
  sync?: {
    status: SyncStatusCode;
    revision?: string;
    comparedTo?: { source?: ApplicationSource; destination: ApplicationDestination };
  };
  health?: HealthStatus;
  history?: RevisionHistory[];
  conditions?: ApplicationCondition[];
  reconciledAt?: string;
  operationState?: OperationState;
  observedAt?: string;
  sourceType?: 'Directory' | 'Kustomize' | 'Helm' | 'Plugin';
  summary?: { images?: string[]; externalURLs?: string[] };
  controllerNamespace?: string;
}
export interface Application extends KubeObject {
  spec: ApplicationSpec;
  status?: ApplicationStatus;
  operation?: Operation;
}

export interface GroupKind {
  group: string;
  kind: string;
}
/** A key: inline PEM, `k8s://<namespace>/<secret>` (its `cosign.pub`), or a file path on the controller. */
export type KeyRef = string;
export interface ImageVerificationRule {
  /** sigstore policy-controller glob over the image reference (`*` one segment, `**` any). */
  glob: string;
  keys: KeyRef[];
}
export interface ManifestVerification {
  keys: KeyRef[];
  /** Extra fields to ignore, in k8s-manifest-sigstore's `ignoreFields` form (added to its defaults). */
  ignoreFields?: { fields: string[]; objects: { kind: string; group?: string }[] }[];
}
export interface AppProjectSpec {
  sourceRepos?: string[];
  destinations?: ApplicationDestination[];
  description?: string;
  roles?: unknown[];
  clusterResourceWhitelist?: GroupKind[];
  clusterResourceBlacklist?: GroupKind[];
  namespaceResourceWhitelist?: GroupKind[];
  namespaceResourceBlacklist?: GroupKind[];
  orphanedResources?: { warn?: boolean; ignore?: unknown[] };
  syncWindows?: unknown[];
  signatureKeys?: { keyID: string }[];
  /** Sekisho: images matching a glob must carry a cosign signature by one of the keys (checked before sync). */
  imageVerification?: ImageVerificationRule[];
  /** Sekisho: every manifest must carry a valid k8s-manifest-sigstore signature by one of the keys. */
  manifestVerification?: ManifestVerification;
  sourceNamespaces?: string[];
  permitOnlyProjectScopedClusters?: boolean;
}
export interface AppProject extends KubeObject {
  spec: AppProjectSpec;
}

export function appSources(app: Application): ApplicationSource[] {
  if (app.spec.sources && app.spec.sources.length) return app.spec.sources;
  return app.spec.source ? [app.spec.source] : [];
}

export function syncOptionsOf(app: Application): Map<string, string> {
  const m = new Map<string, string>();
  for (const o of [...(app.spec.syncPolicy?.syncOptions ?? []), ...(app.operation?.sync?.syncOptions ?? [])]) {
    const i = o.indexOf('=');
    if (i > 0) m.set(o.slice(0, i), o.slice(i + 1));
  }
  return m;
}
