// Stage "check safety": reorders every body so that each expression runs only once the vars it reads are
// bound (OPA's reorderBodyForSafety), then reports vars that no ordering binds: rego_unsafe_var_error
// "var x is unsafe". Comprehension and every bodies are reordered with the vars bound around them.

import type { Body, Expr, Rule, Term } from '../ast.ts';
import { ErrorCodes } from '../errors.ts';
import { addError, type CompileContext } from './context.ts';
import { bodyVars, exprVars, refName, termVars, walkExpr } from './terms.ts';
import type { Location } from '../errors.ts';

/** How many operands a call takes before its optional output operand; undefined if unknown. */
export type ArityOf = (name: string) => number | undefined;

const ROOTS = new Set(['data', 'input']);

export class SafetyChecker {
  constructor(
    private readonly ctx: CompileContext,
    private readonly arityOf: ArityOf,
  ) {}

  rule(r: Rule): void {
    const safe = new Set<string>();
    const h = r.head;
    for (const a of h.args ?? []) termVars(a, safe);
    const outer = new Set<string>(safe);
    for (const t of h.ref.slice(1)) termVars(t, outer, false);
    if (h.key) termVars(h.key, outer, false);
    if (h.value) termVars(h.value, outer, false);
    const after = this.body(r.body, safe, outer, (b) => (r.body = b));
    const unsafe = new Set<string>();
    const check = (t: Term): void => {
      const io = this.io();
      this.termIO(t, io, after, outer);
      for (const v of io.inputs) if (!after.has(v)) unsafe.add(v);
      this.nested(t, after, outer);
    };
    for (const t of h.ref.slice(1)) check(t);
    if (h.key) check(h.key);
    if (h.value) check(h.value);
    for (const v of [...unsafe].sort()) {
      addError(this.ctx, ErrorCodes.unsafeVar, `var ${this.display(v)} is unsafe`, h.loc);
    }
  }

  query(body: Body, set: (b: Body) => void): void {
    this.body(body, new Set(), new Set(), set);
  }

  private display(v: string): string {
    return this.ctx.renames.get(v) ?? (v.startsWith('$') ? '_' : v);
  }

  private io(): { inputs: Set<string>; outputs: Set<string> } {
    return { inputs: new Set(), outputs: new Set() };
  }

  /** Reorders a body; returns the vars safe after it. */
  body(body: Body, safe0: Set<string>, outer0: Set<string>, set: (b: Body) => void): Set<string> {
    const safe = new Set(safe0);
    const outer = new Set(outer0);
    // Vars only declared (`some i`) are no vars of the body: a comprehension using `i` binds it itself
    // (OPA's body vars, which closures are checked against, come from the body's other expressions).
    for (const e of body) if (!isPlainSome(e)) exprVars(e, outer, false);
    const remaining = body.slice();
    const out: Body = [];
    for (;;) {
      let progressed = false;
      for (let i = 0; i < remaining.length; i++) {
        const e = remaining[i] as Expr;
        const outputs = this.analyze(e, safe, outer);
        if (outputs) {
          remaining.splice(i, 1);
          out.push(e);
          this.nestedExpr(e, safe, outer);
          for (const v of outputs) safe.add(v);
          progressed = true;
          break;
        }
      }
      if (!progressed || remaining.length === 0) break;
    }
    if (remaining.length > 0) {
      const reported = new Set<string>();
      for (const e of remaining) {
        const vars = [...exprVars(e, new Set(), false)].filter((v) => !safe.has(v) && !ROOTS.has(v)).sort();
        for (const v of vars) {
          if (reported.has(v)) continue;
          reported.add(v);
          addError(this.ctx, ErrorCodes.unsafeVar, `var ${this.display(v)} is unsafe`, varLoc(e, v) ?? e.loc);
        }
        out.push(e);
      }
    }
    set(out);
    return safe;
  }

