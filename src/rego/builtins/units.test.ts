import { test } from 'node:test';
import assert from 'node:assert/strict';

import { builtins } from './units.ts';
import { jsonCaller } from './test-support.ts';

const call = jsonCaller(builtins);

test('units.parse: SI and binary suffixes, exact rationals', () => {
  assert.equal(call('units.parse', '"100K"'), '100000');
  assert.equal(call('units.parse', '"100Ki"'), '102400');
  assert.equal(call('units.parse', '"10KI"'), '10240');
  assert.equal(call('units.parse', '"1.1Ki"'), '1126.4');
  assert.equal(call('units.parse', '"500m"'), '0.5');
  assert.equal(call('units.parse', '"0.0000005M"'), '0.5');
  assert.equal(call('units.parse', '".5K"'), '500');
  assert.equal(call('units.parse', '"10Ei"'), '11529215046068469760');
  assert.equal(call('units.parse', '"\\"100TI\\""'), '109951162777600');
  assert.equal(call('units.parse', '"1e3"'), '1000');
  assert.throws(() => call('units.parse', '""'), { name: 'BuiltinError', message: 'units.parse: no amount provided' });
  assert.throws(() => call('units.parse', '"G"'), { message: 'units.parse: no amount provided' });
  assert.throws(() => call('units.parse', '"100 k"'), {
    message: 'units.parse: spaces not allowed in resource strings',
  });
  assert.throws(() => call('units.parse', '"0.0.0"'), { message: 'units.parse: could not parse amount to a number' });
  assert.throws(() => call('units.parse', '"1Q"'), { message: 'units.parse: unit Q not recognized' });
  assert.throws(() => call('units.parse', '"1e1234567"'), { message: 'units.parse: exponent too large' });
});

test('units.parse_bytes: byte units, rounded down', () => {
  assert.equal(call('units.parse_bytes', '"100kb"'), '100000');
  assert.equal(call('units.parse_bytes', '"100KiB"'), '102400');
  assert.equal(call('units.parse_bytes', '"1.1KiB"'), '1126');
  assert.equal(call('units.parse_bytes', '"100m"'), '100000000');
  assert.equal(call('units.parse_bytes', '"0"'), '0');
  assert.throws(() => call('units.parse_bytes', '""'), { message: 'units.parse_bytes: no byte amount provided' });
  assert.throws(() => call('units.parse_bytes', '"100 kb"'), {
    message: 'units.parse_bytes: spaces not allowed in resource strings',
  });
  assert.throws(() => call('units.parse_bytes', '".5.2"'), {
    message: 'units.parse_bytes: could not parse byte amount to a number',
  });
  assert.throws(() => call('units.parse_bytes', '"1zb"'), {
    message: 'units.parse_bytes: byte unit zb not recognized',
  });
});
