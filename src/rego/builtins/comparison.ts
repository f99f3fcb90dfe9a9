// Rego builtins of the "comparison" category: equal, neq, lt, lte, gt, gte (OPA's total order over values).
import { compare, equal, type Value } from '../value.ts';
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {
  equal: (args) => equal(args[0] as Value, args[1] as Value),
  neq: (args) => !equal(args[0] as Value, args[1] as Value),
  lt: (args) => compare(args[0] as Value, args[1] as Value) < 0,
  lte: (args) => compare(args[0] as Value, args[1] as Value) <= 0,
  gt: (args) => compare(args[0] as Value, args[1] as Value) > 0,
  gte: (args) => compare(args[0] as Value, args[1] as Value) >= 0,
};
