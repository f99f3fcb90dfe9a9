// The Rego parser API: modules, queries and single terms, in Rego v1 (default) or v0 syntax.
// Every failure is reported as RegoErrors (code rego_parse_error) with file:row:col locations; nothing else is
// ever thrown, and deeply nested input is cut off with "max parsing recursion depth exceeded".
//
// The implementation lives in ./parser/ (core.ts: tokens to statements, after OPA's parser; module.ts:
// statements to a Module, v1 checks and METADATA annotations).

import type { Body, Module, Term } from './ast.ts';
import { ErrorCodes, RegoError, RegoErrors } from './errors.ts';
import { Parser } from './parser/core.ts';
import { buildModule } from './parser/module.ts';

export { moduleToJSON, termToJSON, bodyToJSON, ruleToJSON, type JSONValue } from './parser/json.ts';

export interface ParseOptions {
  /** 1 (default): Rego v1 syntax. 0: v0 syntax (keywords need `import future.keywords` or `import rego.v1`). */
  regoVersion?: 0 | 1;
}

function run<T>(file: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof RegoErrors) throw e;
    if (Array.isArray(e) && e.every((x) => x instanceof RegoError)) throw new RegoErrors(e as RegoError[]);
    if (e instanceof RangeError) {
      throw new RegoErrors([
        new RegoError(ErrorCodes.parse, 'max parsing recursion depth exceeded', { file, row: 0, col: 0 }),
      ]);
    }
    const msg = e instanceof Error ? e.message : String(e);
    throw new RegoErrors([
      new RegoError(ErrorCodes.parse, `internal parser error: ${msg}`, { file, row: 0, col: 0 }, { cause: e }),
    ]);
  }
}

/** Parses a module. Throws RegoErrors. */
export function parseModule(file: string, text: string, opts: ParseOptions = {}): Module {
  return run(file, () => {
    const p = new Parser(text, file, opts.regoVersion ?? 1);
    const stmts = p.guarded(() => p.parseStatements(false)) ?? [];
    if (p.errors.length > 0) throw p.regoErrors();
    return buildModule(p, stmts);
  });
}

/** Parses a query (a body: expressions separated by `;` or newlines). Throws RegoErrors. */
export function parseQuery(text: string, opts: ParseOptions = {}): Body {
  return run('query', () => {
    const p = new Parser(text, 'query', opts.regoVersion ?? 1);
    const stmts = p.guarded(() => p.parseStatements(true)) ?? [];
    if (p.errors.length > 0) throw p.regoErrors();
    const body: Body = [];
    for (const s of stmts) {
      if (s.kind !== 'body') continue;
      for (const e of s.body) {
        e.index = body.length;
        body.push(e);
      }
    }
    return body;
  });
}

/** Parses a single term (e.g. a case's `input_term`). Throws RegoErrors. */
export function parseTerm(text: string, opts: ParseOptions = {}): Term {
  const body = parseQuery(text, opts);
  const e = body[0];
  if (body.length !== 1 || !e || e.type !== 'expr' || e.negated || e.with.length > 0) {
    throw new RegoErrors([
      new RegoError(
        ErrorCodes.parse,
        `expected exactly one term but got: ${text}`,
        e?.loc ?? { file: 'query', row: 1, col: 1 },
      ),
    ]);
  }
  return e.term;
}
