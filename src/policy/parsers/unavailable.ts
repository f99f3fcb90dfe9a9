// Conftest parsers we do not implement, with the reason. Choosing one (by extension or --parser) fails
// that file at run time with a clear message; the other files are still checked.
import { PolicyError } from '../errors.ts';
import type { ParseContext, ParsedFile, Parser } from './parser.ts';

export const UNAVAILABLE_PARSERS: Record<string, string> = {
  jsonnet: 'no pure-JavaScript Jsonnet evaluator is maintained (the npm ones are native addons or abandoned)',
  groovy: 'Conftest\'s Groovy/Jenkinsfile AST comes from a Go Groovy parser with no JavaScript counterpart',
};

export function unavailableParser(name: string): Parser {
  return {
    name,
    parse(_text: string, ctx: ParseContext): ParsedFile {
      throw new PolicyError(
        'policy_parser_unavailable',
        `parser ${name} is not available: ${UNAVAILABLE_PARSERS[name] ?? 'not implemented'}`,
        { file: ctx.file, row: 0, col: 0 },
      );
    },
  };
}
