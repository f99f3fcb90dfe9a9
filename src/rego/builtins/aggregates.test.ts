import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RSet, type Value } from '../value.ts';
import { OperandError } from './builtin.ts';

import { builtins } from './aggregates.ts';
import { jsonCaller } from './test-support.ts';

const call = jsonCaller(builtins);

function set(...items: Value[]): RSet {
  return RSet.from(items);
}

test('count counts elements, keys and code points', () => {
  assert.equal(call('count', '[1,2,3,4]'), '4');
  assert.equal(call('count', '{"v1":"hello","v2":"goodbye"}'), '2');
  assert.equal(call('count', set(1, 2, 3)), '3');
  assert.equal(call('count', '"μx😀"'), '3');
  assert.throws(() => call('count', 'null'), {
    name: 'OperandError',
    message: 'operand 1 must be one of {array, object, set, string} but got null',
  });
});

test('sum and product stay exact on integers and follow big.Float otherwise', () => {
  assert.equal(call('sum', '[1,2,3,4]'), '10');
  assert.equal(call('sum', set(1, 2, 3, 4)), '10');
  assert.equal(call('sum', '[49649733057, 1]'), '49649733058');
  assert.equal(call('sum', '[9007199254740991, 2]'), '9007199254740993');
  assert.equal(call('sum', '[0.1, 0.2]'), '0.3');
  assert.equal(call('sum', '[]'), '0');
  assert.equal(call('product', '[1,2,3,4]'), '24');
  assert.equal(call('product', '[]'), '1');
  assert.equal(call('product', '[1.5, 2]'), '3');
  assert.equal(call('product', '[4294967296, 4294967296]'), '18446744073709551616');
  assert.throws(() => call('sum', '[1, "a"]'), {
    name: 'OperandError',
    message: 'operand 1 must be array of numbers but got array containing string',
  });
  assert.throws(() => call('sum', '"x"'), { message: 'operand 1 must be one of {set, array} but got string' });
});

test('max, min and sort use the Rego ordering', () => {
  assert.equal(call('max', '[1,2,3,4]'), '4');
  assert.equal(call('max', '[1,"a",null]'), '"a"');
  assert.equal(call('min', '[3, 1.5, 2]'), '1.5');
  assert.equal(call('max', '[]'), 'undefined');
  assert.equal(call('min', set()), 'undefined');
  assert.equal(call('sort', '[3, "b", null, [1], 1, "a", false]'), '[null,false,1,3,"a","b",[1]]');
  assert.equal(call('sort', set(3, 1, 2)), '[1,2,3]');
});

test('all and any (deprecated) look for true', () => {
  assert.equal(call('all', '[true, true]'), 'true');
  assert.equal(call('all', '[true, 1]'), 'false');
  assert.equal(call('all', '[]'), 'true');
  assert.equal(call('any', '[false, true]'), 'true');
  assert.equal(call('any', set()), 'false');
  assert.equal(call('any', set(true)), 'true');
  assert.throws(() => call('any', '1'), OperandError);
});

test('membership (internal.member_2 / internal.member_3, the `in` operator)', () => {
  assert.equal(call('internal.member_2', '1', set(1, 2)), 'true');
  assert.equal(call('internal.member_2', '1', '[0, 1.0]'), 'true');
  assert.equal(call('internal.member_2', '"b"', '{"a": "b"}'), 'true');
  assert.equal(call('internal.member_2', '"a"', '{"a": "b"}'), 'false');
  assert.equal(call('internal.member_2', '1', '"1"'), 'false');
  assert.equal(call('internal.member_3', '"a"', '"b"', '{"a": "b"}'), 'true');
  assert.equal(call('internal.member_3', '1', '"y"', '["x", "y"]'), 'true');
  assert.equal(call('internal.member_3', '2', '"y"', '["x", "y"]'), 'false');
  assert.equal(call('internal.member_3', '1', '1', set(1)), 'true');
  assert.equal(call('internal.member_3', '1', '2', set(1)), 'false');
});
