import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJSON, RSet, toJSON, type Value } from '../value.ts';
import { OperandError, type BuiltinContext } from './builtin.ts';

import { builtins } from './casts.ts';

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

function set(...items: Value[]): RSet {
  return RSet.from(items);
}

test('deprecated cast_* functions', () => {
  assert.equal(call('cast_array', set(2, 1)), '[1,2]');
  assert.equal(call('cast_array', '[1]'), '[1]');
  assert.equal(call('cast_set', '[1, 1, 2]'), '[1,2]');
  assert.equal(call('cast_string', '"a"'), '"a"');
  assert.equal(call('cast_boolean', 'true'), 'true');
  assert.equal(call('cast_null', 'null'), 'null');
  assert.equal(call('cast_object', '{"a": 1}'), '{"a":1}');
  assert.throws(() => call('cast_array', '1'), { message: 'operand 1 must be one of {array, set} but got number' });
  assert.throws(() => call('cast_string', '1'), { message: 'operand 1 must be string but got number' });
  assert.throws(() => call('cast_null', '1'), OperandError);
});
