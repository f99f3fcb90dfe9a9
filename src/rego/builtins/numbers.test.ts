import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJSON, RSet, type Value } from '../value.ts';
import { BuiltinError, type BuiltinContext } from './builtin.ts';

import { builtins } from './numbers.ts';
import { jsonCaller, testContext } from './test-support.ts';

const call = jsonCaller(builtins);

function set(...items: Value[]): RSet {
  return RSet.from(items);
}

const big = (s: string): Value => parseJSON(s);

test('integer arithmetic is exact at any size', () => {
  assert.equal(call('plus', '1', '2'), '3');
  assert.equal(call('plus', '9007199254740993', '1'), '9007199254740994');
  assert.equal(call('mul', '2147483647', '2147483647'), '4611686014132420609');
  assert.equal(call('minus', big('100000000000000000000'), '1'), '99999999999999999999');
  assert.equal(call('mul', '12345678901234567890', '98765432109876543210'), '1219326311370217952237463801111263526900');
});

test('non-integer arithmetic follows Go big.Float (64-bit mantissa, shortest text)', () => {
  assert.equal(call('plus', '0.1', '0.2'), '0.3');
  assert.equal(call('minus', '0.3', '0.1'), '0.20000000000000000002');
  assert.equal(call('mul', '1.1', '1.1'), '1.21');
  assert.equal(call('plus', '1.5', '1.5'), '3');
  assert.equal(call('div', '3', '2'), '1.5');
  assert.equal(call('div', '1', '3'), '0.33333333333333333334');
  assert.equal(call('div', '10', '5'), '2');
  assert.equal(call('div', '-7', '2'), '-3.5');
});

test('division and remainder errors and signs', () => {
  assert.throws(() => call('div', '1', '0'), { name: 'BuiltinError', message: 'divide by zero' });
  assert.throws(() => call('div', '1.5', '0.0'), BuiltinError);
  assert.throws(() => call('rem', '1', '0'), { message: 'modulo by zero' });
  assert.throws(() => call('rem', '1.5', '1'), { message: 'modulo on floating-point number' });
  assert.equal(call('rem', '-5', '3'), '-2');
  assert.equal(call('rem', '5', '-3'), '2');
  assert.equal(call('rem', '10', '18446744073709551616'), '10');
  assert.equal(call('rem', '18446744073709551617', '2'), '1');
});

test('rounding functions', () => {
  assert.equal(call('round', '2.5'), '3');
  assert.equal(call('round', '-2.5'), '-3');
  assert.equal(call('round', '1.4'), '1');
  assert.equal(call('ceil', '1.2'), '2');
  assert.equal(call('ceil', '-1.5'), '-1');
  assert.equal(call('floor', '-1.5'), '-2');
  assert.equal(call('floor', '1.7'), '1');
  assert.equal(call('ceil', '2222.2222222222'), '2223');
  assert.equal(call('abs', '-3.5'), '3.5');
  assert.equal(call('abs', '-9007199254740993'), '9007199254740993');
});

test('minus works on numbers and on sets, with OPA operand errors', () => {
  assert.equal(call('minus', set(1, 2, 3), set(2)), '[1,3]');
  assert.throws(() => call('minus', '1', set()), { message: 'operand 2 must be number but got set' });
  assert.throws(() => call('minus', set(), '1'), { message: 'operand 2 must be set but got number' });
  assert.throws(() => call('minus', '"a"', '1'), { message: 'operand 1 must be one of {number, set} but got string' });
  assert.throws(() => call('plus', '1', '"a"'), { message: 'operand 2 must be number but got string' });
});

test('numbers.range and numbers.range_step', () => {
  assert.equal(call('numbers.range', '0', '3'), '[0,1,2,3]');
  assert.equal(call('numbers.range', '3', '0'), '[3,2,1,0]');
  assert.equal(call('numbers.range', '-1', '-1'), '[-1]');
  assert.equal(call('numbers.range_step', '0', '10', '3'), '[0,3,6,9]');
  assert.equal(call('numbers.range_step', '10', '0', '4'), '[10,6,2]');
  assert.equal(
    call('numbers.range', '9007199254740990', '9007199254740993'),
    '[9007199254740990,9007199254740991,9007199254740992,9007199254740993]',
  );
  assert.throws(() => call('numbers.range', '1.5', '3'), {
    message: 'operand 1 must be integer number but got floating-point number',
  });
  assert.throws(() => call('numbers.range', '0', '1000000000000'), { name: 'BuiltinError' });
  assert.throws(() => call('numbers.range_step', '0', '10', '0'), {
    message: 'numbers.range_step: step must be a positive number above zero',
  });
});

test('rand.intn is cached per (string, n) within a query', () => {
  const c = testContext();
  let i = 0;
  const seq = [0.1, 0.9];
  const rc: BuiltinContext = { ...c, random: () => seq[i++ % 2] as number };
  const f = builtins['rand.intn'] as NonNullable<(typeof builtins)['rand.intn']>;
  assert.equal(f(['x', 10], rc), 1);
  assert.equal(f(['x', 10], rc), 1);
  assert.equal(f(['x', -10], rc), 1);
  assert.equal(f(['y', 10], rc), 9);
  assert.equal(f(['x', 0], rc), 0);
});

test('ceil and floor decide on the sign of the truncated value, as OPA does', () => {
  assert.equal(call('ceil', '-1.99999'), '-1');
  assert.equal(call('floor', '-1.001'), '-2');
  assert.equal(call('ceil', '0.5'), '1');
  assert.equal(call('floor', '0.5'), '0');
  assert.equal(call('ceil', '-0.5'), '1');
  assert.equal(call('floor', '-0.5'), '0');
});
