import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJSON, toJSON, type Value } from '../value.ts';
import type { BuiltinContext } from './builtin.ts';

import { builtins } from './bits.ts';

const ctx: BuiltinContext = {
  location: undefined,
  cache: new Map(),
  nowNs: 0n,
  allowNet: false,
  print: () => {},
  random: () => 0.5,
};

/** Calls a builtin with operands given as JSON text; returns the result as JSON text (or 'undefined'). */
function call(name: string, ...args: (string | Value)[]): string {
  const f = builtins[name];
  assert.ok(f, `${name} is implemented`);
  const r = f(
    args.map((a) => (typeof a === 'string' ? parseJSON(a) : a)),
    ctx,
  );
  return r === undefined ? 'undefined' : toJSON(r);
}

test('bitwise operations on arbitrary-precision integers', () => {
  assert.equal(call('bits.and', '5', '3'), '1');
  assert.equal(call('bits.or', '5', '3'), '7');
  assert.equal(call('bits.xor', '5', '3'), '6');
  assert.equal(call('bits.negate', '42'), '-43');
  assert.equal(call('bits.negate', '-1'), '0');
  assert.equal(call('bits.lsh', '1', '3'), '8');
  assert.equal(call('bits.lsh', '2147483647', '1'), '4294967294');
  assert.equal(call('bits.lsh', '9223372036854775807', '1'), '18446744073709551614');
  assert.equal(call('bits.rsh', '8', '3'), '1');
  assert.equal(call('bits.rsh', '-8', '1'), '-4');
  assert.equal(call('bits.and', '18446744073709551615', '255'), '255');
  assert.throws(() => call('bits.and', '1.5', '1'), {
    name: 'OperandError',
    message: 'operand 1 must be integer number but got floating-point number',
  });
  assert.throws(() => call('bits.lsh', '7', '-1'), {
    message: 'operand 2 must be an unsigned integer number but got a negative integer',
  });
});

test('bits operands must be integers; huge shifts are bounded', () => {
  assert.throws(() => call('bits.or', '"a"', '1'), { message: 'operand 1 must be integer but got string' });
  assert.equal(call('bits.rsh', '5', '100000000000'), '0');
  assert.equal(call('bits.rsh', '-5', '100000000000'), '-1');
  assert.equal(call('bits.lsh', '0', '100000000000'), '0');
  assert.throws(() => call('bits.lsh', '1', '100000000000'), { name: 'BuiltinError' });
});
