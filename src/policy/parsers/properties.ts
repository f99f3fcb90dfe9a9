// Java .properties via properties-file: a flat `{key: "value"}` map of strings, as Conftest.
import { getProperties } from 'properties-file';
import type { ParseContext, ParsedFile, Parser } from './parser.ts';

export const propertiesParser: Parser = {
  name: 'properties',
  parse(text: string, _ctx: ParseContext): ParsedFile {
    return { value: { ...getProperties(text) } };
  },
};
