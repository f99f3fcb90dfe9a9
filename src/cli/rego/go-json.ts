// JSON text exactly as `opa eval` prints it (Go's encoding/json): HTML-significant characters escaped
// (\u003c \u003e \u0026), U+2028/U+2029 escaped, object keys sorted bytewise, numbers with every digit,
// sets as arrays, and non-string object keys turned into their JSON text. Struct-like envelopes keep their
// field order through `Ordered`.
import { BigNum, numberText, RObject, RSet, type Value } from '../../rego/index.ts';

/** An object whose fields print in the given order (a Go struct), skipping undefined fields. */
export class Ordered {
  constructor(readonly fields: [string, GoJSON | undefined][]) {}
}

export type GoJSON = Value | Ordered | GoJSON[];

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

const NEEDS_ESCAPE = /["\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]/;

export function goString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return '"' + s + '"';
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    const c = ch.charCodeAt(0);
    const e = ESCAPES[ch];
    if (e !== undefined) out += e;
    else if (c < 0x20) out += '\\u' + c.toString(16).padStart(4, '0');
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += ch + s[i + 1];
        i++;
      } else out += '\\ufffd';
    } else if (c >= 0xdc00 && c <= 0xdfff) out += '\\ufffd';
    else out += ch;
  }
  return out + '"';
}

/** Bytewise (UTF-8) order, which is code point order. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i) as number;
    const y = b.codePointAt(i) as number;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** The key a Go map would carry for a Rego object key. */
function keyText(k: Value): string {
  return typeof k === 'string' ? k : goJSON(k);
}

/** Serialises as Go's json.Marshal (indent 0) or json.Encoder with SetIndent("", "  ") (indent 2; no trailing newline). */
export function goJSON(v: GoJSON, indent = 0): string {
  return write(v, indent, '');
}

function write(v: GoJSON, indent: number, pad: string): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'string':
      return goString(v);
    case 'number':
      return numberText(v);
  }
  if (v instanceof BigNum) return v.text;
  const inner = indent ? pad + ' '.repeat(indent) : '';
  const nl = indent ? '\n' : '';
  const colon = indent ? ': ' : ':';
  let items: string[];
  let open = '{';
  let close = '}';
  if (Array.isArray(v) || v instanceof RSet) {
    const list: GoJSON[] = Array.isArray(v) ? v : v.values();
    items = list.map((x) => inner + write(x, indent, inner));
    open = '[';
    close = ']';
  } else if (v instanceof Ordered) {
    items = v.fields
      .filter((f): f is [string, GoJSON] => f[1] !== undefined)
      .map(([k, x]) => inner + goString(k) + colon + write(x, indent, inner));
  } else {
    const entries = (v as RObject).entries().map(([k, x]) => [keyText(k), x] as [string, Value]);
    entries.sort((a, b) => compareCodePoints(a[0], b[0]));
    items = entries.map(([k, x]) => inner + goString(k) + colon + write(x, indent, inner));
  }
  if (items.length === 0) return open + close;
  return open + nl + items.join(',' + nl) + nl + (indent ? pad : '') + close;
}
