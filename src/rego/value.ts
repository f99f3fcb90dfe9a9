// Rego values: the runtime representation shared by the evaluator and every builtin.
//
//   null | boolean | string   JS primitives
//   number                    a JS double, used whenever it holds the number exactly enough (see parseNumber)
//   BigNum                    an arbitrary-precision number (big integers exactly; long decimals keep their text)
//   Value[]                   arrays (treated as immutable once built)
//   RObject                   objects; keys may be any value
//   RSet                      sets
//
// Objects and sets iterate in Rego's sort order (what OPA does), so comprehensions over them are
// deterministic. `undefined` (the JS value) stands for an undefined Rego value and is never stored.

export type Value = null | boolean | string | number | BigNum | Value[] | RObject | RSet;

// ---------------------------------------------------------------------------------------------------------
// Numbers

/** A number that a double cannot hold exactly: a big integer, or a decimal with more digits than a double keeps. */
export class BigNum {
  /** The exact integer, when the number is an integer. */
  readonly int: bigint | undefined;
  /** The canonical decimal text (no exponent for integers). */
  readonly text: string;
  /** The nearest double, for arithmetic that OPA itself does in floating point. */
  readonly approx: number;

  constructor(text: string, int?: bigint) {
    this.int = int;
    this.text = int !== undefined ? int.toString() : text;
    this.approx = int !== undefined ? Number(int) : Number(text);
  }

  static fromBigInt(i: bigint): number | BigNum {
    if (i >= BigInt(Number.MIN_SAFE_INTEGER) && i <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(i);
    return new BigNum('', i);
  }

  toString(): string {
    return this.text;
  }
}

const INT_RE = /^-?\d+$/;
const NUM_RE = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * Parses JSON/Rego number text without losing digits. Integers outside the safe range become BigNum
 * integers; decimals with more than 15 significant digits keep their text in a BigNum; everything else is a
 * double. Returns undefined for text that is not a number.
 */
export function parseNumber(text: string): number | BigNum | undefined {
  if (INT_RE.test(text)) {
    if (text.length < 16) return Number(text);
    return BigNum.fromBigInt(BigInt(text));
  }
  if (!NUM_RE.test(text)) return undefined;
  // An exponent form of an integer (1e3, 2.5E10) that fits exactly.
  const n = Number(text);
  if (!Number.isFinite(n)) return new BigNum(text);
  const digits = text
    .replace(/^-/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '')
    .replace(/^0+/, '');
  if (digits.length <= 15) return n;
  const asInt = exactIntegerOf(text);
  if (asInt !== undefined) return BigNum.fromBigInt(asInt);
  return new BigNum(text);
}

/** The exact integer a decimal text denotes, or undefined when it has a fractional part. */
function exactIntegerOf(text: string): bigint | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return undefined;
  const sign = m[1] ?? '';
  const intPart = m[2] ?? '0';
  let frac = m[3] ?? '';
  const exp = Number(m[4] ?? '0');
  if (exp > 400 || exp < -400) return undefined;
  let digits = intPart;
  if (exp >= 0) {
    digits += frac.slice(0, exp).padEnd(exp, '0');
    frac = frac.slice(exp);
  } else {
    return undefined;
  }
  if (/[1-9]/.test(frac)) return undefined;
  return BigInt(sign + digits);
}

export function isNumber(v: Value | undefined): v is number | BigNum {
  return typeof v === 'number' || v instanceof BigNum;
}

/** The double nearest to a number value. */
export function toDouble(v: number | BigNum): number {
  return typeof v === 'number' ? v : v.approx;
}

/** The exact integer a number holds, or undefined if it is not an integer. */
export function toBigInt(v: number | BigNum): bigint | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : undefined;
  if (v.int !== undefined) return v.int;
  return exactIntegerOf(v.text);
}

export function isInteger(v: number | BigNum): boolean {
  return typeof v === 'number' ? Number.isInteger(v) : toBigInt(v) !== undefined;
}

export function compareNumbers(a: number | BigNum, b: number | BigNum): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  const ai = toBigInt(a);
  const bi = toBigInt(b);
  if (ai !== undefined && bi !== undefined) return ai < bi ? -1 : ai > bi ? 1 : 0;
  const ad = toDouble(a);
  const bd = toDouble(b);
  if (ad !== bd) return ad < bd ? -1 : 1;
  return compareDecimalText(numberText(a), numberText(b));
}

