// Stage "check types": a conservative part of OPA's type checker. Operands whose type is known at compile
// time (literals, composites, comprehensions, results of builtins with a fixed result type, and local vars
// assigned from those) are checked against the builtin's declared signature:
//   rego_type_error: count: invalid argument(s)
//   	have: (number)
//   	want: (any<string, array[any], object[any: any], set[any]>)
// Operands of unknown type are never reported, so valid policies are never refused.

import type { Body, Rule, Term } from '../ast.ts';
import { declarations } from '../builtins/index.ts';
import type { TypeDecl } from '../builtins/catalog.ts';
import { ErrorCodes } from '../errors.ts';
import { addError, type CompileContext } from './context.ts';
import { opName } from './check-safety.ts';
import { walkTerm } from './terms.ts';

type Simple = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object' | 'set';

function simpleOf(d: TypeDecl | undefined): Simple | undefined {
  if (!d) return undefined;
  switch (d.type) {
    case 'null':
    case 'boolean':
    case 'number':
    case 'string':
    case 'array':
    case 'object':
    case 'set':
      return d.type;
    default:
      return undefined;
  }
}

function accepts(d: TypeDecl, t: Simple): boolean {
  if (d.type === 'any') {
    if (d.of === undefined) return true;
    const of = Array.isArray(d.of) ? d.of : [d.of];
    if (of.length === 0) return true;
    return of.some((x) => accepts(x, t));
  }
  if (d.type === 'function') return true;
  return d.type === t;
}

export function typeString(d: TypeDecl): string {
  switch (d.type) {
    case 'any': {
      if (d.of === undefined) return 'any';
      const of = Array.isArray(d.of) ? d.of : [d.of];
      return of.length === 0 ? 'any' : `any<${of.map(typeString).join(', ')}>`;
    }
    case 'array':
      if (d.static) return `[${d.static.map(typeString).join(', ')}]`;
      return `array[${d.dynamic ? typeString(d.dynamic) : 'any'}]`;
    case 'set':
      return `set[${d.of ? typeString(d.of) : 'any'}]`;
    case 'object':
      if (d.dynamic) return `object[${typeString(d.dynamic.key)}: ${typeString(d.dynamic.value)}]`;
      return 'object';
    case 'function':
      return 'function';
    default:
      return d.type;
  }
}

class TypeChecker {
  private known = new Map<string, Simple>();
  constructor(private readonly ctx: CompileContext) {}

  rule(r: Rule): void {
    this.known = new Map();
    this.body(r.body);
    const h = r.head;
    for (const t of [...h.ref.slice(1), ...(h.key ? [h.key] : []), ...(h.value ? [h.value] : [])]) this.term(t);
  }

  query(body: Body): void {
    this.known = new Map();
    this.body(body);
  }

  private body(body: Body): void {
    for (const e of body) {
      if (e.type === 'expr') {
        const t = e.term;
        this.term(t);
        if (t.type === 'call' && !e.negated) {
          const name = opName(t);
          const lhs = t.args[0];
          const rhs = t.args[1];
          if (name === 'assign' && lhs?.type === 'var' && rhs) {
            const ty = this.typeOf(rhs);
            if (ty) this.known.set(lhs.name, ty);
          }
        }
      } else if (e.type === 'some') e.symbols.forEach((s) => this.term(s));
      else {
        this.term(e.domain);
        this.body(e.body);
      }
    }
  }

  private term(root: Term): void {
    walkTerm(root, (t) => {
      if (t.type !== 'call') return;
      const name = opName(t);
      if (name === undefined || name.startsWith('data.')) return;
      const d = declarations.get(name);
      const args = d?.decl.args;
      if (!d || !args || d.decl.variadic) return;
      const have: (Simple | undefined)[] = [];
      let bad = false;
      for (let i = 0; i < args.length && i < t.args.length; i++) {
        const ty = this.typeOf(t.args[i] as Term);
        have.push(ty);
        if (ty !== undefined && !accepts(args[i] as TypeDecl, ty)) bad = true;
      }
      if (bad) {
        const haveText = have.map((x) =>
          x === undefined
            ? 'any'
            : x === 'array' || x === 'set'
              ? `${x}[any]`
              : x === 'object'
                ? 'object[any: any]'
                : x,
        );
        addError(
          this.ctx,
          ErrorCodes.type,
          `${name}: invalid argument(s)\n\thave: (${haveText.join(', ')})\n\twant: (${args.map(typeString).join(', ')})`,
          t.loc,
        );
      }
    });
  }

  private typeOf(t: Term): Simple | undefined {
    switch (t.type) {
      case 'null':
      case 'boolean':
      case 'number':
      case 'string':
      case 'array':
      case 'object':
      case 'set':
        return t.type;
      case 'arraycompr':
        return 'array';
      case 'setcompr':
        return 'set';
      case 'objectcompr':
        return 'object';
      case 'var':
        return this.known.get(t.name);
      case 'call': {
        const name = opName(t);
        if (name === undefined || name.startsWith('data.')) return undefined;
        const d = declarations.get(name);
        if (!d || d.relation) return undefined;
        const n = d.decl.args?.length ?? 0;
        if (t.args.length !== n) return undefined;
        return simpleOf(d.decl.result);
      }
      default:
        return undefined;
    }
  }
}

export function checkTypes(ctx: CompileContext): void {
  const tc = new TypeChecker(ctx);
  for (const m of ctx.modules) {
    for (const top of m.rules) {
      for (let r: Rule | undefined = top; r; r = r.else) tc.rule(r);
    }
  }
}

export function checkQueryTypes(ctx: CompileContext, body: Body): void {
  new TypeChecker(ctx).query(body);
}
