// Rego builtins of the "strings" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
