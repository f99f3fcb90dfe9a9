// Rego builtins of the "crypto" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
