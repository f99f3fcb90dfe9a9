import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJSON, RSet, toJSON, type Value } from '../value.ts';
import { type BuiltinContext } from './builtin.ts';

import { builtins } from './types.ts';

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
