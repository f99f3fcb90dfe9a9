// Custom health checks written in Rego, Argo CD's `resource.customizations.health.<group>_<kind>`
// (Lua there) taken from the ConfigMap `sekisho-cm` in the controller namespace. Each key holds a Rego
// module; `data.health.status` and `data.health.message`, with the live object as `input`, give the
// health. When the module leaves `status` undefined, the built-in assessment of the kind applies.
// Beside Rego, keys `resource.customizations.celHealth.<group>_<kind>` hold a CEL expression over `object`
// (the live object) that yields `{"status": …, "message": …}`, a status string, or null (no verdict).
import { isCelError, parse, plan } from '@bufbuild/cel';
import { fromCel, kubeCelEnv, toCel } from '../../cel/index.ts';
import { gvkOf, type KubeObject } from '../../kube/index.ts';
import { compilePolicy, fromJS, RegoError, RegoErrors, toJS, type PreparedQuery } from '../../rego/index.ts';
import { GitOpsError } from '../errors.ts';
import type { HealthStatus, HealthStatusCode } from '../types.ts';
import { HEALTH_ORDER } from './common.ts';

export const CUSTOM_HEALTH_CONFIGMAP = 'sekisho-cm';
export const CUSTOM_HEALTH_PREFIX = 'resource.customizations.health.';
/** CEL checks: not `health.cel.<group>_<kind>`, which would read as the Rego check of a group `cel.<group>` */
export const CEL_HEALTH_PREFIX = 'resource.customizations.celHealth.';

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

/** `resource.customizations.celHealth.<group>_<kind>` → `group/kind`; undefined for other keys. */
export function celHealthKey(key: string): string | undefined {
  if (!key.startsWith(CEL_HEALTH_PREFIX)) return undefined;
  return customHealthKey(CUSTOM_HEALTH_PREFIX + key.slice(CEL_HEALTH_PREFIX.length));
}

type CelCheck = (obj: KubeObject) => unknown;

function compileCelCheck(file: string, text: string): CelCheck {
  let parsed;
  try {
    parsed = parse(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const m = /^<input>:(\d+):(\d+): ?(.*)$/s.exec(msg);
    throw new GitOpsError('gitops_custom_health_invalid', `custom health check ${file}: ${m ? m[3] : msg}`, {
      cause: err,
      ...(m ? { location: { file, row: Number(m[1]), col: Number(m[2]) } } : {}),
    });
  }
  const run = plan(kubeCelEnv(), parsed) as unknown as (ctx: Record<string, unknown>) => unknown;
  return (obj) => {
    const r = run({ object: toCel(obj) });
    if (isCelError(r)) throw new Error((r as Error).message);
    return fromCel(r);
  };
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
  type Check = { file: string; query?: PreparedQuery; cel?: CelCheck; error?: GitOpsError };
  const checks = new Map<string, Check>();
  const celChecks = new Map<string, Check>();
  const errors: GitOpsError[] = [];
  for (const [key, text] of Object.entries(data ?? {})) {
    const rego = customHealthKey(key);
    const cel = celHealthKey(key);
    const gk = rego ?? cel;
    if (!gk) continue;
    const file = `${CUSTOM_HEALTH_CONFIGMAP}:${key}`;
    const into = rego ? checks : celChecks;
    try {
      into.set(gk, rego ? { file, query: compileModule(file, text) } : { file, cel: compileCelCheck(file, text) });
    } catch (err) {
      const e = err as GitOpsError;
      errors.push(e);
      into.set(gk, { file, error: e });
    }
  }
  const run = (c: Check, obj: KubeObject): HealthStatus | undefined => {
    if (c.error) return { status: 'Unknown', message: c.error.message };
    let doc: unknown;
    try {
      if (c.cel) {
        doc = c.cel(obj);
        if (typeof doc === 'string') doc = { status: doc };
      } else {
        const value = c.query!.eval({ input: fromJS(obj) })[0]?.expressions[0]?.value;
        doc = value === undefined ? undefined : toJS(value as never);
      }
    } catch (err) {
      return { status: 'Unknown', message: `custom health check ${c.file} failed: ${(err as Error).message}` };
    }
    return verdict(c.file, doc);
  };
  return {
    errors,
    assess(obj) {
      const gvk = gvkOf(obj);
      const gk = `${gvk.group}/${gvk.kind}`;
      const rego = checks.get(gk);
      const cel = celChecks.get(gk);
      // Rego first; a kind with both takes the CEL verdict when the Rego module gives none
      return (rego ? run(rego, obj) : undefined) ?? (cel ? run(cel, obj) : undefined);
    },
  };
}

function verdict(file: string, doc: unknown): HealthStatus | undefined {
  const o = (typeof doc === 'object' && doc !== null ? doc : {}) as { status?: unknown; message?: unknown };
  if (o.status === undefined || o.status === null) return undefined;
  if (typeof o.status !== 'string' || !(HEALTH_ORDER as readonly string[]).includes(o.status))
    return {
      status: 'Unknown',
      message: `custom health check ${file} returned status ${JSON.stringify(o.status)}, not one of ${HEALTH_ORDER.join(', ')}`,
    };
  const status = o.status as HealthStatusCode;
  return typeof o.message === 'string' && o.message ? { status, message: o.message } : { status };
}
