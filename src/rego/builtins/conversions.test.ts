import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJSON, toJSON, type Value } from '../value.ts';
import { OperandError, type BuiltinContext } from './builtin.ts';

import { builtins } from './conversions.ts';

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
