// Jsonnet (https://jsonnet.org), as Conftest's jsonnet parser reads it: the file is evaluated (imports
// relative to its folder) and the result manifested as JSON data. The evaluator is ours (lexer → parser →
// lazy evaluator → standard library); it passes all 173 cases of Jsonnet's own test_suite
// (test/conformance/jsonnet-suite.ts).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PolicyError } from '../../errors.ts';
import { stripBom, type ParseContext, type ParsedFile, type Parser } from '../parser.ts';
import { JsonnetError } from './errors.ts';
import { Evaluator, fileImporter, stackGuard, type EvalOptions } from './evaluator.ts';
import { toJs } from './manifest.ts';

export { JsonnetError } from './errors.ts';
export { Evaluator, fileImporter, stackGuard, type EvalOptions, type Importer } from './evaluator.ts';
export { manifestJsonEx, toJs } from './manifest.ts';

/** Evaluates `text` (named `file` in errors and for relative imports) and manifests the result as JSON data. */
export function evaluateJsonnet(text: string, file: string, opts: EvalOptions = {}): unknown {
  const ev = new Evaluator(opts);
  const v = ev.evaluateFile(text, file);
  return stackGuard(() => toJs(v), 'runtime', file);
}

function readOrUndefined(p: string): Buffer | undefined {
  try {
    return readFileSync(p);
  } catch {
    return undefined;
  }
}

export const jsonnetParser: Parser = {
  name: 'jsonnet',
  parse(text: string, ctx: ParseContext): ParsedFile {
    const dir = ctx.file === '-' ? process.cwd() : dirname(resolve(ctx.file));
    try {
      const value = evaluateJsonnet(stripBom(text), ctx.file, { importer: fileImporter(readOrUndefined, [dir]) });
      return { value, lines: [1] };
    } catch (e) {
      if (!(e instanceof JsonnetError)) throw e;
      throw new PolicyError('policy_parse_error', `evaluate anonymous snippet: ${e.format()}`, {
        file: e.loc?.file ?? ctx.file,
        row: e.loc?.line ?? 0,
        col: e.loc?.col ?? 0,
      });
    }
  },
};
