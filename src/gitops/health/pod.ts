// Pod health, as Argo CD assesses it (health_pod.go): phase, readiness for restartPolicy Always, and
// container errors (CrashLoopBackOff, ImagePullBackOff...) as Degraded.
import type { KubeObject } from '../../kube/index.ts';
import { conditions, h, type HealthStatus } from './common.ts';

interface ContainerStatus {
  name: string;
  state?: {
    waiting?: { reason?: string; message?: string };
    terminated?: { reason?: string; message?: string; exitCode?: number };
  };
}
const ERROR_REASONS =
  /^(CrashLoopBackOff|ErrImagePull|ImagePullBackOff|CreateContainerConfigError|InvalidImageName|CreateContainerError|RunContainerError|ErrImageNeverPull)$/;

export function podHealth(obj: KubeObject): HealthStatus {
  const st = (obj.status ?? {}) as {
    phase?: string;
    message?: string;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
  const spec = (obj.spec ?? {}) as { restartPolicy?: string };
  const all = [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])];
  for (const c of all) {
    const w = c.state?.waiting;
    if (w?.reason && ERROR_REASONS.test(w.reason)) return h('Degraded', w.message ?? w.reason);
  }
  switch (st.phase) {
    case 'Pending':
      return h('Progressing', st.message);
    case 'Succeeded':
      return h('Healthy', st.message);
    case 'Failed': {
      if (st.message) return h('Degraded', st.message);
      const t = all.map((c) => c.state?.terminated).find((x) => x && x.exitCode !== 0);
      return h('Degraded', t ? (t.message ?? `container exited with code ${t.exitCode}`) : undefined);
    }
    case 'Running': {
      if ((spec.restartPolicy ?? 'Always') === 'Always') {
        if (conditions(obj).some((c) => c.type === 'Ready' && c.status === 'True')) return h('Healthy', st.message);
        return h('Progressing', st.message);
      }
      return h('Progressing', st.message);
    }
    default:
      return h('Unknown', st.message);
  }
}
