// Custom health checks written in Rego, Argo CD's `resource.customizations.health.<group>_<kind>`
// (Lua there) taken from the ConfigMap `sekisho-cm` in the controller namespace. Each key holds a Rego
// module; `data.health.status` and `data.health.message`, with the live object as `input`, give the
// health. When the module leaves `status` undefined, the built-in assessment of the kind applies.
import { gvkOf, type KubeObject } from '../../kube/index.ts';
import { compilePolicy, fromJS, RegoError, RegoErrors, toJS, type PreparedQuery } from '../../rego/index.ts';
import { GitOpsError } from '../errors.ts';
import type { HealthStatus, HealthStatusCode } from '../types.ts';
import { HEALTH_ORDER } from './common.ts';

export const CUSTOM_HEALTH_CONFIGMAP = 'sekisho-cm';
export const CUSTOM_HEALTH_PREFIX = 'resource.customizations.health.';

export interface CustomHealth {
  /** the assessment; undefined when no check covers the object's kind (or the check leaves status undefined) */
  assess(obj: KubeObject): HealthStatus | undefined;
  /** modules that did not compile; objects of their kinds are Unknown with this message */
  errors: GitOpsError[];
}

/** `<group>_<kind>` (core group: `_Pod` or `Pod`) → `group/kind`; undefined when the key is not a health key. */
export function customHealthKey(key: string): string | undefined {
  if (!key.startsWith(CUSTOM_HEALTH_PREFIX)) return undefined;
  const gk = key.slice(CUSTOM_HEALTH_PREFIX.length);
  const i = gk.lastIndexOf('_');
  return i < 0 ? `/${gk}` : `${gk.slice(0, i)}/${gk.slice(i + 1)}`;
}

function compileModule(file: string, text: string): PreparedQuery {
  let first: unknown;
  // Rego v1 first; modules in the v0 syntax (no `if`) are accepted too
  for (const regoVersion of [1, 0] as const) {
    try {
      return compilePolicy({ modules: [{ file, text }], regoVersion }).prepare('data.health');
    } catch (err) {
      first ??= err;
    }
  }
  const e = first instanceof RegoErrors ? first.errors[0] : first instanceof RegoError ? first : undefined;
  const loc = e?.location;
  throw new GitOpsError(
    'gitops_custom_health_invalid',
    `custom health check ${file}: ${first instanceof Error ? first.message : String(first)}`,
    { cause: first, ...(loc ? { location: { file, row: loc.row, col: loc.col } } : {}) },
  );
}

/** Compiles the custom health checks of a ConfigMap's data. */
export function compileCustomHealth(data: Record<string, string> | undefined): CustomHealth {
  const checks = new Map<string, { file: string; query?: PreparedQuery; error?: GitOpsError }>();
  const errors: GitOpsError[] = [];
  for (const [key, text] of Object.entries(data ?? {})) {
    const gk = customHealthKey(key);
    if (!gk) continue;
    const file = `${CUSTOM_HEALTH_CONFIGMAP}:${key}`;
    try {
      checks.set(gk, { file, query: compileModule(file, text) });
    } catch (err) {
      const e = err as GitOpsError;
      errors.push(e);
      checks.set(gk, { file, error: e });
    }
  }
  return {
    errors,
    assess(obj) {
      const gvk = gvkOf(obj);
      const c = checks.get(`${gvk.group}/${gvk.kind}`);
      if (!c) return undefined;
      if (c.error) return { status: 'Unknown', message: c.error.message };
      let value: unknown;
      try {
        value = c.query!.eval({ input: fromJS(obj) })[0]?.expressions[0]?.value;
      } catch (err) {
        return { status: 'Unknown', message: `custom health check ${c.file} failed: ${(err as Error).message}` };
      }
      const doc = value === undefined ? undefined : toJS(value as never);
      const o = (typeof doc === 'object' && doc !== null ? doc : {}) as { status?: unknown; message?: unknown };
      if (o.status === undefined) return undefined;
      if (typeof o.status !== 'string' || !(HEALTH_ORDER as readonly string[]).includes(o.status))
        return {
          status: 'Unknown',
          message: `custom health check ${c.file} returned status ${JSON.stringify(o.status)}, not one of ${HEALTH_ORDER.join(', ')}`,
        };
      const status = o.status as HealthStatusCode;
      return typeof o.message === 'string' && o.message ? { status, message: o.message } : { status };
    },
  };
}
