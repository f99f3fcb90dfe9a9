import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Value } from '../value.ts';
import { BuiltinError, OperandError } from './builtin.ts';
import { builtins } from './semver.ts';
import { testContext } from './test-support.ts';

const ctx = testContext({ random: Math.random });

const compare = (a: Value, b: Value): Value | undefined => builtins['semver.compare']!([a, b], ctx);
const valid = (a: Value): Value | undefined => builtins['semver.is_valid']!([a], ctx);

test('semver.compare (corpus semvercompare)', () => {
  assert.equal(compare('1.0.0', '2.0.0'), -1);
  assert.equal(compare('2.0.0', '1.0.0'), 1);
  assert.equal(compare('1.0.0', '1.0.0'), 0);
  assert.throws(
    () => compare('1', '1.0.0'),
    (e: unknown) => e instanceof BuiltinError && e.message === 'operand 1: string "1" is not a valid SemVer',
  );
  assert.throws(() => compare('1.0.0', '1'), { message: 'operand 2: string "1" is not a valid SemVer' });
  assert.throws(() => compare(1, '1.0.0'), OperandError);
});

test('semver precedence follows semver.org §11', () => {
  const order = [
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-alpha.beta',
    '1.0.0-beta',
    '1.0.0-beta.2',
    '1.0.0-beta.11',
    '1.0.0-rc.1',
    '1.0.0',
  ];
  for (let i = 0; i + 1 < order.length; i++) {
    assert.equal(compare(order[i]!, order[i + 1]!), -1, `${order[i]} < ${order[i + 1]}`);
    assert.equal(compare(order[i + 1]!, order[i]!), 1);
  }
  // Build metadata is ignored; a leading v is accepted; numbers compare numerically.
  assert.equal(compare('v1.2.3+build.5', '1.2.3+other'), 0);
  assert.equal(compare('1.10.0', '1.9.0'), 1);
  assert.throws(() => compare('10000000000000000000.0.0', '1.0.0'), BuiltinError);
});

test('semver.is_valid (corpus semverisvalid)', () => {
  assert.equal(valid('1.0.0'), true);
  assert.equal(valid('1'), false);
  assert.equal(valid(1), false);
  assert.equal(valid('1.0.0-rc.1+meta'), true);
  assert.equal(valid('1.0.0-'), true);
  assert.equal(valid('1.0.0-rc..1'), false);
  assert.equal(valid('1.0.0+m$'), false);
  assert.equal(valid('1.0'), false);
  assert.equal(valid('1.0.x'), false);
  assert.equal(valid('9223372036854775808.0.0'), false);
  assert.equal(valid('9223372036854775807.0.0'), true);
});
