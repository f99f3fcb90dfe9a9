// std.format / the `%` operator on strings: Python's printf-style formatting as Jsonnet defines it
// (mapping keys %(name)s, flags #0- +, width and precision with *, conversions d i u o x X e E f F g G c s %).
import { JsonnetError, type Loc } from './errors.ts';
import type { Evaluator } from './evaluator.ts';
import { formatG, JArray, JObject, toStr, typeName, type Val } from './value.ts';

interface Code {
  key?: string;
  alt: boolean;
  zero: boolean;
  left: boolean;
  blank: boolean;
  plus: boolean;
  width: number | '*' | undefined;
  prec: number | '*' | undefined;
  conv: string;
}

function parseCodes(fmt: string, loc?: Loc): (string | Code)[] {
  const out: (string | Code)[] = [];
  let lit = '';
  let i = 0;
  const fail = (m: string): never => {
    throw new JsonnetError('runtime', m, loc);
  };
  while (i < fmt.length) {
    const c = fmt[i]!;
    if (c !== '%') {
      lit += c;
      i++;
      continue;
    }
    i++;
    const code: Code = {
      alt: false,
      zero: false,
      left: false,
      blank: false,
      plus: false,
      width: undefined,
      prec: undefined,
      conv: '',
    };
    if (fmt[i] === '(') {
      const end = fmt.indexOf(')', i);
      if (end < 0) fail('truncated format code.');
      code.key = fmt.slice(i + 1, end);
      i = end + 1;
    }
    for (;;) {
      const f = fmt[i];
      if (f === '#') code.alt = true;
      else if (f === '0') code.zero = true;
      else if (f === '-') code.left = true;
      else if (f === ' ') code.blank = true;
      else if (f === '+') code.plus = true;
      else break;
      i++;
    }
    if (fmt[i] === '*') {
      code.width = '*';
      i++;
    } else {
      const m = /^[0-9]+/.exec(fmt.slice(i));
      if (m) {
        code.width = Number(m[0]);
        i += m[0].length;
      }
    }
    if (fmt[i] === '.') {
      i++;
      if (fmt[i] === '*') {
        code.prec = '*';
        i++;
      } else {
        const m = /^[0-9]*/.exec(fmt.slice(i))!;
        code.prec = Number(m[0] || '0');
        i += m[0].length;
      }
    }
    while (fmt[i] === 'h' || fmt[i] === 'l' || fmt[i] === 'L') i++;
    const conv = fmt[i];
    if (conv === undefined) fail('truncated format code.');
    if (!'diouxXeEfFgGcrs%'.includes(conv!)) fail(`unrecognised conversion type: ${conv}`);
    code.conv = conv!;
    i++;
    if (code.conv === '%' && code.key === undefined && code.width === undefined) {
      lit += '%';
      continue;
    }
    if (lit) out.push(lit);
    lit = '';
    out.push(code);
  }
  if (lit) out.push(lit);
  return out;
}

function pad(s: string, width: number, left: boolean, ch = ' '): string {
  if (s.length >= width) return s;
  return left ? s + ' '.repeat(width - s.length) : ch.repeat(width - s.length) + s;
}

/** sign + digits padded with zeros to width (zero flag) or precision (min digits) */
function renderNumber(neg: boolean, digits: string, code: Code, width: number, prefix = ''): string {
  const sign = neg ? '-' : code.plus ? '+' : code.blank ? ' ' : '';
  if (code.zero && !code.left) {
    const zeros = Math.max(0, width - sign.length - prefix.length - digits.length);
    return sign + prefix + '0'.repeat(zeros) + digits;
  }
  return pad(sign + prefix + digits, width, code.left);
}

