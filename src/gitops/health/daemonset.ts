// DaemonSet health, as Argo CD assesses it (health_daemonset.go).
import type { KubeObject } from '../../kube/index.ts';
import { h, num, type HealthStatus } from './common.ts';

export function daemonSetHealth(obj: KubeObject): HealthStatus {
  const spec = (obj.spec ?? {}) as { updateStrategy?: { type?: string } };
  const st = (obj.status ?? {}) as Record<string, unknown>;
  if (num(obj.metadata.generation) > num(st.observedGeneration))
    return h('Progressing', 'Waiting for daemon set spec update to be observed...');
  const desired = num(st.desiredNumberScheduled);
  const updated = num(st.updatedNumberScheduled);
  if (spec.updateStrategy?.type === 'OnDelete')
    return h('Healthy', `daemon set ${updated} out of ${desired} new pods have been updated`);
  if (updated < desired)
    return h(
      'Progressing',
      `Waiting for daemon set "${obj.metadata.name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...`,
    );
  if (num(st.numberAvailable) < desired)
    return h(
      'Progressing',
      `Waiting for daemon set "${obj.metadata.name}" rollout to finish: ${num(st.numberAvailable)} of ${desired} updated pods are available...`,
    );
  return h('Healthy');
}
