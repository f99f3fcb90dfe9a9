// Deployment health, as Argo CD assesses it (gitops-engine pkg/health/health_deployment.go).
import type { KubeObject } from '../../kube/index.ts';
import { conditions, h, num, type HealthStatus } from './common.ts';

export function deploymentHealth(obj: KubeObject): HealthStatus {
  const spec = (obj.spec ?? {}) as { paused?: boolean; replicas?: number };
  const st = (obj.status ?? {}) as Record<string, unknown>;
  if (spec.paused) return h('Suspended', 'Deployment is paused');
  if (num(obj.metadata.generation) <= num(st.observedGeneration)) {
    const prog = conditions(obj).find((c) => c.type === 'Progressing');
    if (prog?.reason === 'ProgressDeadlineExceeded')
      return h('Degraded', `Deployment "${obj.metadata.name}" exceeded its progress deadline`);
    const replicas = spec.replicas ?? 1;
    const updated = num(st.updatedReplicas);
    if (updated < replicas)
      return h(
        'Progressing',
        `Waiting for rollout to finish: ${updated} out of ${replicas} new replicas have been updated...`,
      );
    if (num(st.replicas) > updated)
      return h(
        'Progressing',
        `Waiting for rollout to finish: ${num(st.replicas) - updated} old replicas are pending termination...`,
      );
    if (num(st.availableReplicas) < updated)
      return h(
        'Progressing',
        `Waiting for rollout to finish: ${num(st.availableReplicas)} of ${updated} updated replicas are available...`,
      );
    return h('Healthy');
  }
  return h('Progressing', 'Waiting for rollout to finish: observed deployment generation less than desired generation');
}
