// Rego builtins of the "encoding" category: base64, base64url, hex, json, yaml and urlquery.
//
// Rego strings are Go strings in OPA (byte sequences); here they are JS strings, converted to UTF-8 bytes
// wherever OPA works on bytes. Error messages follow Go's standard library, as OPA passes them through.
import { createRequire } from 'node:module';
import type * as YAML from 'yaml';
import { BigNum, numberText, parseJSON, RObject, RSet, typeName, type Value } from '../value.ts';
import { BuiltinError, OperandError, type BuiltinGroup } from './builtin.ts';
import { str } from './operands.ts';

// ---------------------------------------------------------------------------------------------------------
// Bytes

const utf8 = new TextEncoder();

function bytesOf(s: string): Uint8Array {
  return utf8.encode(s);
}

/** Bytes to a string; invalid UTF-8 becomes U+FFFD (what OPA's JSON output would show). */
export function stringOfBytes(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
}

// ---------------------------------------------------------------------------------------------------------
// Base64 with Go's encoding/base64 semantics (padding required, '\r' and '\n' ignored, exact error offsets)

const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function decodeTable(alphabet: string): Int16Array {
  const t = new Int16Array(256).fill(-1);
  for (let i = 0; i < alphabet.length; i++) t[alphabet.charCodeAt(i)] = i;
  return t;
}
const STD_TABLE = decodeTable(STD);
const URL_TABLE = decodeTable(URL);

export function base64Encode(bytes: Uint8Array, alphabet: 'std' | 'url', pad: boolean): string {
  let s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(
    alphabet === 'std' ? 'base64' : 'base64url',
  );
  if (alphabet === 'url' && pad) while (s.length % 4 !== 0) s += '=';
  if (!pad) s = s.replace(/=+$/, '');
  return s;
}

/** Go's base64 decoder. Throws BuiltinError("illegal base64 data at input byte N"). */
export function base64Decode(text: string, alphabet: 'std' | 'url', padded: boolean): Uint8Array {
  const src = bytesOf(text);
  const table = alphabet === 'std' ? STD_TABLE : URL_TABLE;
  const out: number[] = [];
  const corrupt = (at: number): never => {
    throw new BuiltinError(`illegal base64 data at input byte ${at}`);
  };
  let si = 0;
  const n = src.length;
  while (si < n) {
    const quantum = [0, 0, 0, 0];
    let dlen = 4;
    let j = 0;
    for (; j < 4; j++) {
      while (si < n && (src[si] === 10 || src[si] === 13)) si++;
      if (si === n) {
        if (j === 0) return Uint8Array.from(out);
        if (j === 1 || padded) corrupt(si - j);
        dlen = j;
        break;
      }
      const c = src[si] as number;
      si++;
      const d = table[c] as number;
      if (d >= 0) {
        quantum[j] = d;
        continue;
      }
      if (c === 10 || c === 13) {
        j--;
        continue;
      }
      if (c !== 61 || !padded) corrupt(si - 1);
      // Padding: only valid as the 3rd or 4th character of a quantum.
      if (j === 0 || j === 1) corrupt(si - 1);
      if (j === 2) {
        while (si < n && (src[si] === 10 || src[si] === 13)) si++;
        if (si === n) corrupt(n);
        if (src[si] !== 61) corrupt(si - 1);
        si++;
      }
      while (si < n && (src[si] === 10 || src[si] === 13)) si++;
      if (si < n) corrupt(si);
      dlen = j;
      break;
    }
    const v =
      ((quantum[0] as number) << 18) |
      ((quantum[1] as number) << 12) |
      ((quantum[2] as number) << 6) |
      (quantum[3] as number);
    const b0 = (v >> 16) & 0xff;
    const b1 = (v >> 8) & 0xff;
    const b2 = v & 0xff;
    if (dlen === 4) out.push(b0, b1, b2);
    else if (dlen === 3) out.push(b0, b1);
    else if (dlen === 2) out.push(b0);
    if (dlen < 4) break;
  }
  return Uint8Array.from(out);
}

// ---------------------------------------------------------------------------------------------------------
// Hex

