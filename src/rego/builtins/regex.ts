// Rego builtins of the "regex" category, with RE2 semantics (Go's regexp) through re2js — not JavaScript's
// RegExp: no lookaround or backreferences, `\Z` rejected, `(?i)`/`(?s)` flags, `\pL` classes, `\Q…\E`,
// leftmost-first matching and Go's rules for empty matches.
import { RE2JS } from 're2js';
import type { Value } from '../value.ts';
import { BuiltinError, type BuiltinContext, type BuiltinGroup } from './builtin.ts';
import { int, str } from './operands.ts';

/** The compiled RE2 program (re2js's Go-style API: findAll, findAllSubmatchIndex...). */
export type RE2 = ReturnType<RE2JS['re2']>;

// A process-wide cache of compiled patterns (as OPA keeps one of 100 entries), in front of the per-query cache.
const GLOBAL_MAX = 100;
const globalCache = new Map<string, RE2 | string>();

function compileUncached(pattern: string): RE2 | string {
  try {
    return RE2JS.compile(pattern).re2();
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Compiles a pattern with Go's syntax, caching it; throws BuiltinError with Go's parse error message. */
export function compileRegex(pattern: string, ctx?: BuiltinContext): RE2 {
  const key = 'regex:' + pattern;
  let r = ctx?.cache.get(key) as RE2 | string | undefined;
  if (r === undefined) {
    r = globalCache.get(pattern);
    if (r === undefined) {
      r = compileUncached(pattern);
      if (globalCache.size >= GLOBAL_MAX) {
        const first = globalCache.keys().next();
        if (!first.done) globalCache.delete(first.value);
      }
      globalCache.set(pattern, r);
    }
    ctx?.cache.set(key, r);
  }
  if (typeof r === 'string') throw new BuiltinError(r);
  return r;
}

export function isValidRegex(pattern: string): boolean {
  return typeof compileUncached(pattern) !== 'string';
}

export function regexMatches(re: RE2, s: string): boolean {
  return re.match(s);
}

/** Go's Regexp.FindAllStringIndex / FindAllStringSubmatchIndex (n < 0: all). */
function allSubmatchIndex(re: RE2, s: string, n: number): number[][] {
  if (n === 0) return [];
  return (re.findAllSubmatchIndex(s, n) as number[][] | null) ?? [];
}

function findN(re: RE2, s: string, n: number): string[] {
  return allSubmatchIndex(re, s, n).map((m) => s.slice(m[0], m[1]));
}

function findAllSubmatch(re: RE2, s: string, n: number): string[][] {
  return allSubmatchIndex(re, s, n).map((m) => {
    const out: string[] = [];
    for (let i = 0; i < m.length; i += 2) {
      const a = m[i] as number;
      const b = m[i + 1] as number;
      out.push(a < 0 ? '' : s.slice(a, b));
    }
    return out;
  });
}

/** Go's Regexp.Split(s, -1). */
function split(re: RE2, s: string): string[] {
  if (s === '') return [''];
  const out: string[] = [];
  let beg = 0;
  for (const m of allSubmatchIndex(re, s, -1)) {
    const end = m[0] as number;
    if ((m[1] as number) !== 0) out.push(s.slice(beg, end));
    beg = m[1] as number;
  }
  out.push(s.slice(beg));
  return out;
}

/** Go's Regexp.Expand for a template with `$1`, `${1}`, `$name`, `${name}` and `$$`. */
function expand(re: RE2, template: string, s: string, m: number[]): string {
  const names = re.namedGroups;
  const group = (name: string): string => {
    let idx: number | undefined;
    if (/^\d+$/.test(name)) idx = Number(name);
    else idx = names[name];
    if (idx === undefined || 2 * idx >= m.length) return '';
    const a = m[2 * idx] as number;
    return a < 0 ? '' : s.slice(a, m[2 * idx + 1] as number);
  };
  let out = '';
  let i = 0;
  while (i < template.length) {
    const d = template.indexOf('$', i);
    if (d < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, d);
    const rest = template.slice(d + 1);
    if (rest.startsWith('$')) {
      out += '$';
      i = d + 2;
      continue;
    }
    let name: string | undefined;
    let len = 0;
    if (rest.startsWith('{')) {
      const close = rest.indexOf('}');
      const inner = close > 0 ? rest.slice(1, close) : '';
      if (close > 0 && /^[A-Za-z0-9_]+$/.test(inner)) {
        name = inner;
        len = close + 1;
      }
    } else {
      const mm = /^[A-Za-z0-9_]+/.exec(rest);
      if (mm) {
        name = mm[0];
        len = name.length;
      }
    }
    if (name === undefined) {
      // Malformed: Go copies the '$' literally.
      out += '$';
      i = d + 1;
      continue;
    }
    out += group(name);
    i = d + 1 + len;
  }
  return out;
}

/** Go's Regexp.ReplaceAllString(src, repl). */
function replaceAll(re: RE2, s: string, repl: string): string {
  const matches = allSubmatchIndex(re, s, -1);
  if (matches.length === 0) return s;
  let out = '';
  let last = 0;
  for (const m of matches) {
    out += s.slice(last, m[0]) + expand(re, repl, s, m);
    last = m[1] as number;
  }
  return out + s.slice(last);
}

// ---------------------------------------------------------------------------------------------------------
// regex.template_match (gorilla/mux style templates, as OPA forked them)

function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

function compileTemplate(tpl: string, start: string, end: string, ctx: BuiltinContext): RE2 {
  const key = `regex.template:${start}${end}:${tpl}`;
  const hit = ctx.cache.get(key) as RE2 | undefined;
  if (hit) return hit;
  const idxs: number[] = [];
  let level = 0;
  let idx = 0;
  for (let i = 0; i < tpl.length; i++) {
    const c = tpl[i];
    if (c === start) {
      if (++level === 1) idx = i;
    } else if (c === end) {
      if (--level === 0) idxs.push(idx, i + 1);
      else if (level < 0) throw new BuiltinError(`unbalanced braces in ${JSON.stringify(tpl)}`);
    }
  }
  if (level !== 0) throw new BuiltinError(`unbalanced braces in ${JSON.stringify(tpl)}`);
  let pattern = '^';
  let last = 0;
  for (let i = 0; i < idxs.length; i += 2) {
    const raw = tpl.slice(last, idxs[i]);
    last = idxs[i + 1] as number;
    const patt = tpl.slice((idxs[i] as number) + 1, last - 1);
    pattern += `${quoteMeta(raw)}(${patt})`;
    compileRegex(`^${patt}$`);
  }
  pattern += quoteMeta(tpl.slice(last)) + '$';
  const re = compileRegex(pattern);
  ctx.cache.set(key, re);
  return re;
}

// ---------------------------------------------------------------------------------------------------------
// regex.globs_match: whether two globs (literals, `.`, `[...]` sets, each optionally with `*` or `+`)
// can match a common string — the algorithm of github.com/yashtewari/glob-intersection, which OPA uses.

const FLAG_NONE = 0;
const FLAG_PLUS = 1;
const FLAG_STAR = 2;

interface GToken {
  kind: 0 | 1 | 2; // character, dot, set
  flag: number;
  ch?: number;
  set?: Set<number>;
}

function globError(input: number[], pos: number, msg: string): BuiltinError {
  return new BuiltinError(`input:${String.fromCodePoint(...input)}, pos:${pos}, ${msg}: the input provided is invalid`);
}

function tokenizeGlob(text: string): GToken[] {
  const input = [...text].map((c) => c.codePointAt(0) as number);
  const n = input.length;
  // Reads one rune at i: [next index, rune, escaped] or undefined at the end.
  const nextRune = (i: number): [number, number, boolean] | undefined => {
    if (i >= n) return undefined;
    if (input[i] === 0x5c) {
      if (i < n - 1) return [i + 2, input[i + 1] as number, true];
      throw globError(input, i, 'input ends with a \\ (escape) character');
    }
    return [i + 1, input[i] as number, false];
  };
  const tokens: GToken[] = [];
  let i = 0;
  for (;;) {
    const r = nextRune(i);
    if (!r) break;
    let [ni, c, esc] = r;
    let tok: GToken;
    if (!esc && c === 0x2e) tok = { kind: 1, flag: FLAG_NONE };
    else if (!esc && c === 0x5d) throw globError(input, ni, "set-close ']' with no preceding '['");
    else if (!esc && c === 0x5b) {
      const runes = new Set<number>();
      let prev = 0;
      let prevExists = false;
      let complete = false;
      let cur = nextRune(ni);
      while (cur) {
        [ni, c, esc] = cur;
        if (!esc && c === 0x2d) {
          if (!prevExists) throw globError(input, ni, "range character '-' must be preceded by a Unicode character");
          if (ni >= n - 1) throw globError(input, ni, "range character '-' must be followed by a Unicode character");
          const nx = nextRune(ni) as [number, number, boolean];
          [ni, c, esc] = nx;
          if (!esc && (c === 0x5d || c === 0x2d))
            throw globError(input, ni, "range character '-' cannot be followed by a special symbol");
          if (c < prev)
            throw globError(
              input,
              ni,
              `range is out of order: '${String.fromCodePoint(c)}' comes before '${String.fromCodePoint(prev)}' in Unicode`,
            );
          for (let x = prev; x <= c; x++) runes.add(x);
          prevExists = false;
        } else if (!esc && c === 0x5d) {
          complete = true;
          break;
        } else {
          runes.add(c);
          prev = c;
          prevExists = true;
        }
        cur = nextRune(ni);
      }
      if (!complete) throw globError(input, ni, 'found [ without matching ]');
      tok = { kind: 2, flag: FLAG_NONE, set: runes };
    } else if (!esc && (c === 0x2b || c === 0x2a))
      throw globError(input, ni, `flag '${String.fromCodePoint(c)}' must be preceded by a non-flag`);
    else tok = { kind: 0, flag: FLAG_NONE, ch: c };
    // An optional flag right after the token.
    if (ni < n && input[ni] !== 0x5c && (input[ni] === 0x2b || input[ni] === 0x2a)) {
      tok.flag = input[ni] === 0x2b ? FLAG_PLUS : FLAG_STAR;
      ni++;
    }
    tokens.push(tok);
    i = ni;
  }
  // Simplify: merge adjacent equal flagged tokens (x*x+ → x+).
  const out: GToken[] = [];
  for (const t of tokens) {
    const last = out[out.length - 1];
    if (last && t.flag !== FLAG_NONE && last.flag !== FLAG_NONE && tokenEqual(t, last)) {
      last.flag = t.flag === FLAG_PLUS || last.flag === FLAG_PLUS ? FLAG_PLUS : FLAG_STAR;
    } else out.push(t);
  }
  return out;
}

function tokenEqual(a: GToken, b: GToken): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 0) return a.ch === b.ch;
  if (a.kind === 1) return true;
  const x = a.set as Set<number>;
  const y = b.set as Set<number>;
  if (x.size !== y.size) return false;
  for (const r of x) if (!y.has(r)) return false;
  return true;
}

