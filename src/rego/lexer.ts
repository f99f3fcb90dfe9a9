// The Rego lexer: turns source text into tokens with 1-based row/col locations, after OPA's scanner.
//
// - Columns count code points; a tab counts as one column (as in OPA).
// - Identifiers are ASCII letters, `_` and digits. Keywords are NOT decided here: the parser decides per token
//   whether an identifier is a keyword, because the set of keywords changes with imports (v0 future keywords).
// - Numbers keep their text (the parser turns them into values with value.ts parseNumber).
// - Strings keep their quoted text in `lit` (the parser decodes escapes); raw strings are back-quoted.
// - Comments are returned separately; whitespace is not a token, but every token records whether
//   whitespace (or a comment) came right before it (`ws`) and whether a newline was skipped (`nl`).

export type TokenType = 'ident' | 'number' | 'string' | 'rawstring' | 'punct' | 'eof' | 'illegal';

export interface Token {
  type: TokenType;
  /** The token text: identifier name, number text, quoted string, operator/punctuation. */
  lit: string;
  row: number;
  col: number;
  /** Offset (UTF-16 code units) of the first character in the source text. */
  offset: number;
  /** Offset just past the token. */
  end: number;
  /** Whitespace or a comment separates this token from the previous one. */
  ws: boolean;
  /** A newline was skipped between the previous token and this one. */
  nl: boolean;
  /** Scanner error attached to an illegal or malformed token. */
  error?: string;
}

export interface LexComment {
  /** The comment text without the leading `#` (and without a trailing `\r`). */
  text: string;
  row: number;
  col: number;
  offset: number;
}

export interface LexResult {
  tokens: Token[];
  comments: LexComment[];
}