function hexDecode(text: string): Uint8Array {
  const src = bytesOf(text);
  const hexval = (c: number): number => {
    if (c >= 48 && c <= 57) return c - 48;
    if (c >= 97 && c <= 102) return c - 87;
    if (c >= 65 && c <= 70) return c - 55;
    return -1;
  };
  const out = new Uint8Array(src.length >> 1);
  let i = 1;
  for (; i < src.length; i += 2) {
    const a = hexval(src[i - 1] as number);
    const b = hexval(src[i] as number);
    if (a < 0) throw invalidHexByte(text, i - 1);
    if (b < 0) throw invalidHexByte(text, i);
    out[i >> 1] = (a << 4) | b;
  }
  if (src.length % 2 === 1) {
    if (hexval(src[i - 1] as number) < 0) throw invalidHexByte(text, i - 1);
    throw new BuiltinError('encoding/hex: odd length hex string');
  }
  return out;
}

function invalidHexByte(text: string, byteIndex: number): BuiltinError {
  // Go reports the rune starting at that byte: "invalid byte: U+0067 'g'".
  const rest = stringOfBytes(bytesOf(text).subarray(byteIndex));
  const cp = rest.codePointAt(0) ?? 0;
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  return new BuiltinError(`encoding/hex: invalid byte: U+${hex} ${goQuoteRune(cp)}`);
}

function goQuoteRune(cp: number): string {
  const ch = String.fromCodePoint(cp);
  if (ch === "'") return "'\\''";
  if (ch === '\\') return "'\\\\'";
  if (cp < 0x20 || cp === 0x7f) {
    const named: Record<number, string> = { 7: 'a', 8: 'b', 9: 't', 10: 'n', 11: 'v', 12: 'f', 13: 'r' };
    const n = named[cp];
    return n ? `'\\${n}'` : `'\\x${cp.toString(16).padStart(2, '0')}'`;
  }
  return `'${ch}'`;
}

// ---------------------------------------------------------------------------------------------------------
// JSON with Go's encoding/json output (what OPA's json.marshal produces)

/** Escapes a string as Go's json.Marshal does (HTML-safe, U+2028/U+2029 escaped). */
export function goJSONString(s: string): string {
  let out = JSON.stringify(s);
  if (/[<>&\u2028\u2029]/.test(out)) {
    out = out.replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  }
  return out;
}

/** The JSON key OPA uses for an object key: strings as they are, other values as their JSON text. */
function jsonKey(k: Value): string {
  return typeof k === 'string' ? k : goJSON(k);
}

/**
 * Serialises a value as Go's json.Marshal / json.MarshalIndent would after OPA's ast.JSON conversion
 * (sets become arrays, object keys sorted as Go sorts map keys). Without `indent` the output is compact.
 */
export function goJSON(v: Value, prefix?: string, indent?: string): string {
  const pretty = prefix !== undefined || indent !== undefined;
  const pre = prefix ?? '';
  const ind = indent ?? '';
  const write = (x: Value, depth: number): string => {
    if (x === null) return 'null';
    switch (typeof x) {
      case 'boolean':
        return x ? 'true' : 'false';
      case 'string':
        return goJSONString(x);
      case 'number':
        return numberText(x);
    }
    if (x instanceof BigNum) return x.text;
    let items: string[];
    let open: string;
    let close: string;
    if (Array.isArray(x) || x instanceof RSet) {
      const list = Array.isArray(x) ? x : x.values();
      items = list.map((e) => write(e, depth + 1));
      open = '[';
      close = ']';
    } else {
      const raw = x.entries();
      const entries = raw.map(([k, e]) => [jsonKey(k), e] as [string, Value]);
      if (raw.some(([k]) => typeof k !== 'string')) entries.sort((a, b) => byteCompare(a[0], b[0]));
      items = entries.map(([k, e]) => goJSONString(k) + (pretty ? ': ' : ':') + write(e, depth + 1));
      open = '{';
      close = '}';
    }
    if (items.length === 0) return open + close;
    if (!pretty) return open + items.join(',') + close;
    const nl = '\n' + pre;
    const inner = nl + ind.repeat(depth + 1);
    return open + inner + items.join(',' + inner) + nl + ind.repeat(depth) + close;
  };
  return write(v, 0);
}

