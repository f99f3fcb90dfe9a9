// Stage "check imports": imports must name `data`, `input`, `future.keywords` or `rego.v1`, and two imports
// of one module may not bind the same name (OPA's checkDuplicateImports, reported in every mode here
// because the later import would silently win).

import { ErrorCodes } from '../errors.ts';
import { addError, type CompileContext } from './context.ts';

export function checkImports(ctx: CompileContext): void {
  for (const m of ctx.modules) {
    const seen = new Map<string, string>();
    for (const imp of m.imports) {
      const terms = imp.path.terms;
      const head = terms[0];
      if (head?.type !== 'var') continue;
      if (head.name === 'future' || head.name === 'rego') continue;
      if (head.name !== 'data' && head.name !== 'input') {
        addError(ctx, ErrorCodes.compile, `invalid import ${head.name}: must begin with input or data`, imp.loc);
        continue;
      }
      const last = terms[terms.length - 1];
      const name = imp.alias ?? (terms.length === 1 ? head.name : last?.type === 'string' ? last.value : undefined);
      if (name === undefined) continue;
      if (seen.has(name) && ctx.options.strict) {
        addError(ctx, ErrorCodes.compile, `import must not shadow ${seen.get(name)}`, imp.loc);
      }
      seen.set(name, importText(terms, imp.alias));
    }
  }
}

function importText(terms: { type: string; value?: unknown; name?: string }[], alias: string | undefined): string {
  const s = terms.map((t, i) => (i === 0 ? t.name : String(t.value))).join('.');
  return alias ? `import ${s} as ${alias}` : `import ${s}`;
}
