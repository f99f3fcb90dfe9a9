// Rego builtins of the "units" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
