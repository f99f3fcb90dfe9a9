// The AST as OPA marshals it to JSON (without locations): what `rego.parse_module` and `opa parse --format json`
// return. Plain JS values (numbers as JS numbers or, for big ones, their text), ready for value.ts fromJS.

import type { Annotations, Body, Expr, Import, Module, Rule, RuleHead, Term, With } from '../ast.ts';
import { numberText } from '../value.ts';

export type JSONValue = null | boolean | number | string | JSONValue[] | { [k: string]: JSONValue };

function numberJSON(t: Extract<Term, { type: 'number' }>): JSONValue {
  if (typeof t.value === 'number') return t.value;
  // Big numbers stay exact as text (callers that need a number can parse it back).
  return numberText(t.value);
}

export function termToJSON(t: Term): { [k: string]: JSONValue } {
  switch (t.type) {
    case 'null':
      return { type: 'null' };
    case 'boolean':
      return { type: 'boolean', value: t.value };
    case 'number':
      return { type: 'number', value: numberJSON(t) };
    case 'string':
      return { type: 'string', value: t.value };
    case 'var':
      return { type: 'var', value: t.name };
    case 'ref':
      return { type: 'ref', value: t.terms.map(termToJSON) };
    case 'array':
      return { type: 'array', value: t.items.map(termToJSON) };
    case 'set':
      return { type: 'set', value: t.items.map(termToJSON) };
    case 'object':
      return { type: 'object', value: t.items.map(([k, v]) => [termToJSON(k), termToJSON(v)]) };
    case 'arraycompr':
      return { type: 'arraycomprehension', value: { term: termToJSON(t.term), body: bodyToJSON(t.body) } };
    case 'setcompr':
      return { type: 'setcomprehension', value: { term: termToJSON(t.term), body: bodyToJSON(t.body) } };
    case 'objectcompr':
      return {
        type: 'objectcomprehension',
        value: { key: termToJSON(t.key), value: termToJSON(t.value), body: bodyToJSON(t.body) },
      };
    case 'call':
      return { type: 'call', value: [termToJSON(t.operator), ...t.args.map(termToJSON)] };
  }
}

function withToJSON(w: With): JSONValue {
  return { target: termToJSON(w.target), value: termToJSON(w.value) };
}

export function exprToJSON(e: Expr, index: number): { [k: string]: JSONValue } {
  const out: { [k: string]: JSONValue } = { index };
  if (e.negated) out['negated'] = true;
  switch (e.type) {
    case 'expr':
      // A top-level call is a list of terms (operator first), as in OPA.
      out['terms'] =
        e.term.type === 'call' ? [termToJSON(e.term.operator), ...e.term.args.map(termToJSON)] : termToJSON(e.term);
      break;
    case 'some':
      out['terms'] = { symbols: e.symbols.map(termToJSON) };
      break;
    case 'every': {
      const ev: { [k: string]: JSONValue } = {
        key: e.key ? termToJSON(e.key) : null,
        value: termToJSON(e.value),
        domain: termToJSON(e.domain),
        body: bodyToJSON(e.body),
      };
      out['terms'] = ev;
      break;
    }
  }
  if (e.with.length > 0) out['with'] = e.with.map(withToJSON);
  return out;
}

export function bodyToJSON(b: Body): JSONValue[] {
  return b.map((e, i) => exprToJSON(e, i));
}

function headToJSON(h: RuleHead): { [k: string]: JSONValue } {
  const out: { [k: string]: JSONValue } = {};
  const first = h.ref[0];
  if (h.ref.length === 1 && first?.type === 'var') out['name'] = first.name;
  out['ref'] = h.ref.map(termToJSON);
  if (h.args && h.args.length > 0) out['args'] = h.args.map(termToJSON);
  if (h.key) out['key'] = termToJSON(h.key);
  if (h.value) out['value'] = termToJSON(h.value);
  if (h.assign) out['assign'] = true;
  return out;
}

export function ruleToJSON(r: Rule): { [k: string]: JSONValue } {
  const out: { [k: string]: JSONValue } = {};
  if (r.default) out['default'] = true;
  out['head'] = headToJSON(r.head);
  out['body'] = bodyToJSON(r.body);
  if (r.else) out['else'] = ruleToJSON(r.else);
  return out;
}

function importToJSON(i: Import): JSONValue {
  const out: { [k: string]: JSONValue } = { path: termToJSON(i.path) };
  if (i.alias !== undefined) out['alias'] = i.alias;
  return out;
}

function annotationsToJSON(a: Annotations): JSONValue {
  return { ...(JSON.parse(JSON.stringify(a.raw)) as { [k: string]: JSONValue }), scope: a.scope };
}

/** The module as OPA's JSON AST (no locations). */
export function moduleToJSON(m: Module): { [k: string]: JSONValue } {
  const out: { [k: string]: JSONValue } = { package: { path: m.package.path.terms.map(termToJSON) } };
  if (m.imports.length > 0) out['imports'] = m.imports.map(importToJSON);
  if (m.annotations.length > 0) out['annotations'] = m.annotations.map(annotationsToJSON);
  if (m.rules.length > 0) out['rules'] = m.rules.map(ruleToJSON);
  return out;
}
