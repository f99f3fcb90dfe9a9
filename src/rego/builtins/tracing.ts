// Rego builtins of the "tracing" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
