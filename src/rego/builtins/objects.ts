// Rego builtins of the "objects" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