function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Describes a character as Go's JSON scanner does in its errors: 'x' or '\n'. */
function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '"') return `'"'`;
  const s = JSON.stringify(c);
  return `'${s.slice(1, -1)}'`;
}

/**
 * Checks JSON text with the grammar Go's encoding/json accepts; returns undefined when valid, or Go's error
 * message ("invalid character 'x' looking for beginning of value", "unexpected end of JSON input").
 */
export function goJSONError(text: string): string | undefined {
  let i = 0;
  const n = text.length;
  class Fail {
    constructor(readonly msg: string) {}
  }
  const end = (): never => {
    throw new Fail('unexpected end of JSON input');
  };
  const bad = (context: string): never => {
    throw new Fail(`invalid character ${quoteChar(text[i] as string)} ${context}`);
  };
  const ws = (): void => {
    while (i < n) {
      const c = text[i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') i++;
      else break;
    }
  };
  const literal = (word: string): void => {
    for (let k = 1; k < word.length; k++) {
      i++;
      if (i >= n) end();
      if (text[i] !== word[k]) bad(`in literal ${word} (expecting ${quoteChar(word[k] as string)})`);
    }
    i++;
  };
  const digits = (): number => {
    const s = i;
    while (i < n && text[i]! >= '0' && text[i]! <= '9') i++;
    return i - s;
  };
  const number = (): void => {
    if (text[i] === '-') {
      i++;
      if (i >= n) end();
      if (!(text[i]! >= '0' && text[i]! <= '9')) bad('in numeric literal');
    }
    if (text[i] === '0') i++;
    else digits();
    if (text[i] === '.') {
      i++;
      if (i >= n) end();
      if (digits() === 0) bad('after decimal point in numeric literal');
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (i >= n) end();
      if (digits() === 0) bad('in exponent of numeric literal');
    }
  };
  const string = (): void => {
    i++;
    for (;;) {
      if (i >= n) end();
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return;
      }
      if (c < 0x20) bad('in string literal');
      if (c === 92) {
        i++;
        if (i >= n) end();
        const e = text[i] as string;
        if (e === 'u') {
          for (let k = 0; k < 4; k++) {
            i++;
            if (i >= n) end();
            if (!/[0-9a-fA-F]/.test(text[i] as string)) bad('in \\u hexadecimal character escape');
          }
        } else if (!'"\\/bfnrt'.includes(e)) bad('in string escape code');
      }
      i++;
    }
  };
  const value = (): void => {
    ws();
    if (i >= n) end();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (i >= n) end();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (i >= n) end();
        if (text[i] !== '"') bad('looking for beginning of object key string');
        string();
        ws();
        if (i >= n) end();
        if (text[i] !== ':') bad('after object key');
        i++;
        value();
        ws();
        if (i >= n) end();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        bad('after object key:value pair');
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (i >= n) end();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (i >= n) end();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        bad('after array element');
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    if (c === '-' || (c! >= '0' && c! <= '9')) return number();
    bad('looking for beginning of value');
  };
  try {
    value();
    ws();
    if (i < n) bad('after top-level value');
    return undefined;
  } catch (e) {
    if (e instanceof Fail) return e.msg;
    throw e;
  }
}

export function jsonUnmarshal(text: string): Value {
  const err = goJSONError(text);
  if (err !== undefined) throw new BuiltinError(err);
  return parseJSON(text);
}

// ---------------------------------------------------------------------------------------------------------
// YAML with OPA's mapping (sigs.k8s.io/yaml over go-yaml v2: YAML 1.1 scalars, timestamps stay strings)

// The yaml package is required on first use (it costs ~100 ms to load).
let yamlModule: typeof YAML | undefined;
function Y(): typeof YAML {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof YAML;
  return yamlModule;
}

const YAML_OPTIONS = {
  version: '1.1' as const,
  intAsBigInt: true,
  uniqueKeys: false,
  customTags: (tags: YAML.Tags): YAML.Tags =>
    tags.filter((t) => typeof t !== 'object' || !('tag' in t) || t.tag !== 'tag:yaml.org,2002:timestamp'),
};