function tokenMatch(a: GToken, b: GToken): boolean {
  if (a.kind > b.kind) [a, b] = [b, a];
  if (a.kind === 0) {
    if (b.kind === 0) return a.ch === b.ch;
    if (b.kind === 1) return true;
    return (b.set as Set<number>).has(a.ch as number);
  }
  if (a.kind === 1) return true;
  for (const r of a.set as Set<number>) if ((b.set as Set<number>).has(r)) return true;
  return false;
}

function intersectNormal(g1: GToken[], g2: GToken[]): boolean {
  let i = 0;
  let j = 0;
  for (; i < g1.length && j < g2.length; i++, j++) {
    const a = g1[i] as GToken;
    const b = g2[j] as GToken;
    if (a.flag === FLAG_NONE && b.flag === FLAG_NONE) {
      if (!tokenMatch(a, b)) return false;
    } else return intersectSpecial(g1.slice(i), g2.slice(j));
  }
  return i === g1.length && j === g2.length;
}

function intersectSpecial(g1: GToken[], g2: GToken[]): boolean {
  const f1 = (g1[0] as GToken).flag;
  if (f1 !== FLAG_NONE) return f1 === FLAG_PLUS ? intersectPlus(g1, g2) : intersectStar(g1, g2);
  const f2 = (g2[0] as GToken).flag;
  if (f2 === FLAG_PLUS) return intersectPlus(g2, g1);
  if (f2 === FLAG_STAR) return intersectStar(g2, g1);
  return false;
}

