// Rego builtins of the "numbers" category: arithmetic (plus, minus, mul, div, rem, abs, round, ceil, floor),
// numbers.range, numbers.range_step and rand.intn.
//
// OPA's arithmetic is exact on integers (big integers included) and otherwise runs on Go's big.Float at the
// default 64-bit mantissa, printing results in the shortest decimal form that identifies that 64-bit value.
// `BigFloat` below reproduces that precisely (a double has only 53 bits, so `0.1 + 0.2` and `1 / 3` would
// otherwise print differently from OPA).
import { BigNum, isNumber, numberText, parseNumber, RSet, toBigInt, typeName, type Value } from '../value.ts';
import { BuiltinError, OperandError, type BuiltinGroup, type BuiltinContext } from './builtin.ts';
import { num, str } from './operands.ts';

// ---------------------------------------------------------------------------------------------------------
// Go big.Float emulation at precision 64

/** A binary floating-point value m·2^e, |m| < 2^64 (|m| ≥ 2^63 unless zero). */
export interface BigFloat {
  readonly m: bigint;
  readonly e: number;
}

const TWO63 = 1n << 63n;
const TWO64 = 1n << 64n;

export function bitLength(x: bigint): number {
  if (x < 0n) x = -x;
  if (x === 0n) return 0;
  const hex = x.toString(16);
  const first = parseInt(hex[0] as string, 16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(first));
}

/** Rounds num/den·2^e2 (den > 0) to a 64-bit mantissa, ties to even (Go's default rounding). */
export function roundToFloat(num: bigint, den: bigint, e2: number): BigFloat {
  if (num === 0n) return { m: 0n, e: 0 };
  const neg = num < 0n;
  const n = neg ? -num : num;
  let k = 64 - (bitLength(n) - bitLength(den));
  for (;;) {
    const N = k >= 0 ? n << BigInt(k) : n;
    const D = k >= 0 ? den : den << BigInt(-k);
    let q = N / D;
    if (q >= TWO64) {
      k--;
      continue;
    }
    if (q < TWO63) {
      k++;
      continue;
    }
    const r2 = (N - q * D) * 2n;
    if (r2 > D || (r2 === D && (q & 1n) === 1n)) q++;
    if (q === TWO64) {
      q = TWO63;
      k--;
    }
    return { m: neg ? -q : q, e: e2 - k };
  }
}

const DEC_RE = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Parses decimal number text the way big.Float.SetString does at precision 64. */
export function floatFromText(text: string): BigFloat | undefined {
  const m = DEC_RE.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const frac = m[3] ?? '';
  let digits = BigInt((m[2] || '0') + frac);
  if (m[1] === '-') digits = -digits;
  const exp = Number(m[4] ?? '0') - frac.length;
  if (!Number.isFinite(exp) || Math.abs(exp) > 1_000_000) return undefined;
  if (exp >= 0) return roundToFloat(digits * 10n ** BigInt(exp), 1n, 0);
  return roundToFloat(digits, 10n ** BigInt(-exp), 0);
}

const floatCache = new Map<number, BigFloat>();

export function toFloat(v: number | BigNum): BigFloat {
  if (typeof v !== 'number') return floatFromText(v.text) as BigFloat;
  let f = floatCache.get(v);
  if (f === undefined) {
    f = floatFromText(numberText(v)) as BigFloat;
    if (floatCache.size >= 4096) floatCache.clear();
    floatCache.set(v, f);
  }
  return f;
}

export function floatAdd(a: BigFloat, b: BigFloat): BigFloat {
  if (a.m === 0n) return b;
  if (b.m === 0n) return a;
  const e = Math.min(a.e, b.e);
  return roundToFloat((a.m << BigInt(a.e - e)) + (b.m << BigInt(b.e - e)), 1n, e);
}

export function floatNeg(a: BigFloat): BigFloat {
  return { m: -a.m, e: a.e };
}

export function floatMul(a: BigFloat, b: BigFloat): BigFloat {
  return roundToFloat(a.m * b.m, 1n, a.e + b.e);
}

export function floatQuo(a: BigFloat, b: BigFloat): BigFloat {
  return b.m < 0n ? roundToFloat(-a.m, -b.m, a.e - b.e) : roundToFloat(a.m, b.m, a.e - b.e);
}

