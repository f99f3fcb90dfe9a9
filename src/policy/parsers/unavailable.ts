// Conftest parsers we do not implement, with the reason. Choosing one (by extension or --parser) fails
// that file at run time with a clear message; the other files are still checked.
import { PolicyError } from '../errors.ts';
import type { ParseContext, ParsedFile, Parser } from './parser.ts';

export const UNAVAILABLE_PARSERS: Record<string, string> = {
  groovy:
    "Conftest's Groovy/Jenkinsfile tree comes from a Go Groovy 2.4 parser (groovy-parser-go) whose node kinds policies match on; we cannot promise the same tree",
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
