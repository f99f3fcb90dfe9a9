// APIService health, as Argo CD assesses it (health_apiservice.go): the Available condition decides.
import type { KubeObject } from '../../kube/index.ts';
import { conditions, h, type HealthStatus } from './common.ts';

export function apiServiceHealth(obj: KubeObject): HealthStatus {
  const c = conditions(obj).find((x) => x.type === 'Available');
  if (c?.status === 'True') return h('Healthy', c.message ? `${c.reason ?? ''}: ${c.message}` : undefined);
  if (c) return h('Progressing', `${c.reason ?? ''}: ${c.message ?? ''}`);
  return h('Progressing', 'Waiting to be processed');
}