/** The exact integer of a float, or undefined if it has a fractional part. */
export function floatInt(a: BigFloat): bigint | undefined {
  if (a.e >= 0) return a.m << BigInt(a.e);
  const sh = BigInt(-a.e);
  if (a.m % (1n << sh) !== 0n) return undefined;
  return a.m >> sh;
}

/** Truncation toward zero (big.Float.Int). */
export function floatTrunc(a: BigFloat): bigint {
  if (a.e >= 0) return a.m << BigInt(a.e);
  const sh = BigInt(-a.e);
  return a.m < 0n ? -(-a.m >> sh) : a.m >> sh;
}

const POW5: bigint[] = [1n];
function pow5(k: number): bigint {
  if (k > 2000) return 5n ** BigInt(k);
  while (POW5.length <= k) POW5.push((POW5[POW5.length - 1] as bigint) * 5n);
  return POW5[k] as bigint;
}

/** A decimal m × 2^shift as Go's math/big decimal: digits without trailing zeros, value = 0.digits × 10^exp. */
function decimalOf(m: bigint, shift: number): { mant: string; exp: number } {
  let digits: string;
  let exp: number;
  if (shift >= 0) {
    digits = (m << BigInt(shift)).toString();
    exp = digits.length;
  } else {
    digits = (m * pow5(-shift)).toString();
    exp = digits.length + shift;
  }
  let end = digits.length;
  while (end > 0 && digits.charCodeAt(end - 1) === 48) end--;
  return { mant: digits.slice(0, end), exp };
}

/**
 * The shortest decimal that identifies a float at 64-bit precision: Go's math/big roundShortest, digit for
 * digit (including its comparison of the bounds' digits by index).
 */
function shortestDecimal(a: BigFloat): { mant: string; exp: number } {
  const A = a.m < 0n ? -a.m : a.m;
  const d = decimalOf(A, a.e);
  // mant has 65 bits: its lsb is half an ulp.
  const mant = A << 1n;
  const exp = a.e - 1;
  const lower = decimalOf(mant - 1n, exp);
  const upper = decimalOf(mant + 1n, exp);
  const inclusive = (A & 1n) === 0n;
  const at = (x: string, i: number): number => (i < x.length ? x.charCodeAt(i) : 48);
  for (let i = 0; i < d.mant.length; i++) {
    const m = d.mant.charCodeAt(i);
    const l = at(lower.mant, i);
    const u = at(upper.mant, i);
    const okdown = l !== m || (inclusive && i + 1 === lower.mant.length);
    const okup = m !== u && (inclusive || m + 1 < u || i + 1 < upper.mant.length);
    if (okdown && okup) return roundDecimal(d, i + 1);
    if (okdown) return roundDecimalDown(d, i + 1);
    if (okup) return roundDecimalUp(d, i + 1);
  }
  return d;
}

function roundDecimal(d: { mant: string; exp: number }, n: number): { mant: string; exp: number } {
  if (n < 0 || n >= d.mant.length) return d;
  const c = d.mant.charCodeAt(n);
  const up = c === 53 && n + 1 === d.mant.length ? n > 0 && (d.mant.charCodeAt(n - 1) - 48) % 2 === 1 : c >= 53;
  return up ? roundDecimalUp(d, n) : roundDecimalDown(d, n);
}

function roundDecimalDown(d: { mant: string; exp: number }, n: number): { mant: string; exp: number } {
  if (n < 0 || n >= d.mant.length) return d;
  let end = n;
  while (end > 0 && d.mant.charCodeAt(end - 1) === 48) end--;
  return { mant: d.mant.slice(0, end), exp: d.exp };
}

function roundDecimalUp(d: { mant: string; exp: number }, n: number): { mant: string; exp: number } {
  if (n < 0 || n >= d.mant.length) return d;
  let i = n;
  while (i > 0 && d.mant.charCodeAt(i - 1) >= 57) i--;
  if (i === 0) return { mant: '1', exp: d.exp + 1 };
  return { mant: d.mant.slice(0, i - 1) + String.fromCharCode(d.mant.charCodeAt(i - 1) + 1), exp: d.exp };
}

/** Go's big.Float Text('g', -1) for a non-integer, or the integer digits for an integer ('f'). */
export function floatText(a: BigFloat): string {
  const i = floatInt(a);
  if (i !== undefined) return i.toString();
  const { mant: digits, exp: dp } = shortestDecimal(a);
  const sign = a.m < 0n ? '-' : '';
  const x = dp - 1; // exponent of the first digit
  if (x < -4 || x >= 6) {
    const mant = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
    const ax = Math.abs(x);
    return sign + mant + 'e' + (x < 0 ? '-' : '+') + (ax < 10 ? '0' : '') + ax;
  }
  if (x < 0) return sign + '0.' + '0'.repeat(-x - 1) + digits;
  if (digits.length <= x + 1) return sign + digits + '0'.repeat(x + 1 - digits.length);
  return sign + digits.slice(0, x + 1) + '.' + digits.slice(x + 1);
}