function intersectPlus(plussed: GToken[], other: GToken[]): boolean {
  if (other.length === 0 || !tokenMatch(plussed[0] as GToken, other[0] as GToken)) return false;
  if (intersectStar(plussed, other.slice(1))) return true;
  return (other[0] as GToken).flag !== FLAG_NONE && intersectNormal(plussed.slice(1), other);
}

function intersectStar(starred: GToken[], other: GToken[]): boolean {
  const star = starred[0] as GToken;
  const next = starred[1];
  for (let i = 0; i < other.length; i++) {
    const t = other[i] as GToken;
    if (next !== undefined && tokenMatch(t, next)) {
      if (intersectNormal(starred.slice(1), other.slice(i))) return true;
      if (!tokenMatch(t, star)) return false;
    } else if (!tokenMatch(t, star)) return false;
  }
  return next === undefined;
}

export function globsIntersect(lhs: string, rhs: string): boolean {
  let g1 = tokenizeGlob(lhs);
  let g2 = tokenizeGlob(rhs);
  // Trim the common fixed prefix and suffix.
  let l = 0;
  for (; l < g1.length && l < g2.length && g1[l]!.flag === FLAG_NONE && g2[l]!.flag === FLAG_NONE; l++) {
    if (!tokenMatch(g1[l] as GToken, g2[l] as GToken)) return false;
  }
  if (l > 0) l--;
  let r1 = g1.length - 1;
  let r2 = g2.length - 1;
  for (
    ;
    r1 >= 0 && r1 >= l && r2 >= 0 && r2 >= l && g1[r1]!.flag === FLAG_NONE && g2[r2]!.flag === FLAG_NONE;
    r1--, r2--
  ) {
    if (!tokenMatch(g1[r1] as GToken, g2[r2] as GToken)) return false;
  }
  if (r1 < g1.length - 1) {
    r1++;
    r2++;
  }
  g1 = g1.slice(l, r1 + 1);
  g2 = g2.slice(l, r2 + 1);
  return intersectNormal(g1, g2);
}

