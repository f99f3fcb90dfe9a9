// The Jsonnet standard library (https://jsonnet.org/ref/stdlib.html), written natively: every function
// is a hidden field of `std` holding a builtin. Higher-order functions call back into the evaluator.
import { createHash } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import { JsonnetError, type Loc } from './errors.ts';
import { compare, slice, type Evaluator } from './evaluator.ts';
import { formatString } from './format.ts';
import {
  escapeXml,
  manifestIni,
  manifestJsonEx,
  manifestPython,
  manifestToml,
  manifestXmlJsonml,
  manifestYamlDoc,
  escapeJson,
} from './manifest.ts';
import {
  checkNum,
  cmpStrings,
  JArray,
  JFunc,
  JObject,
  OPTIONAL,
  Thunk,
  toStr,
  typeName,
  type FieldDef,
  type Val,
} from './value.ts';

/** builtin arguments, missing ones already replaced by their defaults */
type Args = [Val, Val, Val, Val];
type Impl = (args: Args, loc: Loc | undefined) => Val;

const fail = (msg: string, loc?: Loc): never => {
  throw new JsonnetError('runtime', msg, loc);
};

export function equals(a: Val, b: Val, loc?: Loc): boolean {
  if (a === b) return true;
  if (a instanceof JArray && b instanceof JArray) {
    if (a.items.length !== b.items.length) return false;
    return a.items.every((t, i) => equals(t.get(), b.items[i]!.get(), loc));
  }
  if (a instanceof JObject && b instanceof JObject) {
    const ka = a.fieldNames(false);
    const kb = b.fieldNames(false);
    if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
    return ka.every((k) => equals(a.get(k), b.get(k), loc));
  }
  if (a instanceof JFunc || b instanceof JFunc) fail('cannot test equality of functions', loc);
  return false;
}

function arr(v: Val, fn: string, loc?: Loc): Val[] {
  if (!(v instanceof JArray)) fail(`std.${fn} first param must be an array, got ${typeName(v)}`, loc);
  return (v as JArray).items.map((t) => t.get());
}
function str(v: Val, fn: string, loc?: Loc): string {
  if (typeof v !== 'string') fail(`std.${fn} expected string, got ${typeName(v)}`, loc);
  return v as string;
}
function num(v: Val, fn: string, loc?: Loc): number {
  if (typeof v !== 'number') fail(`std.${fn} expected number, got ${typeName(v)}`, loc);
  return v as number;
}
function obj(v: Val, fn: string, loc?: Loc): JObject {
  if (!(v instanceof JObject)) fail(`std.${fn} expected object, got ${typeName(v)}`, loc);
  return v as JObject;
}
function func(v: Val, fn: string, loc?: Loc): JFunc {
  if (!(v instanceof JFunc)) fail(`std.${fn} expected function, got ${typeName(v)}`, loc);
  return v as JFunc;
}
function bool(v: Val, fn: string, loc?: Loc): boolean {
  if (typeof v !== 'boolean') fail(`std.${fn} expected boolean, got ${typeName(v)}`, loc);
  return v as boolean;
}
/** arrays, or strings as arrays of characters */
function seq(v: Val, fn: string, loc?: Loc): Val[] {
  if (typeof v === 'string') return [...v];
  return arr(v, fn, loc);
}

/** Plain JS value (for JSON/YAML parsing) → Jsonnet value. */
export function fromJs(v: unknown): Val {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  if (Array.isArray(v)) return JArray.of(v.map(fromJs));
  if (typeof v === 'object') {
    const fields = new Map<string, FieldDef>();
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const val = fromJs(x);
      fields.set(k, { vis: ':', plus: false, eval: () => val });
    }
    return new JObject([{ fields }]);
  }
  return null;
}

/** An object with the given visible fields (values already computed). */
export function makeObject(entries: [string, Val][]): JObject {
  const fields = new Map<string, FieldDef>();
  for (const [k, v] of entries) fields.set(k, { vis: ':', plus: false, eval: () => v });
  return new JObject([{ fields }]);
}

function sortVals(ev: Evaluator, vals: Val[], keyF: Val, loc?: Loc): Val[] {
  const keys = vals.map((v) => (keyF instanceof JFunc ? ev.call(keyF, [v], loc) : v));
  const idx = vals.map((_, i) => i);
  idx.sort((a, b) => compare(keys[a]!, keys[b]!, loc) || a - b);
  return idx.map((i) => vals[i]!);
}

function uniqVals(ev: Evaluator, vals: Val[], keyF: Val, loc?: Loc): Val[] {
  const out: Val[] = [];
  let lastKey: Val | undefined;
  for (const v of vals) {
    const k = keyF instanceof JFunc ? ev.call(keyF, [v], loc) : v;
    if (out.length === 0 || !equals(k, lastKey as Val, loc)) out.push(v);
    lastKey = k;
  }
  return out;
}

