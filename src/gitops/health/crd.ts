// CustomResourceDefinition health (Argo CD's resource customization for apiextensions.k8s.io/CRD):
// Terminating or names not accepted are Degraded; Established is Healthy.
import type { KubeObject } from '../../kube/index.ts';
import { conditions, h, type HealthStatus } from './common.ts';

export function crdHealth(obj: KubeObject): HealthStatus {
  const cs = conditions(obj);
  if (obj.metadata.deletionTimestamp) return h('Progressing', 'CRD is terminating');
  const names = cs.find((c) => c.type === 'NamesAccepted');
  if (names?.status === 'False') return h('Degraded', names.message);
  const nonStruct = cs.find((c) => c.type === 'NonStructuralSchema' && c.status === 'True');
  if (nonStruct) return h('Degraded', nonStruct.message);
  const est = cs.find((c) => c.type === 'Established');
  if (est?.status === 'True') return h('Healthy');
  return h('Progressing', 'Status conditions not found');
}
