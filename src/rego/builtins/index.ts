// The registry of builtin implementations: every category file merged into one table. Declarations
// (names, categories, signatures) live in catalog.ts; lookups for a name in neither mean "unknown function".
import type { BuiltinGroup, BuiltinImpl } from './builtin.ts';
import { catalog, type BuiltinEntry } from './catalog.ts';
import { builtins as aggregates } from './aggregates.ts';
import { builtins as arrays } from './arrays.ts';
import { builtins as bits } from './bits.ts';
import { builtins as comparison } from './comparison.ts';
import { builtins as conversions } from './conversions.ts';
import { builtins as casts } from './casts.ts';
import { builtins as encoding } from './encoding.ts';
import { builtins as glob } from './glob.ts';
import { builtins as graph } from './graph.ts';
import { builtins as numbers } from './numbers.ts';
import { builtins as objects } from './objects.ts';
import { builtins as regex } from './regex.ts';
import { builtins as semver } from './semver.ts';
import { builtins as sets } from './sets.ts';
import { builtins as strings } from './strings.ts';
import { builtins as time } from './time.ts';
import { builtins as types } from './types.ts';
import { builtins as units } from './units.ts';
import { builtins as uuid } from './uuid.ts';
import { builtins as net } from './net.ts';
import { builtins as json } from './json.ts';
import { builtins as tracing } from './tracing.ts';
import { builtins as crypto } from './crypto.ts';
import { builtins as tokens } from './tokens.ts';
import { builtins as graphql } from './graphql.ts';
import { builtins as http } from './http.ts';
import { builtins as opa } from './opa.ts';
import { builtins as providersAws } from './providers-aws.ts';
import { builtins as rego } from './rego.ts';

const groups: BuiltinGroup[] = [
  aggregates,
  arrays,
  bits,
  comparison,
  conversions,
  casts,
  encoding,
  glob,
  graph,
  numbers,
  objects,
  regex,
  semver,
  sets,
  strings,
  time,
  types,
  units,
  uuid,
  net,
  json,
  tracing,
  crypto,
  tokens,
  graphql,
  http,
  opa,
  providersAws,
  rego,
];

export const implementations: ReadonlyMap<string, BuiltinImpl> = new Map(groups.flatMap((g) => Object.entries(g)));

export const declarations: ReadonlyMap<string, BuiltinEntry> = new Map(catalog.map((e) => [e.name, e]));

export { BuiltinError, OperandError, type BuiltinContext, type BuiltinGroup, type BuiltinImpl } from './builtin.ts';
export type { BuiltinEntry, FunctionDecl, TypeDecl } from './catalog.ts';

/**
 * Adds a builtin that OPA does not have (e.g. Conftest's parse_config), known to the compiler and the
 * evaluator from then on — the hook embedders use, like OPA's rego.RegisterBuiltin. Registering the same
 * implementation twice is a no-op; replacing an existing builtin is refused.
 */
export function registerBuiltin(entry: BuiltinEntry, impl: BuiltinImpl): void {
  const existing = declarations.get(entry.name);
  if (existing) {
    if (implementations.get(entry.name) === impl) return;
    throw new Error(`builtin ${entry.name} is already declared`);
  }
  (declarations as Map<string, BuiltinEntry>).set(entry.name, entry);
  (implementations as Map<string, BuiltinImpl>).set(entry.name, impl);
}
