// JSON with a file:line:col error (JSON.parse does not always say where; jsonc-parser does), for the
// inventory parsers that read JSON lockfiles.
import { parse as parseJsonc, type ParseError } from 'jsonc-parser';
import { ScanError } from '../errors.ts';

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    // JSON.parse does not always say where; jsonc-parser does
    const errors: ParseError[] = [];
    parseJsonc(text, errors, { allowTrailingComma: false, disallowComments: true });
    let row = 1;
    let col = 1;
    if (errors[0]) {
      const before = text.slice(0, errors[0].offset);
      row = before.split('\n').length;
      col = before.length - before.lastIndexOf('\n');
    }
    throw new ScanError('PARSE_ERROR', `${file}:${row}:${col}: invalid JSON: ${(e as Error).message}`, {
      location: { file, row, col },
      cause: e,
    });
  }
}