/** A float result as a Rego number (OPA's builtins.FloatToNumber). */
export function floatToValue(a: BigFloat): number | BigNum {
  const i = floatInt(a);
  if (i !== undefined) return BigNum.fromBigInt(i);
  return parseNumber(floatText(a)) as number | BigNum;
}

// ---------------------------------------------------------------------------------------------------------
// Arithmetic

const MIN_SMALL = -(2 ** 31);
const MAX_SMALL = 2 ** 31 - 1;

function small(v: number | BigNum): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= MIN_SMALL && v <= MAX_SMALL;
}

export function plusNumbers(a: number | BigNum, b: number | BigNum): number | BigNum {
  if (small(a) && small(b)) return a + b;
  const x = toBigInt(a);
  const y = x === undefined ? undefined : toBigInt(b);
  if (x !== undefined && y !== undefined) return BigNum.fromBigInt(x + y);
  return floatToValue(floatAdd(toFloat(a), toFloat(b)));
}

export function minusNumbers(a: number | BigNum, b: number | BigNum): number | BigNum {
  if (small(a) && small(b)) return a - b;
  const x = toBigInt(a);
  const y = x === undefined ? undefined : toBigInt(b);
  if (x !== undefined && y !== undefined) return BigNum.fromBigInt(x - y);
  return floatToValue(floatAdd(toFloat(a), floatNeg(toFloat(b))));
}

export function mulNumbers(a: number | BigNum, b: number | BigNum): number | BigNum {
  if (small(a) && small(b)) {
    const r = a * b;
    if (Number.isSafeInteger(r)) return r;
    return BigNum.fromBigInt(BigInt(a) * BigInt(b));
  }
  const x = toBigInt(a);
  const y = x === undefined ? undefined : toBigInt(b);
  if (x !== undefined && y !== undefined) return BigNum.fromBigInt(x * y);
  return floatToValue(floatMul(toFloat(a), toFloat(b)));
}

export function divNumbers(a: number | BigNum, b: number | BigNum): number | BigNum {
  if (small(a) && small(b)) {
    if (b === 0) throw new BuiltinError('divide by zero');
    if (a !== 0 && a % b === 0) return a / b;
  }
  const y = toFloat(b);
  if (y.m === 0n) throw new BuiltinError('divide by zero');
  return floatToValue(floatQuo(toFloat(a), y));
}

export function remNumbers(a: number | BigNum, b: number | BigNum): number | BigNum {
  if (small(a) && small(b)) {
    if (b === 0) throw new BuiltinError('modulo by zero');
    const r = a % b;
    return r === 0 ? 0 : r;
  }
  const x = toBigInt(a);
  const y = x === undefined ? undefined : toBigInt(b);
  if (x === undefined || y === undefined) throw new BuiltinError('modulo on floating-point number');
  if (y === 0n) throw new BuiltinError('modulo by zero');
  return BigNum.fromBigInt(x % y);
}

function unary(name: string, op: (f: BigFloat) => BigFloat) {
  return (args: Value[]): Value => {
    const n = num(args, 0);
    if (small(n)) return name === 'abs' ? Math.abs(n) : n;
    return floatToValue(op(toFloat(n)));
  };
}

const HALF: BigFloat = { m: TWO63, e: -64 };

function floatFromInt(i: bigint): BigFloat {
  return roundToFloat(i, 1n, 0);
}

function floatRound(a: BigFloat): BigFloat {
  const shifted = a.m < 0n ? floatAdd(a, floatNeg(HALF)) : floatAdd(a, HALF);
  return floatFromInt(floatTrunc(shifted));
}

// OPA decides on the sign of the truncated value, not of the operand, so for -1 < x < 0 (truncated to +0)
// it yields ceil(x) = 1 and floor(x) = 0. Reproduced as is: decisions must match OPA's.
function floatCeil(a: BigFloat): BigFloat {
  const t = floatTrunc(a);
  const f = floatFromInt(t);
  if (t < 0n || floatInt(a) !== undefined) return f;
  return floatAdd(f, floatFromInt(1n));
}

