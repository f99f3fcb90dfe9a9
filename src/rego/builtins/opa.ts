// Rego builtins of the "opa" category. `opa.runtime` needs the evaluation's runtime configuration, so the
// evaluator answers it itself (src/rego/eval/evaluator.ts, specialBuiltin); nothing is registered here.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
