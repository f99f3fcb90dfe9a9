// Typed access to builtin operands with OPA's error messages ("operand 2 must be string but got number").

import { BigNum, isNumber, RObject, RSet, toBigInt, typeName, type Value } from '../value.ts';
import { OperandError } from './builtin.ts';

function fail(pos: number, want: string, got: Value): never {
  throw new OperandError(pos, `operand ${pos} must be ${want} but got ${typeName(got)}`);
}

function arg(args: Value[], i: number): Value {
  const v = args[i];
  if (v === undefined) throw new OperandError(i + 1, `operand ${i + 1} missing`);
  return v;
}

/** The i-th operand (0-based) as a string. */
export function str(args: Value[], i: number): string {
  const v = arg(args, i);
  return typeof v === 'string' ? v : fail(i + 1, 'string', v);
}

export function num(args: Value[], i: number): number | BigNum {
  const v = arg(args, i);
  return isNumber(v) ? v : fail(i + 1, 'number', v);
}

/** A number operand that must be an integer; returns it as a bigint. */
export function int(args: Value[], i: number): bigint {
  const n = num(args, i);
  const b = toBigInt(n);
  if (b === undefined)
    throw new OperandError(i + 1, `operand ${i + 1} must be integer number but got floating-point number`);
  return b;
}

export function bool(args: Value[], i: number): boolean {
  const v = arg(args, i);
  return typeof v === 'boolean' ? v : fail(i + 1, 'boolean', v);
}

export function arr(args: Value[], i: number): Value[] {
  const v = arg(args, i);
  return Array.isArray(v) ? v : fail(i + 1, 'array', v);
}

export function obj(args: Value[], i: number): RObject {
  const v = arg(args, i);
  return v instanceof RObject ? v : fail(i + 1, 'object', v);
}

export function set(args: Value[], i: number): RSet {
  const v = arg(args, i);
  return v instanceof RSet ? v : fail(i + 1, 'set', v);
}

/** An operand that may be one of several types, e.g. `oneOf(args, 0, ['array', 'set'])`. */
export function oneOf(args: Value[], i: number, types: ReturnType<typeof typeName>[]): Value {
  const v = arg(args, i);
  if (types.includes(typeName(v))) return v;
  return fail(i + 1, `one of {${[...types].sort().join(', ')}}`, v);
}

/** The elements of an array or set operand. */
export function elements(args: Value[], i: number): Value[] {
  const v = oneOf(args, i, ['array', 'set']);
  return Array.isArray(v) ? v : (v as RSet).values();
}
