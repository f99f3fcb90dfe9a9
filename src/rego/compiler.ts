// The Rego compiler: an ordered table of named stages over the parsed modules (after OPA's ast/compile.go).
// Each stage reads and rewrites the shared CompileContext; errors are collected with locations, and
// compilation stops after the first stage that reported any (thrown together as RegoErrors).

import type { Body, Module } from './ast.ts';
import { RegoErrors } from './errors.ts';
import { checkCallsInBody, checkUndefinedFunctions, makeArityOf } from './compiler/check-calls.ts';
import { checkRecursion } from './compiler/check-recursion.ts';
import { checkSafety, SafetyChecker } from './compiler/check-safety.ts';
import { checkStrict } from './compiler/check-strict.ts';
import { newNode, type CompileContext, type CompileOptions } from './compiler/context.ts';
import { resolveBody } from './compiler/resolve-refs.ts';
import { resolveRefs } from './compiler/resolve-refs.ts';
import { LocalRewriter, rewriteLocalVars } from './compiler/rewrite-local-vars.ts';
import { checkRuleConflicts, setRuleTree } from './compiler/rule-tree.ts';
import { checkImports } from './compiler/check-imports.ts';
import { checkQueryTypes, checkTypes } from './compiler/check-types.ts';
import { rewriteDynamics, rewriteDynamicsInQuery } from './compiler/rewrite-dynamics.ts';

export type { CompileContext, CompileOptions, RuleInfo, RuleNode } from './compiler/context.ts';

export interface Stage {
  name: string;
  run: (ctx: CompileContext) => void;
}

/** The compiler's stages, in order. */
export const stages: readonly Stage[] = [
  { name: 'CheckImports', run: checkImports },
  { name: 'ResolveRefs', run: resolveRefs },
  { name: 'RewriteLocalVars', run: rewriteLocalVars },
  { name: 'SetRuleTree', run: setRuleTree },
  { name: 'CheckRuleConflicts', run: checkRuleConflicts },
  { name: 'CheckUndefinedFuncs', run: checkUndefinedFunctions },
  { name: 'CheckSafety', run: (ctx) => checkSafety(ctx, makeArityOf(ctx)) },
  { name: 'CheckRecursion', run: checkRecursion },
  { name: 'CheckTypes', run: checkTypes },
  { name: 'CheckStrict', run: (ctx) => ctx.options.strict && checkStrict(ctx) },
  { name: 'RewriteDynamicTerms', run: rewriteDynamics },
];

export function compileModules(modules: Module[], options: Partial<CompileOptions> = {}): CompileContext {
  const ctx: CompileContext = {
    modules,
    options: {
      regoVersion: options.regoVersion ?? 1,
      strict: options.strict ?? false,
      ...(options.builtins ? { builtins: options.builtins } : {}),
    },
    errors: [],
    tree: newNode('', []),
    gen: { n: 0 },
    renames: new Map(),
  };
  for (const stage of stages) {
    stage.run(ctx);
    if (ctx.errors.length > 0) throw new RegoErrors(sortErrors(ctx.errors));
  }
  return ctx;
}

/**
 * Compiles a query body against compiled modules: refs resolved (only `data`/`input` roots), locals
 * rewritten, calls checked, body reordered for safety. Returns the renamed-var table for bindings.
 */
export function compileQuery(ctx: CompileContext, body: Body): { body: Body; renames: Map<string, string> } {
  const qctx: CompileContext = { ...ctx, errors: [], renames: new Map() };
  resolveBody(body, new Map(), new Set());
  new LocalRewriter(qctx, true).query(body);
  if (qctx.errors.length === 0) checkCallsInBody(qctx, body, ctx.options.regoVersion === 1);
  let out = body;
  if (qctx.errors.length === 0) new SafetyChecker(qctx, makeArityOf(qctx)).query(body, (b) => (out = b));
  if (qctx.errors.length === 0) out = rewriteDynamicsInQuery(qctx, out);
  if (qctx.errors.length === 0) checkQueryTypes(qctx, out);
  if (qctx.errors.length > 0) throw new RegoErrors(sortErrors(qctx.errors));
  return { body: out, renames: qctx.renames };
}

function sortErrors<T extends { location: { file: string; row: number; col: number } | undefined }>(errs: T[]): T[] {
  return errs.slice().sort((a, b) => {
    const x = a.location;
    const y = b.location;
    if (!x || !y) return 0;
    return x.file < y.file ? -1 : x.file > y.file ? 1 : x.row - y.row || x.col - y.col;
  });
}
