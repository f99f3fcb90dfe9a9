// Rego builtins of the "conversions" category: to_number.
import { BigNum, parseNumber, typeName, type Value } from '../value.ts';
import { BuiltinError, OperandError, type BuiltinGroup } from './builtin.ts';

// The decimal forms Go's strconv.ParseFloat accepts (OPA keeps the text as the number).
const FLOAT_RE = /^([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/;

/** Parses a string the way OPA's to_number does, or throws its error. */
export function stringToNumber(s: string): number | BigNum {
  const lower = s.replace(/^[+-]+/, '').toLowerCase();
  if (lower === 'inf' || lower === 'infinity' || lower === 'nan')
    throw new OperandError(1, 'operand 1 must be valid number string but got string');
  const m = FLOAT_RE.exec(s);
  if (!m) throw new BuiltinError(`strconv.ParseFloat: parsing ${goQuote(s)}: invalid syntax`);
  const sign = m[1] === '-' ? '-' : '';
  const intPart = (m[2] ?? '0').replace(/^0+(?=\d)/, '');
  const frac = m[3] ?? m[4] ?? '';
  const exp = m[5];
  const text = sign + intPart + (frac ? '.' + frac : '') + (exp !== undefined ? 'e' + exp : '');
  const n = parseNumber(text);
  if (n === undefined) throw new BuiltinError(`strconv.ParseFloat: parsing ${goQuote(s)}: invalid syntax`);
  const approx = typeof n === 'number' ? n : n.approx;
  if (!Number.isFinite(approx)) throw new BuiltinError(`strconv.ParseFloat: parsing ${goQuote(s)}: value out of range`);
  return Object.is(n, -0) ? 0 : n;
}

function goQuote(s: string): string {
  return JSON.stringify(s);
}

export const builtins: BuiltinGroup = {
  to_number: (args) => {
    const v = args[0] as Value;
    if (v === null) return 0;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'number' || v instanceof BigNum) return v;
    if (typeof v === 'string') return stringToNumber(v);
    throw new OperandError(1, `operand 1 must be one of {null, boolean, number, string} but got ${typeName(v)}`);
  },
};