function utf8Bytes(v: Val, fn: string, loc?: Loc): Buffer {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  return Buffer.from(
    arr(v, fn, loc).map((b) => {
      const n = num(b, fn, loc);
      if (!Number.isInteger(n) || n < 0 || n > 255)
        fail(`std.${fn}: expected an array of bytes (integers 0-255), got ${n}`, loc);
      return n;
    }),
  );
}

function stripChars(s: string, chars: string, left: boolean, right: boolean): string {
  const cs = new Set([...chars]);
  const cps = [...s];
  let a = 0;
  let b = cps.length;
  if (left) while (a < b && cs.has(cps[a]!)) a++;
  if (right) while (b > a && cs.has(cps[b - 1]!)) b--;
  return cps.slice(a, b).join('');
}

function parseIntBase(s: string, base: number, fn: string, loc?: Loc): number {
  const re = base === 10 ? /^-?[0-9]+$/ : base === 8 ? /^[0-7]+$/ : /^[0-9a-fA-F]+$/;
  if (!re.test(s)) fail(`${JSON.stringify(s)} is not a base ${base} integer`, loc);
  void fn;
  const neg = s.startsWith('-');
  const n = Number(BigInt.asIntN(128, BigInt((base === 16 ? '0x' : base === 8 ? '0o' : '') + (neg ? s.slice(1) : s))));
  return neg ? -n : n;
}

function prune(v: Val): Val | undefined {
  const empty = (x: Val | undefined) =>
    x === undefined ||
    x === null ||
    (x instanceof JArray && x.items.length === 0) ||
    (x instanceof JObject && x.fieldNames(false).length === 0);
  if (v instanceof JArray) {
    const items = v.items.map((t) => prune(t.get())).filter((x) => !empty(x)) as Val[];
    return JArray.of(items);
  }
  if (v instanceof JObject) {
    const entries: [string, Val][] = [];
    for (const k of v.fieldNames(false)) {
      const x = prune(v.get(k));
      if (!empty(x)) entries.push([k, x as Val]);
    }
    return makeObject(entries);
  }
  return v;
}

function mergePatch(target: Val, patch: Val): Val {
  if (!(patch instanceof JObject)) return patch;
  const t = target instanceof JObject ? target : makeObject([]);
  const tFields = t.fieldNames(false);
  const pFields = patch.fieldNames(false);
  const entries: [string, Val][] = [];
  const names = [...new Set([...tFields, ...pFields])].sort(cmpStrings);
  for (const k of names) {
    if (pFields.includes(k)) {
      const pv = patch.get(k);
      if (pv === null) continue;
      entries.push([k, mergePatch(tFields.includes(k) ? t.get(k) : null, pv)]);
    } else entries.push([k, t.get(k)]);
  }
  return makeObject(entries);
}

