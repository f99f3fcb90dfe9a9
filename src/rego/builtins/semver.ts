// Rego builtins of the "semver" category, with the parsing rules of OPA's internal semver package: an optional
// leading "v", MAJOR.MINOR.PATCH as Go int64s (sign and leading zeros allowed, as strconv.ParseInt allows),
// optional "-pre.release" and "+build.metadata" made of [0-9A-Za-z-] identifiers.
import { BuiltinError, type BuiltinGroup } from './builtin.ts';
import { str } from './operands.ts';

export interface SemVer {
  major: bigint;
  minor: bigint;
  patch: bigint;
  preRelease: string;
  metadata: string;
}

const IDENTIFIERS = /^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$/;
const INT64 = /^[+-]?[0-9]+$/;
const MAX = (1n << 63n) - 1n;
const MIN = -(1n << 63n);

function cut(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

function parseInt64(s: string): bigint | undefined {
  if (!INT64.test(s)) return undefined;
  const n = BigInt(s);
  return n > MAX || n < MIN ? undefined : n;
}

/** Parses a version, or returns undefined when OPA would reject it. */
export function parseSemVer(text: string): SemVer | undefined {
  const [rest, metadata] = cut(text.startsWith('v') ? text.slice(1) : text, '+');
  if (metadata !== '' && !IDENTIFIERS.test(metadata)) return undefined;
  const [version, preRelease] = cut(rest, '-');
  if (preRelease !== '' && !IDENTIFIERS.test(preRelease)) return undefined;
  const parts = version.split('.');
  if (parts.length !== 3) return undefined;
  const [major, minor, patch] = parts.map(parseInt64);
  if (major === undefined || minor === undefined || patch === undefined) return undefined;
  return { major, minor, patch, preRelease, metadata };
}

function isAllDecimals(s: string): boolean {
  return /^[0-9]+$/.test(s);
}

/** Go's strconv.Atoi, which yields 0 on overflow errors (OPA ignores the error). */
function atoi(s: string): bigint {
  const n = BigInt(s);
  return n > MAX ? 0n : n;
}

function cmp<T>(a: T, b: T): number {
  return a > b ? 1 : a < b ? -1 : 0;
}

export function compareSemVer(v: SemVer, o: SemVer): number {
  const c = cmp(v.major, o.major) || cmp(v.minor, o.minor) || cmp(v.patch, o.patch);
  if (c !== 0) return c;
  if (v.preRelease === o.preRelease) return 0;
  if (v.preRelease === '') return 1;
  if (o.preRelease === '') return -1;
  let [a, afterA] = cut(v.preRelease, '.');
  let [b, afterB] = cut(o.preRelease, '.');
  for (;;) {
    if (a === '' && b !== '') return -1;
    if (a !== '' && b === '') return 1;
    const aInt = isAllDecimals(a);
    const bInt = isAllDecimals(b);
    if (aInt && !bInt) return -1;
    if (!aInt && bInt) return 1;
    const d = aInt ? cmp(atoi(a), atoi(b)) : Buffer.compare(Buffer.from(a), Buffer.from(b));
    if (d !== 0) return d;
    if (afterA !== '' && afterB === '') return 1;
    if (afterA === '' && afterB !== '') return -1;
    [a, afterA] = cut(afterA, '.');
    [b, afterB] = cut(afterB, '.');
  }
}

export const builtins: BuiltinGroup = {
  'semver.compare': (args) => {
    const a = str(args, 0);
    const b = str(args, 1);
    const va = parseSemVer(a);
    if (!va) throw new BuiltinError(`operand 1: string ${JSON.stringify(a)} is not a valid SemVer`);
    const vb = parseSemVer(b);
    if (!vb) throw new BuiltinError(`operand 2: string ${JSON.stringify(b)} is not a valid SemVer`);
    return compareSemVer(va, vb);
  },
  'semver.is_valid': (args) => typeof args[0] === 'string' && parseSemVer(args[0]) !== undefined,
};
