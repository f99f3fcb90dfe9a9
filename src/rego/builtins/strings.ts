// Rego builtins of the "strings" category. OPA indexes strings by Unicode code points (Go runes), so
// indexof/substring/count work on code points, not UTF-16 units. sprintf follows Go's fmt.Sprintf with the
// argument conversion OPA applies (integers as int or *big.Int, other numbers as float64, strings as-is,
// everything else as its Rego text).
import { BigNum, numberText, RObject, RSet, toBigInt, typeName, type Value } from '../value.ts';
import { BuiltinError, OperandError, type BuiltinGroup } from './builtin.ts';
import { floatTrunc, toFloat } from './numbers.ts';
import { int, num, obj, str } from './operands.ts';

// ---------------------------------------------------------------------------------------------------------
// Helpers

function isASCII(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Number of code points in s[0, end) (UTF-16 offset end). */
function cpIndex(s: string, end: number): number {
  let n = 0;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** The elements of a string-or-array-or-set operand as strings (StringSliceOperand). */
function stringSlice(v: Value, pos: number): string[] {
  const list = Array.isArray(v) ? v : (v as RSet).values();
  const t = typeName(v);
  return list.map((x) => {
    if (typeof x !== 'string')
      throw new OperandError(pos, `operand ${pos} must be ${t} of strings but got ${t} containing ${typeName(x)}`);
    return x;
  });
}

function stringsOperand(args: Value[], i: number): string[] {
  const v = args[i] as Value;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) || v instanceof RSet) return stringSlice(v, i + 1);
  throw new OperandError(i + 1, `operand ${i + 1} must be one of {string, set, array} but got ${typeName(v)}`);
}

// Go's unicode.IsSpace.
const SPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
  0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

function trimWith(s: string, left: boolean, right: boolean, drop: (cp: number) => boolean): string {
  const cps = Array.from(s);
  let start = 0;
  let end = cps.length;
  if (left) while (start < end && drop((cps[start] as string).codePointAt(0) as number)) start++;
  if (right) while (end > start && drop((cps[end - 1] as string).codePointAt(0) as number)) end--;
  if (start === 0 && end === cps.length) return s;
  return cps.slice(start, end).join('');
}

function cutsetTrim(args: Value[], left: boolean, right: boolean): string {
  const s = str(args, 0);
  const cutset = str(args, 1);
  if (cutset === '' || s === '') return s;
  const set = new Set(Array.from(cutset, (c) => c.codePointAt(0) as number));
  return trimWith(s, left, right, (cp) => set.has(cp));
}

function mapRunes(s: string, f: (c: string) => string): string {
  let out = '';
  for (const c of s) {
    const m = f(c);
    // Go maps rune by rune (simple case mapping): keep the rune when the full mapping changes its length.
    out += Array.from(m).length === 1 ? m : c;
  }
  return out;
}

/** strings.NewReplacer(oldnew...).Replace(s): leftmost matches, earlier pairs win at the same position. */
function replaceAll(s: string, pairs: [string, string][]): string {
  if (pairs.length === 1) {
    const [o, n] = pairs[0] as [string, string];
    if (o !== '') return s.split(o).join(n);
  }
  let out = '';
  let prevEmpty = false;
  for (let i = 0; i <= s.length;) {
    let match: [string, string] | undefined;
    for (const p of pairs) {
      if (p[0] === '') {
        if (prevEmpty) continue;
        match = p;
        break;
      }
      if (s.startsWith(p[0], i)) {
        match = p;
        break;
      }
    }
    if (match !== undefined) {
      out += match[1];
      i += match[0].length;
      prevEmpty = match[0] === '';
      continue;
    }
    prevEmpty = false;
    if (i >= s.length) break;
    const ch = String.fromCodePoint(s.codePointAt(i) as number);
    out += ch;
    i += ch.length;
  }
  return out;
}

/**
 * sprintf's common case without Go's fmt machinery: every verb a bare `%v` or `%s` (or `%%`) whose operand is
 * not a number, each operand used once in order. Such an operand reaches fmt as a string, printed as is.
 * Anything else (flags, widths, other verbs, numbers, missing or extra operands) gives undefined: the caller
 * runs the full goSprintf.
 */
function simpleSprintf(format: string, list: Value[]): string | undefined {
  let out = '';
  let i = 0;
  let argNum = 0;
  for (;;) {
    const pct = format.indexOf('%', i);
    if (pct < 0) break;
    out += format.slice(i, pct);
    const verb = format.charCodeAt(pct + 1);
    if (verb === 37) {
      out += '%';
    } else if (verb === 118 || verb === 115) {
      const v = list[argNum++];
      if (v === undefined || typeof v === 'number' || v instanceof BigNum) return undefined;
      out += typeof v === 'string' ? v : regoString(v);
    } else return undefined;
    i = pct + 2;
  }
  if (argNum !== list.length) return undefined;
  return out + format.slice(i);
}

/** How OPA's sprintf hands a value to Go's fmt. */
function toGoArg(v: Value): GoArg {
  if (typeof v === 'string') return { kind: 'string', v };
  if (typeof v === 'number' || v instanceof BigNum) {
    const text = typeof v === 'number' ? numberText(v) : v.text;
    if (/^-?\d+$/.test(text)) {
      const b = BigInt(text);
      return b >= -(2n ** 63n) && b < 2n ** 63n ? { kind: 'int', v: b } : { kind: 'bigint', v: b };
    }
    const f = Number(text);
    if (Number.isFinite(f)) return { kind: 'float', v: f };
    return { kind: 'string', v: text };
  }
  return { kind: 'string', v: regoString(v) };
}

// ---------------------------------------------------------------------------------------------------------
// Builtins

