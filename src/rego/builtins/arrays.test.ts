import { test } from 'node:test';
import assert from 'node:assert/strict';

import { builtins } from './arrays.ts';
import { jsonCaller } from './test-support.ts';

const call = jsonCaller(builtins);

test('array.concat, array.slice (clamped), array.reverse', () => {
  assert.equal(call('array.concat', '[1, 2]', '[3]'), '[1,2,3]');
  assert.equal(call('array.concat', '[]', '[]'), '[]');
  assert.throws(() => call('array.concat', '{}', '[]'), { message: 'operand 1 must be array but got object' });
  assert.throws(() => call('array.concat', '[]', '{}'), { message: 'operand 2 must be array but got object' });
  assert.equal(call('array.slice', '[1, 2, 3, 4, 5]', '1', '3'), '[2,3]');
  assert.equal(call('array.slice', '[1, 2, 3]', '-5', '10'), '[1,2,3]');
  assert.equal(call('array.slice', '[1, 2, 3]', '2', '1'), '[]');
  assert.equal(call('array.slice', '[1, 2, 3]', '5', '10'), '[]');
  assert.throws(() => call('array.slice', '[1]', '0.5', '1'), {
    message: 'operand 2 must be integer number but got floating-point number',
  });
  assert.equal(call('array.reverse', '[1, [2], "3"]'), '["3",[2],1]');
  assert.throws(() => call('array.reverse', '{}'), { message: 'operand 1 must be array but got object' });
});
