// Rego builtins of the "uuid" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
