// Rego builtins of the "sets" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