// ---------------------------------------------------------------------------------------------------------

const match = (a: Value[], ctx: BuiltinContext): Value => {
  const pattern = str(a, 0);
  const s = str(a, 1);
  return regexMatches(compileRegex(pattern, ctx), s);
};

export const builtins: BuiltinGroup = {
  'regex.match': match,
  re_match: match,
  'regex.is_valid': (a) => typeof a[0] === 'string' && isValidRegex(a[0]),
  'regex.split': (a, ctx) => {
    const pattern = str(a, 0);
    const s = str(a, 1);
    return split(compileRegex(pattern, ctx), s);
  },
  'regex.find_n': (a, ctx) => {
    const pattern = str(a, 0);
    const s = str(a, 1);
    const n = Number(int(a, 2));
    return findN(compileRegex(pattern, ctx), s, n);
  },
  'regex.find_all_string_submatch_n': (a, ctx) => {
    const pattern = str(a, 0);
    const s = str(a, 1);
    const n = Number(int(a, 2));
    return findAllSubmatch(compileRegex(pattern, ctx), s, n);
  },
  'regex.replace': (a, ctx) => {
    const s = str(a, 0);
    const pattern = str(a, 1);
    const repl = str(a, 2);
    return replaceAll(compileRegex(pattern, ctx), s, repl);
  },
  'regex.template_match': (a, ctx) => {
    const tpl = str(a, 0);
    const s = str(a, 1);
    const start = str(a, 2);
    const end = str(a, 3);
    const startLen = Buffer.byteLength(start);
    if (startLen !== 1)
      throw new BuiltinError(`start delimiter has to be exactly one character long but is ${startLen} long`);
    // OPA reports the start delimiter's length here too.
    if (Buffer.byteLength(end) !== 1)
      throw new BuiltinError(`end delimiter has to be exactly one character long but is ${startLen} long`);
    return regexMatches(compileTemplate(tpl, start, end, ctx), s);
  },
  'regex.globs_match': (a) => {
    const l = str(a, 0);
    const r = str(a, 1);
    return globsIntersect(l, r);
  },
};
