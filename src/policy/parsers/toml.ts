// TOML 1.0 via smol-toml. Dates become RFC 3339 strings (as Go's time.Time does in JSON).
import { parse, TomlDate, TomlError } from 'smol-toml';
import { PolicyError } from '../errors.ts';
import type { ParseContext, ParsedFile, Parser } from './parser.ts';

function plain(v: unknown): unknown {
  if (v instanceof TomlDate) return v.toISOString();
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = plain(x);
    return out;
  }
  return v;
}

export const tomlParser: Parser = {
  name: 'toml',
  parse(text: string, ctx: ParseContext): ParsedFile {
    try {
      return { value: plain(parse(text)) };
    } catch (e) {
      if (e instanceof TomlError) {
        const msg = e.message.split('\n')[0] ?? e.message;
        throw new PolicyError('policy_parse_error', `toml: ${msg.replace(/^Invalid TOML document: /, '')}`, {
          file: ctx.file,
          row: e.line,
          col: e.column,
        }, { cause: e });
      }
      throw e;
    }
  },
};
