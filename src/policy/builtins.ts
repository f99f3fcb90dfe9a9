// Conftest's builtins: parse_config(parser, text), parse_config_file(path) and
// parse_combined_config_files(paths) — paths relative to the calling policy file's directory. Rego
// evaluation is synchronous; the parsers that are asynchronous (hcl2 through WebAssembly) are used
// through their synchronous entry once loaded (see prepareBuiltins); hocon is not available here.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BuiltinError, fromJS, registerBuiltin, toJS, type BuiltinContext, type Value } from '../rego/index.ts';
import { PolicyError } from './errors.ts';
import { parseHcl1Sync } from './parsers/hcl1.ts';
import { parseHcl2Sync, warmUpHcl2 } from './parsers/hcl2.ts';
import { parserByName, parserForPath, type ParsedFile } from './parsers/index.ts';

function parseSync(parserName: string, text: string, file: string): unknown {
  if (parserName === 'hcl2' || parserName === 'hcl1') {
    const r = parserName === 'hcl2' ? parseHcl2Sync(text, { file }) : parseHcl1Sync(text, { file });
    if (!r) throw new BuiltinError(`parser ${parserName} is not loaded (internal error: prepareBuiltins was not awaited)`);
    return r.value;
  }
  const parser = parserByName(parserName);
  const r = parser.parse(text, { file });
  if (r instanceof Promise) {
    r.catch(() => undefined);
    throw new BuiltinError(`parser ${parserName} cannot be used from a builtin (it is asynchronous)`);
  }
  return (r as ParsedFile).value;
}

function wrap<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof BuiltinError) throw e;
    if (e instanceof PolicyError) throw new BuiltinError(`${what}: ${e.toString()}`);
    throw new BuiltinError(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function policyDir(ctx: BuiltinContext): string {
  return dirname(ctx.location?.file ?? '.');
}

function parseFile(path: string): unknown {
  const parser = parserForPath(path);
  return parseSync(parser.name, readFileSync(path, 'utf8'), path);
}

const anyObject = { type: 'object', dynamic: { key: { type: 'string' }, value: { type: 'any' } } } as const;

let registered = false;

/** Declares the builtins with the Rego engine (once). */
export function registerConftestBuiltins(): void {
  if (registered) return;
  registered = true;
  registerBuiltin(
    { name: 'parse_config', category: 'conftest', decl: { type: 'function', args: [{ type: 'string' }, { type: 'string' }], result: anyObject } },
    (args: Value[]) => {
      const [name, text] = args;
      if (typeof name !== 'string' || typeof text !== 'string') throw new BuiltinError('parse_config: operands must be strings');
      return fromJS(wrap('unmarshal config', () => parseSync(name, text, '<parse_config>')));
    },
  );
  registerBuiltin(
    { name: 'parse_config_file', category: 'conftest', decl: { type: 'function', args: [{ type: 'string' }], result: anyObject }, nondeterministic: true },
    (args: Value[], ctx: BuiltinContext) => {
      const [p] = args;
      if (typeof p !== 'string') throw new BuiltinError('parse_config_file: operand must be a string');
      return fromJS(wrap('parse_config_file', () => parseFile(join(policyDir(ctx), p))));
    },
  );
  registerBuiltin(
    {
      name: 'parse_combined_config_files',
      category: 'conftest',
      decl: { type: 'function', args: [{ type: 'array', dynamic: { type: 'string' } }], result: anyObject },
      nondeterministic: true,
    },
    (args: Value[], ctx: BuiltinContext) => {
      const paths = toJS(args[0] ?? null);
      if (!Array.isArray(paths) || !paths.every((x) => typeof x === 'string')) throw new BuiltinError('parse_combined_config_files: operand must be an array of strings');
      const dir = policyDir(ctx);
      const all = wrap('parse combine configurations', () => {
        const out: { path: string; contents: unknown }[] = [];
        for (const p of paths as string[]) {
          const full = join(dir, p);
          const v = parseFile(full);
          if (Array.isArray(v)) for (const x of v) out.push({ path: full, contents: x });
          else out.push({ path: full, contents: v });
        }
        return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      });
      return fromJS(all);
    },
  );
}

/** Loads what the builtins need before synchronous evaluation starts (only when a policy uses them). */
export async function prepareBuiltins(policyTexts: string[]): Promise<void> {
  registerConftestBuiltins();
  if (policyTexts.some((t) => /\bparse_(config|config_file|combined_config_files)\s*\(/.test(t))) await warmUpHcl2();
}
