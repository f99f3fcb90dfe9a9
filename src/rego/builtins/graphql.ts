// Rego builtins of the "graphql" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
