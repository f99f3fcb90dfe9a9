// Rego builtins of the "glob" category, with the semantics of github.com/gobwas/glob (what OPA uses):
// `*` any run of non-delimiter characters, `**` any run of characters, `?` one non-delimiter character,
// `[abc]`, `[a-z]`, `[!abc]`, `[!a-z]` one character, `{a,b}` alternatives, `\` escapes.
// Patterns are translated to RE2 programs (linear-time matching) and cached.
import { RE2JS } from 're2js';
import { typeName, type Value } from '../value.ts';
import { BuiltinError, OperandError, type BuiltinContext, type BuiltinGroup } from './builtin.ts';
import { str } from './operands.ts';

type Matcher = ReturnType<RE2JS['re2']>;

const GLOBAL_MAX = 100;
const globalCache = new Map<string, Matcher | string>();

function reQuote(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$-]/g, '\\$&');
}

/** Translates a glob to an RE2 pattern; throws BuiltinError with gobwas's messages on malformed globs. */
export function globToRegex(pattern: string, delimiters: string[]): string {
  const chars = [...pattern];
  const n = chars.length;
  let i = 0;
  const sepClass = delimiters.length ? delimiters.map(reQuote).join('') : '';
  const anyChar = sepClass ? `[^${sepClass}]` : '.';
  let depth = 0;
  const fail = (msg: string): never => {
    throw new BuiltinError(msg);
  };

  const range = (): string => {
    // After '['.
    let not = false;
    let out = '';
    let wantClose = false;
    let seenNot = false;
    let badRange = false;
    for (;;) {
      if (i >= n) fail('unexpected end of input');
      const r = chars[i++] as string;
      if (wantClose) {
        if (r !== ']') fail('expected close range character');
        break;
      }
      if (!seenNot && r === '!') {
        not = true;
        seenNot = true;
        continue;
      }
      if (chars[i] === '-') {
        i++;
        if (i >= n) fail('unexpected end of input');
        const hi = chars[i++] as string;
        if ((hi.codePointAt(0) as number) < (r.codePointAt(0) as number)) badRange = true;
        out += `${reQuote(r)}-${reQuote(hi)}`;
        wantClose = true;
        continue;
      }
      // A text run up to ']', with escapes.
      i--;
      let escaped = false;
      while (i < n) {
        const c = chars[i] as string;
        if (!escaped) {
          if (c === '\\') {
            escaped = true;
            i++;
            continue;
          }
          if (c === ']') break;
        }
        escaped = false;
        out += reQuote(c);
        i++;
      }
      if (escaped) fail('trailing backslash');
      wantClose = true;
    }
    if (badRange) fail('hi character should be greater than lo character');
    if (out === '') return not ? '(?s:.)' : '[^\\x{0}-\\x{10FFFF}]';
    return not ? `[^${out}]` : `[${out}]`;
  };

  // Parses a sequence up to the end, or (inside braces) up to ',' or '}'.
  const sequence = (): string => {
    let out = '';
    let escaped = false;
    while (i < n) {
      const c = chars[i] as string;
      if (escaped) {
        out += reQuote(c);
        escaped = false;
        i++;
        continue;
      }
      if (c === '\\') {
        escaped = true;
        i++;
        continue;
      }
      if (depth > 0 && (c === ',' || c === '}')) return out;
      i++;
      switch (c) {
        case '*':
          if (chars[i] === '*') {
            i++;
            out += '(?s:.*)';
          } else out += `${anyChar}*`;
          break;
        case '?':
          out += anyChar;
          break;
        case '[':
          out += range();
          break;
        case '{': {
          depth++;
          const alts: string[] = [];
          for (;;) {
            alts.push(sequence());
            if (i >= n) fail('unexpected end of input');
            const d = chars[i++];
            if (d === '}') break;
          }
          depth--;
          out += `(?:${alts.join('|')})`;
          break;
        }
        default:
          out += reQuote(c);
      }
    }
    if (escaped) fail('trailing backslash');
    return out;
  };
  return `(?s)^${sequence()}$`;
}

export function compileGlob(pattern: string, delimiters: string[], ctx?: BuiltinContext): Matcher {
  const id = `${pattern}-${delimiters.join('')}`;
  const key = 'glob:' + id;
  let m = ctx?.cache.get(key) as Matcher | string | undefined;
  if (m === undefined) {
    m = globalCache.get(id);
    if (m === undefined) {
      try {
        m = RE2JS.compile(globToRegex(pattern, delimiters)).re2();
      } catch (e) {
        m = e instanceof Error ? e.message : String(e);
      }
      if (globalCache.size >= GLOBAL_MAX) {
        const first = globalCache.keys().next();
        if (!first.done) globalCache.delete(first.value);
      }
      globalCache.set(id, m);
    }
    ctx?.cache.set(key, m);
  }
  if (typeof m === 'string') throw new BuiltinError(m);
  return m;
}

function delimitersOf(v: Value | undefined): string[] {
  if (v === null) return [];
  if (!Array.isArray(v)) {
    throw new OperandError(
      2,
      `operand 2 must be one of {array, null} but got ${v === undefined ? 'undefined' : typeName(v)}`,
    );
  }
  const out: string[] = [];
  for (const e of v) {
    if (typeof e !== 'string') {
      throw new OperandError(2, `operand 2 must be array of strings but got array containing ${typeName(e)}`);
    }
    if ([...e].length !== 1) {
      throw new OperandError(2, 'operand 2 must be array of runes but got array containing string');
    }
    out.push(e);
  }
  return out.length === 0 ? ['.'] : out;
}

/** gobwas's QuoteMeta: escapes `*?\[]{}`. */
export function globQuoteMeta(s: string): string {
  return s.replace(/[*?\\[\]{}]/g, '\\$&');
}

export const builtins: BuiltinGroup = {
  'glob.match': (a, ctx) => {
    const pattern = str(a, 0);
    const delimiters = delimitersOf(a[1]);
    const s = str(a, 2);
    return compileGlob(pattern, delimiters, ctx).match(s);
  },
  'glob.quote_meta': (a) => globQuoteMeta(str(a, 0)),
};