function yamlError(e: YAML.YAMLError): string {
  const line = e.linePos?.[0]?.line ?? 1;
  const first = e.message.split('\n')[0] ?? e.message;
  let msg = first.replace(/ at line \d+, column \d+:?$/, '');
  if (e.code === 'MISSING_CHAR' || e.code === 'BAD_INDENT') {
    if (/Flow sequence/.test(msg)) msg = "did not find expected ',' or ']'";
    else if (/Flow map/.test(msg)) msg = "did not find expected ',' or '}'";
  }
  return `yaml: line ${line}: ${msg}`;
}

function parseYAMLDocument(text: string): YAML.Document.Parsed | undefined {
  const docs = Y().parseAllDocuments(text, YAML_OPTIONS);
  if (!Array.isArray(docs)) {
    // EmptyStream
    return undefined;
  }
  for (const d of docs) {
    const err = d.errors[0];
    if (err) throw new BuiltinError(yamlError(err));
  }
  return docs[0];
}

function yamlToValue(x: unknown): Value {
  if (x === null || x === undefined) return null;
  switch (typeof x) {
    case 'string':
    case 'boolean':
      return x;
    case 'bigint':
      return BigNum.fromBigInt(x);
    case 'number':
      if (!Number.isFinite(x))
        throw new BuiltinError(`json: unsupported value: ${x > 0 ? '+Inf' : x < 0 ? '-Inf' : 'NaN'}`);
      return x;
    case 'object':
      break;
    default:
      return null;
  }
  if (x instanceof Uint8Array) return stringOfBytes(x);
  if (x instanceof Date) return x.toISOString();
  if (Array.isArray(x)) return x.map(yamlToValue);
  if (x instanceof Set) return [...x].map(yamlToValue);
  const o = new RObject();
  const entries: [unknown, unknown][] = x instanceof Map ? [...x] : Object.entries(x as object);
  for (const [k, v] of entries) o.set(yamlKey(k), yamlToValue(v));
  return o;
}

function yamlKey(k: unknown): string {
  if (typeof k === 'string') return k;
  if (k === null || k === undefined) return 'null';
  if (typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean') return String(k);
  throw new BuiltinError(`error converting YAML to JSON: yaml: invalid map key: ${String(k)}`);
}

function yamlUnmarshal(text: string): Value {
  const doc = parseYAMLDocument(text);
  if (doc === undefined) return null;
  return yamlToValue(doc.toJS({ maxAliasCount: 10000 }));
}

/** go-yaml v2's map key order: digit runs compare as numbers, non-letters sort before letters. */
export function goYAMLKeyLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  const isLetter = (c: string): boolean => /\p{L}/u.test(c);
  const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const x = ar[i] as string;
    const y = br[i] as string;
    if (x === y) continue;
    const al = isLetter(x);
    const bl = isLetter(y);
    if (al && bl) return (x.codePointAt(0) as number) < (y.codePointAt(0) as number);
    if (al || bl) return bl;
    let an = 0n;
    let bn = 0n;
    if (x === '0' || y === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== '0') {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    let bi = i;
    for (; ai < ar.length && isDigit(ar[ai]); ai++) an = an * 10n + BigInt(ar[ai] as string);
    for (; bi < br.length && isDigit(br[bi]); bi++) bn = bn * 10n + BigInt(br[bi] as string);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return (x.codePointAt(0) as number) < (y.codePointAt(0) as number);
  }
  return ar.length < br.length;
}

/** Whether a plain scalar with this text would read back as something other than a string (YAML 1.1). */
function resolvesAsNonString(text: string): boolean {
  if (text === '') return true;
  try {
    const v: unknown = Y().parse(text, { version: '1.1' });
    // Only a scalar's own resolution counts (a text that reads as a map or list is a quoting matter).
    return v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint' || v instanceof Date;
  } catch {
    return false;
  }
}

/**
 * A YAML node tree for a value as go-yaml v2 would emit it: map keys in its order, strings that would read
 * back as another type double-quoted, multi-line strings as literal blocks, other unsafe strings single-quoted.
 */
