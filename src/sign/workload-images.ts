// The container images a Kubernetes object runs: a Pod's containers, init containers and ephemeral
// containers, and the Pod template of the workload kinds (Deployment, StatefulSet, DaemonSet, ReplicaSet,
// ReplicationController, Job, CronJob). Shared by the GitOps pre-apply gate and the admission check.

type Obj = Record<string, unknown>;

export interface WorkloadImage {
  /** Field path of the image, e.g. `spec.template.spec.containers[0].image`. */
  path: string;
  image: string;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where the Pod spec lives in an object of this kind (undefined: the kind runs no Pods). */
export function podSpecPath(kind: string): string[] | undefined {
  switch (kind) {
    case 'Pod':
      return ['spec'];
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'ReplicationController':
    case 'Job':
      return ['spec', 'template', 'spec'];
    case 'CronJob':
      return ['spec', 'jobTemplate', 'spec', 'template', 'spec'];
    default:
      return undefined;
  }
}

/** Every image reference in the object's Pod spec, with its field path. */
export function workloadImages(obj: Obj): WorkloadImage[] {
  const path = podSpecPath(typeof obj.kind === 'string' ? obj.kind : '');
  if (!path) return [];
  let spec: unknown = obj;
  for (const p of path) spec = isObj(spec) ? spec[p] : undefined;
  if (!isObj(spec)) return [];
  const out: WorkloadImage[] = [];
  for (const field of ['initContainers', 'containers', 'ephemeralContainers']) {
    const list = spec[field];
    if (!Array.isArray(list)) continue;
    list.forEach((c, i) => {
      if (isObj(c) && typeof c.image === 'string' && c.image !== '')
        out.push({ path: `${path.join('.')}.${field}[${i}].image`, image: c.image });
    });
  }
  return out;
}
