// Job health, as Argo CD assesses it (health_job.go).
import type { KubeObject } from '../../kube/index.ts';
import { conditions, h, type HealthStatus } from './common.ts';

export function jobHealth(obj: KubeObject): HealthStatus {
  let failed: string | undefined;
  let complete = false;
  let suspended = false;
  let message = '';
  for (const c of conditions(obj)) {
    if (c.status !== 'True') continue;
    if (c.type === 'Failed') failed = c.message ?? c.reason ?? 'Job failed';
    else if (c.type === 'Complete') {
      complete = true;
      message = c.message ?? '';
    } else if (c.type === 'Suspended') {
      suspended = true;
      message = c.message ?? '';
    }
  }
  if (failed !== undefined) return h('Degraded', failed);
  if (complete) return h('Healthy', message);
  if (suspended) return h('Suspended', message || 'Job is suspended');
  return h('Progressing', message);
}
