// Rego builtins of the "casts" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
