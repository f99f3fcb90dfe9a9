// Rego builtins of the "array" category: array.concat, array.slice, array.reverse.
import { toBigInt, typeName, isNumber, type Value } from '../value.ts';
import { OperandError, type BuiltinGroup } from './builtin.ts';
import { arr } from './operands.ts';

/** An integer operand as a JS number (OPA's IntOperand); huge values saturate, which only matters for clamping. */
export function intOperand(args: Value[], i: number): number {
  const v = args[i] as Value;
  if (!isNumber(v)) throw new OperandError(i + 1, `operand ${i + 1} must be number but got ${typeName(v)}`);
  const b = toBigInt(v);
  if (b === undefined)
    throw new OperandError(i + 1, `operand ${i + 1} must be integer number but got floating-point number`);
  return Number(b);
}

export const builtins: BuiltinGroup = {
  'array.concat': (args) => {
    const a = arr(args, 0);
    const b = arr(args, 1);
    return a.length === 0 ? b : b.length === 0 ? a : a.concat(b);
  },
  'array.slice': (args) => {
    const a = arr(args, 0);
    let start = intOperand(args, 1);
    let stop = intOperand(args, 2);
    if (stop < 0) stop = 0;
    else if (stop > a.length) stop = a.length;
    if (start < 0) start = 0;
    else if (start > stop) start = stop;
    return a.slice(start, stop);
  },
  'array.reverse': (args) => arr(args, 0).slice().reverse(),
};
