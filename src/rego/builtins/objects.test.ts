import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RSet, type Value } from '../value.ts';
import { OperandError } from './builtin.ts';

import { builtins } from './objects.ts';
import { jsonCaller } from './test-support.ts';

const call = jsonCaller(builtins);

function set(...items: Value[]): RSet {
  return RSet.from(items);
}

test('object.get with keys and paths', () => {
  assert.equal(call('object.get', '{"a": "b"}', '"a"', '"c"'), '"b"');
  assert.equal(call('object.get', '{"a": "b"}', '"x"', '"c"'), '"c"');
  assert.equal(call('object.get', '{"a": {"b": [1, {"c": true}]}}', '["a", "b", 1, "c"]', 'false'), 'true');
  assert.equal(call('object.get', '{"a": {"b": [1]}}', '["a", "b", 5]', '"d"'), '"d"');
  assert.equal(call('object.get', '{"a": 1}', '[]', '"d"'), '{"a":1}');
  assert.equal(call('object.get', '{"a": false}', '"a"', 'true'), 'false');
  assert.throws(() => call('object.get', '"x"', '"a"', '1'), { message: 'operand 1 must be object but got string' });
});

test('object.keys, union, union_n', () => {
  assert.equal(call('object.keys', '{"b": 1, "a": 2}'), '["a","b"]');
  assert.equal(
    call('object.union', '{"a": {"b": 1, "c": 2}, "d": 1}', '{"a": {"b": 3}, "e": 4}'),
    '{"a":{"b":3,"c":2},"d":1,"e":4}',
  );
  assert.equal(call('object.union', '{"a": {"b": 1}}', '{"a": 2}'), '{"a":2}');
  assert.throws(() => call('object.union', '[]', '{}'), { message: 'operand 1 must be object but got array' });
  assert.equal(call('object.union_n', '[{"a": {"b": 2}}, {"a": 4}, {"a": {"c": 3}}]'), '{"a":{"c":3}}');
  assert.equal(call('object.union_n', '[{"a": 1}, {"b": 2}, {"a": 3}]'), '{"a":3,"b":2}');
  assert.equal(call('object.union_n', '[]'), '{}');
  assert.throws(() => call('object.union_n', '[{}, 1]'), {
    message: 'operand 1 must be array of objects but got array containing number',
  });
});

test('object.filter and object.remove take arrays, sets or objects of keys', () => {
  assert.equal(call('object.filter', '{"a": 1, "b": 2, "c": 3}', '["a", "c", "x"]'), '{"a":1,"c":3}');
  assert.equal(call('object.filter', '{"a": 1, "b": 2}', set('b')), '{"b":2}');
  assert.equal(call('object.filter', '{"a": 1, "b": 2}', '{"a": "ignored"}'), '{"a":1}');
  assert.equal(call('object.remove', '{"a": 1, "b": 2, "c": 3}', '["a", "c"]'), '{"b":2}');
  assert.throws(() => call('object.remove', '{}', '"a"'), {
    message: 'operand 2 must be one of {object, set, array} but got string',
  });
  assert.throws(() => call('object.filter', 'null', '[]'), { message: 'operand 1 must be object but got null' });
});

test('object.subset recurses into objects, sets and arrays', () => {
  assert.equal(call('object.subset', '{"a": {"b": 1, "c": 2}, "d": 3}', '{"a": {"b": 1}}'), 'true');
  assert.equal(call('object.subset', '{"a": {"b": 1}}', '{"a": {"b": 2}}'), 'false');
  assert.equal(call('object.subset', '{"a": [1, 2, 3, 4]}', '{"a": [2, 3]}'), 'true');
  assert.equal(call('object.subset', '{"a": [1, 2, 3, 4]}', '{"a": [2, 4]}'), 'false');
  assert.equal(call('object.subset', set(1, 2, 3), set(1, 3)), 'true');
  assert.equal(call('object.subset', '[1, 2, 3]', set(3, 1)), 'true');
  assert.equal(call('object.subset', '[1, 2, 3]', set(4)), 'false');
  assert.equal(call('object.subset', '[1, 2, 3]', '[1, 2, 3]'), 'true');
  assert.throws(() => call('object.subset', '{}', '[]'), OperandError);
});
