// Rego builtins of the "types" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
