// Rego builtins of the "bits" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
