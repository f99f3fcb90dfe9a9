// Rego builtins of the "aggregates" category: count, sum, product, max, min, sort, all, any.
import { BigNum, compare, equal, isNumber, RObject, RSet, toBigInt, typeName, type Value } from '../value.ts';
import { OperandError, type BuiltinGroup } from './builtin.ts';
import { floatAdd, floatMul, floatToValue, roundToFloat, toFloat, type BigFloat } from './numbers.ts';

/** Number of Unicode code points in a string (OPA counts runes). */
export function runeCount(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

function setOrArray(args: Value[], order: string): Value[] {
  const v = args[0] as Value;
  if (Array.isArray(v)) return v;
  if (v instanceof RSet) return v.values();
  throw new OperandError(1, `operand 1 must be one of {${order}} but got ${typeName(v)}`);
}

function elementError(composite: Value, got: Value): never {
  const t = typeName(composite);
  throw new OperandError(1, `operand 1 must be ${t} of numbers but got ${t} containing ${typeName(got)}`);
}

function accumulate(args: Value[], init: number, isSum: boolean): Value {
  const list = setOrArray(args, 'set, array');
  const composite = args[0] as Value;
  if (isSum) {
    // Fast path: integers whose sum stays exact in a double.
    let s = 0;
    let ok = true;
    for (const x of list) {
      if (typeof x === 'number' && Number.isInteger(x)) {
        s += x;
        if (!Number.isSafeInteger(s)) {
          ok = false;
          break;
        }
      } else {
        ok = false;
        break;
      }
    }
    if (ok) return s;
  }
  // Exact on integers of any size.
  let acc = BigInt(init);
  let exact = true;
  for (const x of list) {
    if (!isNumber(x)) {
      exact = false;
      break;
    }
    const b = toBigInt(x);
    if (b === undefined) {
      exact = false;
      break;
    }
    acc = isSum ? acc + b : acc * b;
  }
  if (exact) return BigNum.fromBigInt(acc);
  // Floating point at big.Float's default precision.
  let f: BigFloat = roundToFloat(BigInt(init), 1n, 0);
  for (const x of list) {
    if (!isNumber(x)) elementError(composite, x);
    f = isSum ? floatAdd(f, toFloat(x)) : floatMul(f, toFloat(x));
  }
  return floatToValue(f);
}

/** `x in coll` (internal.member_2): membership in a set, or among the values of an array or object. */
function member(x: Value, coll: Value): boolean {
  if (coll instanceof RSet) return coll.has(x);
  if (Array.isArray(coll)) {
    for (const v of coll) if (equal(v, x)) return true;
    return false;
  }
  if (coll instanceof RObject) {
    for (const [, v] of coll.unorderedEntries()) if (equal(v, x)) return true;
    return false;
  }
  return false;
}

/** `k, v in coll` (internal.member_3). */
function memberWithKey(k: Value, v: Value, coll: Value): boolean {
  if (coll instanceof RSet) return coll.has(k) && equal(k, v);
  if (coll instanceof RObject) {
    const x = coll.get(k);
    return x !== undefined && equal(x, v);
  }
  if (Array.isArray(coll)) {
    if (!isNumber(k)) return false;
    const i = toBigInt(k);
    if (i === undefined || i < 0n || i >= BigInt(coll.length)) return false;
    return equal(coll[Number(i)] as Value, v);
  }
  return false;
}

export const builtins: BuiltinGroup = {
  'internal.member_2': (args) => member(args[0] as Value, args[1] as Value),
  'internal.member_3': (args) => memberWithKey(args[0] as Value, args[1] as Value, args[2] as Value),
  count: (args) => {
    const v = args[0] as Value;
    if (Array.isArray(v)) return v.length;
    if (v instanceof RObject || v instanceof RSet) return v.size;
    if (typeof v === 'string') return runeCount(v);
    throw new OperandError(1, `operand 1 must be one of {array, object, set, string} but got ${typeName(v)}`);
  },
  sum: (args) => accumulate(args, 0, true),
  product: (args) => accumulate(args, 1, false),
  max: (args) => {
    const list = setOrArray(args, 'set, array');
    if (list.length === 0) return undefined;
    let m = list[0] as Value;
    for (let i = 1; i < list.length; i++) if (compare(m, list[i] as Value) <= 0) m = list[i] as Value;
    return m;
  },
  min: (args) => {
    const list = setOrArray(args, 'set, array');
    if (list.length === 0) return undefined;
    let m = list[0] as Value;
    for (let i = 1; i < list.length; i++) if (compare(m, list[i] as Value) >= 0) m = list[i] as Value;
    return m;
  },
  sort: (args) => {
    const v = args[0] as Value;
    if (Array.isArray(v)) return v.slice().sort(compare);
    if (v instanceof RSet) return v.values().slice();
    throw new OperandError(1, `operand 1 must be one of {set, array} but got ${typeName(v)}`);
  },
  all: (args) => {
    const list = setOrArray(args, 'array, set');
    for (const x of list) if (x !== true) return false;
    return true;
  },
  any: (args) => {
    const v = args[0] as Value;
    if (v instanceof RSet) return v.has(true);
    const list = setOrArray(args, 'array, set');
    for (const x of list) if (x === true) return true;
    return false;
  },
};
