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
