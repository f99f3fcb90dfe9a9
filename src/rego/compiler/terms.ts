// Helpers over AST terms shared by the compiler stages and the evaluator: walking, var sets, ref names.

import type { Body, Expr, RefTerm, Term, With } from '../ast.ts';
import { refString as refTermsString, termString, varTerm } from '../parser/util.ts';

/** The dotted name of a ref whose segments are all strings (`data.a.b`, `json.marshal`), else undefined. */
export function refName(ref: RefTerm): string | undefined {
  const head = ref.terms[0];
  if (head?.type !== 'var') return undefined;
  let s = head.name;
  for (let i = 1; i < ref.terms.length; i++) {
    const t = ref.terms[i] as Term;
    if (t.type !== 'string') return undefined;
    s += '.' + t.value;
  }
  return s;
}

/** OPA's rendering of a ref (`data.a[x].b`), used in messages. */
export function refString(ref: RefTerm): string {
  return refTermsString(ref.terms);
}

export { termString, varTerm };

export function isComprehension(t: Term): boolean {
  return t.type === 'arraycompr' || t.type === 'setcompr' || t.type === 'objectcompr';
}

/**
 * Vars that occur in a term, outside comprehension bodies (comprehension heads and bodies are included
 * only when `closures` is set).
 */
export function termVars(t: Term, out: Set<string>, closures = false): Set<string> {
  switch (t.type) {
    case 'var':
      out.add(t.name);
      break;
    case 'ref':
      for (const x of t.terms) termVars(x, out, closures);
      break;
    case 'array':
    case 'set':
      for (const x of t.items) termVars(x, out, closures);
      break;
    case 'object':
      for (const [k, v] of t.items) {
        termVars(k, out, closures);
        termVars(v, out, closures);
      }
      break;
    case 'call':
      for (const x of t.args) termVars(x, out, closures);
      break;
    case 'arraycompr':
    case 'setcompr':
      if (closures) {
        termVars(t.term, out, true);
        bodyVars(t.body, out);
      }
      break;
    case 'objectcompr':
      if (closures) {
        termVars(t.key, out, true);
        termVars(t.value, out, true);
        bodyVars(t.body, out);
      }
      break;
    default:
      break;
  }
  return out;
}

export function exprVars(e: Expr, out: Set<string>, closures = true): Set<string> {
  switch (e.type) {
    case 'expr':
      termVars(e.term, out, closures);
      break;
    case 'some':
      for (const s of e.symbols) termVars(s, out, closures);
      break;
    case 'every':
      if (e.key) out.add(e.key.name);
      out.add(e.value.name);
      termVars(e.domain, out, closures);
      if (closures) bodyVars(e.body, out);
      break;
  }
  for (const w of e.with) {
    termVars(w.value, out, closures);
  }
  return out;
}

export function bodyVars(body: Body, out: Set<string>): Set<string> {
  for (const e of body) exprVars(e, out, true);
  return out;
}

/** Calls `f` on every term of a term tree (pre-order), including comprehension bodies. */
export function walkTerm(t: Term, f: (t: Term) => void): void {
  f(t);
  switch (t.type) {
    case 'ref':
      for (const x of t.terms) walkTerm(x, f);
      break;
    case 'array':
    case 'set':
      for (const x of t.items) walkTerm(x, f);
      break;
    case 'object':
      for (const [k, v] of t.items) {
        walkTerm(k, f);
        walkTerm(v, f);
      }
      break;
    case 'call':
      walkTerm(t.operator, f);
      for (const x of t.args) walkTerm(x, f);
      break;
    case 'arraycompr':
    case 'setcompr':
      walkTerm(t.term, f);
      walkBody(t.body, f);
      break;
    case 'objectcompr':
      walkTerm(t.key, f);
      walkTerm(t.value, f);
      walkBody(t.body, f);
      break;
    default:
      break;
  }
}

export function walkExpr(e: Expr, f: (t: Term) => void): void {
  switch (e.type) {
    case 'expr':
      walkTerm(e.term, f);
      break;
    case 'some':
      for (const s of e.symbols) walkTerm(s, f);
      break;
    case 'every':
      if (e.key) walkTerm(e.key, f);
      walkTerm(e.value, f);
      walkTerm(e.domain, f);
      walkBody(e.body, f);
      break;
  }
  for (const w of e.with) walkWith(w, f);
}

function walkWith(w: With, f: (t: Term) => void): void {
  walkTerm(w.target, f);
  walkTerm(w.value, f);
}

export function walkBody(body: Body, f: (t: Term) => void): void {
  for (const e of body) walkExpr(e, f);
}

export function isGeneratedVar(name: string): boolean {
  return name.startsWith('$') || name.startsWith('__local');
}