export const builtins: BuiltinGroup = {
  concat: (args) => {
    const sep = str(args, 0);
    const v = args[1] as Value;
    if (!Array.isArray(v) && !(v instanceof RSet))
      throw new OperandError(2, `operand 2 must be one of {set, array} but got ${typeName(v)}`);
    return stringSlice(v, 2).join(sep);
  },
  contains: (args) => str(args, 0).includes(str(args, 1)),
  startswith: (args) => str(args, 0).startsWith(str(args, 1)),
  endswith: (args) => str(args, 0).endsWith(str(args, 1)),
  lower: (args) => {
    const s = str(args, 0);
    return isASCII(s) ? s.toLowerCase() : mapRunes(s, (c) => (c === '\u0130' ? 'i' : c.toLowerCase()));
  },
  upper: (args) => {
    const s = str(args, 0);
    return isASCII(s) ? s.toUpperCase() : mapRunes(s, (c) => c.toUpperCase());
  },
  format_int: (args) => {
    const input = num(args, 0);
    const base = num(args, 1);
    const b = typeof base === 'number' ? base : undefined;
    if (b !== 2 && b !== 8 && b !== 10 && b !== 16)
      throw new OperandError(2, 'operand 2 must be one of {2, 8, 10, 16}');
    const i = toBigInt(input) ?? floatTrunc(toFloat(input));
    return i.toString(b);
  },
  indexof: (args) => {
    const s = str(args, 0);
    const search = str(args, 1);
    if (search === '') throw new BuiltinError('empty search character');
    const idx = s.indexOf(search);
    return idx < 0 ? -1 : cpIndex(s, idx);
  },
  indexof_n: (args) => {
    const s = str(args, 0);
    const search = str(args, 1);
    if (search === '') throw new BuiltinError('empty search character');
    const out: Value[] = [];
    let from = 0;
    for (;;) {
      const idx = s.indexOf(search, from);
      if (idx < 0) break;
      out.push(cpIndex(s, idx));
      from = idx + 1;
    }
    return out;
  },
  substring: (args) => {
    const s = str(args, 0);
    const startB = int(args, 1);
    const lengthB = int(args, 2);
    if (startB < 0n) throw new BuiltinError('negative offset');
    if (s === '') return '';
    const start = Number(startB);
    const length = Number(lengthB);
    if (isASCII(s)) {
      if (start >= s.length) return '';
      if (length < 0) return s.slice(start);
      return s.slice(start, Math.min(s.length, start + length));
    }
    const cps = Array.from(s);
    if (start >= cps.length) return '';
    if (length < 0) return cps.slice(start).join('');
    return cps.slice(start, Math.min(cps.length, start + length)).join('');
  },
  replace: (args) => {
    const s = str(args, 0);
    const old = str(args, 1);
    const n = str(args, 2);
    return replaceAll(s, [[old, n]]);
  },
  'strings.replace_n': (args) => {
    const patterns = obj(args, 0);
    const s = str(args, 1);
    const pairs: [string, string][] = [];
    for (const [k, v] of patterns.entries()) {
      if (typeof k !== 'string') throw new OperandError(1, 'operand 1 non-string key found in pattern object');
      if (typeof v !== 'string') throw new OperandError(1, 'operand 1 non-string value found in pattern object');
      pairs.push([k, v]);
    }
    if (pairs.length === 0) return s;
    return replaceAll(s, pairs);
  },
  split: (args) => {
    const s = str(args, 0);
    const d = str(args, 1);
    if (d === '') return Array.from(s);
    return s.split(d);
  },
  trim: (args) => cutsetTrim(args, true, true),
  trim_left: (args) => cutsetTrim(args, true, false),
  trim_right: (args) => cutsetTrim(args, false, true),
  trim_prefix: (args) => {
    const s = str(args, 0);
    const p = str(args, 1);
    return s.startsWith(p) ? s.slice(p.length) : s;
  },
  trim_suffix: (args) => {
    const s = str(args, 0);
    const p = str(args, 1);
    return p !== '' && s.endsWith(p) ? s.slice(0, s.length - p.length) : s;
  },
  trim_space: (args) => trimWith(str(args, 0), true, true, (cp) => SPACE.has(cp)),
  sprintf: (args) => {
    const format = str(args, 0);
    const list = args[1] as Value;
    if (!Array.isArray(list)) throw new OperandError(2, `operand 2 must be array but got ${typeName(list)}`);
    return simpleSprintf(format, list) ?? goSprintf(format, list.map(toGoArg));
  },
  'strings.reverse': (args) => Array.from(str(args, 0)).reverse().join(''),
  'strings.count': (args) => {
    const s = str(args, 0);
    const sub = str(args, 1);
    if (sub === '') return cpIndex(s, s.length) + 1;
    let n = 0;
    let from = 0;
    for (;;) {
      const idx = s.indexOf(sub, from);
      if (idx < 0) return n;
      n++;
      from = idx + sub.length;
    }
  },
  'strings.any_prefix_match': (args) => {
    const strs = stringsOperand(args, 0);
    const prefixes = stringsOperand(args, 1);
    return strs.some((s) => prefixes.some((p) => s.startsWith(p)));
  },
  'strings.any_suffix_match': (args) => {
    const strs = stringsOperand(args, 0);
    const suffixes = stringsOperand(args, 1);
    return strs.some((s) => suffixes.some((p) => s.endsWith(p)));
  },
  'strings.render_template': (args) => {
    const tmpl = str(args, 0);
    const vars = obj(args, 1);
    return renderTemplate(tmpl, vars);
  },
};

// =========================================================================================================
// Go's fmt.Sprintf for the argument kinds OPA's sprintf passes (int, *big.Int, float64, string), Go string
// quoting (strconv.Quote), and OPA's textual form of values (ast.Value.String()).

export type GoArg =
  | { kind: 'int'; v: bigint } // Go int (int64)
  | { kind: 'bigint'; v: bigint } // *big.Int
  | { kind: 'float'; v: number } // float64
  | { kind: 'string'; v: string }
  | { kind: 'json.Number'; v: string }; // a Go string type: formats like a string, named json.Number

const TYPE_NAMES: Record<GoArg['kind'], string> = {
  int: 'int',
  bigint: '*big.Int',
  float: 'float64',
  string: 'string',
  'json.Number': 'json.Number',
};

// ---------------------------------------------------------------------------------------------------------
// Quoting

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function quoteRuneBody(cp: number, quote: string, asciiOnly: boolean): string {
  const ch = String.fromCodePoint(cp);
  if (ch === quote || ch === '\\') return '\\' + ch;
  if (cp < 0x80 ? cp >= 0x20 && cp < 0x7f : !asciiOnly && PRINTABLE.test(ch)) return ch;
  switch (cp) {
    case 7:
      return '\\a';
    case 8:
      return '\\b';
    case 12:
      return '\\f';
    case 10:
      return '\\n';
    case 13:
      return '\\r';
    case 9:
      return '\\t';
    case 11:
      return '\\v';
  }
  if (cp < 0x20 || cp === 0x7f) return '\\x' + cp.toString(16).padStart(2, '0');
  if (cp >= 0xd800 && cp <= 0xdfff) return '\\ufffd';
  if (cp < 0x10000) return '\\u' + cp.toString(16).padStart(4, '0');
  return '\\U' + cp.toString(16).padStart(8, '0');
}

