// Stage "resolve refs": package-relative rule references become `data.<pkg>.<rule>`, imported names and
// aliases become the refs they import. Locally declared vars (`:=`, `some`, function args, every vars)
// shadow globals and stay vars. After OPA's ast/compile.go resolveAllRefs.

import type { Body, Expr, Module, RefTerm, Rule, Term } from '../ast.ts';
import { ErrorCodes } from '../errors.ts';
import { addError, type CompileContext } from './context.ts';
import { termVars } from './terms.ts';

/** A global name → the ref terms it stands for. */
export type Globals = Map<string, Term[]>;

export function resolveRefs(ctx: CompileContext): void {
  for (const m of ctx.modules) {
    const globals = moduleGlobals(ctx, m);
    for (const top of m.rules) {
      for (let r: Rule | undefined = top; r; r = r.else) resolveRule(r, globals);
    }
  }
}

export function moduleGlobals(ctx: CompileContext | undefined, m: Module): Globals {
  const globals: Globals = new Map();
  const pkg = m.package.path.terms;
  for (const imp of m.imports) {
    const terms = imp.path.terms;
    const head = terms[0];
    if (head?.type !== 'var') continue;
    if (head.name === 'future' || head.name === 'rego') continue;
    if (head.name !== 'data' && head.name !== 'input') continue;
    let name = imp.alias;
    if (name === undefined) {
      const last = terms[terms.length - 1];
      if (terms.length === 1) name = head.name;
      else if (last?.type === 'string') name = last.value;
      else continue;
    }
    if (ctx && ctx.options.strict && globals.has(name)) {
      addError(ctx, ErrorCodes.compile, `import must not shadow ${name}`, imp.loc);
    }
    globals.set(name, terms);
  }
  for (const r of m.rules) {
    const first = r.head.ref[0];
    if (first?.type !== 'var') continue;
    const name = first.name;
    globals.set(name, [...pkg, { type: 'string', value: name, loc: first.loc }]);
  }
  // Rules of the same package defined in other modules are visible too (OPA's exports per package);
  // imports of this module take precedence over them.
  if (ctx) {
    const key = pkgKey(m);
    for (const o of ctx.modules) {
      if (o === m || pkgKey(o) !== key) continue;
      for (const r of o.rules) {
        const first = r.head.ref[0];
        if (first?.type !== 'var' || globals.has(first.name)) continue;
        globals.set(first.name, [...pkg, { type: 'string', value: first.name, loc: first.loc }]);
      }
    }
  }
  return globals;
}

const pkgKeys = new WeakMap<Module, string>();
function pkgKey(m: Module): string {
  let k = pkgKeys.get(m);
  if (k === undefined) {
    k = m.package.path.terms.map((t) => (t.type === 'var' ? t.name : t.type === 'string' ? t.value : '?')).join('\u0000');
    pkgKeys.set(m, k);
  }
  return k;
}

function resolveRule(r: Rule, globals: Globals): void {
  const declared = new Set<string>();
  const h = r.head;
  for (const a of h.args ?? []) termVars(a, declared);
  collectDeclared(r.body, declared);
  // Head vars bound by the body are locals too.
  if (h.key) h.key = resolveTerm(h.key, globals, declared);
  if (h.value) h.value = resolveTerm(h.value, globals, declared);
  for (let i = 1; i < h.ref.length; i++) h.ref[i] = resolveTerm(h.ref[i] as Term, globals, declared);
  resolveBody(r.body, globals, declared);
}

/** Names declared with `:=`, `some` or `every` anywhere in a body (comprehensions included). */
export function collectDeclared(body: Body, out: Set<string>): void {
  for (const e of body) {
    if (e.type === 'some') {
      for (const s of e.symbols) {
        if (s.type === 'var') out.add(s.name);
        else if (s.type === 'call') {
          const args = s.args;
          for (let i = 0; i < args.length - 1; i++) termVars(args[i] as Term, out);
        }
      }
    } else if (e.type === 'every') {
      if (e.key) out.add(e.key.name);
      out.add(e.value.name);
      collectDeclared(e.body, out);
    } else {
      const t = e.term;
      if (t.type === 'call' && t.operator.terms.length === 1) {
        const op = t.operator.terms[0];
        if (op?.type === 'var' && op.name === 'assign' && t.args[0]) termVars(t.args[0], out);
      }
    }
    walkComprehensionBodies(e, (b) => collectDeclared(b, out));
  }
}

