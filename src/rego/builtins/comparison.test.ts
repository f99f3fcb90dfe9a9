import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RSet, type Value } from '../value.ts';

import { builtins } from './comparison.ts';
import { jsonCaller } from './test-support.ts';

const call = jsonCaller(builtins);

function set(...items: Value[]): RSet {
  return RSet.from(items);
}

test('comparison builtins use Rego equality and ordering', () => {
  assert.equal(call('equal', '1', '1.0'), 'true');
  assert.equal(call('equal', '[1, {"a": 2}]', '[1, {"a": 2}]'), 'true');
  assert.equal(call('equal', set(1, 2), set(2, 1)), 'true');
  assert.equal(call('neq', '1', '"1"'), 'true');
  assert.equal(call('lt', 'null', 'false'), 'true');
  assert.equal(call('lt', '1', '"a"'), 'true');
  assert.equal(call('lt', '"a"', '[]'), 'true');
  assert.equal(call('lt', '[]', '{}'), 'true');
  assert.equal(call('lt', '{}', set()), 'true');
  assert.equal(call('lte', '2', '2'), 'true');
  assert.equal(call('gt', '12345678901234567891', '12345678901234567890'), 'true');
  assert.equal(call('gte', '0.1', '0.10'), 'true');
});