/** strconv.Quote (or QuoteToASCII). */
export function goQuote(s: string, asciiOnly = false): string {
  let out = '"';
  for (const ch of s) out += quoteRuneBody(ch.codePointAt(0) as number, '"', asciiOnly);
  return out + '"';
}

function goQuoteRune(cp: number, asciiOnly = false): string {
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) cp = 0xfffd;
  return "'" + quoteRuneBody(cp, "'", asciiOnly) + "'";
}

function canBackquote(s: string): boolean {
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (ch === '`' || cp === 0xfeff) return false;
    if (cp < 0x20 && cp !== 9) return false;
    if (cp === 0x7f) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// OPA's String() of values

/** The text OPA prints for a value (ast.Value.String()): strings quoted, sets as {…} or set(). */
export function regoString(v: Value): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'string':
      return goQuote(v);
    case 'number':
      return numberText(v);
  }
  if (v instanceof BigNum) return v.text;
  if (Array.isArray(v)) return '[' + v.map(regoString).join(', ') + ']';
  if (v instanceof RObject) {
    return (
      '{' +
      v
        .entries()
        .map(([k, x]) => regoString(k) + ': ' + regoString(x))
        .join(', ') +
      '}'
    );
  }
  if (v.size === 0) return 'set()';
  return '{' + v.values().map(regoString).join(', ') + '}';
}

// ---------------------------------------------------------------------------------------------------------
// Exact decimal digits of doubles (strconv's decimal type)

interface Digits {
  d: string; // digits without leading/trailing zeros ('' for zero)
  dp: number; // decimal point position: value = 0.d × 10^dp
}

function exactDigits(x: number): Digits {
  if (x === 0) return { d: '', dp: 0 };
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, Math.abs(x));
  const bits = buf.getBigUint64(0);
  const bexp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let e: number;
  if (bexp === 0) e = -1074;
  else {
    mant |= 1n << 52n;
    e = bexp - 1075;
  }
  let s: string;
  let dp: number;
  if (e >= 0) {
    s = (mant << BigInt(e)).toString();
    dp = s.length;
  } else {
    s = (mant * 5n ** BigInt(-e)).toString();
    dp = s.length + e;
  }
  return trim({ d: s, dp });
}

function trim(x: Digits): Digits {
  let end = x.d.length;
  while (end > 0 && x.d.charCodeAt(end - 1) === 48) end--;
  let start = 0;
  while (start < end && x.d.charCodeAt(start) === 48) start++;
  if (start === end) return { d: '', dp: 0 };
  return { d: x.d.slice(start, end), dp: x.dp - start };
}

/** decimal.Round(nd): rounds to nd digits, ties to even (the digits are exact). */
function roundDigits(x: Digits, nd: number): Digits {
  if (nd < 0 || nd >= x.d.length) return x;
  let up: boolean;
  const c = x.d.charCodeAt(nd);
  if (c === 53 && nd + 1 === x.d.length) up = nd > 0 && (x.d.charCodeAt(nd - 1) - 48) % 2 === 1;
  else up = c >= 53;
  if (!up) return trim({ d: x.d.slice(0, nd), dp: x.dp });
  let i = nd - 1;
  while (i >= 0 && x.d[i] === '9') i--;
  if (i < 0) return { d: '1', dp: x.dp + 1 };
  return { d: x.d.slice(0, i) + String.fromCharCode(x.d.charCodeAt(i) + 1), dp: x.dp };
}

function shortestDigits(x: number): Digits {
  if (x === 0) return { d: '', dp: 0 };
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(Math.abs(x).toExponential()) as RegExpExecArray;
  return trim({ d: (m[1] as string) + (m[2] ?? ''), dp: Number(m[3]) + 1 });
}

function fmtE(digs: Digits, prec: number, e: string): string {
  let out = digs.d.length === 0 ? '0' : (digs.d[0] as string);
  if (prec > 0) {
    out += '.';
    let i = 1;
    const m = Math.min(digs.d.length, prec + 1);
    if (i < m) {
      out += digs.d.slice(i, m);
      i = m;
    }
    for (; i <= prec; i++) out += '0';
  }
  out += e;
  let exp = digs.dp - 1;
  if (digs.d.length === 0) exp = 0;
  out += exp < 0 ? '-' : '+';
  exp = Math.abs(exp);
  out += exp < 10 ? '0' + exp : String(exp);
  return out;
}

function fmtF(digs: Digits, prec: number): string {
  let out = '';
  if (digs.dp > 0) {
    const m = Math.min(digs.d.length, digs.dp);
    out += digs.d.slice(0, m);
    for (let i = m; i < digs.dp; i++) out += '0';
  } else out += '0';
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) {
      const j = digs.dp + i - 1;
      out += j >= 0 && j < digs.d.length ? digs.d[j] : '0';
    }
  }
  return out;
}

const MASK64 = (1n << 64n) - 1n;

/** strconv's binary ('b': mantissa p exponent) and hexadecimal ('x', 'X') float formats. */
function formatFloatBinary(x: number, fmt: string, prec: number): string {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const bits = buf.getBigUint64(0);
  const neg = bits >> 63n === 1n;
  let exp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  if (exp === 0) exp++;
  else mant |= 1n << 52n;
  exp -= 1023;
  const sign = neg ? '-' : '';
  if (fmt === 'b') {
    const e = exp - 52;
    return sign + mant.toString() + 'p' + (e >= 0 ? '+' : '') + e;
  }
  if (mant === 0n) exp = 0;
  mant <<= 8n;
  while (mant !== 0n && (mant & (1n << 60n)) === 0n) {
    mant <<= 1n;
    exp--;
  }
  if (prec >= 0 && prec < 15) {
    const shift = BigInt(prec * 4);
    const extra = (mant << shift) & ((1n << 60n) - 1n);
    mant >>= 60n - shift;
    if ((extra | (mant & 1n)) > 1n << 59n) mant++;
    mant <<= 60n - shift;
    if ((mant & (1n << 61n)) !== 0n) {
      mant >>= 1n;
      exp++;
    }
  }
  const hex = fmt === 'X' ? '0123456789ABCDEF' : '0123456789abcdef';
  let out = sign + '0' + fmt + String((mant >> 60n) & 1n);
  mant = (mant << 4n) & MASK64;
  if (prec < 0 && mant !== 0n) {
    out += '.';
    while (mant !== 0n) {
      out += hex[Number((mant >> 60n) & 15n)];
      mant = (mant << 4n) & MASK64;
    }
  } else if (prec > 0) {
    out += '.';
    for (let i = 0; i < prec; i++) {
      out += hex[Number((mant >> 60n) & 15n)];
      mant = (mant << 4n) & MASK64;
    }
  }
  out += fmt === 'X' ? 'P' : 'p';
  out += exp < 0 ? '-' : '+';
  const ax = Math.abs(exp);
  return out + (ax < 10 ? '0' + ax : String(ax));
}

