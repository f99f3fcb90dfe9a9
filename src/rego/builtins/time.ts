// Rego builtins of the "time" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
