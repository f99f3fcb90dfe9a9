// Rego builtins of the "providers-aws" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
