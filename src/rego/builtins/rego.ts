// Rego builtins of the "rego" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