function formatOne(code: Code, v: Val, width: number, prec: number | undefined, loc?: Loc): string {
  const num = (): number => {
    if (typeof v !== 'number')
      throw new JsonnetError('runtime', `format error: %${code.conv} requires a number, got ${typeName(v)}`, loc);
    return v;
  };
  switch (code.conv) {
    case 's':
    case 'r':
      return pad(toStr(v), width, code.left);
    case 'c': {
      let s: string;
      if (typeof v === 'number') s = String.fromCodePoint(v);
      else if (typeof v === 'string' && [...v].length === 1) s = v;
      else
        throw new JsonnetError(
          'runtime',
          `%c expected 1-sized string got: ${typeof v === 'string' ? [...v].length : typeName(v)}`,
          loc,
        );
      return pad(s, width, code.left);
    }
    case 'd':
    case 'i':
    case 'u': {
      const n = num();
      const digits = BigInt(Math.trunc(Math.abs(n)))
        .toString()
        .padStart(prec ?? 0, '0');
      // the sign is the integer part's: -0.3 formats as 0
      return renderNumber(Math.trunc(n) < 0, digits, code, width);
    }
    case 'o':
    case 'x':
    case 'X': {
      const n = num();
      let digits = BigInt(Math.trunc(Math.abs(n))).toString(code.conv === 'o' ? 8 : 16);
      if (code.conv === 'X') digits = digits.toUpperCase();
      digits = digits.padStart(prec ?? 0, '0');
      // octal's alternate form only makes sure of a leading 0
      const prefix = !code.alt
        ? ''
        : code.conv === 'o'
          ? digits.startsWith('0')
            ? ''
            : '0'
          : code.conv === 'x'
            ? '0x'
            : '0X';
      return renderNumber(n < 0, digits, code, width, prefix);
    }
    case 'f':
    case 'F': {
      const n = num();
      let digits = Math.abs(n).toFixed(prec ?? 6);
      if (code.alt && !digits.includes('.')) digits += '.';
      return renderNumber(n < 0 || Object.is(n, -0), digits, code, width);
    }
    case 'e':
    case 'E': {
      const n = num();
      const [m, e] = Math.abs(n)
        .toExponential(prec ?? 6)
        .split('e') as [string, string];
      const en = Number(e);
      let digits = `${code.alt && !m.includes('.') ? m + '.' : m}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
      if (code.conv === 'E') digits = digits.toUpperCase();
      return renderNumber(n < 0, digits, code, width);
    }
    case 'g':
    case 'G': {
      const n = num();
      let digits = formatG(Math.abs(n), prec ?? 6, code.alt);
      if (code.conv === 'G') digits = digits.toUpperCase();
      return renderNumber(n < 0, digits, code, width);
    }
    case '%':
      return pad('%', width, code.left);
  }
  throw new JsonnetError('runtime', `unrecognised conversion type: ${code.conv}`, loc);
}

export function formatString(ev: Evaluator, fmt: string, vals: Val, loc?: Loc): string {
  void ev;
  const codes = parseCodes(fmt, loc);
  let out = '';
  if (vals instanceof JObject) {
    for (const c of codes) {
      if (typeof c === 'string') {
        out += c;
        continue;
      }
      if (c.key === undefined) throw new JsonnetError('runtime', 'format error: mapping keys required.', loc);
      if (c.width === '*' || c.prec === '*') throw new JsonnetError('runtime', 'cannot use * width with object.', loc);
      const v = c.conv === '%' ? null : vals.get(c.key, undefined, loc);
      out += formatOne(c, v, c.width ?? 0, c.prec, loc);
    }
    return out;
  }
  const args: Val[] = vals instanceof JArray ? vals.items.map((t) => t.get()) : [vals];
  let k = 0;
  const nextArg = (): Val => {
    if (k >= args.length)
      throw new JsonnetError(
        'runtime',
        `not enough values to format: ${args.length}, expected more than ${args.length}`,
        loc,
      );
    return args[k++]!;
  };
  for (const c of codes) {
    if (typeof c === 'string') {
      out += c;
      continue;
    }
    let width = 0;
    if (c.width === '*') {
      const w = nextArg();
      if (typeof w !== 'number')
        throw new JsonnetError('runtime', `a * was specified at position ${k - 1}, expected a number`, loc);
      width = w;
    } else width = c.width ?? 0;
    let prec: number | undefined;
    if (c.prec === '*') {
      const p = nextArg();
      if (typeof p !== 'number')
        throw new JsonnetError('runtime', `a * was specified at position ${k - 1}, expected a number`, loc);
      prec = p;
    } else prec = c.prec;
    out += formatOne(c, c.conv === '%' ? null : nextArg(), width, prec, loc);
  }
  if (k < args.length)
    throw new JsonnetError('runtime', `too many values to format: ${args.length}, expected ${k}`, loc);
  return out;
}