/** strconv.FormatFloat(x, fmt, prec, 64) for fmt in b e E f g G x X (prec -1 = shortest). */
export function formatFloat(x: number, fmt: string, prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  if (fmt === 'b' || fmt === 'x' || fmt === 'X') return formatFloatBinary(x, fmt, prec);
  const neg = x < 0 || Object.is(x, -0);
  const shortest = prec < 0;
  let digs: Digits;
  if (shortest) {
    digs = shortestDigits(x);
    switch (fmt) {
      case 'e':
      case 'E':
        prec = Math.max(digs.d.length - 1, 0);
        break;
      case 'f':
        prec = Math.max(digs.d.length - digs.dp, 0);
        break;
      default:
        prec = digs.d.length;
    }
  } else {
    digs = exactDigits(x);
    switch (fmt) {
      case 'e':
      case 'E':
        digs = roundDigits(digs, prec + 1);
        break;
      case 'f':
        digs = roundDigits(digs, digs.dp + prec);
        break;
      default:
        if (prec === 0) prec = 1;
        digs = roundDigits(digs, prec);
    }
  }
  const sign = neg ? '-' : '';
  switch (fmt) {
    case 'e':
    case 'E':
      return sign + fmtE(digs, prec, fmt);
    case 'f':
      return sign + fmtF(digs, prec);
  }
  let eprec = prec;
  if (eprec > digs.d.length && digs.d.length >= digs.dp) eprec = digs.d.length;
  if (shortest) eprec = 6;
  const exp = digs.dp - 1;
  if (exp < -4 || exp >= eprec) {
    if (prec > digs.d.length) prec = digs.d.length;
    return sign + fmtE(digs, prec - 1, fmt === 'G' ? 'E' : 'e');
  }
  if (prec > digs.dp) prec = digs.d.length;
  return sign + fmtF(digs, Math.max(prec - digs.dp, 0));
}

// ---------------------------------------------------------------------------------------------------------
// fmt.Sprintf

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  wid: number | undefined;
  prec: number | undefined;
}

function runeLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function pad(s: string, f: Flags, zeroAllowed = true): string {
  if (f.wid === undefined) return s;
  const n = f.wid - runeLen(s);
  if (n <= 0) return s;
  if (f.minus) return s + ' '.repeat(n);
  return (f.zero && zeroAllowed ? '0' : ' ').repeat(n) + s;
}

function fmtInteger(v: bigint, verb: string, f: Flags, isBig: boolean): string {
  const neg = v < 0n;
  const u = neg ? -v : v;
  let base = 10;
  switch (verb) {
    case 'b':
      base = 2;
      break;
    case 'o':
    case 'O':
      base = 8;
      break;
    case 'x':
    case 'X':
      base = 16;
      break;
  }
  let prec = 0;
  if (f.prec !== undefined) {
    prec = f.prec;
    if (prec === 0 && u === 0n) return f.wid !== undefined ? ' '.repeat(f.wid) : '';
  } else if (f.zero && !f.minus && f.wid !== undefined) {
    prec = f.wid;
    if (neg || f.plus || f.space) prec--;
  }
  let digits = u.toString(base);
  if (verb === 'X') digits = digits.toUpperCase();
  if (digits.length < prec) digits = '0'.repeat(prec - digits.length) + digits;
  if (f.sharp) {
    if (base === 2) digits = '0b' + digits;
    else if (base === 8 && digits[0] !== '0') digits = '0' + digits;
    else if (base === 16) digits = (verb === 'X' ? '0X' : '0x') + digits;
  }
  if (verb === 'O') digits = '0o' + digits;
  if (neg) digits = '-' + digits;
  else if (f.plus) digits = '+' + digits;
  else if (f.space) digits = ' ' + digits;
  void isBig;
  return pad(digits, f, false);
}

function fmtFloatVerb(x: number, verb: string, f: Flags): string {
  let fmt = verb;
  let prec = -1;
  switch (verb) {
    case 'v':
      fmt = 'g';
      break;
    case 'e':
    case 'E':
    case 'f':
    case 'F':
      prec = 6;
      break;
  }
  if (fmt === 'F') fmt = 'f';
  if (f.prec !== undefined) prec = f.prec;
  let num = formatFloat(x, fmt, prec);
  if (f.sharp && (fmt === 'g' || fmt === 'G') && !num.includes('.') && !/[eE]/.test(num)) {
    // '#' keeps the decimal point (and trailing zeros) for %g.
    const digits = num.replace(/^-/, '').length;
    const want = prec < 0 ? 6 : prec;
    num += '.' + (want > digits ? '0'.repeat(want - digits) : '');
  }
  let sign = '';
  if (num[0] === '-' || num[0] === '+') {
    sign = num[0];
    num = num.slice(1);
  } else if (f.plus) sign = '+';
  else if (f.space) sign = ' ';
  if (f.zero && !f.minus && f.wid !== undefined && f.wid > num.length + sign.length && Number.isFinite(x)) {
    return sign + '0'.repeat(f.wid - num.length - sign.length) + num;
  }
  return pad(sign + num, f, false);
}

function truncateRunes(s: string, n: number): string {
  let out = '';
  let i = 0;
  for (const ch of s) {
    if (i++ >= n) break;
    out += ch;
  }
  return out;
}

