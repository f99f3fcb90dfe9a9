// Rego builtins of the "opa" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
