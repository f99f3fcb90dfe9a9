// EDN via edn-data, shaped like Conftest's edn parser: maps become objects keyed by the printed key
// (`:env` for a keyword), and — as in Conftest — every scalar that is not a string is printed
// (keywords `:debug`, numbers `5432`, booleans `true`, nil `<nil>`).
import { parseEDNString } from 'edn-data';
import { PolicyError } from '../errors.ts';
import type { ParseContext, ParsedFile, Parser } from './parser.ts';

function printScalar(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.key === 'string') return ':' + o.key;
    if (typeof o.sym === 'string') return o.sym;
    if (typeof o.char === 'string') return o.char;
    if (typeof o.tag === 'string') return `#${o.tag} ${printScalar(o.val)}`;
    if (v instanceof Date) return v.toISOString();
  }
  return String(v);
}

function convert(v: unknown): unknown {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(convert);
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v) out[typeof k === 'string' ? k : printScalar(k)] = convert(x);
    return out;
  }
  if (v instanceof Set) return [...v].map(convert);
  if (v !== null && typeof v === 'object' && 'list' in v) return convert((v as { list: unknown }).list);
  if (v !== null && typeof v === 'object' && 'set' in v) return convert((v as { set: unknown }).set);
  return printScalar(v);
}

export const ednParser: Parser = {
  name: 'edn',
  parse(text: string, ctx: ParseContext): ParsedFile {
    let raw: unknown;
    try {
      raw = parseEDNString(text, { mapAs: 'map', keywordAs: 'object', listAs: 'array', setAs: 'array', charAs: 'string' });
    } catch (e) {
      throw new PolicyError('policy_parse_error', `edn: ${e instanceof Error ? e.message : String(e)}`, { file: ctx.file, row: 0, col: 0 }, { cause: e });
    }
    return { value: convert(raw) };
  },
};
