import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJSON, RObject, RSet, toJSON, type Value } from '../value.ts';
import { BuiltinError, OperandError } from './builtin.ts';
import { builtins } from './encoding.ts';
import { caller, testContext } from './test-support.ts';

const ctx = testContext({ random: Math.random });
const call = caller(builtins, ctx);

function obj(x: Record<string, Value>): RObject {
  return RObject.from(Object.entries(x));
}

test('base64 encode/decode/is_valid (corpus base64builtins)', () => {
  assert.equal(call('base64.encode', 'hello'), 'aGVsbG8=');
  assert.equal(call('base64.encode', 'subjects?_d'), 'c3ViamVjdHM/X2Q=');
  assert.equal(call('base64.decode', 'dGhlcmU='), 'there');
  assert.equal(call('base64.decode', 'c3ViamVjdHM/X2Q='), 'subjects?_d');
  assert.equal(call('base64.is_valid', 'aGVsbG8='), true);
  assert.equal(call('base64.is_valid', "{'not':'base64'}"), false);
  assert.equal(call('base64.is_valid', 1), false);
  // Go requires padding and reports the offending byte.
  assert.throws(() => call('base64.decode', 'aGVsbG8'), { message: 'illegal base64 data at input byte 4' });
  assert.throws(() => call('base64.decode', 'aGV$bG8='), { message: 'illegal base64 data at input byte 3' });
  assert.equal(call('base64.decode', 'aGVs\nbG8='), 'hello');
  assert.throws(() => call('base64.encode', 1), OperandError);
});

test('base64url (corpus base64urlbuiltins)', () => {
  assert.equal(call('base64url.encode', 'hello'), 'aGVsbG8=');
  assert.equal(call('base64url.encode_no_pad', 'there'), 'dGhlcmU');
  assert.equal(call('base64url.decode', 'aGVsbG8='), 'hello');
  assert.equal(call('base64url.decode', 'aGVsbG8'), 'hello');
  assert.equal(call('base64url.encode', '\u00ff\u00fe?'), 'w7_Dvj8=');
  assert.throws(() => call('base64url.decode', 'aGVsb'), { message: 'illegal base64url string: aGVsb' });
});

test('hex (corpus hexbuiltins)', () => {
  assert.equal(call('hex.encode', 'lorem ipsum'), '6c6f72656d20697073756d');
  assert.equal(call('hex.decode', '6c6f72656d20697073756d'), 'lorem ipsum');
  assert.throws(
    () => call('hex.decode', 'fghijkl'),
    (e: unknown) => {
      assert.ok(e instanceof BuiltinError);
      assert.equal(e.message, "encoding/hex: invalid byte: U+0067 'g'");
      return true;
    },
  );
  assert.throws(() => call('hex.decode', 'abc'), { message: 'encoding/hex: odd length hex string' });
});

test('json.marshal uses Go encoding (sets as arrays, HTML escaping, exact numbers)', () => {
  const v = [obj({ foo: RSet.from([3, 1, 2]) })];
  assert.equal(call('json.marshal', v), '[{"foo":[1,2,3]}]');
  assert.equal(call('json.marshal', '<a&b>'), '"\\u003ca\\u0026b\\u003e"');
  assert.equal(call('json.marshal', parseJSON('[12345678901234567890123, 1.5]')), '[12345678901234567890123,1.5]');
  // Non-string keys become their JSON text and are sorted as strings.
  assert.equal(
    call(
      'json.marshal',
      RObject.from([
        [10, 'a'],
        [2, 'b'],
      ]),
    ),
    '{"10":"a","2":"b"}',
  );
});

test('json.marshal_with_options (corpus jsonbuiltins)', () => {
  const arr = [1234567890, 2000000, 1000000000];
  assert.equal(
    call('json.marshal_with_options', arr, obj({ indent: '  ' })),
    '[\n  1234567890,\n  2000000,\n  1000000000\n]',
  );
  assert.equal(call('json.marshal_with_options', arr, obj({})), '[1234567890,2000000,1000000000]');
  assert.equal(
    call('json.marshal_with_options', arr, obj({ pretty: true })),
    '[\n\t1234567890,\n\t2000000,\n\t1000000000\n]',
  );
  assert.equal(
    call('json.marshal_with_options', arr, obj({ pretty: false, prefix: 'NO!', indent: 'BAD!' })),
    '[1234567890,2000000,1000000000]',
  );
  assert.equal(
    call('json.marshal_with_options', obj({ foo: 'bar', bar: 'baz' }), obj({ prefix: 'JSON => ' })),
    'JSON => {\nJSON => \t"bar": "baz",\nJSON => \t"foo": "bar"\nJSON => }',
  );
  assert.equal(call('json.marshal_with_options', [], obj({ indent: '    ', prefix: '---' })), '---[]');
  assert.equal(call('json.marshal_with_options', [[[]]], obj({ indent: ' ' })), '[\n [\n  []\n ]\n]');
  assert.throws(
    () => call('json.marshal_with_options', [], obj({ indent: '    ', include_winning_lottery_numbers: true })),
    (e: unknown) =>
      e instanceof OperandError &&
      e.message === 'operand 2 object contained unknown key "include_winning_lottery_numbers"',
  );
});

