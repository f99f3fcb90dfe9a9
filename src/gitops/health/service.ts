// Service health, as Argo CD assesses it (health_service.go): a LoadBalancer waits for an ingress point.
import type { KubeObject } from '../../kube/index.ts';
import { h, type HealthStatus } from './common.ts';

export function serviceHealth(obj: KubeObject): HealthStatus {
  const spec = (obj.spec ?? {}) as { type?: string };
  if (spec.type === 'LoadBalancer') {
    const ing = (obj.status as { loadBalancer?: { ingress?: unknown[] } } | undefined)?.loadBalancer?.ingress;
    return ing && ing.length ? h('Healthy') : h('Progressing');
  }
  return h('Healthy');
}
