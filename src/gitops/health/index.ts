// Health assessment: one assessment per kind (files beside this one) returning Argo CD's status values;
// a live object that does not exist is Missing; kinds without an assessment have no health.
import { gvkOf, type KubeObject } from '../../kube/index.ts';
import type { HealthStatus, HealthStatusCode } from '../types.ts';
import { apiServiceHealth } from './apiservice.ts';
import { HEALTH_ORDER, isWorse } from './common.ts';
import { conditionsHealth } from './conditions.ts';
import { crdHealth } from './crd.ts';
import { daemonSetHealth } from './daemonset.ts';
import { deploymentHealth } from './deployment.ts';
import { hpaHealth } from './hpa.ts';
import { ingressHealth } from './ingress.ts';
import { jobHealth } from './job.ts';
import { podHealth } from './pod.ts';
import { pvcHealth } from './pvc.ts';
import { replicaSetHealth } from './replicaset.ts';
import { serviceHealth } from './service.ts';
import { statefulSetHealth } from './statefulset.ts';

export { HEALTH_ORDER, isWorse };

type Assess = (obj: KubeObject) => HealthStatus | undefined;
/** group/kind → assessment */
const BY_KIND: Record<string, Assess> = {
  'apps/Deployment': deploymentHealth,
  'extensions/Deployment': deploymentHealth,
  'apps/StatefulSet': statefulSetHealth,
  'apps/DaemonSet': daemonSetHealth,
  'extensions/DaemonSet': daemonSetHealth,
  'apps/ReplicaSet': replicaSetHealth,
  'extensions/ReplicaSet': replicaSetHealth,
  '/Pod': podHealth,
  'batch/Job': jobHealth,
  '/Service': serviceHealth,
  'networking.k8s.io/Ingress': ingressHealth,
  'extensions/Ingress': ingressHealth,
  '/PersistentVolumeClaim': pvcHealth,
  'autoscaling/HorizontalPodAutoscaler': hpaHealth,
  'apiregistration.k8s.io/APIService': apiServiceHealth,
  'apiextensions.k8s.io/CustomResourceDefinition': crdHealth,
};

const BUILTIN_GROUPS =
  /^(|apps|batch|extensions|policy|rbac\.authorization\.k8s\.io|networking\.k8s\.io|storage\.k8s\.io|autoscaling|coordination\.k8s\.io|discovery\.k8s\.io|scheduling\.k8s\.io|admissionregistration\.k8s\.io|certificates\.k8s\.io|node\.k8s\.io)$/;

/** A custom assessment (Rego, CEL...) plugged in by the caller; undefined falls through to the built-ins. */
export type HealthOverride = (obj: KubeObject) => HealthStatus | undefined;

/** The health of one live object; undefined when the kind has no health (ConfigMap, Secret...). */
export function assessHealth(live: KubeObject | undefined, override?: HealthOverride): HealthStatus | undefined {
  if (!live) return { status: 'Missing' };
  if (override) {
    const o = override(live);
    if (o) return o;
  }
  const gvk = gvkOf(live);
  const f = BY_KIND[`${gvk.group}/${gvk.kind}`];
  if (f) return f(live);
  if (!BUILTIN_GROUPS.test(gvk.group)) return conditionsHealth(live);
  return undefined;
}

/** The app's health: the worst of its resources' (Healthy when none has health). */
export function aggregateHealth(statuses: (HealthStatus | undefined)[]): HealthStatus {
  let worst: HealthStatusCode = 'Healthy';
  let msg: string | undefined;
  for (const s of statuses) {
    if (!s) continue;
    if (isWorse(s.status, worst)) {
      worst = s.status;
      msg = s.message;
    }
  }
  return msg ? { status: worst, message: msg } : { status: worst };
}
