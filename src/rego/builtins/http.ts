// Rego builtins of the "http" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
