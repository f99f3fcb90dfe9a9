// Rego builtins of the "regex" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