function walkComprehensionBodies(e: Expr, f: (b: Body) => void): void {
  const visit = (t: Term): void => {
    switch (t.type) {
      case 'arraycompr':
      case 'setcompr':
        visit(t.term);
        f(t.body);
        break;
      case 'objectcompr':
        visit(t.key);
        visit(t.value);
        f(t.body);
        break;
      case 'ref':
        t.terms.forEach(visit);
        break;
      case 'array':
      case 'set':
        t.items.forEach(visit);
        break;
      case 'object':
        for (const [k, v] of t.items) {
          visit(k);
          visit(v);
        }
        break;
      case 'call':
        t.args.forEach(visit);
        break;
      default:
        break;
    }
  };
  if (e.type === 'expr') visit(e.term);
  else if (e.type === 'some') e.symbols.forEach(visit);
  else visit(e.domain);
  for (const w of e.with) visit(w.value);
}

export function resolveBody(body: Body, globals: Globals, declared: Set<string>): void {
  for (const e of body) {
    switch (e.type) {
      case 'expr':
        e.term = resolveTerm(e.term, globals, declared);
        break;
      case 'some':
        e.symbols = e.symbols.map((s) => resolveTerm(s, globals, declared));
        break;
      case 'every':
        e.domain = resolveTerm(e.domain, globals, declared);
        resolveBody(e.body, globals, declared);
        break;
    }
    for (const w of e.with) {
      w.target = resolveRef(w.target, globals, declared);
      w.value = resolveTerm(w.value, globals, declared);
    }
  }
}

function resolveRef(ref: RefTerm, globals: Globals, declared: Set<string>): RefTerm {
  const head = ref.terms[0];
  const rest = ref.terms.slice(1).map((t) => resolveTerm(t, globals, declared));
  if (head?.type === 'var' && !declared.has(head.name)) {
    const g = globals.get(head.name);
    if (g) {
      return { type: 'ref', terms: [...g.map((t) => ({ ...t, loc: head.loc }) as Term), ...rest], loc: ref.loc };
    }
  }
  const newHead = head && head.type !== 'var' ? resolveTerm(head, globals, declared) : head;
  return { type: 'ref', terms: newHead ? [newHead, ...rest] : rest, loc: ref.loc };
}

export function resolveTerm(t: Term, globals: Globals, declared: Set<string>): Term {
  switch (t.type) {
    case 'var': {
      if (declared.has(t.name)) return t;
      const g = globals.get(t.name);
      if (!g) return t;
      return { type: 'ref', terms: g.map((x) => ({ ...x, loc: t.loc }) as Term), loc: t.loc };
    }
    case 'ref':
      return resolveRef(t, globals, declared);
    case 'array':
    case 'set':
      t.items = t.items.map((x) => resolveTerm(x, globals, declared));
      return t;
    case 'object':
      t.items = t.items.map(([k, v]) => [resolveTerm(k, globals, declared), resolveTerm(v, globals, declared)]);
      return t;
    case 'call':
      t.operator = resolveRef(t.operator, globals, declared);
      t.args = t.args.map((x) => resolveTerm(x, globals, declared));
      return t;
    case 'arraycompr':
    case 'setcompr':
      t.term = resolveTerm(t.term, globals, declared);
      resolveBody(t.body, globals, declared);
      return t;
    case 'objectcompr':
      t.key = resolveTerm(t.key, globals, declared);
      t.value = resolveTerm(t.value, globals, declared);
      resolveBody(t.body, globals, declared);
      return t;
    default:
      return t;
  }
}
