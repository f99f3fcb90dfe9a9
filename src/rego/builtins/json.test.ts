import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RObject, RSet, type Value } from '../value.ts';
import { BuiltinError } from './builtin.ts';

import { builtins } from './json.ts';
import { jsonCaller } from './test-support.ts';

const call = jsonCaller(builtins);

function set(...items: Value[]): RSet {
  return RSet.from(items);
}

test('json.filter keeps the given paths', () => {
  assert.equal(call('json.filter', '{"a": {"b": 1, "c": 2}, "d": 3}', '["a/b", "d"]'), '{"a":{"b":1},"d":3}');
  assert.equal(call('json.filter', '{"a": [{"x": 1, "y": 2}, 5]}', '["a/0/x"]'), '{"a":[{"x":1}]}');
  assert.equal(call('json.filter', '{"a": {"b": 1}}', '[["a", "b"]]'), '{"a":{"b":1}}');
  assert.equal(call('json.filter', '{"a/b": 1, "c~d": 2}', set('a~1b', 'c~0d')), '{"a/b":1,"c~d":2}');
  assert.equal(call('json.filter', '{"a": 1}', '[]'), '{}');
  assert.throws(() => call('json.filter', '{}', '"a"'), {
    message: 'operand 2 must be one of {set, array} but got string',
  });
});

test('json.remove drops the given paths', () => {
  assert.equal(call('json.remove', '{"a": {"b": 1, "c": 2}, "d": 3}', '["a/b"]'), '{"a":{"c":2},"d":3}');
  assert.equal(call('json.remove', '{"a": [1, 2, 3]}', '["a/1"]'), '{"a":[1,3]}');
  assert.equal(call('json.remove', '{"a": 1}', '[]'), '{"a":1}');
  assert.throws(() => call('json.remove', '[]', '[]'), { message: 'operand 1 must be object but got array' });
  assert.throws(() => call('json.remove', '{}', '[1]'), {
    message: 'operand 2 must be one of {set, array} containing string paths or array of path segments but got number',
  });
});

test('json.patch applies RFC 6902 operations, undefined on failure', () => {
  assert.equal(
    call('json.patch', '{"foo": "bar"}', '[{"op": "add", "path": "/baz", "value": "qux"}]'),
    '{"baz":"qux","foo":"bar"}',
  );
  assert.equal(
    call('json.patch', '{"foo": ["bar", "baz"]}', '[{"op": "add", "path": "/foo/1", "value": "qux"}]'),
    '{"foo":["bar","qux","baz"]}',
  );
  assert.equal(
    call('json.patch', '{"foo": ["bar"]}', '[{"op": "add", "path": "/foo/-", "value": 1}]'),
    '{"foo":["bar",1]}',
  );
  assert.equal(
    call(
      'json.patch',
      '{"foo": ["all", "grass", "cows", "eat"]}',
      '[{"op": "move", "from": "/foo/1", "path": "/foo/3"}]',
    ),
    '{"foo":["all","cows","eat","grass"]}',
  );
  assert.equal(
    call(
      'json.patch',
      '{"a": 1}',
      '[{"op": "copy", "from": "/a", "path": "/b"}, {"op": "replace", "path": "/a", "value": 2}]',
    ),
    '{"a":2,"b":1}',
  );
  assert.equal(
    call('json.patch', '{"/": 9, "~1": 10}', '[{"op": "test", "path": "/~01", "value": 10}]'),
    '{"/":9,"~1":10}',
  );
  assert.equal(call('json.patch', '{"a": 1}', '[{"op": "add", "path": "", "value": [1]}]'), '[1]');
  for (const bad of [
    '[{"op": "test", "path": "/baz", "value": "bar"}]',
    '[{"op": "add", "path": "/baz/bat", "value": "qux"}]',
    '[{"op": "add", "path": "/bar/8", "value": 5}]',
    '[{"op": "remove", "path": "/nope"}]',
    '[{"op": "spam", "path": "/foo"}]',
    '[{"op": "add", "value": 1}]',
    '[{"op": "add", "path": "/foo"}]',
    '[{"op": "test", "path": "/bar/01", "value": 2}]',
    '[{"op": "test", "path": "/bar/1e0", "value": 2}]',
  ]) {
    assert.equal(call('json.patch', '{"baz": "qux", "bar": [1, 2]}', bad), 'undefined', bad);
  }
  // Sets are addressed by their elements.
  const doc = RObject.from([['foo', set('a', 'b', 'c')]]);
  assert.equal(call('json.patch', doc, '[{"op": "remove", "path": "foo/b"}]'), '{"foo":["a","c"]}');
  assert.equal(call('json.patch', doc, '[{"op": "add", "path": "foo/d", "value": "d"}]'), '{"foo":["a","b","c","d"]}');
  assert.equal(call('json.patch', doc, '[{"op": "add", "path": "foo/d", "value": "e"}]'), 'undefined');
  assert.equal(call('json.patch', set([1]), '[{"op": "add", "path": [[1], 1], "value": 2}]'), '[[1,2]]');
});