function fmtStringVerb(s: string, verb: string, f: Flags): string | undefined {
  switch (verb) {
    case 'v':
      // %#v prints Go syntax: a quoted string.
      if (f.sharp) return pad(goQuote(f.prec !== undefined ? truncateRunes(s, f.prec) : s), f);
      return pad(f.prec !== undefined ? truncateRunes(s, f.prec) : s, f);
    case 's':
      return pad(f.prec !== undefined ? truncateRunes(s, f.prec) : s, f);
    case 'q': {
      if (f.prec !== undefined) s = truncateRunes(s, f.prec);
      if (f.sharp && canBackquote(s)) return pad('`' + s + '`', f);
      return pad(goQuote(s, f.plus), f);
    }
    case 'x':
    case 'X': {
      let bytes = new TextEncoder().encode(s);
      if (f.prec !== undefined && f.prec < bytes.length) bytes = bytes.subarray(0, f.prec);
      const parts: string[] = [];
      for (const b of bytes) {
        let h = b.toString(16).padStart(2, '0');
        if (verb === 'X') h = h.toUpperCase();
        if (f.sharp && (f.space || parts.length === 0)) h = (verb === 'X' ? '0X' : '0x') + h;
        parts.push(h);
      }
      return pad(parts.join(f.space ? ' ' : ''), f);
    }
  }
  return undefined;
}

function argText(a: GoArg): string {
  switch (a.kind) {
    case 'int':
    case 'bigint':
      return a.v.toString();
    case 'float':
      return formatFloat(a.v, 'g', -1);
    case 'string':
    case 'json.Number':
      return a.v;
  }
}

function badVerb(verb: string, a: GoArg): string {
  if (a.kind === 'bigint') return `%!${verb}(big.Int=${a.v.toString()})`;
  return `%!${verb}(${TYPE_NAMES[a.kind]}=${argText(a)})`;
}

function formatArg(a: GoArg, verb: string, f: Flags): string {
  switch (a.kind) {
    case 'int':
      switch (verb) {
        case 'v':
        case 'd':
        case 'b':
        case 'o':
        case 'O':
        case 'x':
        case 'X':
          return fmtInteger(a.v, verb, f, false);
        case 'c':
          return pad(String.fromCodePoint(validRune(a.v)), f);
        case 'q':
          return pad(goQuoteRune(validRune(a.v), f.plus), f);
        case 'U': {
          let s =
            'U+' +
            (a.v < 0n ? (a.v & 0xffffffffffffffffn).toString(16) : a.v.toString(16)).toUpperCase().padStart(4, '0');
          if (f.sharp && a.v >= 0n && a.v <= 0x10ffffn && PRINTABLE.test(String.fromCodePoint(Number(a.v))))
            s += " '" + String.fromCodePoint(Number(a.v)) + "'";
          return pad(s, f);
        }
      }
      return badVerb(verb, a);
    case 'bigint':
      switch (verb) {
        case 'v':
        case 's':
        case 'd':
          return fmtInteger(a.v, 'd', f, true);
        case 'b':
        case 'o':
        case 'O':
        case 'x':
        case 'X':
          return fmtInteger(a.v, verb, f, true);
      }
      return badVerb(verb, a);
    case 'float':
      switch (verb) {
        case 'b':
        case 'x':
        case 'X':
        case 'v':
        case 'e':
        case 'E':
        case 'f':
        case 'F':
        case 'g':
        case 'G':
          return fmtFloatVerb(a.v, verb, f);
      }
      return badVerb(verb, a);
    case 'string':
    case 'json.Number': {
      const s = fmtStringVerb(a.v, verb, f);
      return s ?? badVerb(verb, a);
    }
  }
}

function validRune(v: bigint): number {
  if (v < 0n || v > 0x10ffffn) return 0xfffd;
  const n = Number(v);
  return n >= 0xd800 && n <= 0xdfff ? 0xfffd : n;
}

/** fmt's parsenum: a run of digits; an absurdly long one (over 10^6) consumes the rest of the format. */
function parsenum(s: string, start: number): { num: number | undefined; next: number } {
  let num = 0;
  let i = start;
  for (; i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57; i++) {
    if (num > 1e6) return { num: undefined, next: s.length };
    num = num * 10 + (s.charCodeAt(i) - 48);
  }
  return { num: i > start ? num : undefined, next: i };
}

/** Go's fmt.Sprintf. */
/**
 * An explicit argument index `[n]` at `i`: where the verb continues, the 0-based argument to use next, and
 * whether an index of this verb was bad. (A plain function: a closure created per call costs in this hot path.)
 */
function argIndexAt(format: string, i: number, argNum: number, bad: boolean): [number, number, boolean] {
  const close = format.indexOf(']', i);
  const idx = close < 0 ? NaN : Number(format.slice(i + 1, close));
  if (close < 0 || !Number.isInteger(idx) || idx < 1) return [close < 0 ? format.length : close + 1, argNum, true];
  return [close + 1, idx - 1, bad];
}

export function goSprintf(format: string, args: GoArg[]): string {
  let out = '';
  let argNum = 0;
  let reordered = false;
  const n = format.length;
  let i = 0;
  let badIndex = false;
  while (i < n) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const f: Flags = {
      plus: false,
      minus: false,
      sharp: false,
      space: false,
      zero: false,
      wid: undefined,
      prec: undefined,
    };
    flags: for (; i < n; i++) {
      switch (format[i]) {
        case '#':
          f.sharp = true;
          break;
        case '0':
          f.zero = !f.minus;
          break;
        case '+':
          f.plus = true;
          break;
        case '-':
          f.minus = true;
          f.zero = false;
          break;
        case ' ':
          f.space = true;
          break;
        default:
          break flags;
      }
    }
    badIndex = false;
    if (format[i] === '[') {
      reordered = true;
      [i, argNum, badIndex] = argIndexAt(format, i, argNum, badIndex);
    }
    if (format[i] === '*') {
      i++;
      const a = args[argNum++];
      if (a === undefined || a.kind !== 'int' || a.v > 1000000n || a.v < -1000000n) out += '%!(BADWIDTH)';
      else {
        f.wid = Number(a.v);
        if (f.wid < 0) {
          f.minus = true;
          f.zero = false;
          f.wid = -f.wid;
        }
      }
    } else {
      const r = parsenum(format, i);
      f.wid = r.num;
      i = r.next;
    }
    if (format[i] === '.') {
      i++;
      if (format[i] === '[') {
        reordered = true;
        [i, argNum, badIndex] = argIndexAt(format, i, argNum, badIndex);
      }
      if (format[i] === '*') {
        i++;
        const a = args[argNum++];
        if (a === undefined || a.kind !== 'int' || a.v > 1000000n || a.v < -1000000n) out += '%!(BADPREC)';
        else if (a.v >= 0n) f.prec = Number(a.v); // a negative precision means none
      } else {
        const r = parsenum(format, i);
        f.prec = r.num ?? 0;
        i = r.next;
      }
    }
    if (format[i] === '[') {
      reordered = true;
      [i, argNum, badIndex] = argIndexAt(format, i, argNum, badIndex);
    }
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i) as number);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (badIndex) {
      out += `%!${verb}(BADINDEX)`;
      continue;
    }
    const a = args[argNum];
    if (a === undefined) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    argNum++;
    if (verb === 'T') {
      out += pad(TYPE_NAMES[a.kind], f);
      continue;
    }
    out += formatArg(a, verb, f);
  }
  if (!reordered && argNum < args.length) {
    out += '%!(EXTRA ';
    out += args
      .slice(argNum)
      .map((a) => `${a.kind === 'bigint' ? '*big.Int' : TYPE_NAMES[a.kind]}=${argText(a)}`)
      .join(', ');
    out += ')';
  }
  return out;
}

