// Rego builtins of the "bits" category: bits.and/or/xor/negate/lsh/rsh on arbitrary-precision integers.
import { BigNum, type Value } from '../value.ts';
import { BuiltinError, OperandError, type BuiltinGroup } from './builtin.ts';
import { bigIntOperand, bitLength } from './numbers.ts';

function binary(op: (a: bigint, b: bigint) => bigint) {
  return (args: Value[]): Value => BigNum.fromBigInt(op(bigIntOperand(args, 0), bigIntOperand(args, 1)));
}

/** Results beyond this many bits are refused rather than exhausting memory. */
const MAX_BITS = 1 << 24;

function shift(name: string, left: boolean) {
  return (args: Value[]): Value => {
    const a = bigIntOperand(args, 0);
    const b = bigIntOperand(args, 1);
    if (b < 0n) throw new OperandError(2, 'operand 2 must be an unsigned integer number but got a negative integer');
    if (a === 0n) return 0;
    if (!left) return b > BigInt(bitLength(a)) ? (a < 0n ? -1 : 0) : BigNum.fromBigInt(a >> b);
    if (b + BigInt(bitLength(a)) > BigInt(MAX_BITS)) throw new BuiltinError(`${name}: result too large`);
    return BigNum.fromBigInt(a << b);
  };
}

export const builtins: BuiltinGroup = {
  'bits.and': binary((a, b) => a & b),
  'bits.or': binary((a, b) => a | b),
  'bits.xor': binary((a, b) => a ^ b),
  'bits.negate': (args) => BigNum.fromBigInt(~bigIntOperand(args, 0)),
  'bits.lsh': shift('bits.lsh', true),
  'bits.rsh': shift('bits.rsh', false),
};
