// The CEL setup shared by admission (Gatekeeper's K8sNativeValidation) and GitOps (custom health in CEL):
// @bufbuild/cel with the strings extension and RE2 regular expressions, and the JSON ↔ CEL value
// conversions Kubernetes uses (integral numbers are ints).
import { celEnv, isCelList, isCelMap, type CelEnv } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { RE2JS } from 're2js';

let env: CelEnv | undefined;
/** One environment for the process: the standard library, the strings extension, RE2 `matches`. */
export function kubeCelEnv(): CelEnv {
  env ??= celEnv({
    funcs: [...strings],
    re2: {
      compile: (pattern: string) => {
        const re = RE2JS.compile(pattern);
        return { test: (s: string) => re.matcher(s).find() };
      },
    },
  });
  return env;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON → CEL input: integral numbers become ints (bigint), as Kubernetes decodes JSON for CEL. */
export function toCel(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(toCel);
  if (isPlainObject(v)) {
    const m = new Map<string, unknown>();
    for (const [k, x] of Object.entries(v)) m.set(k, toCel(x));
    return m;
  }
  return v;
}

/** CEL value → JSON-like value (ints as numbers, lists as arrays, maps as objects). */
export function fromCel(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (isCelList(v)) return [...(v as Iterable<unknown>)].map(fromCel);
  if (isCelMap(v)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v as unknown as Iterable<[unknown, unknown]>) o[String(k)] = fromCel(x);
    return o;
  }
  return v;
}
