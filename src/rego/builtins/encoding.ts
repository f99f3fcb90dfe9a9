// Rego builtins of the "encoding" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
