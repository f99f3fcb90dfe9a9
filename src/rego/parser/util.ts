// Small helpers shared by the parser files: term constructors, copying, and OPA-style rendering for messages.

import type { Location } from '../errors.ts';
import type { Body, Expr, RefTerm, Rule, RuleHead, Term, VarTerm, With } from '../ast.ts';
import { numberText } from '../value.ts';

export function varTerm(name: string, loc: Location): VarTerm {
  return { type: 'var', name, loc };
}

export function refTerm(terms: Term[], loc: Location): RefTerm {
  return { type: 'ref', terms, loc };
}

export function trueExpr(loc: Location): Expr {
  return { type: 'expr', term: { type: 'boolean', value: true, loc }, negated: false, with: [], loc };
}

/** OPA's ValueName (used in messages). */
export function valueName(t: Term): string {
  switch (t.type) {
    case 'arraycompr':
      return 'arraycomprehension';
    case 'setcompr':
      return 'setcomprehension';
    case 'objectcompr':
      return 'objectcomprehension';
    default:
      return t.type;
  }
}

const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Renders a term roughly as OPA's String() does (used in error messages). */
export function termString(t: Term): string {
  switch (t.type) {
    case 'null':
      return 'null';
    case 'boolean':
      return String(t.value);
    case 'number':
      return numberText(t.value);
    case 'string':
      return JSON.stringify(t.value);
    case 'var':
      return t.name;
    case 'ref':
      return refString(t.terms);
    case 'array':
      return `[${t.items.map(termString).join(', ')}]`;
    case 'set':
      return t.items.length === 0 ? 'set()' : `{${t.items.map(termString).join(', ')}}`;
    case 'object':
      return `{${t.items.map(([k, v]) => `${termString(k)}: ${termString(v)}`).join(', ')}}`;
    case 'arraycompr':
      return `[${termString(t.term)} | ${bodyString(t.body)}]`;
    case 'setcompr':
      return `{${termString(t.term)} | ${bodyString(t.body)}}`;
    case 'objectcompr':
      return `{${termString(t.key)}: ${termString(t.value)} | ${bodyString(t.body)}}`;
    case 'call':
      return `${termString(t.operator)}(${t.args.map(termString).join(', ')})`;
  }
}

export function refString(terms: Term[]): string {
  let out = '';
  terms.forEach((t, i) => {
    if (i === 0) out += t.type === 'var' ? t.name : termString(t);
    else if (t.type === 'string' && IDENT_RE.test(t.value)) out += '.' + t.value;
    else out += `[${termString(t)}]`;
  });
  return out;
}

function bodyString(b: Body): string {
  return b.map((e) => (e.loc.text !== undefined ? e.loc.text : '...')).join('; ');
}

/** A deep copy of a term (AST nodes may be mutated by the compiler; copies never share nodes). */
export function copyTerm(t: Term): Term {
  switch (t.type) {
    case 'null':
    case 'boolean':
    case 'number':
    case 'string':
    case 'var':
      return { ...t };
    case 'ref':
      return { type: 'ref', terms: t.terms.map(copyTerm), loc: t.loc };
    case 'array':
      return { type: 'array', items: t.items.map(copyTerm), loc: t.loc };
    case 'set':
      return { type: 'set', items: t.items.map(copyTerm), loc: t.loc };
    case 'object':
      return { type: 'object', items: t.items.map(([k, v]) => [copyTerm(k), copyTerm(v)]), loc: t.loc };
    case 'arraycompr':
      return { type: 'arraycompr', term: copyTerm(t.term), body: copyBody(t.body), loc: t.loc };
    case 'setcompr':
      return { type: 'setcompr', term: copyTerm(t.term), body: copyBody(t.body), loc: t.loc };
    case 'objectcompr':
      return {
        type: 'objectcompr',
        key: copyTerm(t.key),
        value: copyTerm(t.value),
        body: copyBody(t.body),
        loc: t.loc,
      };
    case 'call':
      return { type: 'call', operator: copyTerm(t.operator) as RefTerm, args: t.args.map(copyTerm), loc: t.loc };
  }
}

function copyWith(w: With): With {
  return { target: copyTerm(w.target) as RefTerm, value: copyTerm(w.value), loc: w.loc };
}

export function copyExpr(e: Expr): Expr {
  const base = { negated: e.negated, with: e.with.map(copyWith), loc: e.loc };
  switch (e.type) {
    case 'expr':
      return { type: 'expr', term: copyTerm(e.term), ...base };
    case 'some':
      return { type: 'some', symbols: e.symbols.map(copyTerm), ...base };
    case 'every': {
      const out: Expr = {
        type: 'every',
        value: copyTerm(e.value) as VarTerm,
        domain: copyTerm(e.domain),
        body: copyBody(e.body),
        ...base,
      };
      if (e.key) out.key = copyTerm(e.key) as VarTerm;
      return out;
    }
  }
}

export function copyBody(b: Body): Body {
  return b.map(copyExpr);
}

export function copyHead(h: RuleHead): RuleHead {
  const out: RuleHead = { ref: h.ref.map(copyTerm), assign: h.assign, loc: h.loc };
  if (h.args) out.args = h.args.map(copyTerm);
  if (h.key) out.key = copyTerm(h.key);
  if (h.value) out.value = copyTerm(h.value);
  return out;
}

/** Walks every term of a term tree (not into comprehension bodies when `skipClosures`). */
export function walkTerm(t: Term, f: (t: Term) => boolean | void, skipClosures = false): void {
  if (f(t) === true) return;
  switch (t.type) {
    case 'ref':
      t.terms.forEach((x) => walkTerm(x, f, skipClosures));
      break;
    case 'array':
    case 'set':
      t.items.forEach((x) => walkTerm(x, f, skipClosures));
      break;
    case 'object':
      t.items.forEach(([k, v]) => {
        walkTerm(k, f, skipClosures);
        walkTerm(v, f, skipClosures);
      });
      break;
    case 'call':
      walkTerm(t.operator, f, skipClosures);
      t.args.forEach((x) => walkTerm(x, f, skipClosures));
      break;
    case 'arraycompr':
    case 'setcompr':
      if (!skipClosures) walkTerm(t.term, f, skipClosures);
      break;
    case 'objectcompr':
      if (!skipClosures) {
        walkTerm(t.key, f, skipClosures);
        walkTerm(t.value, f, skipClosures);
      }
      break;
    default:
      break;
  }
}

/** OPA's IsGround: no variables, where a ref's head does not count (`data.x` is ground). */
export function isGround(t: Term): boolean {
  switch (t.type) {
    case 'var':
      return false;
    case 'ref':
      return t.terms.slice(1).every(isGround);
    case 'array':
    case 'set':
      return t.items.every(isGround);
    case 'object':
      return t.items.every(([k, v]) => isGround(k) && isGround(v));
    case 'call':
      return isGround(t.operator) && t.args.every(isGround);
    case 'arraycompr':
    case 'setcompr':
    case 'objectcompr':
      return false;
    default:
      return true;
  }
}

export type { Rule };