test('json.verify_schema and json.match_schema report like gojsonschema', () => {
  assert.equal(call('json.verify_schema', '"{\\"type\\": \\"boolean\\"}"'), '[true,null]');
  assert.equal(call('json.verify_schema', '{"type": "boolean"}'), '[true,null]');
  assert.equal(
    call('json.verify_schema', '{"type": "unknown_type"}'),
    JSON.stringify([
      false,
      'jsonschema: has a primitive type that is NOT VALID -- given: /unknown_type/ Expected valid values are:[array boolean integer number null object string]',
    ]),
  );
  assert.equal(call('json.verify_schema', '"{"'), '[false,"jsonschema: invalid JSON string"]');
  const schema =
    '{"properties": {"id": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2}}, "required": ["id"], "additionalProperties": false}';
  assert.equal(call('json.match_schema', '{"id": 5}', schema), '[true,[]]');
  assert.equal(call('json.match_schema', '"{\\"id\\": 5}"', schema), '[true,[]]');
  assert.equal(
    call('json.match_schema', '{"id": "foo"}', schema),
    '[false,[{"desc":"Invalid type. Expected: integer, given: string","error":"id: Invalid type. Expected: integer, given: string","field":"id","type":"invalid_type"}]]',
  );
  const r = JSON.parse(call('json.match_schema', '{"tags": ["a", 1, "c"], "x": 1}', schema)) as [
    boolean,
    { error: string }[],
  ];
  assert.equal(r[0], false);
  assert.deepEqual(r[1].map((e) => e.error).sort(), [
    '(root): Additional property x is not allowed',
    '(root): id is required',
    'tags.1: Invalid type. Expected: string, given: integer',
    'tags: Array must have at most 2 items',
  ]);
  assert.throws(() => call('json.match_schema', '{}', '{"type": "unknown"}'), BuiltinError);
  assert.throws(() => call('json.match_schema', '5', '{}'), { message: 'wrong type, expected string or object' });
  const fmt = '{"properties": {"d": {"format": "date-time"}, "ip": {"format": "ipv4"}, "v6": {"format": "ipv6"}}}';
  assert.equal(
    call('json.match_schema', '{"d": "2024-02-29T10:00:00Z", "ip": "10.0.0.1", "v6": "::1"}', fmt),
    '[true,[]]',
  );
  const bad = JSON.parse(
    call('json.match_schema', '{"d": "2023-02-29T10:00:00Z", "ip": "10.0.0.256", "v6": "1::2::3"}', fmt),
  ) as [boolean, { error: string }[]];
  assert.deepEqual(
    bad[1].map((e) => e.error),
    ["d: Does not match format 'date-time'", "ip: Does not match format 'ipv4'", "v6: Does not match format 'ipv6'"],
  );
  assert.equal(
    call('json.match_schema', '"7"', '{"minimum": 1, "maximum": 4, "multipleOf": 2}'),
    '[false,[{"desc":"Must be a multiple of 2","error":"(root): Must be a multiple of 2","field":"(root)","type":"multiple_of"},{"desc":"Must be less than or equal to 4","error":"(root): Must be less than or equal to 4","field":"(root)","type":"number_lte"}]]',
  );
});
