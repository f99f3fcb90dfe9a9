import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJSON, RSet, toJSON, type Value } from '../value.ts';
import { type BuiltinContext } from './builtin.ts';

import { builtins } from './comparison.ts';

const ctx: BuiltinContext = {
  location: undefined,
  cache: new Map(),
  nowNs: 0n,
  allowNet: false,
  print: () => {},
  random: () => 0.5,
};

/** Calls a builtin with operands given as JSON text; returns the result as JSON text (or 'undefined'). */
function call(name: string, ...args: (string | Value)[]): string {
  const f = builtins[name];
  assert.ok(f, `${name} is implemented`);
  const r = f(
    args.map((a) => (typeof a === 'string' ? parseJSON(a) : a)),
    ctx,
  );
  return r === undefined ? 'undefined' : toJSON(r);
}

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
