import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OperandError } from './builtin.ts';

import { builtins } from './conversions.ts';
import { jsonCaller } from './test-support.ts';

const call = jsonCaller(builtins);

test('to_number accepts what strconv.ParseFloat accepts', () => {
  assert.equal(call('to_number', '"-42.0"'), '-42');
  assert.equal(call('to_number', 'false'), '0');
  assert.equal(call('to_number', 'true'), '1');
  assert.equal(call('to_number', 'null'), '0');
  assert.equal(call('to_number', '100.1'), '100.1');
  assert.equal(call('to_number', '"+1.5e2"'), '150');
  assert.equal(call('to_number', '".5"'), '0.5');
  assert.equal(call('to_number', '"007"'), '7');
  assert.equal(call('to_number', '"12345678901234567890"'), '12345678901234567890');
  assert.throws(() => call('to_number', '"broken"'), { name: 'BuiltinError', message: /invalid syntax/ });
  assert.throws(() => call('to_number', '" 1"'), { message: /invalid syntax/ });
  assert.throws(() => call('to_number', '"1e400"'), { message: /value out of range/ });
  for (const s of ['nan', 'NaN', 'inf', '-Infinity', '+inf'])
    assert.throws(() => call('to_number', JSON.stringify(s)), OperandError);
  assert.throws(() => call('to_number', '[]'), {
    message: 'operand 1 must be one of {null, boolean, number, string} but got array',
  });
});
