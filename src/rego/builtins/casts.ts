// Rego builtins of the "casts" category: the deprecated cast_* functions (Rego v0 only).
import { RObject, RSet, typeName, type Value } from '../value.ts';
import { OperandError, type BuiltinGroup } from './builtin.ts';

function want(v: Value, expected: string): never {
  throw new OperandError(1, `operand 1 must be ${expected} but got ${typeName(v)}`);
}

export const builtins: BuiltinGroup = {
  cast_array: (args) => {
    const v = args[0] as Value;
    if (Array.isArray(v)) return v;
    if (v instanceof RSet) return v.values().slice();
    throw new OperandError(1, `operand 1 must be one of {array, set} but got ${typeName(v)}`);
  },
  cast_set: (args) => {
    const v = args[0] as Value;
    if (Array.isArray(v)) return RSet.from(v);
    if (v instanceof RSet) return v;
    throw new OperandError(1, `operand 1 must be one of {array, set} but got ${typeName(v)}`);
  },
  cast_string: (args) => {
    const v = args[0] as Value;
    return typeof v === 'string' ? v : want(v, 'string');
  },
  cast_boolean: (args) => {
    const v = args[0] as Value;
    return typeof v === 'boolean' ? v : want(v, 'boolean');
  },
  cast_null: (args) => {
    const v = args[0] as Value;
    return v === null ? v : want(v, 'null');
  },
  cast_object: (args) => {
    const v = args[0] as Value;
    return v instanceof RObject ? v : want(v, 'object');
  },
};
