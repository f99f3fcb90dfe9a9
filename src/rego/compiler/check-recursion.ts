// Stage "check recursion": rules may not depend on themselves, directly or through other rules
// (rego_recursion_error "rule data.x.p is recursive: data.x.p -> data.x.q -> data.x.p").

import type { Rule, Term } from '../ast.ts';
import { ErrorCodes } from '../errors.ts';
import { addError, type CompileContext, type RuleNode } from './context.ts';
import { walkBody, walkTerm } from './terms.ts';

/** The rule nodes a data ref may read (var segments match every child, as OPA's GetRulesDynamic). */
export function refDeps(root: RuleNode, terms: Term[], out: Set<RuleNode>): void {
  const walk = (node: RuleNode, i: number): void => {
    if (!node.hasRules) return;
    if (node.hasOwnRules) {
      out.add(node);
      return;
    }
    if (i >= terms.length) {
      allBelow(node, out);
      return;
    }
    const t = terms[i] as Term;
    if (t.type === 'string') {
      const c = node.children.get(t.value);
      if (c) walk(c, i + 1);
      return;
    }
    if (t.type === 'number' || t.type === 'boolean' || t.type === 'null') {
      const c = node.children.get(t.type === 'null' ? 'null' : String(t.value));
      if (c) walk(c, i + 1);
      return;
    }
    for (const c of node.children.values()) walk(c, i + 1);
  };
  walk(root, 1);
}

function allBelow(n: RuleNode, out: Set<RuleNode>): void {
  if (!n.hasRules) return;
  if (n.hasOwnRules) out.add(n);
  for (const c of n.children.values()) allBelow(c, out);
}

export function checkRecursion(ctx: CompileContext): void {
  const deps = new Map<RuleNode, Set<RuleNode>>();
  const collect = (n: RuleNode): void => {
    if (n.hasOwnRules) {
      const out = new Set<RuleNode>();
      const rules = [...n.complete, ...n.dynamic, ...n.multi, ...n.funcs, ...(n.defaultRule ? [n.defaultRule] : [])];
      const visit = (t: Term): void => {
        if (t.type === 'ref') {
          const h = t.terms[0];
          if (h?.type === 'var' && h.name === 'data') refDeps(ctx.tree, t.terms, out);
        }
      };
      for (const info of rules) {
        for (let r: Rule | undefined = info.rule; r; r = r.else) {
          walkBody(r.body, visit);
          const h = r.head;
          if (h.key) walkTerm(h.key, visit);
          if (h.value) walkTerm(h.value, visit);
          for (const x of h.ref.slice(1)) walkTerm(x, visit);
        }
      }
      deps.set(n, out);
    }
    for (const c of n.children.values()) collect(c);
  };
  collect(ctx.tree);

  const state = new Map<RuleNode, 1 | 2>();
  const stack: RuleNode[] = [];
  const reported = new Set<RuleNode>();
  const dfs = (n: RuleNode): void => {
    state.set(n, 1);
    stack.push(n);
    for (const d of deps.get(n) ?? []) {
      const s = state.get(d);
      if (s === 1) {
        const cycle = stack.slice(stack.indexOf(d));
        if (!reported.has(d)) {
          reported.add(d);
          const path = [...cycle, d].map((x) => x.name).join(' -> ');
          const first = d.complete[0] ?? d.dynamic[0] ?? d.multi[0] ?? d.funcs[0] ?? d.defaultRule;
          addError(ctx, ErrorCodes.recursion, `rule ${d.name} is recursive: ${path}`, first?.rule.loc);
        }
      } else if (s === undefined) dfs(d);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of deps.keys()) if (!state.has(n)) dfs(n);
}