/** Exact comparison of two decimal texts that are equal as doubles. */
function compareDecimalText(a: string, b: string): number {
  const na = normalizeDecimal(a);
  const nb = normalizeDecimal(b);
  if (na === nb) return 0;
  // Same sign and magnitude as doubles: compare the digit strings at equal scale.
  const [ai, af] = splitDecimal(na);
  const [bi, bf] = splitDecimal(nb);
  const scale = Math.max(af.length, bf.length);
  const x = BigInt(ai + af.padEnd(scale, '0'));
  const y = BigInt(bi + bf.padEnd(scale, '0'));
  return x < y ? -1 : x > y ? 1 : 0;
}

function splitDecimal(s: string): [string, string] {
  const i = s.indexOf('.');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

/** Removes exponents and trailing zeros: "1.50e2" → "150", "-0.10" → "-0.1". */
export function normalizeDecimal(text: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return text;
  const sign = m[1] ?? '';
  let digits = (m[2] ?? '') + (m[3] ?? '');
  let point = (m[2] ?? '').length + Number(m[4] ?? '0');
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits = digits.padEnd(point, '0');
  let ip = digits.slice(0, point).replace(/^0+(?=\d)/, '') || '0';
  const fp = digits.slice(point).replace(/0+$/, '');
  if (ip === '') ip = '0';
  const out = fp ? `${ip}.${fp}` : ip;
  return out === '0' ? '0' : sign + out;
}

/** The JSON text of a number as OPA prints it: integers without exponent, decimals in shortest form. */
export function numberText(v: number | BigNum): string {
  if (typeof v !== 'number') return v.text;
  if (Number.isInteger(v) && Math.abs(v) < 1e21) return Object.is(v, -0) ? '0' : String(v);
  return String(v);
}

// ---------------------------------------------------------------------------------------------------------
// Keys: a string that identifies a value up to Rego equality, used to index objects and sets.

const KEY_PREFIX = '\u0000';

export function keyOf(v: Value): string {
  if (typeof v === 'string') {
    const c = v.charCodeAt(0);
    return c === 0 || c === 1 ? '\u0001' + v : v;
  }
  if (v === null) return KEY_PREFIX + 'n';
  if (v === true) return KEY_PREFIX + 't';
  if (v === false) return KEY_PREFIX + 'f';
  if (typeof v === 'number') return KEY_PREFIX + '#' + numberKeyText(v);
  if (v instanceof BigNum) return KEY_PREFIX + '#' + normalizeDecimal(v.text);
  if (Array.isArray(v)) return KEY_PREFIX + '[' + JSON.stringify(v.map(keyOf));
  if (v instanceof RObject) {
    const parts: string[] = [];
    for (const [k, x] of v.entries()) parts.push(keyOf(k), keyOf(x));
    return KEY_PREFIX + '{' + JSON.stringify(parts);
  }
  return KEY_PREFIX + '<' + JSON.stringify(v.values().map(keyOf));
}

function numberKeyText(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return Object.is(n, -0) ? '0' : String(n);
  return normalizeDecimal(String(n));
}

// ---------------------------------------------------------------------------------------------------------
// Objects and sets

export class RObject {
  private readonly map = new Map<string, [Value, Value]>();
  private sorted: [Value, Value][] | undefined;

  static from(entries: Iterable<[Value, Value]>): RObject {
    const o = new RObject();
    for (const [k, v] of entries) o.set(k, v);
    return o;
  }

  get size(): number {
    return this.map.size;
  }

  get(k: Value): Value | undefined {
    return this.map.get(keyOf(k))?.[1];
  }

  /** Fast path for string keys. */
  getStr(k: string): Value | undefined {
    const c = k.charCodeAt(0);
    return this.map.get(c === 0 || c === 1 ? '\u0001' + k : k)?.[1];
  }

  has(k: Value): boolean {
    return this.map.has(keyOf(k));
  }

  /** Adds or replaces a key. Only for building a new object: values are immutable once shared. */
  set(k: Value, v: Value): this {
    this.map.set(keyOf(k), [k, v]);
    this.sorted = undefined;
    return this;
  }

  delete(k: Value): this {
    this.map.delete(keyOf(k));
    this.sorted = undefined;
    return this;
  }

  /** Entries in Rego's sort order of keys. */
  entries(): [Value, Value][] {
    if (this.sorted === undefined) this.sorted = [...this.map.values()].sort((a, b) => compare(a[0], b[0]));
    return this.sorted;
  }

  keys(): Value[] {
    return this.entries().map((e) => e[0]);
  }

  values(): Value[] {
    return this.entries().map((e) => e[1]);
  }

  /** Entries in insertion order (cheaper when order does not matter). */
  unorderedEntries(): IterableIterator<[Value, Value]> {
    return this.map.values();
  }

  clone(): RObject {
    const o = new RObject();
    for (const [k, e] of this.map) o.map.set(k, e);
    return o;
  }
}

export class RSet {
  private readonly map = new Map<string, Value>();
  private sorted: Value[] | undefined;

  static from(items: Iterable<Value>): RSet {
    const s = new RSet();
    for (const v of items) s.add(v);
    return s;
  }

  get size(): number {
    return this.map.size;
  }

  has(v: Value): boolean {
    return this.map.has(keyOf(v));
  }

  /** Adds an element. Only for building a new set: values are immutable once shared. */
  add(v: Value): this {
    const k = keyOf(v);
    if (!this.map.has(k)) {
      this.map.set(k, v);
      this.sorted = undefined;
    }
    return this;
  }

  delete(v: Value): this {
    if (this.map.delete(keyOf(v))) this.sorted = undefined;
    return this;
  }

  /** Elements in Rego's sort order. */
  values(): Value[] {
    if (this.sorted === undefined) this.sorted = [...this.map.values()].sort(compare);
    return this.sorted;
  }

  unorderedValues(): IterableIterator<Value> {
    return this.map.values();
  }

  clone(): RSet {
    const s = new RSet();
    for (const [k, v] of this.map) s.map.set(k, v);
    return s;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Type names, equality and ordering (OPA's ast.Compare: null < boolean < number < string < array < object < set)

export type TypeName = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object' | 'set';

export function typeName(v: Value): TypeName {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return 'boolean';
    case 'string':
      return 'string';
    case 'number':
      return 'number';
  }
  if (v instanceof BigNum) return 'number';
  if (Array.isArray(v)) return 'array';
  if (v instanceof RObject) return 'object';
  return 'set';
}

const ORDER: Record<TypeName, number> = { null: 0, boolean: 1, number: 2, string: 3, array: 4, object: 5, set: 6 };

export function compare(a: Value, b: Value): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  const ta = typeName(a);
  const tb = typeName(b);
  if (ta !== tb) return ORDER[ta] - ORDER[tb];
  switch (ta) {
    case 'null':
      return 0;
    case 'boolean':
      return a === b ? 0 : a === false ? -1 : 1;
    case 'number':
      return compareNumbers(a as number | BigNum, b as number | BigNum);
    case 'string':
      return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
    case 'array': {
      const x = a as Value[];
      const y = b as Value[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compare(x[i] as Value, y[i] as Value);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
    case 'object': {
      const x = (a as RObject).entries();
      const y = (b as RObject).entries();
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const [xk, xv] = x[i] as [Value, Value];
        const [yk, yv] = y[i] as [Value, Value];
        const c = compare(xk, yk) || compare(xv, yv);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
    case 'set': {
      const x = (a as RSet).values();
      const y = (b as RSet).values();
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compare(x[i] as Value, y[i] as Value);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
  }
}

export function equal(a: Value, b: Value): boolean {
  if (a === b) return true;
  const ta = typeof a;
  if (ta === 'string' || ta === 'boolean' || a === null || b === null) return false;
  if (ta === 'number' && typeof b === 'number') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equal(a[i] as Value, b[i] as Value)) return false;
    return true;
  }
  if (a instanceof RObject) {
    if (!(b instanceof RObject) || a.size !== b.size) return false;
    for (const [k, v] of a.unorderedEntries()) {
      const w = b.get(k);
      if (w === undefined || !equal(v, w)) return false;
    }
    return true;
  }
  if (a instanceof RSet) {
    if (!(b instanceof RSet) || a.size !== b.size) return false;
    for (const v of a.unorderedValues()) if (!b.has(v)) return false;
    return true;
  }
  return compare(a, b) === 0;
}

// ---------------------------------------------------------------------------------------------------------
// Conversion from and to plain JS / JSON

/** Converts a plain JS value (as from JSON.parse or a YAML parser) to a Rego value. */
export function fromJS(x: unknown): Value {
  if (x === null || x === undefined) return null;
  switch (typeof x) {
    case 'string':
    case 'boolean':
      return x;
    case 'number':
      return Number.isFinite(x) ? x : null;
    case 'bigint':
      return BigNum.fromBigInt(x);
    case 'object':
      break;
    default:
      return null;
  }
  if (Array.isArray(x)) return x.map(fromJS);
  if (x instanceof BigNum || x instanceof RObject || x instanceof RSet) return x;
  if (x instanceof Set) return RSet.from([...x].map(fromJS));
  if (x instanceof Map) return RObject.from([...x].map(([k, v]) => [fromJS(k), fromJS(v)] as [Value, Value]));
  const o = new RObject();
  for (const k of Object.keys(x as object)) o.set(k, fromJS((x as Record<string, unknown>)[k]));
  return o;
}

/**
 * Converts a Rego value to plain JS for JSON output: sets become sorted arrays, objects with non-string keys
 * get their keys serialised as JSON text (as OPA does), big numbers become JS numbers (use toJSON for exact text).
 */
export function toJS(v: Value): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof BigNum) return v.approx;
  if (Array.isArray(v)) return v.map(toJS);
  if (v instanceof RSet) return v.values().map(toJS);
  const o: Record<string, unknown> = {};
  for (const [k, x] of v.entries()) o[typeof k === 'string' ? k : toJSON(k)] = toJS(x);
  return o;
}

/** Serialises a value as JSON without losing number digits. `indent` as in JSON.stringify. */
export function toJSON(v: Value, indent = 0): string {
  return writeJSON(v, indent, '');
}

function writeJSON(v: Value, indent: number, pad: string): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return numberText(v);
  }
  if (v instanceof BigNum) return v.text;
  const inner = indent ? pad + ' '.repeat(indent) : '';
  const nl = indent ? '\n' : '';
  const sep = indent ? ': ' : ':';
  let items: string[];
  let open: string;
  let close: string;
  if (Array.isArray(v) || v instanceof RSet) {
    const list = Array.isArray(v) ? v : v.values();
    items = list.map((x) => inner + writeJSON(x, indent, inner));
    open = '[';
    close = ']';
  } else {
    items = v
      .entries()
      .map(
        ([k, x]) => inner + JSON.stringify(typeof k === 'string' ? k : toJSON(k)) + sep + writeJSON(x, indent, inner),
      );
    open = '{';
    close = '}';
  }
  if (items.length === 0) return open + close;
  return open + nl + items.join(',' + nl) + nl + (indent ? pad : '') + close;
}

