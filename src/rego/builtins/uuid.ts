// Rego builtins of the "uuid" category. uuid.rfc4122 draws a version 4 UUID from the query's seeded randomness
// and memoises it per key for the query (as OPA caches it per operand); uuid.parse follows google/uuid's
// accepted forms and decodes time, clock sequence, node and DCE fields of version 1 and 2 UUIDs.
import { BigNum, keyOf, RObject, type Value } from '../value.ts';
import type { BuiltinContext, BuiltinGroup } from './builtin.ts';
import { str } from './operands.ts';

function hex(bytes: Uint8Array | number[], from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += (bytes[i] as number).toString(16).padStart(2, '0');
  return s;
}

export function newUUIDv4(random: () => number): string {
  const b = new Uint8Array(16);
  for (let i = 0; i < 16; i++) b[i] = Math.floor(random() * 256) & 0xff;
  b[8] = ((b[8] as number) & ~0xc0) | 0x80;
  b[6] = ((b[6] as number) & ~0xf0) | 0x40;
  return `${hex(b, 0, 4)}-${hex(b, 4, 6)}-${hex(b, 6, 8)}-${hex(b, 8, 10)}-${hex(b, 10, 16)}`;
}

function rfc4122(args: Value[], ctx: BuiltinContext): Value {
  const key = 'uuid.rfc4122:' + keyOf(args[0] as Value);
  const hit = ctx.cache.get(key);
  if (typeof hit === 'string') return hit;
  const s = newUUIDv4(ctx.random);
  ctx.cache.set(key, s);
  return s;
}

/** google/uuid's Parse: the 16 bytes, or undefined. */
export function parseUUIDBytes(s: string): Uint8Array | undefined {
  switch (s.length) {
    case 36:
      break;
    case 38:
      if (s[0] !== '{' || s[37] !== '}') return undefined;
      s = s.slice(1, 37);
      break;
    case 45:
      if (s.slice(0, 9).toLowerCase() !== 'urn:uuid:') return undefined;
      s = s.slice(9);
      break;
    case 32:
      if (!/^[0-9a-fA-F]{32}$/.test(s)) return undefined;
      return Uint8Array.from(Buffer.from(s, 'hex'));
    default:
      return undefined;
  }
  if (s[8] !== '-' || s[13] !== '-' || s[18] !== '-' || s[23] !== '-') return undefined;
  const h = s.slice(0, 8) + s.slice(9, 13) + s.slice(14, 18) + s.slice(19, 23) + s.slice(24);
  if (!/^[0-9a-fA-F]{32}$/.test(h)) return undefined;
  return Uint8Array.from(Buffer.from(h, 'hex'));
}

function variantName(b: number): string {
  if ((b & 0xc0) === 0x80) return 'RFC4122';
  if ((b & 0xe0) === 0xc0) return 'Microsoft';
  if ((b & 0xe0) === 0xe0) return 'Future';
  return 'Reserved';
}

function macVariables(b: number): string {
  if ((b & 3) === 3) return 'local:multicast';
  if ((b & 1) === 1) return 'global:multicast';
  if ((b & 2) === 2) return 'local:unicast';
  return 'global:unicast';
}

/** 100-ns intervals between 1582-10-15 and 1970-01-01. */
const G1582 = 122192928000000000n;

export function parseUUID(s: string): RObject | undefined {
  const b = parseUUIDBytes(s);
  if (!b) return undefined;
  const u = (i: number): number => b[i] as number;
  const version = u(6) >> 4;
  const out = new RObject();
  out.set('version', version);
  out.set('variant', variantName(u(8)));
  if (version === 1 || version === 2) {
    const low = BigInt(((u(0) << 24) >>> 0) + (u(1) << 16) + (u(2) << 8) + u(3));
    const mid = BigInt((u(4) << 8) | u(5));
    const hi = BigInt(((u(6) << 8) | u(7)) & 0xfff);
    const t = low | (mid << 32n) | (hi << 48n);
    const rel = t - G1582;
    // Go's integer division truncates toward zero.
    const sec = rel / 10000000n;
    const nsec = (rel % 10000000n) * 100n;
    out.set('time', BigNum.fromBigInt(sec * 1000000000n + nsec));
    out.set('clocksequence', ((u(8) << 8) | u(9)) & 0x3fff);
    out.set('nodeid', Array.from(b.subarray(10, 16), (x) => x.toString(16).padStart(2, '0')).join('-'));
    out.set('macvariables', macVariables(u(10)));
    if (version === 2) {
      out.set('id', ((u(0) << 24) >>> 0) + (u(1) << 16) + (u(2) << 8) + u(3));
      const d = u(9);
      out.set('domain', d === 0 ? 'Person' : d === 1 ? 'Group' : d === 2 ? 'Org' : `Domain${d}`);
    }
  }
  return out;
}

export const builtins: BuiltinGroup = {
  'uuid.rfc4122': rfc4122,
  'uuid.parse': (a) => parseUUID(str(a, 0)),
};
