// Stage "rewrite dynamic terms": OPA's call-operand semantics for negated expressions (after OPA's
// ast/compile.go stages RewriteExprTerms, RewriteEquals and RewriteDynamicTerms). OPA evaluates the operands
// of a call before the call: nested calls and refs (and comprehensions) become generated vars bound by
// expressions placed before the expression, so an undefined operand makes the whole body fail, also under
// `not`: `not startswith(input.missing, "x")` is `$1 = input.missing; not startswith($1, "x")`, undefined.
//
// The operands of `=` (and of `==` in modules: OPA's RewriteEquals turns `a == b` into `a = b` there, not in
// queries) keep their refs in place, only their dynamic segments are hoisted, so `not obj[k] == false`
// succeeds when obj[k] is undefined (the idiom gatekeeper-library's helpers rely on). Nested calls are
// hoisted from every operand (OPA's RewriteExprTerms): `not count(input.missing) == 0` is undefined.
//
// Only negated expressions are rewritten: for the others, evaluating the operands first changes nothing
// but the order of work, and the evaluator already evaluates operands before calls.

import type { Body, CallTerm, Expr, Term } from '../ast.ts';
import { opName } from './check-safety.ts';
import type { CompileContext } from './context.ts';

class Rewriter {
  constructor(
    private readonly ctx: CompileContext,
    /** Queries keep `==` as a call (OPA's query compiler has no RewriteEquals stage). */
    private readonly query: boolean,
  ) {}

  body(body: Body): Body {
    let changed = false;
    const out: Expr[] = [];
    for (const e of body) {
      if (e.type === 'every') {
        this.nested(e.domain);
        e.body = this.body(e.body);
      } else if (e.type === 'expr') this.nested(e.term);
      else for (const s of e.symbols) this.nested(s);
      if (e.type !== 'expr' || !e.negated) {
        out.push(e);
        continue;
      }
      const pre: Expr[] = [];
      const t = e.term;
      if (t.type === 'call' && !isPrint(t)) {
        t.args = t.args.map((a) => this.calls(a, e, pre));
        const name = opName(t);
        const eqLike = name === 'eq' || name === 'assign' || (!this.query && name === 'equal' && t.args.length === 2);
        t.args = t.args.map((a) => (eqLike ? this.inTerm(a, e, pre) : this.one(a, e, pre)));
      } else if (t.type !== 'call') {
        e.term = this.inTerm(this.calls(t, e, pre), e, pre);
      }
      if (pre.length > 0) changed = true;
      out.push(...pre, e);
    }
    return changed ? out : body;
  }

  /** Comprehension bodies inside a term have their own negations. */
  private nested(t: Term): void {
    switch (t.type) {
      case 'arraycompr':
      case 'setcompr':
      case 'objectcompr':
        t.body = this.body(t.body);
        if (t.type === 'objectcompr') {
          this.nested(t.key);
          this.nested(t.value);
        } else this.nested(t.term);
        return;
      case 'array':
      case 'set':
        for (const x of t.items) this.nested(x);
        return;
      case 'object':
        for (const [k, v] of t.items) {
          this.nested(k);
          this.nested(v);
        }
        return;
      case 'call':
        for (const x of t.args) this.nested(x);
        return;
      case 'ref':
        for (const x of t.terms) this.nested(x);
        return;
      default:
        return;
    }
  }

  private generate(t: Term, e: Expr, pre: Expr[]): Term {
    const v: Term = { type: 'var', name: `$${this.ctx.gen.n++}`, loc: t.loc };
    pre.push({
      type: 'expr',
      negated: false,
      with: e.with,
      loc: t.loc,
      term: {
        type: 'call',
        operator: { type: 'ref', terms: [{ type: 'var', name: 'eq', loc: t.loc }], loc: t.loc },
        args: [v, t],
        loc: t.loc,
      },
    });
    return v;
  }

  /** expandExprTerm: nested calls (operands first) become generated vars; comprehensions keep theirs. */
  private calls(t: Term, e: Expr, pre: Expr[]): Term {
    switch (t.type) {
      case 'call':
        if (isPrint(t)) return t;
        t.args = t.args.map((a) => this.calls(a, e, pre));
        return this.generate(t, e, pre);
      case 'ref':
        t.terms = t.terms.map((x) => this.calls(x, e, pre));
        return t;
      case 'array':
      case 'set':
        t.items = t.items.map((x) => this.calls(x, e, pre));
        return t;
      case 'object':
        t.items = t.items.map(([k, v]) => [this.calls(k, e, pre), this.calls(v, e, pre)] as [Term, Term]);
        return t;
      default:
        return t;
    }
  }

  /** rewriteDynamicsInTerm: a ref keeps its place (its dynamic segments are hoisted). */
  private inTerm(t: Term, e: Expr, pre: Expr[]): Term {
    if (t.type === 'ref') {
      for (let i = 1; i < t.terms.length; i++) t.terms[i] = this.one(t.terms[i] as Term, e, pre);
      return t;
    }
    if (t.type === 'arraycompr' || t.type === 'setcompr' || t.type === 'objectcompr') return t;
    return this.one(t, e, pre);
  }

  /** rewriteDynamicsOne: refs and comprehensions become generated vars; composites are searched. */
  private one(t: Term, e: Expr, pre: Expr[]): Term {
    switch (t.type) {
      case 'ref': {
        const h = t.terms[0];
        if (h && h.type === 'var' && t.terms.length === 1) return t;
        for (let i = 1; i < t.terms.length; i++) t.terms[i] = this.one(t.terms[i] as Term, e, pre);
        return this.generate(t, e, pre);
      }
      case 'array':
      case 'set':
        t.items = t.items.map((x) => this.one(x, e, pre));
        return t;
      case 'object':
        t.items = t.items.map(([k, v]) => [this.one(k, e, pre), this.one(v, e, pre)] as [Term, Term]);
        return t;
      case 'arraycompr':
      case 'setcompr':
      case 'objectcompr':
        return this.generate(t, e, pre);
      default:
        return t;
    }
  }
}

function isPrint(t: CallTerm): boolean {
  const n = opName(t);
  return n === 'print' || n === 'internal.print';
}

export function rewriteDynamics(ctx: CompileContext): void {
  const rw = new Rewriter(ctx, false);
  for (const m of ctx.modules) {
    for (const top of m.rules) {
      for (let r: typeof top | undefined = top; r; r = r.else) r.body = rw.body(r.body);
    }
  }
}

export function rewriteDynamicsInQuery(ctx: CompileContext, body: Body): Body {
  return new Rewriter(ctx, true).body(body);
}
