import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RSet, type Value } from '../value.ts';
import { OperandError } from './builtin.ts';

import { builtins } from './casts.ts';
import { jsonCaller } from './test-support.ts';

const call = jsonCaller(builtins);

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