// =========================================================================================================
// strings.render_template: the commonly used part of Go's text/template (fields, variables, if/else,
// range, with, comparison and logic functions, printf), run with missingkey=error as OPA does. Values are
// seen as OPA hands them to Go (through JSON): objects are maps, sets are arrays, numbers are json.Number.

type TNode =
  | { t: 'text'; s: string }
  | { t: 'action'; pipe: Pipe }
  | { t: 'if' | 'with'; pipe: Pipe; body: TNode[]; els: TNode[] }
  | { t: 'range'; pipe: Pipe; body: TNode[]; els: TNode[] };

interface Pipe {
  decl: string[];
  assign: boolean;
  cmds: TOperand[][];
}

type TOperand =
  | { t: 'field'; base: 'dot' | string; path: string[]; pos: number; text: string } // base: 'dot' or $x
  | { t: 'lit'; v: TVal }
  | { t: 'ident'; name: string }
  | { t: 'pipe'; pipe: Pipe; path: string[] };

type TVal = Value | undefined;

class TemplateError extends Error {
  /** Set once the message carries the position and node ("template:1:2: executing … at <.x>: …"). */
  located = false;
}

/** Action tokens with their offsets in the template. */
type Tokens = string[] & { off: number[] };

function tokenizeAction(src: string, base: number): Tokens {
  const toks = [] as unknown as Tokens;
  toks.off = [];
  const push = (t: string, at: number): void => {
    toks.push(t);
    toks.off.push(base + at);
  };
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === '`' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' && c !== '`' ? 2 : 1;
      if (j >= src.length) throw new TemplateError('unterminated quoted string');
      push(src.slice(i, j + 1), i);
      i = j + 1;
      continue;
    }
    if (src.startsWith(':=', i)) {
      push(':=', i);
      i += 2;
      continue;
    }
    if ('()|=,'.includes(c)) {
      push(c, i);
      i++;
      continue;
    }
    const m = /^[^\s()|=,"`']+/.exec(src.slice(i)) as RegExpExecArray;
    push(m[0], i);
    i += m[0].length;
  }
  return toks;
}

function parsePipe(toks: Tokens, pos: { i: number }, stop: string | undefined): Pipe {
  const pipe: Pipe = { decl: [], assign: false, cmds: [] };
  // Declarations: $x := … or $i, $e := …
  const save = pos.i;
  const vars: string[] = [];
  while (toks[pos.i]?.startsWith('$') && !toks[pos.i]?.includes('.')) {
    vars.push(toks[pos.i] as string);
    pos.i++;
    if (toks[pos.i] === ',') {
      pos.i++;
      continue;
    }
    break;
  }
  if (vars.length > 0 && (toks[pos.i] === ':=' || toks[pos.i] === '=')) {
    pipe.assign = toks[pos.i] === '=';
    pipe.decl = vars;
    pos.i++;
  } else pos.i = save;
  let cmd: TOperand[] = [];
  while (pos.i < toks.length && toks[pos.i] !== stop) {
    const tok = toks[pos.i++] as string;
    if (tok === '|') {
      if (cmd.length === 0) throw new TemplateError('missing command');
      pipe.cmds.push(cmd);
      cmd = [];
      continue;
    }
    if (tok === '(') {
      const inner = parsePipe(toks, pos, ')');
      if (toks[pos.i] !== ')') throw new TemplateError('unclosed left paren');
      pos.i++;
      let path: string[] = [];
      const next = toks[pos.i];
      if (next !== undefined && next.startsWith('.') && next.length > 1) {
        path = next.slice(1).split('.');
        pos.i++;
      }
      cmd.push({ t: 'pipe', pipe: inner, path });
      continue;
    }
    cmd.push(parseOperand(tok, toks.off[pos.i - 1] ?? 0));
  }
  if (cmd.length > 0) pipe.cmds.push(cmd);
  if (pipe.cmds.length === 0) throw new TemplateError('missing value for command');
  return pipe;
}

function parseOperand(tok: string, pos: number): TOperand {
  if (tok === '.') return { t: 'field', base: 'dot', path: [], pos, text: tok };
  if (tok.startsWith('.')) return { t: 'field', base: 'dot', path: tok.slice(1).split('.'), pos, text: tok };
  if (tok.startsWith('$')) {
    const [name, ...path] = tok.split('.');
    return { t: 'field', base: name as string, path, pos, text: tok };
  }
  if (tok.startsWith('"')) return { t: 'lit', v: JSON.parse(tok) as string };
  if (tok.startsWith('`')) return { t: 'lit', v: tok.slice(1, -1) };
  if (tok.startsWith("'"))
    return { t: 'lit', v: (JSON.parse('"' + tok.slice(1, -1) + '"') as string).codePointAt(0) ?? 0 };
  if (tok === 'true' || tok === 'false') return { t: 'lit', v: tok === 'true' };
  if (tok === 'nil') return { t: 'lit', v: null };
  if (/^[+-]?(\d|\.\d)/.test(tok)) {
    const n = Number(tok);
    if (Number.isNaN(n)) throw new TemplateError(`bad number syntax: ${JSON.stringify(tok)}`);
    return { t: 'lit', v: n };
  }
  if (/^[A-Za-z_]\w*$/.test(tok)) return { t: 'ident', name: tok };
  throw new TemplateError(`unexpected ${JSON.stringify(tok)} in command`);
}