  /** Reorders the bodies nested in an expression (comprehensions, every) with the vars safe before it. */
  private nestedExpr(e: Expr, safe: Set<string>, outer: Set<string>): void {
    if (e.type === 'expr') this.nested(e.term, safe, outer);
    else if (e.type === 'some') e.symbols.forEach((s) => this.nested(s, safe, outer));
    else {
      this.nested(e.domain, safe, outer);
      const inner = new Set(safe);
      if (e.key) inner.add(e.key.name);
      inner.add(e.value.name);
      this.body(e.body, inner, outer, (b) => (e.body = b));
    }
    for (const w of e.with) this.nested(w.value, safe, outer);
  }

  private nested(t: Term, safe: Set<string>, outer: Set<string>): void {
    switch (t.type) {
      case 'arraycompr':
      case 'setcompr': {
        const after = this.body(t.body, safe, outer, (b) => (t.body = b));
        this.headSafe(t.term, after, t);
        break;
      }
      case 'objectcompr': {
        const after = this.body(t.body, safe, outer, (b) => (t.body = b));
        this.headSafe(t.key, after, t);
        this.headSafe(t.value, after, t);
        break;
      }
      case 'ref':
        t.terms.forEach((x) => this.nested(x, safe, outer));
        break;
      case 'array':
      case 'set':
        t.items.forEach((x) => this.nested(x, safe, outer));
        break;
      case 'object':
        for (const [k, v] of t.items) {
          this.nested(k, safe, outer);
          this.nested(v, safe, outer);
        }
        break;
      case 'call':
        t.args.forEach((x) => this.nested(x, safe, outer));
        break;
      default:
        break;
    }
  }

  private headSafe(t: Term, safe: Set<string>, at: Term): void {
    const vars = termVars(t, new Set(), false);
    for (const v of [...vars].sort()) {
      if (!safe.has(v) && !ROOTS.has(v))
        addError(this.ctx, ErrorCodes.unsafeVar, `var ${this.display(v)} is unsafe`, at.loc);
    }
  }

  /** The vars an expression binds, or undefined if it cannot run yet. */
  private analyze(e: Expr, safe: Set<string>, outer: Set<string>): Set<string> | undefined {
    for (const w of e.with) {
      if (isFunctionRef(w.value, this.arityOf)) continue;
      const io = this.io();
      this.termIO(w.value, io, safe, outer);
      if (!subset(io.inputs, safe) || io.outputs.size > 0) return undefined;
    }
    if (e.type === 'some') {
      const out = new Set<string>();
      for (const s of e.symbols) {
        if (s.type !== 'call') continue;
        const r = this.member(s.args, safe, outer);
        if (!r) return undefined;
        for (const v of r) out.add(v);
      }
      return out;
    }
    if (e.type === 'every') {
      const io = this.io();
      this.termIO(e.domain, io, safe, outer);
      if (!subset(io.inputs, safe)) return undefined;
      return e.negated ? new Set() : io.outputs;
    }
    const t = e.term;
    let out: Set<string> | undefined;
    if (t.type === 'call') {
      const name = opName(t);
      if ((name === 'eq' || name === 'assign') && t.args.length === 2) {
        out = this.unify(t.args[0] as Term, t.args[1] as Term, safe, outer);
      } else if ((name === 'internal.member_2' || name === 'internal.member_3') && !e.negated) {
        out = this.member(t.args, safe, outer);
      } else {
        out = this.call(t.args, name, safe, outer);
      }
    } else {
      const io = this.io();
      this.termIO(t, io, safe, outer);
      out = subset(io.inputs, safe) ? io.outputs : undefined;
    }
    if (out && e.negated) {
      // Negated expressions bind nothing; their own vars must be bound already (wildcards excepted).
      for (const v of out) if (!v.startsWith('$')) return undefined;
      return new Set();
    }
    return out;
  }

