// OPA's JSON encoding of the AST (what `rego.parse_module` returns and `opa parse --format json` prints):
// terms as {"type", "value"}, expressions as {"index", "terms"}, rules as {"head", "body"}.

import type { Body, Expr, Module, Rule, Term } from '../ast.ts';
import { fromJS, numberText, type Value } from '../value.ts';

function term(t: Term): unknown {
  switch (t.type) {
    case 'null':
      return { type: 'null' };
    case 'boolean':
    case 'string':
      return { type: t.type, value: t.value };
    case 'number':
      return { type: 'number', value: typeof t.value === 'number' ? t.value : Number(numberText(t.value)) };
    case 'var':
      return { type: 'var', value: t.name };
    case 'ref':
      return { type: 'ref', value: t.terms.map(term) };
    case 'array':
    case 'set':
      return { type: t.type, value: t.items.map(term) };
    case 'object':
      return { type: 'object', value: t.items.map(([k, v]) => [term(k), term(v)]) };
    case 'call':
      return { type: 'call', value: [term(t.operator), ...t.args.map(term)] };
    case 'arraycompr':
    case 'setcompr':
      return {
        type: t.type === 'arraycompr' ? 'arraycomprehension' : 'setcomprehension',
        value: { term: term(t.term), body: body(t.body) },
      };
    case 'objectcompr':
      return { type: 'objectcomprehension', value: { key: term(t.key), value: term(t.value), body: body(t.body) } };
  }
}

function expr(e: Expr, index: number): unknown {
  const out: Record<string, unknown> = { index };
  if (e.negated) out.negated = true;
  if (e.type === 'expr') {
    out.terms = e.term.type === 'call' ? [term(e.term.operator), ...e.term.args.map(term)] : term(e.term);
  } else if (e.type === 'some') {
    out.terms = { type: 'some', symbols: e.symbols.map(term) };
  } else {
    out.terms = {
      type: 'every',
      key: e.key ? term(e.key) : null,
      value: term(e.value),
      domain: term(e.domain),
      body: body(e.body),
    };
  }
  if (e.with.length > 0) out.with = e.with.map((w) => ({ target: term(w.target), value: term(w.value) }));
  return out;
}

function body(b: Body): unknown[] {
  return b.map((e, i) => expr(e, i));
}

function rule(r: Rule): unknown {
  const h = r.head;
  const head: Record<string, unknown> = { ref: h.ref.map(term) };
  const first = h.ref[0];
  if (first?.type === 'var' && h.ref.every((t, i) => i === 0 || t.type === 'string')) head.name = first.name;
  if (h.args) head.args = h.args.map(term);
  if (h.key) head.key = term(h.key);
  if (h.value) head.value = term(h.value);
  if (h.assign) head.assign = true;
  const out: Record<string, unknown> = { head, body: body(r.body) };
  if (r.default) out.default = true;
  if (r.else) out.else = rule(r.else);
  return out;
}

export function moduleToValue(m: Module): Value {
  const out: Record<string, unknown> = {
    package: { path: m.package.path.terms.map(term) },
  };
  if (m.imports.length > 0) {
    out.imports = m.imports.map((i) => (i.alias ? { path: term(i.path), alias: i.alias } : { path: term(i.path) }));
  }
  if (m.rules.length > 0) out.rules = m.rules.map(rule);
  return fromJS(out);
}
