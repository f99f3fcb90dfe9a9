// Stage "check strict": OPA's strict-mode checks — unused imports, vars assigned with `:=` but never read and
// function arguments no body or head of the function (else branches included) uses.

import type { Body, Rule, Term } from '../ast.ts';
import { ErrorCodes } from '../errors.ts';
import { addError, type CompileContext } from './context.ts';
import { walkBody, walkTerm } from './terms.ts';

export function checkStrict(ctx: CompileContext): void {
  for (const m of ctx.modules) {
    // Unused imports: an imported name that no rule refers to (refs were resolved to the imported path).
    const used = new Set<string>();
    const visitRef = (t: Term): void => {
      if (t.type === 'ref' || t.type === 'var') used.add(refText(t));
    };
    for (const top of m.rules) {
      for (let r: Rule | undefined = top; r; r = r.else) {
        walkBody(r.body, visitRef);
        if (r.head.value) walkTerm(r.head.value, visitRef);
        if (r.head.key) walkTerm(r.head.key, visitRef);
      }
    }
    for (const imp of m.imports) {
      const head = imp.path.terms[0];
      if (head?.type !== 'var' || head.name === 'future' || head.name === 'rego') continue;
      const p = refText(imp.path);
      let found = false;
      for (const u of used) if (u === p || u.startsWith(p + '.') || u.startsWith(p + '[')) found = true;
      if (!found)
        addError(ctx, ErrorCodes.compile, `import ${p}${imp.alias ? ' as ' + imp.alias : ''} unused`, imp.loc);
    }
    for (const top of m.rules) {
      for (let r: Rule | undefined = top; r; r = r.else) unusedAssigned(ctx, r);
      unusedArgs(ctx, top);
    }
  }
}

function refText(t: Term): string {
  if (t.type === 'var') return t.name;
  if (t.type !== 'ref') return '';
  return t.terms
    .map((x, i) => (i === 0 ? (x.type === 'var' ? x.name : '?') : x.type === 'string' ? x.value : '[?]'))
    .join('.');
}

function unusedAssigned(ctx: CompileContext, r: Rule): void {
  const assigned = new Map<string, Term>();
  const counts = new Map<string, number>();
  const count = (t: Term): void => {
    if (t.type === 'var') counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  };
  const scan = (body: Body): void => {
    for (const e of body) {
      if (e.type === 'expr' && e.term.type === 'call') {
        const op = e.term.operator.terms[0];
        const lhs = e.term.args[0];
        if (op?.type === 'var' && op.name === 'assign' && lhs?.type === 'var') assigned.set(lhs.name, lhs);
      }
    }
  };
  scan(r.body);
  walkBody(r.body, count);
  const h = r.head;
  for (const t of [...h.ref.slice(1), ...(h.key ? [h.key] : []), ...(h.value ? [h.value] : [])]) walkTerm(t, count);
  for (const [name, t] of assigned) {
    if ((counts.get(name) ?? 0) <= 1) {
      addError(ctx, ErrorCodes.compile, `assigned var ${ctx.renames.get(name) ?? name} unused`, t.loc);
    }
  }
}

/**
 * OPA's "unused argument x. (hint: ...)": an argument var (wildcards aside) that occurs nowhere else in the
 * function, its else branches included. Locals that shadow it were renamed by RewriteLocalVars, so a use is
 * any other occurrence of the same name.
 */
function unusedArgs(ctx: CompileContext, top: Rule): void {
  const args = top.head.args;
  if (!args || args.length === 0) return;
  const declared = new Set<Term>();
  const names = new Set<string>();
  const collect = (t: Term): void => {
    if (t.type === 'var') {
      declared.add(t);
      if (!t.name.startsWith('$') && t.name !== '_') names.add(t.name);
    }
  };
  for (const a of args) walkTerm(a, collect);
  if (names.size === 0) return;
  const used = new Set<string>();
  const use = (t: Term): void => {
    if (t.type === 'var' && names.has(t.name) && !declared.has(t)) used.add(t.name);
  };
  for (let r: Rule | undefined = top; r; r = r.else) {
    if (r !== top) for (const a of r.head.args ?? []) walkTerm(a, (t) => t.type === 'var' && declared.add(t));
    walkBody(r.body, use);
    for (const t of r.head.ref.slice(1)) walkTerm(t, use);
    if (r.head.key) walkTerm(r.head.key, use);
    if (r.head.value) walkTerm(r.head.value, use);
  }
  for (const name of [...names].sort()) {
    if (used.has(name)) continue;
    const msg = `unused argument ${name}. (hint: use _ (wildcard variable) instead)`;
    addError(ctx, ErrorCodes.compile, msg, top.head.loc);
  }
}