/**
 * Parses JSON text into a Rego value without losing number digits (JSON.parse would round big numbers).
 * Throws a SyntaxError with the offset on malformed input.
 */
export function parseJSON(text: string): Value {
  // Fast path: when no number literal is long enough to lose precision, JSON.parse is exact.
  if (!/\d{16}|\d[eE]|\.\d{15}/.test(text)) return fromJS(JSON.parse(text));
  let i = 0;
  const n = text.length;
  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} in JSON at position ${i}`);
  };
  const value = (): Value => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const o = new RObject();
      ws();
      if (text[i] === '}') {
        i++;
        return o;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('Expected property name');
        const k = str();
        ws();
        if (text[i] !== ':') fail("Expected ':'");
        i++;
        o.set(k, value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return o;
        }
        fail("Expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const a: Value[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return a;
      }
      for (;;) {
        a.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return a;
        }
        fail("Expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    const m = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    m.lastIndex = i;
    const r = m.exec(text);
    if (!r) return fail('Unexpected token');
    i = m.lastIndex;
    return parseNumber(r[0]) as number | BigNum;
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 34) break;
      if (c === 92) i++;
      i++;
    }
    if (i >= n) fail('Unterminated string');
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const v = value();
  ws();
  if (i < n) fail('Unexpected non-whitespace character after JSON');
  return v;
}