export function makeStd(ev: Evaluator): JObject {
  const fields = new Map<string, FieldDef>();
  const def = (name: string, params: string[], impl: Impl, defaults: (Val | typeof OPTIONAL | undefined)[] = []) => {
    const f = new JFunc(
      params.map((p) => ({ name: p })),
      (bound, loc) =>
        impl(bound.map((t, i) => (t ? t.get() : defaults[i] === OPTIONAL ? undefined : defaults[i])) as Args, loc),
      `std.${name}`,
      params.map((_, i) => defaults[i]),
    );
    fields.set(name, { vis: '::', plus: false, eval: () => f });
  };
  const value = (name: string, v: Val) => fields.set(name, { vis: '::', plus: false, eval: () => v });

  // types
  def('type', ['x'], ([x]) => typeName(x));
  def('isString', ['v'], ([v]) => typeof v === 'string');
  def('isNumber', ['v'], ([v]) => typeof v === 'number');
  def('isBoolean', ['v'], ([v]) => typeof v === 'boolean');
  def('isObject', ['v'], ([v]) => v instanceof JObject);
  def('isArray', ['v'], ([v]) => v instanceof JArray);
  def('isFunction', ['v'], ([v]) => v instanceof JFunc);
  def('isNull', ['v'], ([v]) => v === null);
  def('length', ['x'], ([x], loc) => {
    if (typeof x === 'string') return [...x].length;
    if (x instanceof JArray) return x.items.length;
    if (x instanceof JObject) return x.fieldNames(false).length;
    if (x instanceof JFunc) return x.params.length;
    return fail(`length operates on strings, objects, functions and arrays, got ${typeName(x)}`, loc);
  });
  value('pi', Math.PI);

  // numbers
  const math1 = (name: string, f: (x: number) => number) =>
    def(name, ['x'], ([x], loc) => checkNum(f(num(x, name, loc)), loc));
  math1('abs', Math.abs);
  math1('sign', Math.sign);
  math1('floor', Math.floor);
  math1('ceil', Math.ceil);
  math1('sqrt', Math.sqrt);
  math1('sin', Math.sin);
  math1('cos', Math.cos);
  math1('tan', Math.tan);
  math1('asin', Math.asin);
  math1('acos', Math.acos);
  math1('atan', Math.atan);
  math1('exp', Math.exp);
  math1('log', Math.log);
  math1('log2', Math.log2);
  math1('log10', Math.log10);
  math1('round', (x) => (x < 0 ? -Math.round(-x) : Math.round(x)));
  math1('deg2rad', (x) => (x * Math.PI) / 180);
  math1('rad2deg', (x) => (x * 180) / Math.PI);
  def('atan2', ['y', 'x'], ([y, x], loc) => Math.atan2(num(y, 'atan2', loc), num(x, 'atan2', loc)));
  def('hypot', ['a', 'b'], ([a, b], loc) => Math.hypot(num(a, 'hypot', loc), num(b, 'hypot', loc)));
  def('pow', ['x', 'n'], ([x, n], loc) => checkNum(Math.pow(num(x, 'pow', loc), num(n, 'pow', loc)), loc));
  def('exponent', ['x'], ([x], loc) => {
    const n = num(x, 'exponent', loc);
    return n === 0 ? 0 : Math.floor(Math.log2(Math.abs(n))) + 1;
  });
  def('mantissa', ['x'], ([x], loc) => {
    const n = num(x, 'mantissa', loc);
    return n === 0 ? 0 : n / Math.pow(2, Math.floor(Math.log2(Math.abs(n))) + 1);
  });
  def('isEven', ['x'], ([x], loc) => Math.trunc(num(x, 'isEven', loc)) % 2 === 0);
  def('isOdd', ['x'], ([x], loc) => Math.abs(Math.trunc(num(x, 'isOdd', loc)) % 2) === 1);
  def('isInteger', ['x'], ([x], loc) => Number.isInteger(num(x, 'isInteger', loc)));
  def('isDecimal', ['x'], ([x], loc) => !Number.isInteger(num(x, 'isDecimal', loc)));
  def('max', ['a', 'b'], ([a, b], loc) => Math.max(num(a, 'max', loc), num(b, 'max', loc)));
  def('min', ['a', 'b'], ([a, b], loc) => Math.min(num(a, 'min', loc), num(b, 'min', loc)));
  def('clamp', ['x', 'minVal', 'maxVal'], ([x, lo, hi], loc) =>
    Math.min(Math.max(num(x, 'clamp', loc), num(lo, 'clamp', loc)), num(hi, 'clamp', loc)),
  );
  def('mod', ['a', 'b'], ([a, b], loc) => {
    if (typeof a === 'string') return formatString(ev, a, b, loc);
    const x = num(a, 'mod', loc);
    const y = num(b, 'mod', loc);
    if (y === 0) fail('division by zero.', loc);
    return x % y;
  });
  def('modulo', ['a', 'b'], ([a, b], loc) => {
    const y = num(b, 'modulo', loc);
    if (y === 0) fail('division by zero.', loc);
    return num(a, 'modulo', loc) % y;
  });
  def('xor', ['x', 'y'], ([x, y], loc) => bool(x, 'xor', loc) !== bool(y, 'xor', loc));
  def('xnor', ['x', 'y'], ([x, y], loc) => bool(x, 'xnor', loc) === bool(y, 'xnor', loc));

  // strings
  def('toString', ['a'], ([a]) => toStr(a));
  def('codepoint', ['str'], ([s], loc) => {
    const cps = [...str(s, 'codepoint', loc)];
    if (cps.length !== 1) fail(`codepoint takes a string of length 1, got length ${cps.length}`, loc);
    return cps[0]!.codePointAt(0)!;
  });
  def('char', ['n'], ([n], loc) => {
    const c = num(n, 'char', loc);
    if (c < 0 || c > 0x10ffff) fail(`invalid unicode codepoint, got ${c}`, loc);
    return String.fromCodePoint(Math.trunc(c));
  });
  def('substr', ['str', 'from', 'len'], ([s, from, len], loc) => {
    const cps = [...str(s, 'substr', loc)];
    const f = num(from, 'substr', loc);
    const l = num(len, 'substr', loc);
    if (f < 0 || l < 0) fail('substr: from and len must be non-negative', loc);
    return cps.slice(f, f + l).join('');
  });
  def('findSubstr', ['pat', 'str'], ([p, s], loc) => {
    const pat = [...str(p, 'findSubstr', loc)];
    const cps = [...str(s, 'findSubstr', loc)];
    const out: number[] = [];
    if (pat.length === 0) return JArray.of([]);
    for (let i = 0; i + pat.length <= cps.length; i++) if (pat.every((c, k) => cps[i + k] === c)) out.push(i);
    return JArray.of(out);
  });
  def('startsWith', ['a', 'b'], ([a, b], loc) => str(a, 'startsWith', loc).startsWith(str(b, 'startsWith', loc)));
  def('endsWith', ['a', 'b'], ([a, b], loc) => str(a, 'endsWith', loc).endsWith(str(b, 'endsWith', loc)));
  def('stripChars', ['str', 'chars'], ([s, c], loc) =>
    stripChars(str(s, 'stripChars', loc), str(c, 'stripChars', loc), true, true),
  );
  def('lstripChars', ['str', 'chars'], ([s, c], loc) =>
    stripChars(str(s, 'lstripChars', loc), str(c, 'lstripChars', loc), true, false),
  );
  def('rstripChars', ['str', 'chars'], ([s, c], loc) =>
    stripChars(str(s, 'rstripChars', loc), str(c, 'rstripChars', loc), false, true),
  );
  def('trim', ['str'], ([s], loc) => stripChars(str(s, 'trim', loc), ' \t\n\f\r\v\u0085\u00a0', true, true));
  def('split', ['str', 'c'], ([s, c], loc) => {
    const sep = str(c, 'split', loc);
    if (sep.length === 0) fail('std.split second parameter should have length 1 or more, got 0', loc);
    return JArray.of(str(s, 'split', loc).split(sep));
  });
  const splitLimit = (s: string, sep: string, max: number, fromRight: boolean): string[] => {
    if (max < 0) return s.split(sep);
    const parts = s.split(sep);
    if (parts.length <= max + 1) return parts;
    return fromRight
      ? [parts.slice(0, parts.length - max).join(sep), ...parts.slice(parts.length - max)]
      : [...parts.slice(0, max), parts.slice(max).join(sep)];
  };
  def('splitLimit', ['str', 'c', 'maxsplits'], ([s, c, m], loc) =>
    JArray.of(splitLimit(str(s, 'splitLimit', loc), str(c, 'splitLimit', loc), num(m, 'splitLimit', loc), false)),
  );
  def('splitLimitR', ['str', 'c', 'maxsplits'], ([s, c, m], loc) =>
    JArray.of(splitLimit(str(s, 'splitLimitR', loc), str(c, 'splitLimitR', loc), num(m, 'splitLimitR', loc), true)),
  );
  def('strReplace', ['str', 'from', 'to'], ([s, f, t], loc) => {
    const from = str(f, 'strReplace', loc);
    if (from.length === 0) fail("'from' string must not be zero length.", loc);
    return str(s, 'strReplace', loc)
      .split(from)
      .join(str(t, 'strReplace', loc));
  });
  def('asciiUpper', ['str'], ([s], loc) => str(s, 'asciiUpper', loc).replace(/[a-z]/g, (c) => c.toUpperCase()));
  def('asciiLower', ['str'], ([s], loc) => str(s, 'asciiLower', loc).replace(/[A-Z]/g, (c) => c.toLowerCase()));
  def(
    'equalsIgnoreCase',
    ['a', 'b'],
    ([a, b], loc) =>
      str(a, 'equalsIgnoreCase', loc).replace(/[A-Z]/g, (c) => c.toLowerCase()) ===
      str(b, 'equalsIgnoreCase', loc).replace(/[A-Z]/g, (c) => c.toLowerCase()),
  );
  def('isEmpty', ['str'], ([s], loc) => str(s, 'isEmpty', loc).length === 0);
  def('stringChars', ['str'], ([s], loc) => JArray.of([...str(s, 'stringChars', loc)]));
  def('parseInt', ['str'], ([s], loc) => parseIntBase(str(s, 'parseInt', loc), 10, 'parseInt', loc));
  def('parseOctal', ['str'], ([s], loc) => parseIntBase(str(s, 'parseOctal', loc), 8, 'parseOctal', loc));
  def('parseHex', ['str'], ([s], loc) => parseIntBase(str(s, 'parseHex', loc), 16, 'parseHex', loc));
  def('parseJson', ['str'], ([s], loc) => {
    try {
      return fromJs(JSON.parse(str(s, 'parseJson', loc)));
    } catch (e) {
      return fail(`failed to parse JSON: ${(e as Error).message}`, loc);
    }
  });
  def('parseYaml', ['str'], ([s], loc) => {
    const docs = parseAllDocuments(str(s, 'parseYaml', loc));
    for (const d of docs) if (d.errors.length) fail(`failed to parse YAML: ${d.errors[0]!.message}`, loc);
    const vals = docs.map((d) => d.toJS() as unknown);
    return fromJs(vals.length === 0 ? null : vals.length === 1 ? vals[0] : vals);
  });
  def('format', ['str', 'vals'], ([s, v], loc) => formatString(ev, str(s, 'format', loc), v, loc));
  def('escapeStringJson', ['str'], ([s]) => escapeJson(toStr(s)));
  def('escapeStringPython', ['str'], ([s]) => escapeJson(toStr(s)));
  def('escapeStringBash', ['str'], ([s]) => `'${toStr(s).split("'").join(`'"'"'`)}'`);
  def('escapeStringDollars', ['str'], ([s]) => toStr(s).split('$').join('$$'));
  for (const name of ['escapeStringXml', 'escapeStringXML']) def(name, ['str'], ([s]) => escapeXml(toStr(s)));
  def('repeat', ['what', 'count'], ([w, c], loc) => {
    const n = num(c, 'repeat', loc);
    if (typeof w === 'string') return w.repeat(n);
    const items = arr(w, 'repeat', loc);
    return JArray.of(Array.from({ length: n }, () => items).flat());
  });
  def('encodeUTF8', ['str'], ([s], loc) => JArray.of([...Buffer.from(str(s, 'encodeUTF8', loc), 'utf8')]));
  def('decodeUTF8', ['arr'], ([a], loc) => utf8Bytes(a, 'decodeUTF8', loc).toString('utf8'));
  def('base64', ['input'], ([i], loc) => utf8Bytes(i, 'base64', loc).toString('base64'));
  def('base64Decode', ['str'], ([s], loc) => Buffer.from(str(s, 'base64Decode', loc), 'base64').toString('latin1'));
  def('base64DecodeBytes', ['str'], ([s], loc) =>
    JArray.of([...Buffer.from(str(s, 'base64DecodeBytes', loc), 'base64')]),
  );
  for (const [name, algo] of [
    ['md5', 'md5'],
    ['sha1', 'sha1'],
    ['sha256', 'sha256'],
    ['sha512', 'sha512'],
    ['sha3', 'sha3-512'],
  ] as const)
    def(name, ['str'], ([s], loc) =>
      createHash(algo)
        .update(str(s, name, loc), 'utf8')
        .digest('hex'),
    );

  // arrays
  def('makeArray', ['sz', 'func'], ([sz, f], loc) => {
    const n = num(sz, 'makeArray', loc);
    if (!Number.isInteger(n) || n < 0) fail(`makeArray requires size >= 0, got ${n}`, loc);
    const fn = func(f, 'makeArray', loc);
    return new JArray(Array.from({ length: n }, (_, i) => new Thunk(() => ev.call(fn, [i], loc))));
  });
  def('range', ['from', 'to'], ([a, b], loc) => {
    const out: number[] = [];
    for (let i = num(a, 'range', loc); i <= num(b, 'range', loc); i++) out.push(i);
    return JArray.of(out);
  });
  def('map', ['func', 'arr'], ([f, a], loc) => {
    const fn = func(f, 'map', loc);
    return new JArray(seq(a, 'map', loc).map((x) => new Thunk(() => ev.call(fn, [x], loc))));
  });
  def('mapWithIndex', ['func', 'arr'], ([f, a], loc) => {
    const fn = func(f, 'mapWithIndex', loc);
    return new JArray(seq(a, 'mapWithIndex', loc).map((x, i) => new Thunk(() => ev.call(fn, [i, x], loc))));
  });
  def('mapWithKey', ['func', 'obj'], ([f, o], loc) => {
    const fn = func(f, 'mapWithKey', loc);
    const ob = obj(o, 'mapWithKey', loc);
    const fieldsOut = new Map<string, FieldDef>();
    for (const k of ob.fieldNames(false)) {
      const t = new Thunk(() => ev.call(fn, [k, ob.get(k)], loc));
      fieldsOut.set(k, { vis: ':', plus: false, eval: () => t.get() });
    }
    return new JObject([{ fields: fieldsOut }]);
  });
  def('flatMap', ['func', 'arr'], ([f, a], loc) => {
    const fn = func(f, 'flatMap', loc);
    if (typeof a === 'string') return [...a].map((c) => str(ev.call(fn, [c], loc), 'flatMap', loc)).join('');
    const out: Thunk[] = [];
    for (const x of arr(a, 'flatMap', loc)) {
      const r = ev.call(fn, [x], loc);
      if (r === null) continue;
      if (!(r instanceof JArray)) fail(`flatMap func must return an array, got ${typeName(r)}`, loc);
      out.push(...(r as JArray).items);
    }
    return new JArray(out);
  });
  def('filter', ['func', 'arr'], ([f, a], loc) => {
    const fn = func(f, 'filter', loc);
    return JArray.of(arr(a, 'filter', loc).filter((x) => bool(ev.call(fn, [x], loc), 'filter', loc)));
  });
  def('filterMap', ['filter_func', 'map_func', 'arr'], ([f, m, a], loc) => {
    const ff = func(f, 'filterMap', loc);
    const mf = func(m, 'filterMap', loc);
    return JArray.of(
      arr(a, 'filterMap', loc)
        .filter((x) => bool(ev.call(ff, [x], loc), 'filterMap', loc))
        .map((x) => ev.call(mf, [x], loc)),
    );
  });
  def('foldl', ['func', 'arr', 'init'], ([f, a, init], loc) => {
    const fn = func(f, 'foldl', loc);
    let acc = init;
    for (const x of seq(a, 'foldl', loc)) acc = ev.call(fn, [acc, x], loc);
    return acc;
  });
  def('foldr', ['func', 'arr', 'init'], ([f, a, init], loc) => {
    const fn = func(f, 'foldr', loc);
    let acc = init;
    for (const x of seq(a, 'foldr', loc).reverse()) acc = ev.call(fn, [x, acc], loc);
    return acc;
  });
  def('join', ['sep', 'arr'], ([sep, a], loc) => {
    const items = arr(a, 'join', loc);
    if (typeof sep === 'string') {
      const parts: string[] = [];
      for (const x of items) {
        if (x === null) continue;
        if (typeof x !== 'string') fail(`expected string but got ${typeName(x)}`, loc);
        parts.push(x as string);
      }
      return parts.join(sep);
    }
    if (sep instanceof JArray) {
      const out: Thunk[] = [];
      let first = true;
      for (const x of items) {
        if (x === null) continue;
        if (!(x instanceof JArray)) fail(`expected array but got ${typeName(x)}`, loc);
        if (!first) out.push(...sep.items);
        first = false;
        out.push(...(x as JArray).items);
      }
      return new JArray(out);
    }
    return fail(`join first parameter should be string or array, got ${typeName(sep)}`, loc);
  });
  def('lines', ['arr'], ([a], loc) => {
    const items = arr(a, 'lines', loc).filter((x) => x !== null);
    return items.map((x) => str(x, 'lines', loc) + '\n').join('');
  });
  const deepJoin = (v: Val, loc?: Loc): string => {
    if (typeof v === 'string') return v;
    if (v instanceof JArray) return v.items.map((t) => deepJoin(t.get(), loc)).join('');
    return fail(`expected array or string, got ${typeName(v)}`, loc);
  };
  def('deepJoin', ['arr'], ([a], loc) => deepJoin(a, loc));
  def('flattenArrays', ['arrs'], ([a], loc) => {
    const out: Thunk[] = [];
    for (const x of arr(a, 'flattenArrays', loc)) {
      if (x === null) continue;
      if (!(x instanceof JArray)) fail(`expected array, got ${typeName(x)}`, loc);
      out.push(...(x as JArray).items);
    }
    return new JArray(out);
  });
  const flattenDeep = (v: Val): Val[] => (v instanceof JArray ? v.items.flatMap((t) => flattenDeep(t.get())) : [v]);
  def('flattenDeepArray', ['value'], ([v]) => JArray.of(flattenDeep(v)));
  def('reverse', ['arr'], ([a], loc) => {
    if (!(a instanceof JArray)) fail(`reverse expects an array, got ${typeName(a)}`, loc);
    return new JArray([...(a as JArray).items].reverse());
  });
  def('slice', ['indexable', 'index', 'end', 'step'], ([x, i, e, s], loc) => {
    const n = (v: Val | undefined, what: string) => {
      if (v === null || v === undefined) return null;
      return num(v, `slice ${what}`, loc);
    };
    return slice(x, n(i, 'index'), n(e, 'end'), n(s, 'step'), loc);
  });
  def('member', ['arr', 'x'], ([a, x], loc) => {
    if (typeof a === 'string') return a.includes(str(x, 'member', loc));
    return arr(a, 'member', loc).some((y) => equals(y, x, loc));
  });
  def('contains', ['arr', 'elem'], ([a, x], loc) => arr(a, 'contains', loc).some((y) => equals(y, x, loc)));
  def('count', ['arr', 'x'], ([a, x], loc) => arr(a, 'count', loc).filter((y) => equals(y, x, loc)).length);
  def('find', ['value', 'arr'], ([x, a], loc) => {
    const out: number[] = [];
    arr(a, 'find', loc).forEach((y, i) => {
      if (equals(y, x, loc)) out.push(i);
    });
    return JArray.of(out);
  });
  def('remove', ['arr', 'elem'], ([a, x], loc) => {
    const items = arr(a, 'remove', loc);
    const i = items.findIndex((y) => equals(y, x, loc));
    return JArray.of(i < 0 ? items : [...items.slice(0, i), ...items.slice(i + 1)]);
  });
  def('removeAt', ['arr', 'at'], ([a, at], loc) => {
    const items = arr(a, 'removeAt', loc);
    const i = num(at, 'removeAt', loc);
    return JArray.of(items.filter((_, k) => k !== i));
  });
  def('all', ['arr'], ([a], loc) => arr(a, 'all', loc).every((x) => bool(x, 'all', loc)));
  def('any', ['arr'], ([a], loc) => arr(a, 'any', loc).some((x) => bool(x, 'any', loc)));
  def('sum', ['arr'], ([a], loc) => arr(a, 'sum', loc).reduce<number>((s, x) => s + num(x, 'sum', loc), 0));
  def('avg', ['arr'], ([a], loc) => {
    const items = arr(a, 'avg', loc);
    if (items.length === 0) fail('Cannot calculate average of an empty array.', loc);
    return items.reduce<number>((s, x) => s + num(x, 'avg', loc), 0) / items.length;
  });
  const extreme = (name: string, sign: number) =>
    def(
      name,
      ['arr', 'keyF', 'onEmpty'],
      ([a, keyF, onEmpty], loc) => {
        const items = arr(a, name, loc);
        if (items.length === 0)
          return onEmpty === undefined ? fail(`Expected at least one element in array. Got none`, loc) : onEmpty;
        let best: Val = items[0] as Val;
        let bestKey = keyF instanceof JFunc ? ev.call(keyF, [best], loc) : best;
        for (const x of items.slice(1)) {
          const k = keyF instanceof JFunc ? ev.call(keyF, [x], loc) : x;
          if (compare(k, bestKey, loc) * sign > 0) {
            best = x;
            bestKey = k;
          }
        }
        return best;
      },
      [undefined, null, OPTIONAL],
    );
  extreme('minArray', -1);
  extreme('maxArray', 1);
  def('sort', ['arr', 'keyF'], ([a, k], loc) => JArray.of(sortVals(ev, seq(a, 'sort', loc), k, loc)), [
    undefined,
    null,
  ]);
  def('uniq', ['arr', 'keyF'], ([a, k], loc) => JArray.of(uniqVals(ev, arr(a, 'uniq', loc), k, loc)), [
    undefined,
    null,
  ]);
  def(
    'set',
    ['arr', 'keyF'],
    ([a, k], loc) => JArray.of(uniqVals(ev, sortVals(ev, seq(a, 'set', loc), k, loc), k, loc)),
    [undefined, null],
  );
  const keyOf = (k: Val, x: Val, loc?: Loc) => (k instanceof JFunc ? ev.call(k, [x], loc) : x);
  def(
    'setMember',
    ['x', 'arr', 'keyF'],
    ([x, a, k], loc) => {
      const key = keyOf(k, x, loc);
      return seq(a, 'setMember', loc).some((y) => equals(keyOf(k, y, loc), key, loc));
    },
    [undefined, undefined, null],
  );
  def(
    'setUnion',
    ['a', 'b', 'keyF'],
    ([a, b, k], loc) =>
      JArray.of(uniqVals(ev, sortVals(ev, [...seq(a, 'setUnion', loc), ...seq(b, 'setUnion', loc)], k, loc), k, loc)),
    [undefined, undefined, null],
  );
  def(
    'setInter',
    ['a', 'b', 'keyF'],
    ([a, b, k], loc) => {
      const bk = seq(b, 'setInter', loc).map((y) => keyOf(k, y, loc));
      return JArray.of(seq(a, 'setInter', loc).filter((x) => bk.some((y) => equals(keyOf(k, x, loc), y, loc))));
    },
    [undefined, undefined, null],
  );
  def(
    'setDiff',
    ['a', 'b', 'keyF'],
    ([a, b, k], loc) => {
      const bk = seq(b, 'setDiff', loc).map((y) => keyOf(k, y, loc));
      return JArray.of(seq(a, 'setDiff', loc).filter((x) => !bk.some((y) => equals(keyOf(k, x, loc), y, loc))));
    },
    [undefined, undefined, null],
  );

  // objects
  def('objectFields', ['o'], ([o], loc) => JArray.of(obj(o, 'objectFields', loc).fieldNames(false)));
  def('objectFieldsAll', ['o'], ([o], loc) => JArray.of(obj(o, 'objectFieldsAll', loc).fieldNames(true)));
  def('objectFieldsEx', ['o', 'inc_hidden'], ([o, h], loc) =>
    JArray.of(obj(o, 'objectFieldsEx', loc).fieldNames(bool(h, 'objectFieldsEx', loc))),
  );
  def('objectHas', ['o', 'f'], ([o, f], loc) =>
    obj(o, 'objectHas', loc)
      .fieldNames(false)
      .includes(str(f, 'objectHas', loc)),
  );
  def('objectHasAll', ['o', 'f'], ([o, f], loc) => obj(o, 'objectHasAll', loc).has(str(f, 'objectHasAll', loc)));
  def('objectHasEx', ['o', 'f', 'inc_hidden'], ([o, f, h], loc) =>
    obj(o, 'objectHasEx', loc)
      .fieldNames(bool(h, 'objectHasEx', loc))
      .includes(str(f, 'objectHasEx', loc)),
  );
  def('objectValues', ['o'], ([o], loc) => {
    const ob = obj(o, 'objectValues', loc);
    return JArray.of(ob.fieldNames(false).map((k) => ob.get(k)));
  });
  def('objectValuesAll', ['o'], ([o], loc) => {
    const ob = obj(o, 'objectValuesAll', loc);
    return JArray.of(ob.fieldNames(true).map((k) => ob.get(k)));
  });
  const keysValues = (ob: JObject, hidden: boolean) =>
    JArray.of(
      ob.fieldNames(hidden).map((k) =>
        makeObject([
          ['key', k],
          ['value', ob.get(k)],
        ]),
      ),
    );
  def('objectKeysValues', ['o'], ([o], loc) => keysValues(obj(o, 'objectKeysValues', loc), false));
  def('objectKeysValuesAll', ['o'], ([o], loc) => keysValues(obj(o, 'objectKeysValuesAll', loc), true));
  def('objectRemoveKey', ['obj', 'key'], ([o, k], loc) => {
    // the key disappears from self lookups and field lists; super lookups inside the object still see it
    const ob = obj(o, 'objectRemoveKey', loc);
    const mask = { names: new Set([str(k, 'objectRemoveKey', loc)]), count: ob.layers.length };
    return new JObject([...ob.layers, { fields: new Map(), mask }]);
  });
  def(
    'get',
    ['o', 'f', 'default', 'inc_hidden'],
    ([o, f, d, h], loc) => {
      const ob = obj(o, 'get', loc);
      const k = str(f, 'get', loc);
      return ob.fieldNames(bool(h, 'get', loc)).includes(k) ? ob.get(k) : d;
    },
    [undefined, undefined, null, true],
  );
  def('mergePatch', ['target', 'patch'], ([t, p]) => mergePatch(t, p));
  def('prune', ['a'], ([a]) => prune(a) ?? null);
  def('equals', ['a', 'b'], ([a, b], loc) => equals(a, b, loc));
  def('primitiveEquals', ['a', 'b'], ([a, b], loc) => {
    if (
      a instanceof JArray ||
      a instanceof JObject ||
      a instanceof JFunc ||
      b instanceof JArray ||
      b instanceof JObject ||
      b instanceof JFunc
    )
      fail(`primitiveEquals operates on primitive types, got ${typeName(a)}`, loc);
    return a === b;
  });

  // manifestation
  def('manifestJson', ['value'], ([v], loc) => manifestJsonEx(v, '    ', '\n', ': ', loc));
  def('manifestJsonMinified', ['value'], ([v], loc) => manifestJsonEx(v, '', '', ':', loc));
  def(
    'manifestJsonEx',
    ['value', 'indent', 'newline', 'key_val_sep'],
    ([v, i, n, s], loc) =>
      manifestJsonEx(
        v,
        str(i, 'manifestJsonEx', loc),
        str(n, 'manifestJsonEx', loc),
        str(s, 'manifestJsonEx', loc),
        loc,
      ),
    [undefined, undefined, '\n', ': '],
  );
  def(
    'manifestYamlDoc',
    ['value', 'indent_array_in_object', 'quote_keys'],
    ([v, ia, qk], loc) => manifestYamlDoc(v, bool(ia, 'manifestYamlDoc', loc), bool(qk, 'manifestYamlDoc', loc), loc),
    [undefined, false, true],
  );
  def(
    'manifestYamlStream',
    ['value', 'indent_array_in_object', 'c_document_end', 'quote_keys'],
    ([v, ia, end, qk], loc) => {
      const docs = arr(v, 'manifestYamlStream', loc).map((d) =>
        manifestYamlDoc(d, bool(ia, 'manifestYamlStream', loc), bool(qk, 'manifestYamlStream', loc), loc),
      );
      return `---\n${docs.join('\n---\n')}${bool(end, 'manifestYamlStream', loc) ? '\n...\n' : '\n'}`;
    },
    [undefined, false, true, true],
  );
  def('manifestIni', ['ini'], ([v], loc) => manifestIni(v, loc));
  def('manifestPython', ['v'], ([v], loc) => manifestPython(v, loc));
  def('manifestPythonVars', ['conf'], ([v], loc) => {
    const ob = obj(v, 'manifestPythonVars', loc);
    return ob
      .fieldNames(false)
      .map((k) => `${k} = ${manifestPython(ob.get(k), loc)}\n`)
      .join('');
  });
  def('manifestXmlJsonml', ['value'], ([v], loc) => manifestXmlJsonml(v, loc));
  def('manifestTomlEx', ['value', 'indent'], ([v, i], loc) => manifestToml(v, str(i, 'manifestTomlEx', loc), loc));
  def('manifestToml', ['value'], ([v], loc) => manifestToml(v, '  ', loc));

  // misc
  def('id', ['x'], ([x]) => x);
  def('assertEqual', ['a', 'b'], ([a, b], loc) => {
    if (equals(a, b, loc)) return true;
    return fail(
      `Assertion failed. ${manifestJsonEx(a, '', ' ', ': ', loc)} != ${manifestJsonEx(b, '', ' ', ': ', loc)}`,
      loc,
    );
  });
  def('extVar', ['x'], ([x], loc) => ev.extVar(str(x, 'extVar', loc), loc));
  // no native functions are registered: std.native gives null, as jsonnet does for an unknown name
  def('native', ['name'], ([n], loc) => (str(n, 'native', loc), null));
  def('trace', ['str', 'rest'], ([s, rest], loc) => {
    process.stderr.write(`TRACE: ${loc ? `${loc.file}:${loc.line}` : ''} ${str(s, 'trace', loc)}\n`);
    return rest;
  });
  return new JObject([{ fields }]);
}
