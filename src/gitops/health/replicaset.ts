// ReplicaSet health, as Argo CD assesses it (health_replicaset.go).
import type { KubeObject } from '../../kube/index.ts';
import { conditions, h, num, type HealthStatus } from './common.ts';

export function replicaSetHealth(obj: KubeObject): HealthStatus {
  const spec = (obj.spec ?? {}) as { replicas?: number };
  const st = (obj.status ?? {}) as Record<string, unknown>;
  if (num(obj.metadata.generation) <= num(st.observedGeneration)) {
    const failure = conditions(obj).find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
    if (failure) return h('Degraded', failure.message);
    const replicas = spec.replicas ?? 1;
    if (num(st.availableReplicas) < replicas)
      return h(
        'Progressing',
        `Waiting for rollout to finish: ${num(st.availableReplicas)} out of ${replicas} new replicas are available...`,
      );
    return h('Healthy');
  }
  return h(
    'Progressing',
    'Waiting for rollout to finish: observed replica set generation less than desired generation',
  );
}
