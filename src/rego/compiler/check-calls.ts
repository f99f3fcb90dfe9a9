// Stage "check undefined functions": every call names a builtin or a user function, with a fitting number of
// operands ("rego_type_error: undefined function x", "x: arity mismatch"); deprecated builtins are refused in
// Rego v1 and strict mode. After OPA's checkUndefinedFuncs / checkDeprecatedBuiltins.

import type { Body, Term } from '../ast.ts';
import { declarations } from '../builtins/index.ts';
import { ErrorCodes } from '../errors.ts';
import { addError, findNode, type CompileContext } from './context.ts';
import { opName } from './check-safety.ts';
import { walkBody, walkTerm } from './terms.ts';

/** Operators the evaluator implements itself, with their operand counts. */
export const SPECIAL_ARITY: ReadonlyMap<string, number> = new Map([
  ['eq', 2],
  ['assign', 2],
  ['internal.member_2', 2],
  ['internal.member_3', 3],
  ['print', -1],
  ['internal.print', 1],
]);

/** Operand count of a builtin or user function (before the optional output operand). */
export function makeArityOf(ctx: CompileContext): (name: string) => number | undefined {
  return (name) => {
    const s = SPECIAL_ARITY.get(name);
    if (s !== undefined) return s < 0 ? undefined : s;
    if (name.startsWith('data.')) {
      const node = findNode(ctx.tree, name.split('.').slice(1));
      return node?.arity;
    }
    const d = declarations.get(name);
    if (d) return d.decl.variadic ? undefined : (d.decl.args?.length ?? 0);
    return undefined;
  };
}

export function checkCallsInBody(ctx: CompileContext, body: Body, v1: boolean): void {
  walkBody(body, (t) => checkCall(ctx, t, v1));
  checkWithTargets(ctx, body);
}

/** `with` targets must be input, data or a function (OPA's checkWithModifiers). */
function checkWithTargets(ctx: CompileContext, body: Body): void {
  const visitBody = (b: Body): void => {
    for (const e of b) {
      for (const w of e.with) {
        const head = w.target.terms[0];
        if (head?.type !== 'var') continue;
        if (head.name === 'input' || head.name === 'data') {
          if (w.target.terms.slice(1).some((t) => t.type !== 'string')) {
            addError(ctx, ErrorCodes.type, `with keyword target must be a ground reference`, w.loc);
          }
          continue;
        }
        const name = opNameOfRef(w.target.terms);
        if (name !== undefined && (declarations.has(name) || SPECIAL_ARITY.has(name))) {
          if (SPECIAL_ARITY.has(name) && name !== 'print') {
            addError(
              ctx,
              ErrorCodes.compile,
              `with keyword replacing built-in function: target must not be ${name}`,
              w.loc,
            );
          }
          continue;
        }
        addError(ctx, ErrorCodes.type, `with keyword target must reference existing input, data, or a function`, w.loc);
      }
      if (e.type === 'every') visitBody(e.body);
    }
  };
  visitBody(body);
}

function opNameOfRef(terms: Term[]): string | undefined {
  const h = terms[0];
  if (h?.type !== 'var') return undefined;
  let s = h.name;
  for (let i = 1; i < terms.length; i++) {
    const x = terms[i] as Term;
    if (x.type !== 'string') return undefined;
    s += '.' + x.value;
  }
  return s;
}

export function checkCallsInTerm(ctx: CompileContext, term: Term, v1: boolean): void {
  walkTerm(term, (t) => checkCall(ctx, t, v1));
}

function checkCall(ctx: CompileContext, t: Term, v1: boolean): void {
  if (t.type !== 'call') return;
  const name = opName(t);
  if (name === undefined) {
    addError(
      ctx,
      ErrorCodes.type,
      `undefined function ${t.operator.terms.map((x) => (x.type === 'var' ? x.name : x.type === 'string' ? x.value : '?')).join('.')}`,
      t.loc,
    );
    return;
  }
  const special = SPECIAL_ARITY.get(name);
  if (special !== undefined) {
    if (special >= 0 && t.args.length !== special) {
      addError(ctx, ErrorCodes.type, `${name}: arity mismatch`, t.loc);
    }
    return;
  }
  if (name.startsWith('data.')) {
    const node = findNode(ctx.tree, name.split('.').slice(1));
    if (!node || node.arity === undefined) {
      if (node && node.hasOwnRules) return; // calling a non-function: left to evaluation
      addError(ctx, ErrorCodes.type, `undefined function ${name}`, t.loc);
      return;
    }
    if (t.args.length !== node.arity && t.args.length !== node.arity + 1) {
      addError(ctx, ErrorCodes.type, `function ${name} has arity ${node.arity}, got ${t.args.length} arguments`, t.loc);
    }
    return;
  }
  const d = declarations.get(name);
  if (!d || (ctx.options.builtins && !ctx.options.builtins.has(name))) {
    addError(ctx, ErrorCodes.type, `undefined function ${name}`, t.loc);
    return;
  }
  if (d.deprecated && (v1 || ctx.options.strict)) {
    addError(ctx, ErrorCodes.type, `deprecated built-in function calls in expression: ${name}`, t.loc);
  }
  if (!d.decl.variadic) {
    const n = d.decl.args?.length ?? 0;
    if (t.args.length !== n && t.args.length !== n + 1) {
      addError(ctx, ErrorCodes.type, `${name}: arity mismatch`, t.loc);
    }
  }
}

export function checkUndefinedFunctions(ctx: CompileContext): void {
  for (const m of ctx.modules) {
    const v1 = m.regoVersion === 1;
    for (const top of m.rules) {
      for (let r: typeof top | undefined = top; r; r = r.else) {
        checkCallsInBody(ctx, r.body, v1);
        const h = r.head;
        if (h.key) checkCallsInTerm(ctx, h.key, v1);
        if (h.value) checkCallsInTerm(ctx, h.value, v1);
        for (const x of h.ref.slice(1)) checkCallsInTerm(ctx, x, v1);
      }
    }
  }
}
