// Rego builtins of the "semver" category.
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {};
