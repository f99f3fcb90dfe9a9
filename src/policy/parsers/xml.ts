// XML via fast-xml-parser, in the shape of Conftest's goxml2json: attributes as `-name`, mixed text as
// `#content`, repeated elements as arrays, every scalar a string. Errors carry line and column.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { PolicyError } from '../errors.ts';
import type { ParseContext, ParsedFile, Parser } from './parser.ts';

export function parseXml(text: string, ctx: ParseContext, kind = 'xml'): unknown {
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: true });
  if (valid !== true) {
    throw new PolicyError('policy_parse_error', `${kind}: ${valid.err.msg}`, { file: ctx.file, row: valid.err.line, col: valid.err.col });
  }
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '-',
    textNodeName: '#content',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    processEntities: true,
    htmlEntities: false,
  });
  return parser.parse(text) as unknown;
}

export const xmlParser: Parser = {
  name: 'xml',
  parse(text: string, ctx: ParseContext): ParsedFile {
    return { value: parseXml(text, ctx) };
  },
};