const PUNCT2 = new Set([':=', '==', '!=', '<=', '>=']);
const PUNCT1 = new Set([
  '[',
  ']',
  '{',
  '}',
  '(',
  ')',
  ',',
  ':',
  '+',
  '-',
  '*',
  '/',
  '%',
  '&',
  '|',
  '=',
  '<',
  '>',
  ';',
  '.',
]);

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isDecimal(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Tokenizes the whole text. Never throws; malformed input yields `illegal` tokens or tokens with `error`. */
export function lex(text: string): LexResult {
  const tokens: Token[] = [];
  const comments: LexComment[] = [];
  const n = text.length;
  let i = 0;
  let row = 1;
  let col = 1; // column of text[i]
  let ws = false;
  let nl = false;

  // Skip a leading byte-order mark.
  if (n > 0 && text.charCodeAt(0) === 0xfeff) i = 1;

  /** Advances over text[i], keeping row/col. */
  const adv = (): void => {
    const c = text.charCodeAt(i);
    if (c === 10) {
      row++;
      col = 1;
      i++;
      return;
    }
    // A surrogate pair is one code point: one column.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    i++;
    col++;
  };

  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13 || c === 10) {
      if (c === 10) nl = true;
      ws = true;
      adv();
      continue;
    }
    const startRow = row;
    const startCol = col;
    const start = i;
    if (c === 35) {
      // '#' comment up to the end of the line
      adv();
      while (i < n && text.charCodeAt(i) !== 10) adv();
      let end = i;
      if (end > start + 1 && text.charCodeAt(end - 1) === 13) end--;
      comments.push({ text: text.slice(start + 1, end), row: startRow, col: startCol, offset: start });
      ws = true;
      continue;
    }
    const tok: Token = { type: 'illegal', lit: '', row: startRow, col: startCol, offset: start, end: start, ws, nl };
    ws = false;
    nl = false;
    if (isLetter(c)) {
      adv();
      while (i < n) {
        const d = text.charCodeAt(i);
        if (isLetter(d) || isDecimal(d)) adv();
        else break;
      }
      tok.type = 'ident';
    } else if (isDecimal(c)) {
      tok.type = 'number';
      while (i < n && isDecimal(text.charCodeAt(i))) adv();
      if (i < n && text.charCodeAt(i) === 46) {
        adv();
        let found = false;
        while (i < n && isDecimal(text.charCodeAt(i))) {
          adv();
          found = true;
        }
        if (!found) tok.error = 'expected fraction';
      }
      if (i < n && (text.charCodeAt(i) | 32) === 101) {
        adv();
        if (i < n && (text.charCodeAt(i) === 43 || text.charCodeAt(i) === 45)) adv();
        let found = false;
        while (i < n && isDecimal(text.charCodeAt(i))) {
          adv();
          found = true;
        }
        if (!found) tok.error ??= 'expected exponent';
      }
      if (i < n && isLetter(text.charCodeAt(i))) {
        tok.error ??= 'illegal number format';
        while (i < n && (isLetter(text.charCodeAt(i)) || isDecimal(text.charCodeAt(i)))) adv();
      }
    } else if (c === 34) {
      // "..." string with JSON/Go escapes; validated and decoded by the parser.
      tok.type = 'string';
      adv();
      for (;;) {
        if (i >= n || text.charCodeAt(i) === 10) {
          tok.error = 'non-terminated string';
          break;
        }
        const d = text.charCodeAt(i);
        adv();
        if (d === 34) break;
        if (d === 92) {
          if (i >= n) continue;
          const e = text[i];
          if (e === '\\' || e === '"' || e === '/' || e === 'b' || e === 'f' || e === 'n' || e === 'r' || e === 't') {
            adv();
          } else if (e === 'u') {
            for (let k = 0; k < 5 && i < n && text.charCodeAt(i) !== 10; k++) adv();
          } else {
            tok.error ??= 'illegal escape sequence';
          }
        }
      }
    } else if (c === 96) {
      tok.type = 'rawstring';
      adv();
      for (;;) {
        if (i >= n) {
          tok.error = 'non-terminated string';
          break;
        }
        const d = text.charCodeAt(i);
        adv();
        if (d === 96) break;
      }
    } else {
      const two = text.slice(i, i + 2);
      if (PUNCT2.has(two)) {
        tok.type = 'punct';
        adv();
        adv();
      } else if (PUNCT1.has(text[i] ?? '')) {
        tok.type = 'punct';
        adv();
      } else {
        tok.type = 'illegal';
        if (c === 33) tok.error = 'illegal ! character';
        else if (c === 0) tok.error = 'illegal null character';
        adv();
      }
    }
    tok.end = i;
    tok.lit = text.slice(start, i);
    tokens.push(tok);
  }
  tokens.push({ type: 'eof', lit: '', row, col, offset: n, end: n, ws, nl });
  return { tokens, comments };
}

/**
 * Decodes a double-quoted Rego string literal (JSON escapes, as Go's encoding/json does).
 * Returns undefined when the literal is not valid.
 */
export function decodeString(lit: string): string | undefined {
  if (lit.length < 2 || lit[0] !== '"' || lit[lit.length - 1] !== '"') return undefined;
  const body = lit.slice(1, -1);
  if (!body.includes('\\')) {
    for (let k = 0; k < body.length; k++) if (body.charCodeAt(k) < 0x20) return undefined;
    return body;
  }
  let out = '';
  for (let k = 0; k < body.length; k++) {
    const c = body.charCodeAt(k);
    if (c < 0x20) return undefined;
    if (c === 34) return undefined;
    if (c !== 92) {
      out += body[k];
      continue;
    }
    k++;
    const e = body[k];
    switch (e) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        const hex = body.slice(k + 1, k + 5);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) return undefined;
        let code = parseInt(hex, 16);
        k += 4;
        if (code >= 0xd800 && code <= 0xdbff) {
          // A high surrogate: Go pairs it with a following \uDC00-\uDFFF, else yields U+FFFD.
          const next = body.slice(k + 1, k + 7);
          const m = /^\\u([dD][c-fC-F][0-9a-fA-F]{2})$/.exec(next);
          if (m && m[1]) {
            out += String.fromCharCode(code, parseInt(m[1], 16));
            k += 6;
            break;
          }
          code = 0xfffd;
        } else if (code >= 0xdc00 && code <= 0xdfff) {
          code = 0xfffd;
        }
        out += String.fromCharCode(code);
        break;
      }
      default:
        return undefined;
    }
  }
  return out;
}
