// BuildKit's shell lexer (frontend/dockerfile/shell/lex.go): word splitting, quote removal and
// `$VAR` / `${VAR...}` expansion with the same quirks, so that expanded Dockerfile words match
// what `docker build` produces. Works on code points, as Go works on runes.

export type EnvLookup = (name: string) => string | undefined;

export class ShellLexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShellLexError';
  }
}

const EOF = -1;

/** Go's unicode.IsSpace. */
export function isSpace(ch: number): boolean {
  switch (ch) {
    case 0x09:
    case 0x0a:
    case 0x0b:
    case 0x0c:
    case 0x0d:
    case 0x20:
    case 0x85:
    case 0xa0:
      return true;
  }
  if (ch < 0x100) return false;
  return /\p{White_Space}/u.test(String.fromCodePoint(ch));
}

function isLetter(ch: number): boolean {
  if (ch < 0) return false;
  return /\p{L}/u.test(String.fromCodePoint(ch));
}

function isDigit(ch: number): boolean {
  if (ch < 0) return false;
  if (ch >= 0x30 && ch <= 0x39) return true;
  return ch >= 0x80 && /\p{Nd}/u.test(String.fromCodePoint(ch));
}

function isSpecialParam(ch: number): boolean {
  return '@*#?-$!0'.includes(String.fromCodePoint(ch)) && ch >= 0;
}

function isWhitespace(ch: number): boolean {
  return ch === 0x09 || ch === 0x0d || ch === 0x20;
}

class Scanner {
  private readonly cps: number[];
  private pos = 0;
  constructor(s: string) {
    this.cps = Array.from(s, (c) => c.codePointAt(0) ?? 0);
  }
  peek(): number {
    return this.pos < this.cps.length ? (this.cps[this.pos] ?? EOF) : EOF;
  }
  next(): number {
    if (this.pos >= this.cps.length) return EOF;
    return this.cps[this.pos++] ?? EOF;
  }
}

const chr = (c: number): string => (c === EOF ? '\uFFFD' : String.fromCodePoint(c));

/** Word accumulator; the buffer is shared across nested calls as in BuildKit (`sw.wordsBuffer`). */
class Words {
  words: string[] = [];
  inWord = false;
  constructor(private readonly buf: { s: string }) {}
  addChar(ch: number): void {
    if (isSpace(ch) && this.inWord) {
      if (this.buf.s.length !== 0) {
        this.words.push(this.buf.s);
        this.buf.s = '';
        this.inWord = false;
      }
    } else if (!isSpace(ch)) {
      this.addRawChar(ch);
    }
  }
  addRawChar(ch: number): void {
    this.buf.s += chr(ch);
    this.inWord = true;
  }
  addString(str: string): void {
    for (const c of str) this.addChar(c.codePointAt(0) ?? 0);
  }
  addRawString(str: string): void {
    this.buf.s += str;
    this.inWord = true;
  }
  getWords(): string[] {
    if (this.buf.s.length > 0) {
      this.words.push(this.buf.s);
      this.buf.s = '';
      this.inWord = false;
    }
    return this.words;
  }
}

export interface ProcessResult {
  result: string;
  words: string[];
  matched: Set<string>;
  unmatched: Set<string>;
}

export class ShellLex {
  rawQuotes = false;
  rawEscapes = false;
  skipProcessQuotes = false;
  skipUnsetEnv = false;
  readonly escapeToken: number;

  constructor(escapeToken = '\\') {
    this.escapeToken = escapeToken.codePointAt(0) ?? 0x5c;
  }

  /** Expand one word (quotes removed, no splitting), as BuildKit's ProcessWord. */
  processWord(word: string, env: EnvLookup): string {
    return this.process(word, env).result;
  }

  /** Expand and split into words, as BuildKit's ProcessWords. */
  processWords(word: string, env: EnvLookup): string[] {
    return this.process(word, env).words;
  }

  process(word: string, env: EnvLookup): ProcessResult {
    const sw = new ShellWord(this, env, word);
    try {
      const [result, words] = sw.processStopOn(EOF, this.rawEscapes);
      return { result, words, matched: sw.matches, unmatched: sw.nonmatches };
    } catch (e) {
      if (e instanceof ShellLexError)
        throw new ShellLexError(`failed to process ${JSON.stringify(word)}: ${e.message}`);
      throw e;
    }
  }
}

class ShellWord {
  readonly scanner: Scanner;
  readonly wordsBuffer = { s: '' };
  rawEscapes: boolean;
  readonly matches = new Set<string>();
  readonly nonmatches = new Set<string>();

  constructor(
    readonly lex: ShellLex,
    readonly env: EnvLookup,
    word: string,
  ) {
    this.scanner = new Scanner(word);
    this.rawEscapes = lex.rawEscapes;
  }

