// Ingress health, as Argo CD assesses it (health_ingress.go): Healthy once it has a load-balancer address.
import type { KubeObject } from '../../kube/index.ts';
import { h, type HealthStatus } from './common.ts';

export function ingressHealth(obj: KubeObject): HealthStatus {
  const ing = (obj.status as { loadBalancer?: { ingress?: unknown[] } } | undefined)?.loadBalancer?.ingress;
  return ing && ing.length ? h('Healthy') : h('Progressing');
}
