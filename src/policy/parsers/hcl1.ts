// HCL1 (Terraform < 0.12 style), in the shape Conftest's hcl1 parser (hashicorp/hcl v1) gives: every
// object below the root is a list of maps — `provider "google" {...}` is
// `{"provider": [{"google": [{...}]}]}` and `tags = {a = 1}` is `{"tags": [{"a": 1}]}`. The text is read
// with HashiCorp's HCL2 parser (HCL2's syntax accepts HCL1 configuration files), then reshaped.
import { hcl2Parser, parseHcl2Sync } from './hcl2.ts';
import type { ParseContext, ParsedFile, Parser } from './parser.ts';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fields(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = reshape(v);
  return out;
}

function reshape(v: unknown): unknown {
  // a block body list stays a list; its maps are bodies (not wrapped again)
  if (Array.isArray(v)) return v.map((x) => (isObject(x) ? fields(x) : reshape(x)));
  if (isObject(v)) return [fields(v)];
  return v;
}

export function hcl1FromHcl2(value: unknown): unknown {
  return isObject(value) ? fields(value) : value;
}

export const hcl1Parser: Parser = {
  name: 'hcl1',
  async parse(text: string, ctx: ParseContext): Promise<ParsedFile> {
    const r = await hcl2Parser.parse(text, ctx);
    return { value: hcl1FromHcl2(r.value) };
  },
};

/** Synchronous variant for the parse_config builtins (after the HCL2 module is loaded). */
export function parseHcl1Sync(text: string, ctx: ParseContext): ParsedFile | undefined {
  const r = parseHcl2Sync(text, ctx);
  return r ? { value: hcl1FromHcl2(r.value) } : undefined;
}
