// PersistentVolumeClaim health, as Argo CD assesses it (health_pvc.go).
import type { KubeObject } from '../../kube/index.ts';
import { h, type HealthStatus } from './common.ts';

export function pvcHealth(obj: KubeObject): HealthStatus {
  const phase = (obj.status as { phase?: string } | undefined)?.phase;
  switch (phase) {
    case 'Lost':
      return h('Degraded');
    case 'Pending':
      return h('Progressing');
    case 'Bound':
      return h('Healthy');
    default:
      return h('Unknown');
  }
}
