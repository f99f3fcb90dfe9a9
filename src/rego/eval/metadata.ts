// rego.metadata.rule() and rego.metadata.chain(): the METADATA annotations in scope of the rule being
// evaluated, as OPA presents them (authors/organizations normalised, `scope` always present).

import type { Annotations, Module, Rule } from '../ast.ts';
import { fromJS, RObject, type Value } from '../value.ts';

/** Where a rule sits: its path (without `data`) and the rules sharing it. */
export interface RulePlace {
  path: string[];
  siblings: Rule[];
}

export function annotationValue(a: Annotations): Value {
  const raw: Record<string, unknown> = { ...a.raw, scope: a.scope };
  if (Array.isArray(raw.authors)) raw.authors = raw.authors.map(normaliseAuthor);
  else if (typeof raw.authors === 'string') raw.authors = [normaliseAuthor(raw.authors)];
  return fromJS(raw);
}

function normaliseAuthor(x: unknown): unknown {
  if (typeof x !== 'string') return x;
  const m = /^(.*?)\s*<([^>]*)>\s*$/.exec(x.trim());
  if (m) {
    const o: Record<string, string> = {};
    if (m[1]) o.name = m[1];
    if (m[2]) o.email = m[2];
    return o;
  }
  return { name: x.trim() };
}

export function metadataRule(rule: Rule | undefined): Value {
  const a = rule?.annotations;
  if (!a || a.scope !== 'rule') return new RObject();
  return annotationValue(a);
}

export function metadataChain(rule: Rule | undefined, place: RulePlace | undefined, modules: Module[]): Value {
  if (!rule || !place) return [];
  const out: Value[] = [];
  const path = place.path;
  const entry = (p: string[], a: Annotations | undefined): Value => {
    const o = new RObject();
    if (a) o.set('annotations', annotationValue(a));
    o.set('path', p);
    return o;
  };
  const ra = rule.annotations && rule.annotations.scope === 'rule' ? rule.annotations : undefined;
  out.push(entry(path, ra));
  for (const s of place.siblings) {
    const a = s.annotations;
    if (a && a.scope === 'document') out.push(entry(path, a));
  }
  // Package and subpackages scopes, innermost package first.
  const pkgOf = (m: Module): string[] =>
    m.package.path.terms.slice(1).map((t) => (t.type === 'string' ? t.value : '?'));
  for (let n = path.length - 1; n >= 0; n--) {
    const p = path.slice(0, n);
    for (const m of modules) {
      const mp = pkgOf(m);
      if (mp.length !== p.length || mp.some((x, i) => x !== p[i])) continue;
      for (const a of m.annotations) {
        if (a.scope === 'package' && n === pkgDepth(rule, modules)) out.push(entry(p, a));
        else if (a.scope === 'subpackages') out.push(entry(p, a));
      }
    }
  }
  return out;
}

function pkgDepth(rule: Rule, _modules: Module[]): number {
  const m = rule.module;
  return m ? m.package.path.terms.length - 1 : -1;
}
