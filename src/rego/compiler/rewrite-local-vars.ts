// Stage "rewrite local vars": vars declared with `:=`, `some` and `every` get unique names (`__localN__`) so
// that declarations in nested scopes (comprehensions, every bodies) shadow outer ones; wildcards `_` become
// fresh `$N` vars. Reports redeclarations ("var x assigned above") as OPA does.

import type { Body, Expr, Rule, Term } from '../ast.ts';
import { ErrorCodes } from '../errors.ts';
import { addError, type CompileContext } from './context.ts';

interface Scope {
  names: Map<string, { name: string; assigned: boolean }>;
  /** Undeclared vars referenced so far in this scope. */
  used: Set<string>;
}

export class LocalRewriter {
  private scopes: Scope[] = [];
  /** Vars declared by `some x` (without `in`) in the current rule, and the renamed vars referenced. */
  private someDecls: { name: string; orig: string; loc: Term['loc'] }[] = [];
  private referenced = new Set<string>();
  constructor(
    private readonly ctx: CompileContext,
    private readonly track = false,
  ) {}

  rule(r: Rule): void {
    const top: Scope = { names: new Map(), used: new Set() };
    this.scopes = [top];
    const h = r.head;
    if (h.args) h.args = h.args.map((a) => this.term(a));
    // Args are bound by the call: treat their vars as declared (without renaming).
    for (const a of h.args ?? []) this.declarePlain(a, top);
    this.body(r.body, false);
    for (let i = 1; i < h.ref.length; i++) h.ref[i] = this.term(h.ref[i] as Term);
    if (h.key) h.key = this.term(h.key);
    if (h.value) h.value = this.term(h.value);
    this.scopes = [];
    this.checkUnusedDecls();
  }

  query(body: Body): void {
    this.scopes = [{ names: new Map(), used: new Set() }];
    this.body(body, false);
    this.scopes = [];
    this.checkUnusedDecls();
  }

  /** OPA: a var declared with `some` must be used ("declared var x unused"). */
  private checkUnusedDecls(): void {
    for (const d of this.someDecls) {
      if (!this.referenced.has(d.name)) addError(this.ctx, ErrorCodes.compile, `declared var ${d.orig} unused`, d.loc);
    }
    this.someDecls = [];
    this.referenced = new Set();
  }

  private declarePlain(t: Term, scope: Scope): void {
    if (t.type === 'var') scope.names.set(t.name, { name: t.name, assigned: false });
    else if (t.type === 'array' || t.type === 'set') t.items.forEach((x) => this.declarePlain(x, scope));
    else if (t.type === 'object') t.items.forEach(([, v]) => this.declarePlain(v, scope));
  }

  private fresh(orig: string): string {
    const name = `__local${this.ctx.gen.n++}__`;
    if (this.track) this.ctx.renames.set(name, orig);
    return name;
  }

  private get scope(): Scope {
    return this.scopes[this.scopes.length - 1] as Scope;
  }

