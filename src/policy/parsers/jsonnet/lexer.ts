// Jsonnet tokens (https://jsonnet.org/ref/spec.html#lexing): identifiers and keywords, numbers, the four
// string forms (double/single quoted, verbatim @"..." and text blocks |||), operators as maximal runs of
// operator characters (with the spec's rule on trailing + - ~ ! $), and the comment forms // # /* */.
import { JsonnetError, type Loc } from './errors.ts';

export type TokKind = 'id' | 'kw' | 'num' | 'str' | 'op' | 'punct' | 'eof';

export interface Token {
  kind: TokKind;
  text: string;
  /** decoded value of a string token */
  value?: string;
  loc: Loc;
}

const KEYWORDS = new Set([
  'assert',
  'else',
  'error',
  'false',
  'for',
  'function',
  'if',
  'import',
  'importstr',
  'importbin',
  'in',
  'local',
  'null',
  'tailstrict',
  'then',
  'self',
  'super',
  'true',
]);
const OP_CHARS = '!$:~+-&|^=<>*/%';

export function lex(src: string, file: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const loc = (at: number): Loc => ({ file, line, col: at - lineStart + 1 });
  const fail = (msg: string, at: number): never => {
    throw new JsonnetError('static', msg, loc(at));
  };
  const newlines = (from: number, to: number) => {
    for (let k = from; k < to; k++) {
      if (src.charCodeAt(k) === 10) {
        line++;
        lineStart = k + 1;
      }
    }
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\n') {
      line++;
      i++;
      lineStart = i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#' || (c === '/' && src[i + 1] === '/')) {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) fail('multi-line comment has no terminating */', i);
      newlines(i, end);
      i = end + 2;
      continue;
    }
    const start = i;
    const here = loc(i);
    if (/[A-Za-z_]/.test(c)) {
      while (i < src.length && /[A-Za-z0-9_]/.test(src[i]!)) i++;
      const text = src.slice(start, i);
      out.push({ kind: KEYWORDS.has(text) ? 'kw' : 'id', text, loc: here });
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^(?:0|[1-9](?:_?[0-9])*)(?:\.[0-9](?:_?[0-9])*)?(?:[eE][+-]?[0-9](?:_?[0-9])*)?/.exec(src.slice(i));
      const text = m![0];
      i += text.length;
      if (/[0-9]/.test(src[i] ?? '') && text === '0') fail('leading zeros are not allowed in numbers', start);
      out.push({ kind: 'num', text: text.replace(/_/g, ''), loc: here });
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let value = '';
      for (;;) {
        if (j >= src.length) fail('unterminated string', start);
        const ch = src[j]!;
        if (ch === c) break;
        if (ch === '\\') {
          const e = src[j + 1];
          const simple: Record<string, string> = {
            '"': '"',
            "'": "'",
            '\\': '\\',
            '/': '/',
            b: '\b',
            f: '\f',
            n: '\n',
            r: '\r',
            t: '\t',
          };
          if (e !== undefined && e in simple) {
            value += simple[e];
            j += 2;
          } else if (e === 'u') {
            const hex = src.slice(j + 2, j + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('truncated unicode escape sequence in string literal', j);
            let code = parseInt(hex, 16);
            j += 6;
            if (code >= 0xd800 && code < 0xdc00 && src[j] === '\\' && src[j + 1] === 'u') {
              const lo = parseInt(src.slice(j + 2, j + 6), 16);
              if (lo >= 0xdc00 && lo < 0xe000) {
                code = 0x10000 + ((code - 0xd800) << 10) + (lo - 0xdc00);
                j += 6;
              }
            }
            value += String.fromCodePoint(code);
          } else fail(`unknown escape sequence in string literal: \\${e ?? ''}`, j);
          continue;
        }
        value += ch;
        j++;
      }
      newlines(i, j);
      i = j + 1;
      out.push({ kind: 'str', text: src.slice(start, i), value, loc: here });
      continue;
    }
    if (c === '@' && (src[i + 1] === '"' || src[i + 1] === "'")) {
      const q = src[i + 1]!;
      let j = i + 2;
      let value = '';
      for (;;) {
        if (j >= src.length) fail('unterminated verbatim string', start);
        if (src[j] === q) {
          if (src[j + 1] === q) {
            value += q;
            j += 2;
            continue;
          }
          break;
        }
        value += src[j];
        j++;
      }
      newlines(i, j);
      i = j + 1;
      out.push({ kind: 'str', text: src.slice(start, i), value, loc: here });
      continue;
    }
    if (src.startsWith('|||', i)) {
      let j = i + 3;
      let chomp = false;
      if (src[j] === '-') {
        chomp = true;
        j++;
      }
      while (src[j] === ' ' || src[j] === '\t' || src[j] === '\r') j++;
      if (src[j] !== '\n') fail('text block syntax requires new line after |||.', start);
      j++;
      // blank lines first, then the first line's leading whitespace is the block's indent
      let lead = '';
      while (src[j] === '\n') {
        lead += '\n';
        j++;
      }
      let k = j;
      while (src[k] === ' ' || src[k] === '\t') k++;
      const indent = src.slice(j, k);
      if (indent.length === 0 && src[k] !== '\n') fail("text block's first line must start with whitespace.", j);
      let value = lead;
      for (;;) {
        if (j >= src.length) fail('unexpected EOF in text block', start);
        if (src[j] === '\n') {
          value += '\n';
          j++;
          continue;
        }
        if (src.startsWith(indent, j) && indent.length > 0) {
          const eol = src.indexOf('\n', j);
          if (eol < 0) fail('unexpected EOF in text block', start);
          value += src.slice(j + indent.length, eol + 1);
          j = eol + 1;
          continue;
        }
        // not indented: the block ends with |||
        let k2 = j;
        while (src[k2] === ' ' || src[k2] === '\t') k2++;
        if (!src.startsWith('|||', k2)) fail('text block not terminated with |||', j);
        j = k2 + 3;
        break;
      }
      if (chomp) value = value.replace(/\n$/, '');
      newlines(i, j);
      i = j;
      out.push({ kind: 'str', text: src.slice(start, i), value, loc: here });
      continue;
    }
    if ('{}[],.();'.includes(c)) {
      i++;
      out.push({ kind: 'punct', text: c, loc: here });
      continue;
    }
    if (OP_CHARS.includes(c)) {
      let j = i;
      while (j < src.length && OP_CHARS.includes(src[j]!)) {
        // a comment starts inside the run: stop there
        if (src[j] === '/' && (src[j + 1] === '/' || src[j + 1] === '*')) break;
        if (src.startsWith('|||', j)) break;
        j++;
      }
      // an operator of more than one character may not end in + - ~ ! $
      while (j - i > 1 && '+-~!$'.includes(src[j - 1]!)) j--;
      out.push({ kind: 'op', text: src.slice(i, j), loc: here });
      i = j;
      continue;
    }
    fail(`could not lex the character ${JSON.stringify(c)}`, i);
  }
  out.push({ kind: 'eof', text: '', loc: loc(i) });
  return out;
}
