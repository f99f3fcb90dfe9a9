// Rego builtins of the "bits" category: bits.and/or/xor/negate/lsh/rsh on arbitrary-precision integers.
import { BigNum, type Value } from '../value.ts';
import { OperandError, type BuiltinGroup } from './builtin.ts';
import { int } from './operands.ts';

function binary(op: (a: bigint, b: bigint) => bigint) {
  return (args: Value[]): Value => BigNum.fromBigInt(op(int(args, 0), int(args, 1)));
}

function shift(op: (a: bigint, b: bigint) => bigint) {
  return (args: Value[]): Value => {
    const a = int(args, 0);
    const b = int(args, 1);
    if (b < 0n) throw new OperandError(2, 'operand 2 must be an unsigned integer number but got a negative integer');
    return BigNum.fromBigInt(op(a, b));
  };
}

export const builtins: BuiltinGroup = {
  'bits.and': binary((a, b) => a & b),
  'bits.or': binary((a, b) => a | b),
  'bits.xor': binary((a, b) => a ^ b),
  'bits.negate': (args) => BigNum.fromBigInt(~int(args, 0)),
  'bits.lsh': shift((a, b) => a << b),
  'bits.rsh': shift((a, b) => a >> b),
};
