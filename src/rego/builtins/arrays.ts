// Rego builtins of the "arrays" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
