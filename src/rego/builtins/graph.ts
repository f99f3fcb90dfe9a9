// Rego builtins of the "graph" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