  private call(args: Term[], name: string | undefined, safe: Set<string>, outer: Set<string>): Set<string> | undefined {
    const arity = name !== undefined ? this.arityOf(name) : undefined;
    const io = this.io();
    const n = arity !== undefined && args.length > arity ? arity : args.length;
    for (let i = 0; i < n; i++) this.termIO(args[i] as Term, io, safe, outer);
    // A plain var operand may be bound by another operand's ref iteration (`x == xs[x]`).
    if (!subset(io.inputs, union(safe, io.outputs))) return undefined;
    if (n < args.length) {
      const pio = this.io();
      for (let i = n; i < args.length; i++) this.patternIO(args[i] as Term, pio, safe, outer);
      if (!subset(pio.inputs, union(safe, io.outputs))) return undefined;
      for (const v of pio.outputs) io.outputs.add(v);
    }
    return io.outputs;
  }

  private member(args: Term[], safe: Set<string>, outer: Set<string>): Set<string> | undefined {
    const coll = args[args.length - 1] as Term;
    const io = this.io();
    this.termIO(coll, io, safe, outer);
    if (!subset(io.inputs, safe)) return undefined;
    const pio = this.io();
    for (let i = 0; i < args.length - 1; i++) this.patternIO(args[i] as Term, pio, safe, outer);
    if (!subset(pio.inputs, union(safe, io.outputs))) return undefined;
    return union(io.outputs, pio.outputs);
  }

  private unify(a: Term, b: Term, safe: Set<string>, outer: Set<string>): Set<string> | undefined {
    if (a.type === 'array' && b.type === 'array' && a.items.length === b.items.length) {
      return this.unifyPairs(
        a.items.map((x, i) => [x, b.items[i] as Term]),
        safe,
        outer,
      );
    }
    if (a.type === 'object' && b.type === 'object' && a.items.length === b.items.length) {
      const pairs: [Term, Term][] = [];
      const io = this.io();
      for (const [k] of [...a.items, ...b.items]) this.termIO(k, io, safe, outer);
      if (!subset(io.inputs, safe) || io.outputs.size > 0) return undefined;
      for (const [k, v] of a.items) {
        const other = b.items.find(([k2]) => sameTerm(k, k2));
        if (!other) return new Set(); // keys differ: fails at run time, nothing bound
        pairs.push([v, other[1]]);
      }
      return this.unifyPairs(pairs, safe, outer);
    }
    return this.unifyOneWay(a, b, safe, outer) ?? this.unifyOneWay(b, a, safe, outer);
  }

  /** `a` is evaluated (all its inputs safe), `b` is matched as a pattern. */
  private unifyOneWay(a: Term, b: Term, safe: Set<string>, outer: Set<string>): Set<string> | undefined {
    const io = this.io();
    this.termIO(a, io, safe, outer);
    if (!subset(io.inputs, safe)) return undefined;
    const s2 = union(safe, io.outputs);
    const pio = this.io();
    this.patternIO(b, pio, s2, outer);
    if (!subset(pio.inputs, s2)) return undefined;
    return union(io.outputs, pio.outputs);
  }

  private unifyPairs(pairs: [Term, Term][], safe0: Set<string>, outer: Set<string>): Set<string> | undefined {
    const safe = new Set(safe0);
    const out = new Set<string>();
    let pending = pairs;
    while (pending.length > 0) {
      const next: [Term, Term][] = [];
      for (const [x, y] of pending) {
        const r = this.unify(x, y, safe, outer);
        if (r) {
          for (const v of r) {
            safe.add(v);
            out.add(v);
          }
        } else next.push([x, y]);
      }
      if (next.length === pending.length) return undefined;
      pending = next;
    }
    return out;
  }

