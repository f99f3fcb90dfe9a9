import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RSet, type Value } from '../value.ts';

import { builtins } from './sets.ts';
import { jsonCaller } from './test-support.ts';

const call = jsonCaller(builtins);

function set(...items: Value[]): RSet {
  return RSet.from(items);
}

test('set operators and n-ary intersection/union', () => {
  assert.equal(call('and', set(1, 2, 3), set(2, 3, 4)), '[2,3]');
  assert.equal(call('or', set(1, 2), set(2, 3)), '[1,2,3]');
  assert.equal(call('set_diff', set(1, 2, 3), set(2)), '[1,3]');
  assert.equal(call('intersection', set(set(1, 2, 3), set(2, 3), set(3, 9))), '[3]');
  assert.equal(call('intersection', set()), '[]');
  assert.equal(call('union', set(set(1), set(2, 3), set())), '[1,2,3]');
  assert.equal(call('union', set()), '[]');
  assert.throws(() => call('and', set(), '[]'), { message: 'operand 2 must be set but got array' });
  assert.throws(() => call('union', set(1)), { message: 'operand 1 must be set but got number' });
});
