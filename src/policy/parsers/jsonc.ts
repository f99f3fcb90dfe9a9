// JSON with comments and trailing commas (tsconfig, VS Code settings), via Microsoft's jsonc-parser.
import { parse, type ParseError } from 'jsonc-parser';
import { jsonError } from './json.ts';
import { stripBom, type ParseContext, type ParsedFile, type Parser } from './parser.ts';

export const jsoncParser: Parser = {
  name: 'jsonc',
  parse(text: string, ctx: ParseContext): ParsedFile {
    const src = stripBom(text);
    const errors: ParseError[] = [];
    const value: unknown = parse(src, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false });
    if (errors.length > 0) throw jsonError(src, ctx, 'jsonc', true);
    return { value: value === undefined ? null : value };
  },
};
