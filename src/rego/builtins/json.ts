// Rego builtins of the "json" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