function floatFloor(a: BigFloat): BigFloat {
  const t = floatTrunc(a);
  const f = floatFromInt(t);
  if (t >= 0n || floatInt(a) !== undefined) return f;
  return floatAdd(f, floatFromInt(-1n));
}

function binary(op: (a: number | BigNum, b: number | BigNum) => number | BigNum) {
  return (args: Value[]): Value => op(num(args, 0), num(args, 1));
}

function minus(args: Value[]): Value {
  const a = args[0] as Value;
  const b = args[1] as Value;
  if (isNumber(a) && isNumber(b)) return minusNumbers(a, b);
  if (a instanceof RSet && b instanceof RSet) {
    const out = new RSet();
    for (const v of a.unorderedValues()) if (!b.has(v)) out.add(v);
    return out;
  }
  if (!isNumber(a) && !(a instanceof RSet))
    throw new OperandError(1, `operand 1 must be one of {number, set} but got ${typeName(a)}`);
  if (isNumber(b)) throw new OperandError(2, `operand 2 must be set but got ${typeName(b)}`);
  throw new OperandError(2, `operand 2 must be number but got ${typeName(b)}`);
}

// ---------------------------------------------------------------------------------------------------------
// numbers.range, numbers.range_step, rand.intn

/** An integer operand (OPA's BigIntOperand): "must be integer" for non-numbers. */
export function bigIntOperand(args: Value[], i: number): bigint {
  const v = args[i] as Value;
  if (!isNumber(v)) throw new OperandError(i + 1, `operand ${i + 1} must be integer but got ${typeName(v)}`);
  const b = toBigInt(v);
  if (b === undefined)
    throw new OperandError(i + 1, `operand ${i + 1} must be integer number but got floating-point number`);
  return b;
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Ranges longer than this are refused (OPA would run until the query is cancelled). */
const MAX_RANGE = 50_000_000n;

function range(name: string, x: bigint, y: bigint, step: bigint): Value[] {
  if ((x <= y ? y - x : x - y) / step >= MAX_RANGE)
    throw new BuiltinError(`${name}: timed out before generating all numbers in range`);
  const out: Value[] = [];
  if (x >= -SAFE && x <= SAFE && y >= -SAFE && y <= SAFE && step <= SAFE) {
    const a = Number(x);
    const b = Number(y);
    const s = Number(step);
    if (a <= b) for (let i = a; i <= b; i += s) out.push(i);
    else for (let i = a; i >= b; i -= s) out.push(i);
    return out;
  }
  if (x <= y) for (let i = x; i <= y; i += step) out.push(BigNum.fromBigInt(i));
  else for (let i = x; i >= y; i -= step) out.push(BigNum.fromBigInt(i));
  return out;
}

function randIntn(args: Value[], ctx: BuiltinContext): Value {
  const s = str(args, 0);
  const nv = num(args, 1);
  if (typeof nv !== 'number' || !Number.isInteger(nv)) {
    const b = toBigInt(nv);
    if (b === undefined) throw new OperandError(2, 'operand 2 must be integer number but got floating-point number');
  }
  let n = typeof nv === 'number' ? nv : (nv.approx as number);
  if (n === 0) return 0;
  if (n < 0) n = -n;
  const key = `rand.intn\u0000${s}-${numberText(n)}`;
  const cached = ctx.cache.get(key);
  if (cached !== undefined) return cached as Value;
  const r = Math.floor(ctx.random() * n);
  ctx.cache.set(key, r);
  return r;
}

export const builtins: BuiltinGroup = {
  plus: binary(plusNumbers),
  minus,
  mul: binary(mulNumbers),
  div: binary(divNumbers),
  rem: binary(remNumbers),
  abs: unary('abs', (f) => (f.m < 0n ? floatNeg(f) : f)),
  round: unary('round', floatRound),
  ceil: unary('ceil', floatCeil),
  floor: unary('floor', floatFloor),
  'numbers.range': (args) => range('numbers.range', bigIntOperand(args, 0), bigIntOperand(args, 1), 1n),
  'numbers.range_step': (args) => {
    const x = bigIntOperand(args, 0);
    const y = bigIntOperand(args, 1);
    const step = bigIntOperand(args, 2);
    if (step <= 0n) throw new BuiltinError('numbers.range_step: step must be a positive number above zero');
    return range('numbers.range_step', x, y, step);
  },
  'rand.intn': randIntn,
};
