// Rego builtins of the "glob" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
