import { test } from 'node:test';
import assert from 'node:assert/strict';

import { builtins } from './bits.ts';
import { jsonCaller } from './test-support.ts';

const call = jsonCaller(builtins);

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