test('json.unmarshal keeps exact numbers and reports Go errors', () => {
  const v = call('json.unmarshal', '[{"foo":[1,2,3]}, 123456789012345678901234567890]');
  assert.equal(toJSON(v as Value), '[{"foo":[1,2,3]},123456789012345678901234567890]');
  assert.throws(() => call('json.unmarshal', 1), { message: 'operand 1 must be string but got number' });
  assert.throws(() => call('json.unmarshal', '{'), { message: 'unexpected end of JSON input' });
  assert.throws(() => call('json.unmarshal', 'plainstring'), {
    message: "invalid character 'p' looking for beginning of value",
  });
  assert.throws(() => call('json.unmarshal', '[1] x'), { message: "invalid character 'x' after top-level value" });
  assert.deepEqual(
    ['plainstring', '{', '{"json": "ok"}'].map((d) => call('json.is_valid', d)),
    [false, false, true],
  );
  assert.equal(call('json.is_valid', 1), false);
});

test('yaml: YAML 1.1 scalars as OPA maps them, round trip, Go-style errors', () => {
  const v = call('yaml.unmarshal', 'a: yes\nb: 0777\nc: 2001-12-14\nd: 12345678901234567890\n1: x\ne: ~\n');
  assert.equal(toJSON(v as Value), '{"1":"x","a":true,"b":511,"c":"2001-12-14","d":12345678901234567890,"e":null}');
  const m = call('yaml.marshal', [obj({ foo: RSet.from([1, 2, 3]), bar: 'yes' })]) as string;
  assert.equal(m, '- bar: "yes"\n  foo:\n  - 1\n  - 2\n  - 3\n');
  assert.equal(toJSON(call('yaml.unmarshal', m) as Value), '[{"bar":"yes","foo":[1,2,3]}]');
  assert.throws(
    () => call('yaml.unmarshal', '[1,2,3'),
    (e: unknown) => {
      assert.ok(e instanceof BuiltinError);
      assert.match(e.message, /^yaml: line 1: did not find/);
      return true;
    },
  );
  assert.deepEqual(
    ['foo:\n   - qux: bar\n   - baz: 2', 'foo:\n   - qux: bar\n   - baz: {', '{"json": "ok"}'].map((d) =>
      call('yaml.is_valid', d),
    ),
    [true, false, true],
  );
  assert.equal(call('yaml.is_valid', 1), false);
  assert.equal(call('yaml.unmarshal', ''), null);
});

test('urlquery (corpus urlbuiltins)', () => {
  assert.equal(call('urlquery.encode', 'a=b+1'), 'a%3Db%2B1');
  assert.equal(call('urlquery.encode', "x y!'*~"), 'x+y%21%27%2A~');
  assert.equal(call('urlquery.encode', ''), '');
  assert.equal(call('urlquery.decode', 'a%3Db%2B1'), 'a=b+1');
  assert.equal(call('urlquery.decode', 'a+b'), 'a b');
  assert.throws(() => call('urlquery.decode', '%zz'), { message: 'invalid URL escape "%zz"' });
  assert.equal(call('urlquery.encode_object', obj({})), '');
  assert.equal(call('urlquery.encode_object', obj({ a: 'b', c: 'd' })), 'a=b&c=d');
  assert.equal(call('urlquery.encode_object', obj({ a: ['b+1', 'c+2'] })), 'a=b%2B1&a=c%2B2');
  assert.equal(call('urlquery.encode_object', obj({ a: RSet.from(['b+1']) })), 'a=b%2B1');
  assert.throws(() => call('urlquery.encode_object', obj({ a: 1 })), OperandError);
  assert.equal(
    toJSON(call('urlquery.decode_object', 'a=value_a1&b=value_b&a=value_a2') as Value),
    '{"a":["value_a1","value_a2"],"b":["value_b"]}',
  );
  assert.equal(toJSON(call('urlquery.decode_object', 'a=value_a1&b') as Value), '{"a":["value_a1"],"b":[""]}');
  assert.equal(toJSON(call('urlquery.decode_object', '') as Value), '{}');
});
