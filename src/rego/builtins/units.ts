// Rego builtins of the "units" category: units.parse (SI and binary SI suffixes, exact rationals) and
// units.parse_bytes (byte sizes, rounded down to an integer as OPA does).
import { BigNum, parseNumber, type Value } from '../value.ts';
import { BuiltinError, type BuiltinGroup } from './builtin.ts';
import { floatFromText, floatMul, floatTrunc, roundToFloat } from './numbers.ts';
import { str } from './operands.ts';

const K = 1000n;
const KI = 1024n;

const SI: Record<string, bigint> = {
  '': 1n,
  k: K,
  K: K,
  ki: KI,
  Ki: KI,
  M: K ** 2n,
  mi: KI ** 2n,
  Mi: KI ** 2n,
  g: K ** 3n,
  G: K ** 3n,
  gi: KI ** 3n,
  Gi: KI ** 3n,
  t: K ** 4n,
  T: K ** 4n,
  ti: KI ** 4n,
  Ti: KI ** 4n,
  p: K ** 5n,
  P: K ** 5n,
  pi: KI ** 5n,
  Pi: KI ** 5n,
  e: K ** 6n,
  E: K ** 6n,
  ei: KI ** 6n,
  Ei: KI ** 6n,
};

const BYTES: Record<string, bigint> = {
  '': 1n,
  kb: K,
  k: K,
  kib: KI,
  ki: KI,
  mb: K ** 2n,
  m: K ** 2n,
  mib: KI ** 2n,
  mi: KI ** 2n,
  gb: K ** 3n,
  g: K ** 3n,
  gib: KI ** 3n,
  gi: KI ** 3n,
  tb: K ** 4n,
  t: K ** 4n,
  tib: KI ** 4n,
  ti: KI ** 4n,
  pb: K ** 5n,
  p: K ** 5n,
  pib: KI ** 5n,
  pi: KI ** 5n,
  eb: K ** 6n,
  e: K ** 6n,
  eib: KI ** 6n,
  ei: KI ** 6n,
};

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** Splits "10.5Mi" into ["10.5", "Mi"]; undefined when an exponent has more than 6 digits. */
function splitNumAndUnit(s: string): [string, string] | undefined {
  let first = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (!isDigit(c) && c !== '.' && c !== 'e' && c !== 'E' && c !== '+' && c !== '-') {
      first = i;
      break;
    }
    if (c === 'e' || c === 'E') {
      const next = s[i + 1];
      if (i === s.length - 1 || (!isDigit(next) && next !== '+' && next !== '-')) {
        first = i;
        break;
      }
      if (next === '+' || next === '-') i++;
      let end = i + 1;
      while (end < s.length && isDigit(s[end])) end++;
      if (end - (i + 1) > 6) return undefined;
    }
  }
  if (first === -1) return [s, ''];
  if (first === 0) return ['', s];
  return [s.slice(0, first), s.slice(first)];
}

/** An exact rational from decimal text (big.Rat.SetString), or undefined. */
function parseRational(text: string): [bigint, bigint] | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const frac = m[3] ?? '';
  let n = BigInt((m[2] || '0') + frac);
  if (m[1] === '-') n = -n;
  const exp = Number(m[4] ?? '0') - frac.length;
  return exp >= 0 ? [n * 10n ** BigInt(exp), 1n] : [n, 10n ** BigInt(-exp)];
}

/** The exact rational value of the double 0.001 (OPA multiplies by float64 0.001 for the "m" suffix). */
const MILLI: [bigint, bigint] = (() => {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, 0.001);
  const bits = buf.getBigUint64(0);
  const exp = Number((bits >> 52n) & 0x7ffn) - 1075;
  const mant = (bits & ((1n << 52n) - 1n)) | (1n << 52n);
  return [mant, 1n << BigInt(-exp)];
})();

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** big.Rat.FloatString(10): the value rounded to 10 decimals, halves away from zero. */
function ratFloatString(n: bigint, d: bigint, digits: number): string {
  const neg = n < 0n;
  if (neg) n = -n;
  const scale = 10n ** BigInt(digits);
  let q = (n * scale) / d;
  const r = n * scale - q * d;
  if (r * 2n >= d) q++;
  const s = q.toString().padStart(digits + 1, '0');
  return (neg ? '-' : '') + s.slice(0, s.length - digits) + '.' + s.slice(s.length - digits);
}

function unitsParse(args: Value[]): Value {
  const s = str(args, 0).replaceAll('"', '');
  const fail = (msg: string): never => {
    throw new BuiltinError(`units.parse: ${msg}`);
  };
  if (s.includes(' ')) fail('spaces not allowed in resource strings');
  const split = splitNumAndUnit(s);
  if (split === undefined) return fail('exponent too large');
  const [numText] = split;
  let unit = split[1];
  if (numText === '') fail('no amount provided');
  if (unit.length > 1) unit = unit[0] + unit.slice(1).toLowerCase();
  let mul: [bigint, bigint];
  if (unit === 'm') mul = MILLI;
  else {
    const f = SI[unit];
    if (f === undefined) return fail(`unit ${unit} not recognized`);
    mul = [f, 1n];
  }
  const r = parseRational(numText);
  if (r === undefined) return fail('could not parse amount to a number');
  let n = r[0] * mul[0];
  let d = r[1] * mul[1];
  const g = gcd(n, d);
  if (g > 1n) {
    n /= g;
    d /= g;
  }
  if (d === 1n) return BigNum.fromBigInt(n);
  return parseNumber(ratFloatString(n, d, 10)) as Value;
}

function unitsParseBytes(args: Value[]): Value {
  const s = str(args, 0).toLowerCase().replaceAll('"', '');
  const fail = (msg: string): never => {
    throw new BuiltinError(`units.parse_bytes: ${msg}`);
  };
  if (s.includes(' ')) fail('spaces not allowed in resource strings');
  const split = splitNumAndUnit(s);
  if (split === undefined) return fail('exponent too large');
  const [numText, unit] = split;
  if (numText === '') fail('no byte amount provided');
  const f = BYTES[unit];
  if (f === undefined) return fail(`byte unit ${unit} not recognized`);
  const x = floatFromText(numText);
  if (x === undefined) return fail('could not parse byte amount to a number');
  return BigNum.fromBigInt(floatTrunc(floatMul(x, roundToFloat(f, 1n, 0))));
}

export const builtins: BuiltinGroup = {
  'units.parse': unitsParse,
  'units.parse_bytes': unitsParseBytes,
};
