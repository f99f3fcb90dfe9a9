import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RSet, type Value } from '../value.ts';

import { builtins } from './types.ts';
import { jsonCaller } from './test-support.ts';

const call = jsonCaller(builtins);

function set(...items: Value[]): RSet {
  return RSet.from(items);
}

test('is_* predicates and type_name', () => {
  const values: [string | Value, string][] = [
    ['null', 'null'],
    ['true', 'boolean'],
    ['1.5', 'number'],
    ['12345678901234567890123', 'number'],
    ['"s"', 'string'],
    ['[]', 'array'],
    ['{}', 'object'],
    [set(), 'set'],
  ];
  for (const [v, t] of values) {
    assert.equal(call('type_name', v), JSON.stringify(t));
    for (const p of ['null', 'boolean', 'number', 'string', 'array', 'object', 'set'])
      assert.equal(call(`is_${p}`, v), String(p === t), `is_${p}(${String(v)})`);
  }
});
