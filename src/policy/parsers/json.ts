// JSON, with a UTF-8 BOM stripped (as Conftest). Errors carry line and column.
import { parse as parseTolerant, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { PolicyError } from '../errors.ts';
import { lineColAt, stripBom, type ParseContext, type ParsedFile, type Parser } from './parser.ts';

export function jsonError(text: string, ctx: ParseContext, kind: string, allowComments: boolean, cause?: unknown): PolicyError {
  const errors: ParseError[] = [];
  parseTolerant(text, errors, { disallowComments: !allowComments, allowTrailingComma: allowComments });
  const first = errors[0];
  if (!first) return new PolicyError('policy_parse_error', `${kind}: ${String(cause)}`, { file: ctx.file, row: 0, col: 0 });
  const { row, col } = lineColAt(text, first.offset);
  return new PolicyError('policy_parse_error', `${kind}: ${describe(printParseErrorCode(first.error))}`, { file: ctx.file, row, col }, { cause });
}

function describe(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

export const jsonParser: Parser = {
  name: 'json',
  parse(text: string, ctx: ParseContext): ParsedFile {
    const src = stripBom(text);
    try {
      return { value: JSON.parse(src) as unknown };
    } catch (e) {
      throw jsonError(src, ctx, 'json', false, e);
    }
  },
};
