// Stage "check strict": OPA's strict-mode checks — unused imports and vars assigned with `:=` but never read.

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
