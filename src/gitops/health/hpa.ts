// HorizontalPodAutoscaler health, as Argo CD assesses it (health_hpa.go): failure reasons on its
// conditions make it Degraded; AbleToScale with a success reason makes it Healthy.
import type { KubeObject } from '../../kube/index.ts';
import { conditions, h, type HealthStatus } from './common.ts';

const DEGRADED = new Set([
  'FailedGetResourceMetric',
  'FailedGetExternalMetric',
  'FailedGetObjectMetric',
  'FailedGetPodsMetric',
  'FailedGetContainerResourceMetric',
  'InvalidMetricSourceType',
  'FailedGetScale',
  'FailedUpdateScale',
  'FailedRescale',
  'InvalidSelector',
]);
const HEALTHY = new Set([
  'SucceededGetScale',
  'SucceededRescale',
  'ReadyForNewScale',
  'ScaleDownStabilized',
  'ScaleUpStabilized',
  'ValidMetricFound',
  'DesiredWithinRange',
  'TooFewReplicas',
  'TooManyReplicas',
]);

export function hpaHealth(obj: KubeObject): HealthStatus {
  const cs = conditions(obj);
  if (!cs.length) return h('Progressing', 'Waiting to Autoscale');
  for (const c of cs) if (c.reason && DEGRADED.has(c.reason)) return h('Degraded', c.message);
  for (const c of cs)
    if (c.type === 'AbleToScale' && c.status === 'True' && c.reason && HEALTHY.has(c.reason))
      return h('Healthy', c.message);
  return h('Progressing', 'Waiting to Autoscale');
}