  private lookup(name: string): string | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const d = (this.scopes[i] as Scope).names.get(name);
      if (d) return d.name;
    }
    return undefined;
  }

  /** Declares the vars of a pattern (lhs of `:=`, `some` symbols). */
  private declare(t: Term, kind: 'assigned' | 'declared'): Term {
    switch (t.type) {
      case 'var': {
        if (t.name === '_') return { type: 'var', name: `$${this.ctx.gen.n++}`, loc: t.loc };
        const sc = this.scope;
        const prev = sc.names.get(t.name);
        if (prev && (prev.assigned || kind === 'assigned')) {
          addError(
            this.ctx,
            ErrorCodes.compile,
            `var ${t.name} ${kind === 'assigned' ? 'assigned' : 'declared'} above`,
            t.loc,
          );
          return { type: 'var', name: prev.name, loc: t.loc };
        }
        if (sc.used.has(t.name)) {
          addError(this.ctx, ErrorCodes.compile, `var ${t.name} referenced above`, t.loc);
        }
        const name = this.fresh(t.name);
        sc.names.set(t.name, { name, assigned: kind === 'assigned' });
        return { type: 'var', name, loc: t.loc };
      }
      case 'array':
        t.items = t.items.map((x) => this.declare(x, kind));
        return t;
      case 'object':
        t.items = t.items.map(([k, v]) => [this.term(k), this.declare(v, kind)]);
        return t;
      default:
        return this.term(t);
    }
  }

  body(body: Body, push = true): void {
    if (push) this.scopes.push({ names: new Map(), used: new Set() });
    for (const e of body) this.expr(e);
    if (push) this.scopes.pop();
  }

  private expr(e: Expr): void {
    for (const w of e.with) {
      w.value = this.term(w.value);
    }
    switch (e.type) {
      case 'some':
        e.symbols = e.symbols.map((s) => {
          if (s.type === 'var') {
            const d = this.declare(s, 'declared');
            if (d.type === 'var') this.someDecls.push({ name: d.name, orig: s.name, loc: s.loc });
            return d;
          }
          if (s.type === 'call') {
            const n = s.args.length;
            const coll = s.args[n - 1] as Term;
            s.args[n - 1] = this.term(coll);
            for (let i = 0; i < n - 1; i++) s.args[i] = this.declare(s.args[i] as Term, 'declared');
            return s;
          }
          return this.term(s);
        });
        return;
      case 'every': {
        e.domain = this.term(e.domain);
        this.scopes.push({ names: new Map(), used: new Set() });
        if (e.key) e.key = this.declare(e.key, 'declared') as typeof e.key;
        e.value = this.declare(e.value, 'declared') as typeof e.value;
        this.body(e.body, false);
        this.scopes.pop();
        return;
      }
      case 'expr': {
        const t = e.term;
        if (t.type === 'call' && isOp(t.operator.terms, 'assign') && t.args.length === 2) {
          t.args[1] = this.term(t.args[1] as Term);
          t.args[0] = this.declare(t.args[0] as Term, 'assigned');
          return;
        }
        e.term = this.term(t);
        return;
      }
    }
  }

  term(t: Term): Term {
    switch (t.type) {
      case 'var': {
        if (t.name === '_') return { type: 'var', name: `$${this.ctx.gen.n++}`, loc: t.loc };
        const n = this.lookup(t.name);
        if (n !== undefined) {
          this.referenced.add(n);
          return n === t.name ? t : { type: 'var', name: n, loc: t.loc };
        }
        this.scope.used.add(t.name);
        return t;
      }
      case 'ref': {
        const head = t.terms[0];
        t.terms = t.terms.map((x, i) =>
          i === 0 && head?.type === 'var' && (head.name === 'data' || head.name === 'input') ? x : this.term(x),
        );
        return t;
      }
      case 'array':
      case 'set':
        t.items = t.items.map((x) => this.term(x));
        return t;
      case 'object':
        t.items = t.items.map(([k, v]) => [this.term(k), this.term(v)]);
        return t;
      case 'call':
        t.args = t.args.map((x) => this.term(x));
        return t;
      case 'arraycompr':
      case 'setcompr':
        this.scopes.push({ names: new Map(), used: new Set() });
        this.body(t.body, false);
        t.term = this.term(t.term);
        this.scopes.pop();
        return t;
      case 'objectcompr':
        this.scopes.push({ names: new Map(), used: new Set() });
        this.body(t.body, false);
        t.key = this.term(t.key);
        t.value = this.term(t.value);
        this.scopes.pop();
        return t;
      default:
        return t;
    }
  }
}

function isOp(terms: Term[], name: string): boolean {
  const h = terms[0];
  return terms.length === 1 && h?.type === 'var' && h.name === name;
}

export function rewriteLocalVars(ctx: CompileContext): void {
  const rw = new LocalRewriter(ctx, true);
  for (const m of ctx.modules) {
    for (const top of m.rules) {
      for (let r: Rule | undefined = top; r; r = r.else) rw.rule(r);
    }
  }
}
