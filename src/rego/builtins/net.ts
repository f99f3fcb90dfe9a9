// Rego builtins of the "net" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
