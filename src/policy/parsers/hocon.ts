// HOCON via @pushcorn/hocon-parser. Like Conftest's go-akka parser, leaf values that read as numbers or
// booleans become numbers/booleans, and a substitution that cannot be resolved (`${a.b}` with `a.b`
// unset) becomes empty instead of failing the file — go-akka is lenient there and Conftest's own
// example relies on it.
import hocon from '@pushcorn/hocon-parser';
import { PolicyError } from '../errors.ts';
import { goScalar } from './ini.ts';
import type { ParseContext, ParsedFile, Parser } from './parser.ts';

interface HoconModule {
  parse(opts: { text: string; strict?: boolean }): Promise<unknown>;
}
const parser = hocon as unknown as HoconModule;

function convert(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(convert);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = convert(x);
    return out;
  }
  if (typeof v === 'string') return goScalar(v);
  return v;
}

export const hoconParser: Parser = {
  name: 'hocon',
  async parse(text: string, ctx: ParseContext): Promise<ParsedFile> {
    let value: unknown;
    try {
      value = await parser.parse({ text });
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (/Unable to resolve/.test(msg)) {
        try {
          value = await parser.parse({ text: text.replace(/\$\{(?!\?)/g, '${?') });
        } catch {
          throw located(msg, ctx, e);
        }
      } else {
        throw located(msg, ctx, e);
      }
    }
    return { value: convert(value) };
  },
};

function located(msg: string, ctx: ParseContext, cause: unknown): PolicyError {
  const m = /line: (\d+), col: (\d+)/.exec(msg);
  const text = msg.replace(/\s*Token: \{[^}]*\}\s*$/, '');
  return new PolicyError('policy_parse_error', `hocon: ${text}`, { file: ctx.file, row: m ? Number(m[1]) : 0, col: m ? Number(m[2]) : 0 }, { cause });
}
