// Stage "set rule tree": every rule is placed at the node of the longest ground (string) prefix of its full
// head ref `data.<pkg>.<ref...>`; the remaining head-ref terms stay with the rule. Packages get nodes too.
// Stage "check rule conflicts": rules at one path must agree on their kind (OPA's "conflicting rules").

import type { Rule, Term } from '../ast.ts';
import { ErrorCodes } from '../errors.ts';
import { addError, newNode, type CompileContext, type RuleInfo, type RuleNode } from './context.ts';

function child(n: RuleNode, key: string): RuleNode {
  let c = n.children.get(key);
  if (!c) {
    c = newNode(key, [...n.path, key]);
    n.children.set(key, c);
  }
  return c;
}

export function setRuleTree(ctx: CompileContext): void {
  const root = newNode('', []);
  ctx.tree = root;
  for (const m of ctx.modules) {
    let pkgNode = root;
    for (const t of m.package.path.terms.slice(1)) {
      if (t.type === 'string') pkgNode = child(pkgNode, t.value);
    }
    // Packages are documents even without rules (an empty package is an empty object).
    pkgNode.isPackage = true;
    for (const r of m.rules) {
      r.module = m;
      for (let e: Rule | undefined = r.else; e; e = e.else) e.module = m;
      const ref = r.head.ref;
      const first = ref[0];
      if (first?.type !== 'var') continue;
      let node = child(pkgNode, first.name);
      let i = 1;
      const isMulti = r.head.key !== undefined && r.head.value === undefined;
      const isFunc = r.head.args !== undefined;
      // A multi-value rule's last ref term is where the set lives; keep the node at the ground prefix.
      for (; i < ref.length; i++) {
        const t = ref[i] as Term;
        if (t.type !== 'string') break;
        node = child(node, t.value);
      }
      const rest = ref.slice(i);
      const info: RuleInfo = {
        rule: r,
        node,
        rest,
        kind: isFunc ? 'func' : isMulti ? 'multi' : 'complete',
        module: m,
        reduced: undefined,
      };
      if (r.default) {
        if (node.defaultRule) {
          addError(ctx, ErrorCodes.type, `multiple default rules ${node.name} found`, r.loc);
        }
        node.defaultRule = info;
        if (isFunc) node.arity = r.head.args?.length;
      } else if (isFunc) {
        node.funcs.push(info);
        const arity = r.head.args?.length ?? 0;
        if (node.arity === undefined) node.arity = arity;
      } else if (isMulti) {
        node.multi.push(info);
      } else if (rest.length > 0) {
        node.dynamic.push(info);
      } else {
        node.complete.push(info);
      }
      node.hasOwnRules = true;
    }
  }
  markRules(root);
}

function markRules(n: RuleNode): boolean {
  let any = n.hasOwnRules || n.isPackage === true;
  for (const c of n.children.values()) if (markRules(c)) any = true;
  n.hasRules = any;
  return any;
}

export function checkRuleConflicts(ctx: CompileContext): void {
  const visit = (n: RuleNode): void => {
    if (n.hasOwnRules) {
      const kinds = new Set<string>();
      if (n.funcs.length) kinds.add('func');
      if (n.complete.length) kinds.add('complete');
      if (n.multi.some((r) => r.rest.length === 0)) kinds.add('multi');
      const d = n.defaultRule;
      if (d) kinds.add(d.kind === 'func' ? 'func' : 'complete');
      const arities = new Set(n.funcs.map((f) => f.rule.head.args?.length ?? 0));
      if (d?.kind === 'func') arities.add(d.rule.head.args?.length ?? 0);
      const first = n.funcs[0] ?? n.complete[0] ?? n.multi[0] ?? n.dynamic[0] ?? d;
      if (n.dynamic.length > 0 && (kinds.has('complete') || kinds.has('func'))) kinds.add('dynamic');
      if (kinds.size > 1 || arities.size > 1) {
        addError(ctx, ErrorCodes.type, `conflicting rules ${n.name} found`, first?.rule.loc);
      } else if ((kinds.has('complete') || kinds.has('func') || kinds.has('multi')) && n.children.size > 0) {
        // A value rule cannot have rules below it (OPA: rule data.x.p conflicts with [data.x.p.q]).
        const below: string[] = [];
        for (const c of n.children.values()) collectRuleNames(c, below);
        if (below.length > 0) {
          addError(ctx, ErrorCodes.type, `rule ${n.name} conflicts with [${below.sort().join(' ')}]`, first?.rule.loc);
        }
      }
    }
    for (const c of n.children.values()) visit(c);
  };
  visit(ctx.tree);
}

function collectRuleNames(n: RuleNode, out: string[]): void {
  if (n.hasOwnRules) out.push(n.name);
  for (const c of n.children.values()) collectRuleNames(c, out);
}
