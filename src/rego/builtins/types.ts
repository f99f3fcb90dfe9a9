// Rego builtins of the "types" category: is_<type> and type_name.
import { BigNum, RObject, RSet, typeName, type Value } from '../value.ts';
import type { BuiltinGroup } from './builtin.ts';

export const builtins: BuiltinGroup = {
  is_number: (args) => typeof args[0] === 'number' || args[0] instanceof BigNum,
  is_string: (args) => typeof args[0] === 'string',
  is_boolean: (args) => typeof args[0] === 'boolean',
  is_array: (args) => Array.isArray(args[0]),
  is_set: (args) => args[0] instanceof RSet,
  is_object: (args) => args[0] instanceof RObject,
  is_null: (args) => args[0] === null,
  type_name: (args) => typeName(args[0] as Value),
};