function parseTemplate(src: string): TNode[] {
  // Split into text and actions, honouring the {{- and -}} trim markers.
  const parts: { text?: string; action?: string; off?: number }[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      parts.push({ text: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    let start = open + 2;
    if (src.startsWith('- ', start) || src.startsWith('-\t', start) || src.startsWith('-\n', start)) {
      text = text.replace(/\s+$/, '');
      start += 1;
    }
    if (text) parts.push({ text });
    const close = src.indexOf('}}', start);
    if (close < 0) throw new TemplateError('unclosed action');
    let end = close;
    let trimRight = false;
    if (close - 1 >= start && src[close - 1] === '-' && /\s/.test(src[close - 2] ?? '')) {
      end = close - 1;
      trimRight = true;
    }
    const raw = src.slice(start, end);
    parts.push({ action: raw.trim(), off: start + (raw.length - raw.trimStart().length) });
    i = close + 2;
    if (trimRight) while (i < src.length && /\s/.test(src[i] as string)) i++;
  }
  let p = 0;
  let lastEnderOff = 0;
  const list = (enders: string[]): [TNode[], string] => {
    const nodes: TNode[] = [];
    while (p < parts.length) {
      const part = parts[p++] as { text?: string; action?: string; off?: number };
      if (part.text !== undefined) {
        nodes.push({ t: 'text', s: part.text });
        continue;
      }
      const a = part.action as string;
      if (a.startsWith('/*')) continue;
      const word = /^\w+/.exec(a)?.[0] ?? '';
      if (enders.includes(word) || (word === 'else' && enders.includes('else'))) {
        lastEnderOff = part.off ?? 0;
        return [nodes, a];
      }
      if (word === 'if' || word === 'with' || word === 'range') {
        nodes.push(control(word, a.slice(word.length), (part.off ?? 0) + word.length));
        continue;
      }
      if (word === 'end' || word === 'else') throw new TemplateError(`unexpected {{${word}}}`);
      if (word === 'define' || word === 'template' || word === 'block')
        throw new TemplateError(`{{${word}}} is not supported`);
      const toks = tokenizeAction(a, part.off ?? 0);
      nodes.push({ t: 'action', pipe: parsePipe(toks, { i: 0 }, undefined) });
    }
    if (enders.length > 0) throw new TemplateError('unexpected EOF');
    return [nodes, ''];
  };
  const control = (word: 'if' | 'with' | 'range', rest: string, off: number): TNode => {
    const pipe = parsePipe(tokenizeAction(rest, off), { i: 0 }, undefined);
    const [body, ender] = list(['end', 'else']);
    let els: TNode[] = [];
    if (ender.startsWith('else')) {
      const after = ender.slice(4).trim();
      if (after.startsWith('if ') || after.startsWith('with ')) {
        // {{else if …}} chains: the rest up to the shared {{end}} forms a nested node.
        const w = after.startsWith('if ') ? 'if' : 'with';
        const afterOff = lastEnderOff + ender.length - after.length + w.length;
        els = [control(w, after.slice(w.length), afterOff)];
      } else {
        const [e] = list(['end']);
        els = e;
      }
    }
    return { t: word, pipe, body, els } as TNode;
  };
  const [nodes] = list([]);
  return nodes;
}

function truthy(v: TVal): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof RObject || v instanceof RSet) return v.size > 0;
  if (v instanceof BigNum) return v.approx !== 0;
  return true;
}

/** Go's %v of a value decoded from JSON into interface{}. */
function goPrint(v: TVal): string {
  if (v === undefined || v === null) return '<no value>';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  // OPA decodes the variables with UseNumber: numbers print as their text.
  if (typeof v === 'number' || v instanceof BigNum) return numberText(v);
  if (Array.isArray(v) || v instanceof RSet) {
    const list = Array.isArray(v) ? v : v.values();
    return '[' + list.map((x) => (x === null ? '<nil>' : goPrint(x))).join(' ') + ']';
  }
  const keys = v
    .entries()
    .map(([k, x]) => [typeof k === 'string' ? k : toJSONKey(k), x] as [string, Value])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return 'map[' + keys.map(([k, x]) => k + ':' + (x === null ? '<nil>' : goPrint(x))).join(' ') + ']';
}

function toJSONKey(k: Value): string {
  return regoString(k);
}

function tnum(v: TVal): number | undefined {
  if (typeof v === 'number') return v;
  if (v instanceof BigNum) return v.approx;
  return undefined;
}

function tcompare(a: TVal, b: TVal, fn: string): number {
  const x = tnum(a);
  const y = tnum(b);
  if (x !== undefined && y !== undefined) return x < y ? -1 : x > y ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean' && (fn === 'eq' || fn === 'ne')) return a === b ? 0 : 1;
  if ((a === null || a === undefined) && (b === null || b === undefined) && (fn === 'eq' || fn === 'ne')) return 0;
  throw new TemplateError(`error calling ${fn}: incompatible types for comparison`);
}

function toTemplateGoArg(v: TVal): GoArg {
  if (typeof v === 'string') return { kind: 'string', v };
  if (typeof v === 'number' || v instanceof BigNum) return { kind: 'json.Number', v: numberText(v) };
  return { kind: 'string', v: goPrint(v) };
}