  processStopOn(stopChar: number, rawEscapes: boolean): [string, string[]] {
    let result = '';
    this.wordsBuffer.s = '';
    const words = new Words(this.wordsBuffer);
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      while (this.scanner.peek() !== EOF) {
        const ch = this.scanner.peek();
        if (stopChar !== EOF && ch === stopChar) {
          this.scanner.next();
          return [result, words.getWords()];
        }
        let special: (() => string) | undefined;
        if (ch === 0x24) special = () => this.processDollar();
        else if (ch === 0x3c) special = () => this.processPossibleHeredoc();
        else if (!this.lex.skipProcessQuotes && ch === 0x27) special = () => this.processSingleQuote();
        else if (!this.lex.skipProcessQuotes && ch === 0x22) special = () => this.processDoubleQuote();
        if (special) {
          const tmp = special();
          result += tmp;
          if (ch === 0x24) words.addString(tmp);
          else words.addRawString(tmp);
          continue;
        }
        let c = this.scanner.next();
        if (c === this.lex.escapeToken) {
          if (this.rawEscapes) {
            words.addRawChar(c);
            result += chr(c);
          }
          c = this.scanner.next();
          if (c === EOF) break;
          words.addRawChar(c);
        } else {
          words.addChar(c);
        }
        result += chr(c);
      }
      if (stopChar !== EOF) {
        throw new ShellLexError(`unexpected end of statement while looking for matching ${chr(stopChar)}`);
      }
      return [result, words.getWords()];
    } finally {
      this.rawEscapes = saved;
    }
  }

  processSingleQuote(): string {
    let result = '';
    let ch = this.scanner.next();
    if (this.lex.rawQuotes) result += chr(ch);
    for (;;) {
      ch = this.scanner.next();
      if (ch === EOF) throw new ShellLexError('unexpected end of statement while looking for matching single-quote');
      if (ch === 0x27) {
        if (this.lex.rawQuotes) result += chr(ch);
        return result;
      }
      result += chr(ch);
    }
  }

  processDoubleQuote(): string {
    let result = '';
    const open = this.scanner.next();
    if (this.lex.rawQuotes) result += chr(open);
    for (;;) {
      const p = this.scanner.peek();
      if (p === EOF) throw new ShellLexError('unexpected end of statement while looking for matching double-quote');
      if (p === 0x22) {
        const ch = this.scanner.next();
        if (this.lex.rawQuotes) result += chr(ch);
        return result;
      }
      if (p === 0x24) {
        result += this.processDollar();
        continue;
      }
      let ch = this.scanner.next();
      if (ch === this.lex.escapeToken) {
        if (this.rawEscapes) result += chr(ch);
        const n = this.scanner.peek();
        if (n === EOF) continue;
        if (n === 0x22 || n === 0x24 || n === this.lex.escapeToken) ch = this.scanner.next();
      }
      result += chr(ch);
    }
  }

  processDollar(): string {
    this.scanner.next();
    if (this.scanner.peek() !== 0x7b) {
      const name = this.processName();
      if (name === '') return '$';
      const value = this.getEnv(name);
      if (value === undefined && this.lex.skipUnsetEnv) return '$' + name;
      return value ?? '';
    }
    this.scanner.next();
    const p = this.scanner.peek();
    if (p === EOF) throw new ShellLexError("syntax error: missing '}'");
    if (p === 0x7b || p === 0x7d || p === 0x3a) throw new ShellLexError('syntax error: bad substitution');
    const name = this.processName();
    let ch = this.scanner.next();
    let chs = chr(ch);
    let nullIsUnset = false;
    switch (ch) {
      case 0x7d: {
        const value = this.getEnv(name);
        if (value === undefined && this.lex.skipUnsetEnv) return '${' + name + '}';
        return value ?? '';
      }
      case 0x3a:
      case 0x2b:
      case 0x2d:
      case 0x3f:
      case 0x23:
      case 0x25: {
        if (ch === 0x3a) {
          nullIsUnset = true;
          ch = this.scanner.next();
          chs += chr(ch);
        }
        const raw = ch === 0x23 || ch === 0x25;
        if (nullIsUnset && raw) throw new ShellLexError(`unsupported modifier (${chs}) in substitution`);
        let word: string;
        try {
          word = this.processStopOn(0x7d, raw)[0];
        } catch (e) {
          if (this.scanner.peek() === EOF) throw new ShellLexError("syntax error: missing '}'");
          throw e;
        }
        const value = this.getEnv(name);
        const set = value !== undefined;
        if (this.lex.skipUnsetEnv && !set) return '${' + name + chs + word + '}';
        const v = value ?? '';
        switch (ch) {
          case 0x2d:
            return !set || (nullIsUnset && v === '') ? word : v;
          case 0x2b:
            return !set || (nullIsUnset && v === '') ? '' : word;
          case 0x3f:
            if (!set) throw new ShellLexError(`${name}: ${word !== '' ? word : 'is not allowed to be unset'}`);
            if (nullIsUnset && v === '')
              throw new ShellLexError(`${name}: ${word !== '' ? word : 'is not allowed to be empty'}`);
            return v;
          case 0x25:
          case 0x23: {
            let greedy = false;
            let pat = word;
            if (pat.length > 0 && pat.codePointAt(0) === ch) {
              greedy = true;
              pat = pat.slice(1);
            }
            return ch === 0x25 ? trimSuffix(pat, v, greedy) : trimPrefix(pat, v, greedy);
          }
          default:
            throw new ShellLexError(`unsupported modifier (${chs}) in substitution`);
        }
      }
      case 0x2f: {
        const replaceAll = this.scanner.peek() === 0x2f;
        if (replaceAll) this.scanner.next();
        let pattern: string;
        try {
          pattern = this.processStopOn(0x2f, true)[0];
        } catch (e) {
          if (this.scanner.peek() === EOF) throw new ShellLexError("syntax error: missing '/' in ${}");
          throw e;
        }
        let replacement: string;
        try {
          replacement = this.processStopOn(0x7d, true)[0];
        } catch (e) {
          if (this.scanner.peek() === EOF) throw new ShellLexError("syntax error: missing '}'");
          throw e;
        }
        const value = this.getEnv(name);
        if (this.lex.skipUnsetEnv && value === undefined) return '${' + name + '/' + pattern + '/' + replacement + '}';
        const re = shellPatternToRegex(pattern, true, false, replaceAll);
        let v = value ?? '';
        if (replaceAll) v = v.replace(re, () => replacement);
        else {
          const m = re.exec(v);
          if (m) v = v.slice(0, m.index) + replacement + v.slice(m.index + m[0].length);
        }
        return v;
      }
      default:
        throw new ShellLexError(`unsupported modifier (${chs}) in substitution`);
    }
  }

  processName(): string {
    let name = '';
    while (this.scanner.peek() !== EOF) {
      const ch = this.scanner.peek();
      if (name.length === 0 && isDigit(ch)) {
        while (this.scanner.peek() !== EOF && isDigit(this.scanner.peek())) name += chr(this.scanner.next());
        return name;
      }
      if (name.length === 0 && isSpecialParam(ch)) return chr(this.scanner.next());
      if (!isLetter(ch) && !isDigit(ch) && ch !== 0x5f) break;
      name += chr(this.scanner.next());
    }
    return name;
  }

  processPossibleHeredoc(): string {
    this.scanner.next();
    if (this.scanner.peek() !== 0x3c) return '<';
    this.scanner.next();
    let space = '';
    while (isWhitespace(this.scanner.peek())) space += chr(this.scanner.next());
    return '<<' + space;
  }

  getEnv(name: string): string | undefined {
    const v = this.env(name);
    if (v !== undefined) this.matches.add(name);
    else this.nonmatches.add(name);
    return v;
  }
}

