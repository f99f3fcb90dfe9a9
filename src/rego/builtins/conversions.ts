// Rego builtins of the "conversions" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
