// CycloneDX SBOMs: JSON as is; XML through the XML parser (attributes as `-name`, so XML BOMs do not get
// exactly the JSON BOM's shape that Conftest builds from its Go structs).
import { jsonParser } from './json.ts';
import type { ParseContext, ParsedFile, Parser } from './parser.ts';
import { parseXml } from './xml.ts';

export const cyclonedxParser: Parser = {
  name: 'cyclonedx',
  parse(text: string, ctx: ParseContext): ParsedFile | Promise<ParsedFile> {
    if (text.trimStart().startsWith('<')) {
      const v = parseXml(text, ctx, 'cyclonedx') as Record<string, unknown>;
      return { value: v.bom ?? v };
    }
    return jsonParser.parse(text, ctx);
  },
};