/** Shell wildcard pattern (`*`, `?`, `\` escapes; no bracket expressions) → RegExp, as BuildKit. */
function shellPatternToRegex(pattern: string, greedy: boolean, anchored: boolean, global = false): RegExp {
  const cps = Array.from(pattern);
  let out = anchored ? '^' : '';
  const star = greedy ? '.*' : '.*?';
  for (let i = 0; i < cps.length; i++) {
    const tok = cps[i] ?? '';
    if (tok === '*') {
      out += star;
      continue;
    }
    if (tok === '?') {
      out += '.';
      continue;
    }
    if (tok === '\\') {
      const nx = cps[i + 1];
      if (nx === '}' || nx === '/') continue;
      i++;
      const t = cps[i];
      if (t !== '*' && t !== '?' && t !== '\\') {
        throw new ShellLexError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${t ?? ''}'`);
      }
      out += '\\' + t;
      continue;
    }
    if ('[]{}.+()|^$/'.includes(tok)) out += '\\' + tok;
    else out += tok;
  }
  return new RegExp(out, global ? 'gu' : 'u');
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const re = shellPatternToRegex(pattern, greedy, true);
  const m = re.exec(value);
  return m ? value.slice(m.index + m[0].length) : value;
}

function reversePattern(pattern: string): string {
  const p = Array.from(pattern);
  const out: string[] = new Array<string>(p.length);
  const last = p.length - 1;
  for (let i = 0; i <= last;) {
    const tok = p[i] ?? '';
    const o = last - i;
    if (tok === '\\' && i !== last) {
      out[o - 1] = tok;
      out[o] = p[i + 1] ?? '';
      i += 2;
    } else {
      out[o] = tok;
      i++;
    }
  }
  return out.join('');
}

const reverseString = (s: string): string => Array.from(s).reverse().join('');

function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  return reverseString(trimPrefix(reversePattern(pattern), reverseString(value), greedy));
}
