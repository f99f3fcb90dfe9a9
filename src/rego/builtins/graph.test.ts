import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RObject, RSet, toJSON, type Value } from '../value.ts';
import { OperandError } from './builtin.ts';
import { builtins } from './graph.ts';
import { testContext } from './test-support.ts';

const ctx = testContext({ random: Math.random });

const g = (x: Record<string, Value>): RObject => RObject.from(Object.entries(x));
const call = (name: string, ...args: Value[]): string => toJSON(builtins[name]!(args, ctx) as Value);

test('graph.reachable (corpus reachable)', () => {
  assert.equal(call('graph.reachable', new RObject(), RSet.from(['a'])), '[]');
  const cycle = g({ a: RSet.from(['b']), b: RSet.from(['c']), c: RSet.from(['a']) });
  assert.equal(call('graph.reachable', cycle, RSet.from(['a'])), '["a","b","c"]');
  const comps = g({
    a: RSet.from(['b', 'c']),
    b: RSet.from(['d']),
    c: RSet.from(['d']),
    d: new RSet(),
    e: RSet.from(['f']),
    f: RSet.from(['e']),
    x: RSet.from(['x']),
  });
  assert.equal(call('graph.reachable', comps, RSet.from(['b', 'e'])), '["b","d","e","f"]');
  assert.equal(call('graph.reachable', g({ a: ['b'], b: ['c'], c: ['a'] }), ['a']), '["a","b","c"]');
  assert.equal(call('graph.reachable', g({ a: null }), ['a']), '["a"]');
  assert.throws(() => call('graph.reachable', 1, [1]), OperandError);
  assert.throws(() => call('graph.reachable', g({ a: [] }), 'a'), {
    message: 'operand 2 must be {array, set} but got string',
  });
});

test('graph.reachable_paths (corpus reachable)', () => {
  assert.equal(call('graph.reachable_paths', new RObject(), RSet.from(['a'])), '[]');
  const cycle = g({ a: RSet.from(['b']), b: RSet.from(['c']), c: RSet.from(['a']) });
  assert.equal(call('graph.reachable_paths', cycle, RSet.from(['a'])), '[["a","b","c"]]');
  const comps = g({
    a: RSet.from(['b', 'c']),
    b: RSet.from(['d']),
    c: RSet.from(['d']),
    d: new RSet(),
    e: RSet.from(['f']),
    f: RSet.from(['e']),
    x: RSet.from(['x']),
  });
  assert.equal(call('graph.reachable_paths', comps, RSet.from(['b', 'e'])), '[["b","d"],["e","f"]]');
  assert.equal(call('graph.reachable_paths', g({ a: ['b'], b: ['c'], c: ['a'] }), ['a']), '[["a","b","c"]]');
  assert.equal(call('graph.reachable_paths', g({ a: null }), ['a']), '[["a"]]');
  assert.equal(
    call('graph.reachable_paths', g({ a: ['b', 'c'], b: ['c'], c: [] }), RSet.from(['a'])),
    '[["a","b","c"],["a","c"]]',
  );
  // Nodes reached on an earlier branch end later paths (corpus reachable_paths/cycle_1022_3).
  const g3 = g({
    one: ['two', 'five'],
    two: ['four'],
    three: [''],
    four: ['three'],
    five: ['seven', 'six'],
    six: ['nine', 'seven'],
    seven: ['eight'],
    eight: ['three'],
    nine: [''],
  });
  assert.equal(
    call('graph.reachable_paths', g3, RSet.from(['one'])),
    '[["one","five","seven","eight","three"],["one","five","six"],["one","five","six","nine"],["one","two","four","three"]]',
  );
  // A neighbour missing from the graph ends the path before it.
  assert.equal(call('graph.reachable_paths', g({ a: ['z'] }), ['a']), '[["a"]]');
  assert.throws(() => call('graph.reachable_paths', g({ a: [] }), 'a'), OperandError);
});
