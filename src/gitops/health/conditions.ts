// Health of custom resources from their status conditions (kstatus conventions): Ready or Available
// True is Healthy, False is Degraded (Progressing while a Reconciling/Progressing condition is True);
// a Stalled condition True is Degraded. Resources without conditions have no health, as in Argo CD.
import type { KubeObject } from '../../kube/index.ts';
import { conditions, h, num, type HealthStatus } from './common.ts';

export function conditionsHealth(obj: KubeObject): HealthStatus | undefined {
  const cs = conditions(obj);
  if (!cs.length) return undefined;
  const st = (obj.status ?? {}) as Record<string, unknown>;
  if (st.observedGeneration !== undefined && num(st.observedGeneration) < num(obj.metadata.generation))
    return h('Progressing', 'Waiting for the status to observe the latest generation');
  const stalled = cs.find((c) => c.type === 'Stalled' && c.status === 'True');
  if (stalled) return h('Degraded', stalled.message ?? stalled.reason);
  const ready = cs.find((c) => c.type === 'Ready' || c.type === 'Available');
  const reconciling = cs.find((c) => (c.type === 'Reconciling' || c.type === 'Progressing') && c.status === 'True');
  if (ready?.status === 'True') return h('Healthy', ready.message);
  if (reconciling) return h('Progressing', reconciling.message ?? reconciling.reason);
  if (ready?.status === 'False') return h('Degraded', ready.message ?? ready.reason);
  if (ready) return h('Progressing', ready.message);
  return undefined;
}