function toYAMLNode(v: Value): unknown {
  if (typeof v === 'string') {
    const node = new (Y().Scalar)(v);
    if (v.includes('\n')) node.type = 'BLOCK_LITERAL';
    else if (resolvesAsNonString(v)) node.type = 'QUOTE_DOUBLE';
    else if (/^["']/.test(Y().stringify(v, { version: '1.1', lineWidth: 0 }))) node.type = 'QUOTE_SINGLE';
    return node;
  }
  if (v === null || typeof v !== 'object') return new (Y().Scalar)(v);
  if (v instanceof BigNum) return new (Y().Scalar)(v.int !== undefined ? v.int : v.approx);
  if (Array.isArray(v) || v instanceof RSet) {
    const seq = new (Y().YAMLSeq)();
    for (const x of Array.isArray(v) ? v : v.values()) seq.items.push(toYAMLNode(x));
    return seq;
  }
  const map = new (Y().YAMLMap)();
  const entries = v.entries().map(([k, x]) => [jsonKey(k), x] as [string, Value]);
  entries.sort((a, b) => (goYAMLKeyLess(a[0], b[0]) ? -1 : goYAMLKeyLess(b[0], a[0]) ? 1 : 0));
  for (const [k, x] of entries) map.items.push(new (Y().Pair)(toYAMLNode(k), toYAMLNode(x)));
  return map;
}

function yamlMarshal(v: Value): string {
  const doc = new (Y().Document)(null, { version: '1.1' });
  doc.contents = toYAMLNode(v) as YAML.Document['contents'];
  return doc.toString({ indentSeq: false, lineWidth: 0 });
}

// ---------------------------------------------------------------------------------------------------------
// URL query encoding with Go's net/url semantics

function queryEscape(s: string): string {
  let out = '';
  for (const b of bytesOf(s)) {
    if (
      (b >= 0x41 && b <= 0x5a) ||
      (b >= 0x61 && b <= 0x7a) ||
      (b >= 0x30 && b <= 0x39) ||
      b === 0x2d ||
      b === 0x5f ||
      b === 0x2e ||
      b === 0x7e
    )
      out += String.fromCharCode(b);
    else if (b === 0x20) out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function queryUnescape(s: string): string {
  const bytes: number[] = [];
  const src = bytesOf(s);
  const isHex = (c: number | undefined): boolean =>
    c !== undefined && ((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102));
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as number;
    if (c === 0x25) {
      if (!isHex(src[i + 1]) || !isHex(src[i + 2])) {
        const bad = stringOfBytes(src.subarray(i, Math.min(i + 3, src.length)));
        throw new BuiltinError(`invalid URL escape ${JSON.stringify(bad)}`);
      }
      bytes.push(parseInt(String.fromCharCode(src[i + 1] as number, src[i + 2] as number), 16));
      i += 2;
    } else if (c === 0x2b) bytes.push(0x20);
    else bytes.push(c);
  }
  return stringOfBytes(Uint8Array.from(bytes));
}

function parseQuery(q: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let firstErr: string | undefined;
  for (const part of q.split('&')) {
    if (part === '') continue;
    if (part.includes(';')) {
      firstErr ??= 'invalid semicolon separator in query';
      continue;
    }
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawVal = eq < 0 ? '' : part.slice(eq + 1);
    let key: string;
    let val: string;
    try {
      key = queryUnescape(rawKey);
      val = queryUnescape(rawVal);
    } catch (e) {
      firstErr ??= (e as Error).message;
      continue;
    }
    const list = out.get(key);
    if (list) list.push(val);
    else out.set(key, [val]);
  }
  if (firstErr !== undefined) throw new BuiltinError(firstErr);
  return out;
}

function encodeObject(v: Value): string {
  if (!(v instanceof RObject)) throw new OperandError(1, `operand 1 must be object but got ${typeName(v)}`);
  const err = (): never => {
    throw new OperandError(1, 'operand 1 values must be string, array[string], or set[string]');
  };
  const pairs: [string, string[]][] = [];
  for (const [k, x] of v.entries()) {
    const key = jsonKey(k);
    if (typeof x === 'string') pairs.push([key, [x]]);
    else if (Array.isArray(x) || x instanceof RSet) {
      const vals = (Array.isArray(x) ? x : x.values()).map((e) => (typeof e === 'string' ? e : err()));
      pairs.push([key, vals]);
    } else err();
  }
  pairs.sort((a, b) => byteCompare(a[0], b[0]));
  const parts: string[] = [];
  for (const [k, vals] of pairs) for (const x of vals) parts.push(queryEscape(k) + '=' + queryEscape(x));
  return parts.join('&');
}

// ---------------------------------------------------------------------------------------------------------
// json.marshal_with_options

function marshalWithOptions(v: Value, opts: Value): string {
  if (!(opts instanceof RObject)) throw new OperandError(2, `operand 2 must be object but got ${typeName(opts)}`);
  let indent = '\t';
  let prefix = '';
  let implicit = false;
  let explicit: boolean | undefined;
  let idx = 0;
  for (const [k, x] of opts.entries()) {
    if (typeof k !== 'string') {
      throw new OperandError(
        2,
        `operand 2 failed to stringify key ${goJSON(k)} at index ${idx}: operand ${idx} must be string but got ${typeName(k)}`,
      );
    }
    switch (k) {
      case 'prefix':
      case 'indent':
        if (typeof x !== 'string')
          throw new OperandError(
            2,
            `operand 2 key ${k} failed cast to string: operand ${idx} must be string but got ${typeName(x)}`,
          );
        if (k === 'prefix') prefix = x;
        else indent = x;
        implicit = true;
        break;
      case 'pretty':
        if (typeof x !== 'boolean') throw new OperandError(2, `operand 2 key ${k} failed cast to bool`);
        explicit = x;
        break;
      default:
        throw new OperandError(2, `operand 2 object contained unknown key ${JSON.stringify(k)}`);
    }
    idx++;
  }
  const pretty = explicit ?? implicit;
  if (!pretty) return goJSON(v);
  return prefix + goJSON(v, prefix, indent);
}

// ---------------------------------------------------------------------------------------------------------

function isValidYAML(s: string): boolean {
  try {
    yamlUnmarshal(s);
    return true;
  } catch {
    return false;
  }
}

export const builtins: BuiltinGroup = {
  'base64.encode': (a) => base64Encode(bytesOf(str(a, 0)), 'std', true),
  'base64.decode': (a) => stringOfBytes(base64Decode(str(a, 0), 'std', true)),
  'base64.is_valid': (a) => {
    const s = a[0];
    if (typeof s !== 'string') return false;
    try {
      base64Decode(s, 'std', true);
      return true;
    } catch {
      return false;
    }
  },
  'base64url.encode': (a) => base64Encode(bytesOf(str(a, 0)), 'url', true),
  'base64url.encode_no_pad': (a) => base64Encode(bytesOf(str(a, 0)), 'url', false),
  'base64url.decode': (a) => {
    let s = str(a, 0);
    if (!s.endsWith('=')) {
      const r = bytesOf(s).length % 4;
      if (r === 2) s += '==';
      else if (r === 3) s += '=';
      else if (r === 1) throw new BuiltinError(`illegal base64url string: ${s}`);
    }
    return stringOfBytes(base64Decode(s, 'url', true));
  },
  'hex.encode': (a) => Buffer.from(bytesOf(str(a, 0))).toString('hex'),
  'hex.decode': (a) => stringOfBytes(hexDecode(str(a, 0))),
  'json.marshal': (a) => goJSON(a[0] as Value),
  'json.marshal_with_options': (a) => marshalWithOptions(a[0] as Value, a[1] as Value),
  'json.unmarshal': (a) => jsonUnmarshal(str(a, 0)),
  'json.is_valid': (a) => typeof a[0] === 'string' && goJSONError(a[0]) === undefined,
  'yaml.marshal': (a) => yamlMarshal(a[0] as Value),
  'yaml.unmarshal': (a) => yamlUnmarshal(str(a, 0)),
  'yaml.is_valid': (a) => typeof a[0] === 'string' && isValidYAML(a[0]),
  'urlquery.encode': (a) => queryEscape(str(a, 0)),
  'urlquery.decode': (a) => queryUnescape(str(a, 0)),
  'urlquery.encode_object': (a) => encodeObject(a[0] as Value),
  'urlquery.decode_object': (a) => {
    const q = parseQuery(str(a, 0));
    const o = new RObject();
    for (const [k, vals] of q) o.set(k, vals);
    return o;
  },
};
