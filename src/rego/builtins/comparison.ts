// Rego builtins of the "comparison" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
