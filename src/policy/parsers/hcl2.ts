// HCL2 (.tf, .tfvars, .hcl) via @cdktf/hcl2json — HashiCorp's own HCL2 parser compiled to WebAssembly,
// producing the same JSON shape as Conftest's hcl2 parser (tmccombs/hcl2json): blocks as
// `{type: {label: [ {...} ]}}`, expressions that are not literals as `"${...}"` strings.
import { parse } from '@cdktf/hcl2json';
import { PolicyError } from '../errors.ts';
import type { ParseContext, ParsedFile, Parser } from './parser.ts';

export const hcl2Parser: Parser = {
  name: 'hcl2',
  async parse(text: string, ctx: ParseContext): Promise<ParsedFile> {
    try {
      const value = (await parse(ctx.file, text)) as unknown;
      return { value };
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      // "parse config: [file.tf:2,7-3,1: Invalid expression; Expected ...]"
      const m = /:(\d+),(\d+)(?:-\d+(?:,\d+)?)?: ([^\]]*)\]?/.exec(msg);
      if (m) {
        throw new PolicyError('policy_parse_error', `hcl2: ${m[3]}`, { file: ctx.file, row: Number(m[1]), col: Number(m[2]) }, { cause: e });
      }
      throw new PolicyError('policy_parse_error', `hcl2: ${msg}`, { file: ctx.file, row: 0, col: 0 }, { cause: e });
    }
  },
};

interface Hcl2Bridge {
  parse(file: string, text: string, cb: (err: string | null, result: string | null) => void): void;
}

/** Loads the WebAssembly module once so that parseHcl2Sync works afterwards. */
export async function warmUpHcl2(): Promise<void> {
  await parse('warm-up.tf', '');
}

/**
 * Parses synchronously through the loaded WebAssembly bridge (for the parse_config builtins, which run
 * inside synchronous Rego evaluation). Call warmUpHcl2 first; returns undefined when it was not.
 */
export function parseHcl2Sync(text: string, ctx: ParseContext): ParsedFile | undefined {
  const bridge = (globalThis as { __parse_terraform_config_wasm__?: Hcl2Bridge }).__parse_terraform_config_wasm__;
  if (!bridge || typeof bridge.parse !== 'function') return undefined;
  let result: string | null = null;
  let error: string | null = null;
  let called = false;
  bridge.parse(ctx.file, text, (err, res) => {
    called = true;
    error = err;
    result = res;
  });
  if (!called) return undefined;
  if (error !== null) {
    const msg: string = error;
    const m = /:(\d+),(\d+)(?:-\d+(?:,\d+)?)?: ([^\]]*)\]?/.exec(msg);
    throw new PolicyError('policy_parse_error', `hcl2: ${m ? m[3] : msg}`, { file: ctx.file, row: m ? Number(m[1]) : 0, col: m ? Number(m[2]) : 0 });
  }
  return { value: JSON.parse(result ?? 'null') as unknown };
}
