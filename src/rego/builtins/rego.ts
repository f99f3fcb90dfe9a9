// Rego builtins of the "rego" category. `rego.parse_module` and `rego.metadata.*` need the parser and the
// rule being evaluated, so the evaluator answers them itself (src/rego/eval/evaluator.ts, specialBuiltin,
// with the AST encoding in src/rego/eval/ast-json.ts); nothing is registered here.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
