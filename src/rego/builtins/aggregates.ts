// Rego builtins of the "aggregates" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