function renderTemplate(src: string, vars: RObject): string {
  let nodes: TNode[];
  try {
    nodes = parseTemplate(src);
  } catch (e) {
    if (e instanceof TemplateError) throw new BuiltinError(`template: template:1: ${e.message}`);
    throw e;
  }
  let out = '';
  const scopes: Map<string, TVal>[] = [new Map([['$', vars]])];
  const lookupVar = (name: string): TVal => {
    for (let i = scopes.length - 1; i >= 0; i--) {
      const s = scopes[i] as Map<string, TVal>;
      if (s.has(name)) return s.get(name);
    }
    throw new TemplateError(`undefined variable "${name}"`);
  };
  const setVar = (name: string, v: TVal, assign: boolean): void => {
    if (assign) {
      for (let i = scopes.length - 1; i >= 0; i--) {
        const s = scopes[i] as Map<string, TVal>;
        if (s.has(name)) {
          s.set(name, v);
          return;
        }
      }
      throw new TemplateError(`undefined variable "${name}"`);
    }
    (scopes[scopes.length - 1] as Map<string, TVal>).set(name, v);
  };
  const field = (v: TVal, path: string[]): TVal => {
    let cur = v;
    for (const name of path) {
      if (cur instanceof RObject) {
        const x = cur.getStr(name);
        if (x === undefined) throw new TemplateError(`map has no entry for key "${name}"`);
        cur = x;
      } else if (cur === null || cur === undefined) {
        throw new TemplateError(`nil pointer evaluating interface {}.${name}`);
      } else {
        throw new TemplateError(`can't evaluate field ${name} in type ${goType(cur)}`);
      }
    }
    return cur;
  };
  const callFn = (name: string, args: TVal[]): TVal => {
    switch (name) {
      case 'and': {
        let last: TVal = undefined;
        for (const a of args) {
          last = a;
          if (!truthy(a)) return a;
        }
        return last;
      }
      case 'or': {
        let last: TVal = undefined;
        for (const a of args) {
          last = a;
          if (truthy(a)) return a;
        }
        return last;
      }
      case 'not':
        return !truthy(args[0]);
      case 'len': {
        const a = args[0];
        if (typeof a === 'string') return new TextEncoder().encode(a).length;
        if (Array.isArray(a)) return a.length;
        if (a instanceof RObject || a instanceof RSet) return a.size;
        throw new TemplateError(`error calling len: len of type ${goType(a)}`);
      }
      case 'index': {
        let cur = args[0];
        for (const k of args.slice(1)) {
          if (cur instanceof RObject) cur = typeof k === 'string' ? cur.getStr(k) : undefined;
          else if (Array.isArray(cur) || cur instanceof RSet) {
            const list = Array.isArray(cur) ? cur : cur.values();
            const i = tnum(k);
            if (i === undefined || !Number.isInteger(i) || i < 0 || i >= list.length)
              throw new TemplateError(`error calling index: index out of range: ${goPrint(k)}`);
            cur = list[i];
          } else throw new TemplateError(`error calling index: can't index item of type ${goType(cur)}`);
        }
        return cur;
      }
      case 'eq': {
        if (args.length < 2) throw new TemplateError('missing argument for comparison');
        return args.slice(1).some((b) => tcompare(args[0], b, 'eq') === 0);
      }
      case 'ne':
        return tcompare(args[0], args[1], 'ne') !== 0;
      case 'lt':
        return tcompare(args[0], args[1], 'lt') < 0;
      case 'le':
        return tcompare(args[0], args[1], 'le') <= 0;
      case 'gt':
        return tcompare(args[0], args[1], 'gt') > 0;
      case 'ge':
        return tcompare(args[0], args[1], 'ge') >= 0;
      case 'print':
      case 'println': {
        let s = '';
        args.forEach((a, i) => {
          if (name === 'println' && i > 0) s += ' ';
          else if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') s += ' ';
          s += goPrint(a);
        });
        return name === 'println' ? s + '\n' : s;
      }
      case 'printf': {
        if (typeof args[0] !== 'string') throw new TemplateError('error calling printf: format must be a string');
        return goSprintf(args[0], args.slice(1).map(toTemplateGoArg));
      }
    }
    throw new TemplateError(`function "${name}" not defined`);
  };
  const evalOperand = (o: TOperand, dot: TVal): TVal => {
    switch (o.t) {
      case 'lit':
        return o.v;
      case 'field':
        try {
          return field(o.base === 'dot' ? dot : lookupVar(o.base), o.path);
        } catch (e) {
          if (!(e instanceof TemplateError) || e.located) throw e;
          const line = src.slice(0, o.pos).split('\n').length;
          const col = o.pos - src.lastIndexOf('\n', o.pos - 1) - 1;
          const located = new TemplateError(
            `template:${line}:${col}: executing "template" at <${o.text}>: ${e.message}`,
          );
          located.located = true;
          throw located;
        }
      case 'pipe':
        return field(evalPipe(o.pipe, dot), o.path);
      case 'ident':
        return callFn(o.name, []);
    }
  };
  const evalPipe = (pipe: Pipe, dot: TVal): TVal => {
    let prev: TVal = undefined;
    pipe.cmds.forEach((cmd, ci) => {
      const head = cmd[0] as TOperand;
      if (head.t === 'ident') {
        const args = cmd.slice(1).map((o) => evalOperand(o, dot));
        if (ci > 0) args.push(prev);
        prev = callFn(head.name, args);
      } else {
        if (cmd.length > 1 || ci > 0) throw new TemplateError(`can't give argument to non-function`);
        prev = evalOperand(head, dot);
      }
    });
    if (pipe.decl.length === 1) setVar(pipe.decl[0] as string, prev, pipe.assign);
    return prev;
  };
  const run = (list: TNode[], dot: TVal): void => {
    for (const n of list) {
      switch (n.t) {
        case 'text':
          out += n.s;
          break;
        case 'action': {
          const v = evalPipe(n.pipe, dot);
          if (n.pipe.decl.length === 0) out += goPrint(v);
          break;
        }
        case 'if':
        case 'with': {
          scopes.push(new Map());
          const v = evalPipe(n.pipe, dot);
          if (truthy(v)) run(n.body, n.t === 'with' ? v : dot);
          else run(n.els, dot);
          scopes.pop();
          break;
        }
        case 'range': {
          scopes.push(new Map());
          const decl = n.pipe.decl;
          const pipe = { ...n.pipe, decl: [] };
          const v = evalPipe(pipe, dot);
          let items: [TVal, TVal][];
          if (Array.isArray(v) || v instanceof RSet) {
            items = (Array.isArray(v) ? v : v.values()).map((x, i) => [i, x]);
          } else if (v instanceof RObject) {
            items = v.entries().sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1));
          } else if (v === null || v === undefined) items = [];
          else if (typeof v === 'number' && Number.isInteger(v)) items = Array.from({ length: v }, (_, i) => [i, i]);
          else throw new TemplateError(`range can't iterate over ${goPrint(v)}`);
          if (items.length === 0) run(n.els, dot);
          for (const [k, x] of items) {
            scopes.push(new Map());
            if (decl.length === 1) setVar(decl[0] as string, x, false);
            else if (decl.length === 2) {
              setVar(decl[0] as string, k, false);
              setVar(decl[1] as string, x, false);
            }
            run(n.body, x);
            scopes.pop();
          }
          scopes.pop();
          break;
        }
      }
    }
  };
  try {
    run(nodes, vars);
  } catch (e) {
    if (e instanceof TemplateError)
      throw new BuiltinError(
        e.located ? `template: ${e.message}` : `template: template:1: executing "template": ${e.message}`,
      );
    throw e;
  }
  return out;
}

function goType(v: TVal): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number' || v instanceof BigNum) return 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v) || v instanceof RSet) return '[]interface {}';
  if (v instanceof RObject) return 'map[string]interface {}';
  return 'interface {}';
}
