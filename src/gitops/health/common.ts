// Shared helpers of the health assessments (Argo CD's status values and their order).
import type { HealthStatus, HealthStatusCode } from '../types.ts';

export type { HealthStatus, HealthStatusCode };

/** Argo CD's order, best first: an app's health is its worst resource's. */
export const HEALTH_ORDER: HealthStatusCode[] = [
  'Healthy',
  'Suspended',
  'Progressing',
  'Missing',
  'Degraded',
  'Unknown',
];

export function isWorse(a: HealthStatusCode, b: HealthStatusCode): boolean {
  return HEALTH_ORDER.indexOf(a) > HEALTH_ORDER.indexOf(b);
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export function conditions(obj: Record<string, unknown>): Condition[] {
  const s = obj.status as { conditions?: unknown } | undefined;
  return Array.isArray(s?.conditions) ? (s.conditions as Condition[]) : [];
}

export function num(v: unknown, d = 0): number {
  return typeof v === 'number' ? v : d;
}

export function h(status: HealthStatusCode, message?: string): HealthStatus {
  return message ? { status, message } : { status };
}
