// Rego builtins of the "tokens" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
