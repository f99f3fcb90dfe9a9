// nginx configuration in Conftest's shape: `{directives: [{name, parameters?, block?: {directives}}]}`
// (what its gonginx-based parser emits; comments skipped, quoted parameters keep their quotes). Written
// here: nginx's grammar is a handful of tokens, and no maintained npm parser yields this structure.
import { PolicyError } from '../errors.ts';
import type { ParseContext, ParsedFile, Parser } from './parser.ts';

interface Directive {
  name: string;
  parameters?: string[];
  block?: { directives: Directive[] };
}

interface Token {
  text: string;
  kind: 'word' | '{' | '}' | ';';
  row: number;
  col: number;
}

function tokenize(text: string, ctx: ParseContext): Token[] {
  const out: Token[] = [];
  let row = 1;
  let col = 1;
  let i = 0;
  const advance = (n: number) => {
    for (let k = 0; k < n; k++) {
      if (text[i] === '\n') {
        row++;
        col = 1;
      } else col++;
      i++;
    }
  };
  while (i < text.length) {
    const c = text[i] ?? '';
    if (/\s/.test(c)) {
      advance(1);
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') advance(1);
    } else if (c === '{' || c === '}' || c === ';') {
      out.push({ text: c, kind: c, row, col });
      advance(1);
    } else if (c === '"' || c === "'") {
      const start = { row, col };
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) throw new PolicyError('policy_parse_error', 'nginx: unterminated quoted string', { file: ctx.file, ...start });
      out.push({ text: text.slice(i, j + 1), kind: 'word', ...start });
      advance(j + 1 - i);
    } else {
      const start = { row, col };
      let j = i;
      while (j < text.length && !/[\s;{}]/.test(text[j] ?? '')) {
        // ${var} inside a word
        if (text[j] === '$' && text[j + 1] === '{') {
          const end = text.indexOf('}', j);
          j = end < 0 ? text.length : end + 1;
        } else j++;
      }
      out.push({ text: text.slice(i, j), kind: 'word', ...start });
      advance(j - i);
    }
  }
  return out;
}

export const nginxParser: Parser = {
  name: 'nginx',
  parse(text: string, ctx: ParseContext): ParsedFile {
    const tokens = tokenize(text, ctx);
    let pos = 0;
    const parseBlock = (inside: Token | undefined): Directive[] => {
      const directives: Directive[] = [];
      for (;;) {
        const t = tokens[pos];
        if (!t) {
          if (inside) throw new PolicyError('policy_parse_error', 'nginx: unexpected end of file, expecting "}"', { file: ctx.file, row: inside.row, col: inside.col });
          return directives;
        }
        if (t.kind === '}') {
          if (!inside) throw new PolicyError('policy_parse_error', 'nginx: unexpected "}"', { file: ctx.file, row: t.row, col: t.col });
          pos++;
          return directives;
        }
        if (t.kind !== 'word') throw new PolicyError('policy_parse_error', `nginx: unexpected "${t.text}"`, { file: ctx.file, row: t.row, col: t.col });
        pos++;
        const d: Directive = { name: t.text };
        const params: string[] = [];
        for (;;) {
          const n = tokens[pos];
          if (!n) throw new PolicyError('policy_parse_error', `nginx: directive "${t.text}" is not terminated by ";"`, { file: ctx.file, row: t.row, col: t.col });
          pos++;
          if (n.kind === 'word') params.push(n.text);
          else if (n.kind === ';') break;
          else if (n.kind === '{') {
            d.block = { directives: parseBlock(n) };
            break;
          } else throw new PolicyError('policy_parse_error', `nginx: unexpected "}" in directive "${t.text}"`, { file: ctx.file, row: n.row, col: n.col });
        }
        if (params.length > 0) d.parameters = params;
        directives.push(d);
      }
    };
    return { value: { directives: parseBlock(undefined) } };
  },
};
