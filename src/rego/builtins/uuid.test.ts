import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toJSON, type Value } from '../value.ts';
import type { BuiltinContext } from './builtin.ts';
import { builtins } from './uuid.ts';

function context(seed: number): BuiltinContext {
  let s = seed;
  return {
    location: undefined,
    cache: new Map(),
    nowNs: 0n,
    allowNet: false,
    print: () => {},
    random: () => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s / 2147483648;
    },
  };
}

test('uuid.rfc4122 is a v4 UUID, stable per key within a query', () => {
  const ctx = context(1);
  const f = builtins['uuid.rfc4122']!;
  const a = f(['k1'], ctx) as string;
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(f(['k1'], ctx), a);
  assert.notEqual(f(['k2'], ctx), a);
  // A new query (new cache) draws again; the same seed gives the same value.
  assert.equal(f(['k1'], context(1)), a);
  assert.notEqual(f(['k1'], context(2)), a);
});

test('uuid.parse (corpus uuid)', () => {
  const parse = (s: Value): string => toJSON(builtins['uuid.parse']!([s], context(0)) as Value);
  assert.equal(parse('{00000000-0000-4000-8000-000000000000}'), '{"variant":"RFC4122","version":4}');
  assert.equal(parse('00000000-0000-4000-8000-000000000000'), '{"variant":"RFC4122","version":4}');
  const v2 =
    '{"clocksequence":12800,"domain":"Person","id":1000,"macvariables":"local:unicast","nodeid":"32-50-96-b3-9f-47","time":1693566990121469600,"variant":"RFC4122","version":2}';
  assert.equal(parse('urn:uuid:000003e8-48b9-21ee-b200-325096b39f47'), v2);
  assert.equal(parse('000003e8-48b9-21ee-b200-325096b39f47'), v2);
  assert.equal(parse('6bea8ef2d3d33cd184e09bab06a52ece'), '{"variant":"RFC4122","version":3}');
  assert.equal(parse('38074da4-0b00-388d-9c3c-362de965547a'), '{"variant":"RFC4122","version":3}');
  assert.equal(builtins['uuid.parse']!(['not-a-uuid'], context(0)), undefined);
  assert.equal(builtins['uuid.parse']!(['38074da4-0b00-388d-9c3c_362de965547a'], context(0)), undefined);
  assert.throws(() => builtins['uuid.parse']!([123], context(0)), {
    message: 'operand 1 must be string but got number',
  });
});
