// .env files via the dotenv package: a flat `{NAME: "value"}` map of strings, as Conftest.
import { parse } from 'dotenv';
import { PolicyError } from '../errors.ts';
import type { ParseContext, ParsedFile, Parser } from './parser.ts';

export const dotenvParser: Parser = {
  name: 'dotenv',
  parse(text: string, ctx: ParseContext): ParsedFile {
    // Conftest uses gotenv's strict mode: a line that is neither blank, a comment nor NAME=value is an error.
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const l = (lines[i] ?? '').trim();
      if (l === '' || l.startsWith('#')) continue;
      if (!/^(export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*[=:]/.test(l)) {
        // a continuation of a multi-line quoted value is fine; dotenv handles those
        if (insideQuoted(lines, i)) continue;
        throw new PolicyError('policy_parse_error', `dotenv: line is not NAME=value: ${JSON.stringify(l.slice(0, 60))}`, { file: ctx.file, row: i + 1, col: 1 });
      }
    }
    return { value: { ...parse(text) } };
  },
};

function insideQuoted(lines: string[], index: number): boolean {
  let open: string | undefined;
  for (let i = 0; i < index; i++) {
    const l = lines[i] ?? '';
    if (open === undefined) {
      const m = /^[^=]*=\s*(["'`])(.*)$/.exec(l);
      if (m && !(m[2] ?? '').includes(m[1] ?? '')) open = m[1];
    } else if (l.includes(open)) {
      open = undefined;
    }
  }
  return open !== undefined;
}
