// StatefulSet health, as Argo CD assesses it (health_statefulset.go).
import type { KubeObject } from '../../kube/index.ts';
import { h, num, type HealthStatus } from './common.ts';

export function statefulSetHealth(obj: KubeObject): HealthStatus {
  const spec = (obj.spec ?? {}) as {
    replicas?: number;
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
  };
  const st = (obj.status ?? {}) as Record<string, unknown>;
  const observed = num(st.observedGeneration);
  if (observed === 0 || num(obj.metadata.generation) > observed)
    return h('Progressing', 'Waiting for statefulset spec update to be observed...');
  const replicas = spec.replicas ?? 1;
  if (num(st.readyReplicas) < replicas)
    return h('Progressing', `Waiting for ${replicas - num(st.readyReplicas)} pods to be ready...`);
  const strategy = spec.updateStrategy?.type ?? 'RollingUpdate';
  const partition = spec.updateStrategy?.rollingUpdate?.partition;
  if (strategy === 'RollingUpdate' && partition !== undefined && partition > 0) {
    if (num(st.updatedReplicas) < replicas - partition)
      return h(
        'Progressing',
        `Waiting for partitioned roll out to finish: ${num(st.updatedReplicas)} out of ${replicas - partition} new pods have been updated...`,
      );
    return h('Healthy', `partitioned roll out complete: ${num(st.updatedReplicas)} new pods have been updated...`);
  }
  if (strategy === 'OnDelete') return h('Healthy', `statefulset has ${num(st.readyReplicas)} ready pods`);
  if (st.updateRevision !== st.currentRevision)
    return h(
      'Progressing',
      `waiting for statefulset rolling update to complete ${num(st.updatedReplicas)} pods at revision ${String(st.updateRevision)}...`,
    );
  return h(
    'Healthy',
    `statefulset rolling update complete ${num(st.currentReplicas)} pods at revision ${String(st.currentRevision)}...`,
  );
}
