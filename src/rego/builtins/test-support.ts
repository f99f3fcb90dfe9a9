// Shared scaffolding for the builtin unit tests: a BuiltinContext and callers for one category's group.
import assert from 'node:assert/strict';
import { parseJSON, toJSON, type Value } from '../value.ts';
import type { BuiltinContext, BuiltinGroup } from './builtin.ts';

/** A context with no network, a silent print, a fixed clock (0 unless given) and fixed randomness. */
export function testContext(overrides: Partial<BuiltinContext> = {}): BuiltinContext {
  return {
    location: undefined,
    cache: new Map(),
    nowNs: 0n,
    allowNet: false,
    print: () => {},
    random: () => 0.5,
    ...overrides,
  };
}

/** Returns `call(name, ...operands)`, which calls a builtin of `group` and returns its result. */
export function caller(group: BuiltinGroup, ctx: BuiltinContext = testContext()) {
  return (name: string, ...args: Value[]): Value | undefined => {
    const f = group[name];
    assert.ok(f, `${name} is implemented`);
    return f(args, ctx);
  };
}

/**
 * Returns `call(name, ...operands)` taking operands as JSON text (or values) and returning the result as
 * JSON text, or 'undefined'.
 */
export function jsonCaller(group: BuiltinGroup, ctx: BuiltinContext = testContext()) {
  const call = caller(group, ctx);
  return (name: string, ...args: (string | Value)[]): string => {
    const r = call(name, ...args.map((a) => (typeof a === 'string' ? parseJSON(a) : a)));
    return r === undefined ? 'undefined' : toJSON(r);
  };
}