  /** Inputs and outputs of a term that is evaluated: ref segments may bind vars (iteration). */
  termIO(t: Term, io: { inputs: Set<string>; outputs: Set<string> }, safe: Set<string>, outer: Set<string>): void {
    switch (t.type) {
      case 'var':
        if (!ROOTS.has(t.name) && !safe.has(t.name)) io.inputs.add(t.name);
        return;
      case 'ref': {
        const head = t.terms[0] as Term;
        if (head.type === 'var') {
          if (!ROOTS.has(head.name) && !safe.has(head.name)) io.inputs.add(head.name);
        } else this.termIO(head, io, safe, outer);
        for (let i = 1; i < t.terms.length; i++) {
          const s = t.terms[i] as Term;
          if (s.type === 'var' || s.type === 'array' || s.type === 'object') this.patternIO(s, io, safe, outer);
          else this.termIO(s, io, safe, outer);
        }
        return;
      }
      case 'array':
      case 'set':
        t.items.forEach((x) => this.termIO(x, io, safe, outer));
        return;
      case 'object':
        for (const [k, v] of t.items) {
          this.termIO(k, io, safe, outer);
          this.termIO(v, io, safe, outer);
        }
        return;
      case 'call': {
        const name = opName(t);
        const arity = name !== undefined ? this.arityOf(name) : undefined;
        const n = arity !== undefined && t.args.length > arity ? arity : t.args.length;
        for (let i = 0; i < n; i++) this.termIO(t.args[i] as Term, io, safe, outer);
        for (let i = n; i < t.args.length; i++) this.patternIO(t.args[i] as Term, io, safe, outer);
        return;
      }
      case 'arraycompr':
      case 'setcompr':
      case 'objectcompr': {
        // Closure vars: those of the comprehension that also occur in the enclosing scope.
        const vars = termVars(t, new Set(), true);
        for (const v of vars) if (outer.has(v) && !safe.has(v) && !ROOTS.has(v)) io.inputs.add(v);
        return;
      }
      default:
        return;
    }
  }

  /** A term matched against a value: vars in it may be bound. */
  private patternIO(
    t: Term,
    io: { inputs: Set<string>; outputs: Set<string> },
    safe: Set<string>,
    outer: Set<string>,
  ): void {
    switch (t.type) {
      case 'var':
        if (!ROOTS.has(t.name) && !safe.has(t.name)) io.outputs.add(t.name);
        return;
      case 'array':
        t.items.forEach((x) => this.patternIO(x, io, safe, outer));
        return;
      case 'object':
        for (const [k, v] of t.items) {
          this.termIO(k, io, safe, outer);
          this.patternIO(v, io, safe, outer);
        }
        return;
      default:
        this.termIO(t, io, safe, outer);
    }
  }
}

function isPlainSome(e: Expr): boolean {
  return e.type === 'some' && e.symbols.every((s) => s.type === 'var');
}

export function opName(t: Term & { type: 'call' }): string | undefined {
  const terms = t.operator.terms;
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

/** A with-value naming a function or builtin (`with count as mock_count`) rather than a value. */
function isFunctionRef(t: Term, arityOf: ArityOf): boolean {
  let name: string | undefined;
  if (t.type === 'var') name = t.name;
  else if (t.type === 'ref') name = refName(t);
  if (name === undefined) return false;
  return arityOf(name) !== undefined || name === 'print';
}

function sameTerm(a: Term, b: Term): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'string' || a.type === 'number' || a.type === 'boolean')
    return String(a.value) === String((b as typeof a).value);
  if (a.type === 'var') return a.name === (b as typeof a).name;
  return a.type === 'null';
}

/** Where a var first occurs in an expression (OPA reports unsafe vars at the var). */
function varLoc(e: Expr, name: string): Location | undefined {
  let loc: Location | undefined;
  walkExpr(e, (t) => {
    if (!loc && t.type === 'var' && t.name === name) loc = t.loc;
  });
  return loc;
}

function subset(a: Set<string>, b: Set<string>): boolean {
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

function union(a: Set<string>, b: Set<string>): Set<string> {
  const s = new Set(a);
  for (const x of b) s.add(x);
  return s;
}

export function checkSafety(ctx: CompileContext, arityOf: ArityOf): void {
  const sc = new SafetyChecker(ctx, arityOf);
  for (const m of ctx.modules) {
    for (const top of m.rules) {
      for (let r: Rule | undefined = top; r; r = r.else) sc.rule(r);
    }
  }
}

export { bodyVars };
