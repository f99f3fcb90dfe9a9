// OPA's capabilities documents (`opa capabilities`, `--capabilities FILE`): which builtins a policy may call
// and which hosts network builtins may reach. A policy that calls anything else fails to compile with OPA's
// "undefined function" error, so a platform can pin the builtins its policies use (e.g. no http.send).
import { catalog } from './builtins/catalog.ts';
import { ErrorCodes, RegoError } from './errors.ts';

export interface Capabilities {
  /** Builtins a policy may call. */
  builtins: ReadonlySet<string>;
  /** Hosts http.send and net.lookup_ip_addr may reach; undefined means no restriction beyond the evaluation's. */
  allowNet?: readonly string[];
  futureKeywords?: readonly string[];
  features?: readonly string[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringList(v: unknown, field: string, file: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw new RegoError(ErrorCodes.compile, `${file}: capabilities ${field} must be a list of strings`);
  return v as string[];
}

/** Reads a capabilities JSON document (the text; the caller reads the file). */
export function parseCapabilities(text: string, file = 'capabilities.json'): Capabilities {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new RegoError(ErrorCodes.compile, `${file}: capabilities are not JSON: ${(e as Error).message}`);
  }
  if (!isObj(doc) || !Array.isArray(doc.builtins))
    throw new RegoError(ErrorCodes.compile, `${file}: capabilities need a "builtins" list`);
  const builtins = new Set<string>();
  doc.builtins.forEach((b, i) => {
    if (!isObj(b) || typeof b.name !== 'string')
      throw new RegoError(ErrorCodes.compile, `${file}: builtins[${i}] has no name`);
    builtins.add(b.name);
  });
  const allowNet = stringList(doc.allow_net, 'allow_net', file);
  const futureKeywords = stringList(doc.future_keywords, 'future_keywords', file);
  const features = stringList(doc.features, 'features', file);
  return {
    builtins,
    ...(allowNet ? { allowNet } : {}),
    ...(futureKeywords ? { futureKeywords } : {}),
    ...(features ? { features } : {}),
  };
}

/** The capabilities of this engine, in OPA's format (what `opa capabilities --current` prints). */
export function currentCapabilities(): Record<string, unknown> {
  return {
    builtins: catalog.map((b) => ({
      name: b.name,
      decl: b.decl,
      ...(b.infix ? { infix: b.infix } : {}),
      ...(b.nondeterministic ? { nondeterministic: true } : {}),
    })),
    future_keywords: ['contains', 'every', 'if', 'in'],
    features: ['rule_head_ref_string_prefixes', 'rule_head_refs', 'rego_v1'],
  };
}
