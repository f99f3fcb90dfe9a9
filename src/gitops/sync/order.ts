// Ordering of sync tasks as gitops-engine does it: phase (PreSync, Sync, PostSync), then sync wave,
// then kind (Argo CD's kind order: namespaces and policies first, workloads after their config,
// unknown kinds — custom resources — last), then name.
import type { KubeObject } from '../../kube/index.ts';
import { HOOK_ANNOTATION, SYNC_WAVE_ANNOTATION, type HookType, type SyncPhase } from '../types.ts';

export const KIND_ORDER = [
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
];
const KIND_INDEX = new Map(KIND_ORDER.map((k, i) => [k, i]));

export function kindRank(kind: string): number {
  return KIND_INDEX.get(kind) ?? KIND_ORDER.length;
}

export function waveOf(obj: KubeObject): number {
  const w = obj.metadata.annotations?.[SYNC_WAVE_ANNOTATION];
  const n = w === undefined ? 0 : Number.parseInt(w, 10);
  return Number.isFinite(n) ? n : 0;
}

/** The hook types of an object (Argo CD's annotation, or Helm's hook annotation mapped as Argo CD does). */
export function hookTypesOf(obj: KubeObject): HookType[] {
  const a = obj.metadata.annotations ?? {};
  const argo = a[HOOK_ANNOTATION];
  if (argo)
    return argo
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean) as HookType[];
  const helm = a['helm.sh/hook'];
  if (helm) {
    const map: Record<string, HookType> = {
      'pre-install': 'PreSync',
      'pre-upgrade': 'PreSync',
      'post-install': 'PostSync',
      'post-upgrade': 'PostSync',
    };
    return [
      ...new Set(
        helm
          .split(',')
          .map((s) => map[s.trim()])
          .filter((x): x is HookType => !!x),
      ),
    ];
  }
  return [];
}

export function isHook(obj: KubeObject): boolean {
  return hookTypesOf(obj).length > 0;
}

export interface OrderedTask {
  obj: KubeObject;
  phase: SyncPhase;
  wave: number;
  hookType?: HookType;
}

export function compareTasks(a: OrderedTask, b: OrderedTask): number {
  const phases: SyncPhase[] = ['PreSync', 'Sync', 'PostSync', 'SyncFail'];
  return (
    phases.indexOf(a.phase) - phases.indexOf(b.phase) ||
    a.wave - b.wave ||
    kindRank(a.obj.kind) - kindRank(b.obj.kind) ||
    (kindRank(a.obj.kind) === KIND_ORDER.length
      ? a.obj.kind < b.obj.kind
        ? -1
        : a.obj.kind > b.obj.kind
          ? 1
          : 0
      : 0) ||
    (a.obj.metadata.name ?? a.obj.metadata.generateName ?? '').localeCompare(
      b.obj.metadata.name ?? b.obj.metadata.generateName ?? '',
    )
  );
}

/** Turns target objects into ordered tasks (a hook with several types yields one task per phase). */
export function planTasks(objs: KubeObject[]): OrderedTask[] {
  const tasks: OrderedTask[] = [];
  for (const obj of objs) {
    const hooks = hookTypesOf(obj);
    if (hooks.includes('Skip')) continue;
    if (!hooks.length) tasks.push({ obj, phase: 'Sync', wave: waveOf(obj) });
    for (const h of hooks)
      if (h === 'PreSync' || h === 'Sync' || h === 'PostSync' || h === 'SyncFail')
        tasks.push({ obj, phase: h, wave: waveOf(obj), hookType: h });
  }
  return tasks.sort(compareTasks);
}
