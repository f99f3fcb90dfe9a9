// Rego builtins of the "numbers" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
