// The canonical Rego layout of `opa fmt`, written from the AST (after OPA's format package): tabs, one
// expression per line, `if`/`contains`/`:=` in v1 output, blank lines between rules (adjacent one-liners stay
// grouped), blank lines inside bodies kept where the source had them, composites laid out on one line or one
// source line per output line (with trailing commas) as the source had them, comments kept in place.

import type { Body, Expr, Import, Module, Rule, RuleHead, Term, With } from '../ast.ts';
import type { Location } from '../errors.ts';
import { parseModule } from '../parser.ts';

export interface FormatOptions {
  /** Syntax of the output (and of the input unless parseVersion is given): 1 (default) or 0. */
  regoVersion?: 0 | 1;
  /** Syntax to parse the source with (default: regoVersion). */
  parseVersion?: 0 | 1;
  /** Output v1 syntax that v0 parsers accept too: adds `import rego.v1` (opa fmt --rego-v1). */
  regoV1Import?: boolean;
}

const INFIX: Record<string, string> = {
  eq: '=', assign: ':=', equal: '==', neq: '!=', lt: '<', lte: '<=', gt: '>', gte: '>=',
  plus: '+', minus: '-', mul: '*', div: '/', rem: '%', and: '&', or: '|',
};
/** Binding strength of infix operators (OPA's parser: in < relations < | < & < + - < * / %). */
const PREC: Record<string, number> = {
  'internal.member_2': 1, 'internal.member_3': 1,
  equal: 2, neq: 2, lt: 2, lte: 2, gt: 2, gte: 2,
  or: 3, and: 4, plus: 5, minus: 5, mul: 6, div: 6, rem: 6,
};

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KEYWORDS = new Set(['as', 'default', 'else', 'import', 'not', 'package', 'some', 'with', 'null', 'true', 'false', 'if', 'contains', 'in', 'every']);

function endRow(loc: Location): number {
  if (loc.text === undefined) return loc.row;
  let n = loc.row;
  for (let i = 0; i < loc.text.length; i++) if (loc.text.charCodeAt(i) === 10) n++;
  return n;
}

function opName(t: Term): string | undefined {
  if (t.type !== 'call') return undefined;
  const parts: string[] = [];
  for (const x of t.operator.terms) {
    if (x.type === 'var') parts.push(x.name);
    else if (x.type === 'string') parts.push(x.value);
    else return undefined;
  }
  return parts.join('.');
}

class Writer {
  private out: string[] = [];
  private line = '';
  private depth = 0;
  private lastRow = 0;
  private comments: { text: string; row: number }[];
  private ci = 0;
  private readonly v1: boolean;
  private readonly ifs: boolean;
  private readonly contains: boolean;

  constructor(
    private readonly m: Module,
    regoVersion: 0 | 1,
    private readonly regoV1Import = false,
  ) {
    this.comments = m.comments
      .map((c) => ({ text: c.text.replace(/\s+$/, ''), row: c.loc.row }))
      .sort((a, b) => a.row - b.row);
    this.v1 = regoVersion === 1;
    const imp = (p: string): boolean => m.imports.some((i) => importPath(i.path.terms) === p);
    this.ifs = this.v1 || imp('rego.v1') || imp('future.keywords') || imp('future.keywords.if');
    this.contains = this.v1 || imp('rego.v1') || imp('future.keywords') || imp('future.keywords.contains');
  }

  // ---- low level
  private write(s: string): void {
    this.line += s;
  }
  private startLine(): void {
    if (this.line === '') this.line = '\t'.repeat(this.depth);
  }
  private endLine(): void {
    // comments on source lines already written trail this line
    const trailing: string[] = [];
    while (this.ci < this.comments.length && (this.comments[this.ci] as { row: number }).row <= this.lastRow) {
      trailing.push(this.commentText((this.comments[this.ci++] as { text: string }).text));
    }
    let l = this.line.replace(/\s+$/, '');
    if (trailing.length > 0) l += (l.trim() === '' ? '' : ' ') + trailing.join(' ');
    this.out.push(l);
    this.line = '';
  }
  private blankLine(): void {
    if (this.line.trim() !== '') this.endLine();
    if (this.out.length > 0 && this.out[this.out.length - 1] !== '') this.out.push('');
  }
  private commentText(t: string): string {
    return '#' + t;
  }
  /** Writes the comments that come before `row` as their own lines. */
  private commentsBefore(row: number): void {
    let prev = -1;
    let wrote = false;
    while (this.ci < this.comments.length && (this.comments[this.ci] as { row: number }).row < row) {
      const c = this.comments[this.ci++] as { text: string; row: number };
      if (this.line.trim() !== '') this.endLine();
      if (prev >= 0 && c.row - prev > 1) this.blankLine();
      this.out.push('\t'.repeat(this.depth) + this.commentText(c.text));
      prev = c.row;
      wrote = true;
    }
    if (wrote && row - prev > 1) this.blankLine();
  }
  private at(loc: Location): void {
    if (loc.row > this.lastRow) this.lastRow = loc.row;
  }
  private seen(loc: Location): void {
    const e = endRow(loc);
    if (e > this.lastRow) this.lastRow = e;
  }

  // ---- module
  format(): string {
    const m = this.m;
    this.commentsBefore(m.package.loc.row);
    this.at(m.package.loc);
    const path = m.package.path.terms.slice(1);
    const pkgTerms: Term[] = [{ type: 'var', name: (path[0] as { value: string }).value, loc: m.package.loc }, ...path.slice(1)];
    this.write('package ' + (this.v1 ? refText(pkgTerms) : importPath(pkgTerms)));
    this.seen(m.package.loc);
    this.endLine();
    this.blankLine();
    if (this.regoV1Import && !m.imports.some((i) => importPath(i.path.terms) === 'rego.v1' && i.alias === undefined)) {
      this.out.push('import rego.v1');
      this.blankLine();
    }
    const imports = m.imports.filter((i) => !(this.v1 && isV1Noop(i)));
    type Item = { kind: 'import'; x: Import } | { kind: 'rule'; x: Rule };
    const items: Item[] = [
      ...imports.map((x): Item => ({ kind: 'import', x })),
      ...m.rules.map((x): Item => ({ kind: 'rule', x })),
    ].sort((a, b) => a.x.loc.row - b.x.loc.row || a.x.loc.col - b.x.loc.col);
    const importRows = new Set(imports.map((i) => i.loc.row));
    const importComments = new Map<number, string>();
    this.comments = this.comments.filter((c) => {
      if (!importRows.has(c.row)) return true;
      importComments.set(c.row, this.commentText(c.text));
      return false;
    });
    for (let i = 0; i < items.length; i++) {
      const it = items[i] as Item;
      if (it.kind === 'import') {
        // a group: imports on consecutive rows, sorted (OPA's Import.Compare)
        const group: Import[] = [it.x];
        while (i + 1 < items.length) {
          const next = items[i + 1] as Item;
          if (next.kind !== 'import' || next.x.loc.row - (group[group.length - 1] as Import).loc.row > 1) break;
          group.push(next.x);
          i++;
        }
        this.commentsBefore(it.x.loc.row);
        group.sort(compareImports);
        for (const imp of group) {
          this.write(`import ${importPath(imp.path.terms)}${imp.alias ? ` as ${imp.alias}` : ''}`);
          const c = importComments.get(imp.loc.row);
          if (c !== undefined) this.write(' ' + c);
          this.out.push(this.line);
          this.line = '';
        }
        this.at(group.reduce((a, b) => (a.loc.row > b.loc.row ? a : b)).loc);
        this.blankLine();
        continue;
      }
      this.rule(it.x);
      const next = items[i + 1];
      if (next && next.kind === 'rule' && this.oneLiner(it.x) && this.oneLiner(next.x) && next.x.loc.row === it.x.loc.row + 1) continue;
      this.blankLine();
    }
    // remaining comments
    if (this.line.trim() !== '') this.endLine();
    let prev = -1;
    while (this.ci < this.comments.length) {
      const c = this.comments[this.ci++] as { text: string; row: number };
      if (prev >= 0 && c.row - prev > 1) this.blankLine();
      this.out.push(this.commentText(c.text));
      prev = c.row;
    }
    while (this.out.length > 0 && this.out[this.out.length - 1] === '') this.out.pop();
    return this.out.join('\n') + '\n';
  }

  private oneLiner(r: Rule): boolean {
    if (r.body.length > 1 || r.default || r.else) return false;
    if (endRow(r.loc) !== r.loc.row) return false;
    return this.ifs && (this.contains || r.head.value !== undefined);
  }

  private isConstBody(r: Rule): boolean {
    if (r.else || r.body.length !== 1) return false;
    const e = r.body[0] as Expr;
    return e.type === 'expr' && !e.negated && e.with.length === 0 && e.term.type === 'boolean' && e.term.value === true;
  }

  private rule(r: Rule, isElse = false): void {
    if (!isElse) {
      this.commentsBefore(r.loc.row);
      this.startLine();
    }
    this.at(r.loc);
    if (r.default) this.write('default ');
    const constBody = this.isConstBody(r);
    this.head(r.head, r.default, constBody, isElse);
    if (constBody || r.body.length === 0) {
      this.endLine();
      return;
    }
    const partialSetException = this.contains || r.head.value !== undefined;
    if (this.ifs && partialSetException) {
      this.write(' if');
      const only = r.body[0] as Expr;
      if (r.body.length === 1 && only.loc.row === r.head.loc.row && endRow(only.loc) === only.loc.row) {
        this.write(' ');
        this.expr(only);
        this.endLine();
        if (r.else) this.elseRule(r);
        return;
      }
    }
    this.write(' {');
    this.endLine();
    this.depth++;
    this.body(r.body);
    this.commentsBefore(endRow(r.loc));
    this.depth--;
    this.startLine();
    this.write('}');
    this.seen(r.loc);
    if (r.else) this.elseRule(r);
    else this.endLine();
  }

  private elseRule(r: Rule): void {
    const e = r.else as Rule;
    // `} else` when the source had else on the closing line, else on its own line
    const src = r.loc.text?.split('\n');
    const rel = e.loc.row - r.loc.row;
    const own = src !== undefined && rel > 0 && rel < src.length && (src[rel] as string).trim().startsWith('else');
    if (this.line.trim() === '' || own) {
      this.blankLine();
      this.startLine();
    } else this.write(' ');
    this.rule(e, true);
  }

  private head(h: RuleHead, isDefault: boolean, constBody: boolean, isElse: boolean): void {
    if (isElse) this.write('else');
    else {
      let ref = h.ref;
      this.write(refText([ref[0] as Term]));
      ref = ref.slice(1);
      for (const seg of ref) this.refSeg(seg);
    }
    if (h.args && h.args.length > 0 && !isElse) {
      this.write('(');
      h.args.forEach((a, i) => {
        if (i > 0) this.write(', ');
        this.term(a);
      });
      this.write(')');
    } else if (h.args && !isElse) this.write('()');
    if (h.key !== undefined && h.value === undefined) {
      if (this.contains) {
        this.write(' contains ');
        this.term(h.key);
      } else {
        this.write('[');
        this.term(h.key);
        this.write(']');
      }
    } else if (h.key !== undefined) {
      this.write('[');
      this.term(h.key);
      this.write(']');
    }
    const v = h.value;
    if (v === undefined) return;
    const generatedTrue = v.type === 'boolean' && v.value === true && v.loc.row === h.loc.row && v.loc.col === h.loc.col;
    if (generatedTrue && !isDefault && !(this.v1 && constBody && h.ref.length > 1 && !h.args)) return;
    if (generatedTrue && !isDefault && !constBody) return;
    this.write(h.assign || this.v1 ? ' := ' : ' = ');
    this.term(v);
  }

  private body(body: Body): void {
    let prevEnd = -1;
    for (const e of body) {
      if (prevEnd >= 0 && e.loc.row > prevEnd + 1) {
        // keep a blank line unless only comments fill the gap
        const commentRows = this.comments.slice(this.ci).filter((c) => c.row > prevEnd && c.row < e.loc.row).length;
        if (e.loc.row - prevEnd - 1 > commentRows) this.blankLine();
      }
      this.commentsBefore(e.loc.row);
      this.startLine();
      this.expr(e);
      this.seen(e.loc);
      this.endLine();
      prevEnd = Math.max(prevEnd, endRow(e.loc));
    }
  }

  private expr(e: Expr): void {
    this.at(e.loc);
    if (e.negated) this.write('not ');
    if (e.type === 'some') {
      const s = e.symbols;
      if (s.length === 1 && (s[0] as Term).type === 'call') {
        this.write('some ');
        this.inExpr(s[0] as Term & { type: 'call' }, false);
      } else {
        this.write('some ');
        s.forEach((x, i) => {
          if (i > 0) this.write(', ');
          this.term(x);
        });
      }
    } else if (e.type === 'every') {
      this.write('every ');
      if (e.key) this.write(`${e.key.name}, `);
      this.write(`${e.value.name} in `);
      this.term(e.domain);
      this.write(' {');
      this.endLine();
      this.depth++;
      this.body(e.body);
      this.commentsBefore(endRow(e.loc));
      this.depth--;
      this.startLine();
      this.write('}');
    } else {
      this.term(e.term, 0, true);
    }
    let indented = false;
    e.with.forEach((w, i) => {
      const prev = e.with[i - 1];
      if (i === 0 || !prev || w.loc.row === prev.loc.row) {
        this.write(' ');
        this.withMod(w);
      } else {
        if (!indented) {
          indented = true;
          this.depth++;
        }
        this.endLine();
        this.startLine();
        this.withMod(w);
      }
    });
    if (indented) this.depth--;
  }

  private withMod(w: With): void {
    this.at(w.loc);
    this.write('with ');
    this.term(w.target);
    this.write(' as ');
    this.term(w.value);
  }

  private inExpr(t: Term & { type: 'call' }, parens: boolean): void {
    if (parens) this.write('(');
    const a = t.args;
    if (a.length === 3) {
      this.term(a[0] as Term, 1);
      this.write(', ');
      this.term(a[1] as Term, 1);
      this.write(' in ');
      this.term(a[2] as Term, 1);
    } else {
      this.term(a[0] as Term, 1);
      this.write(' in ');
      this.term(a[1] as Term, 1);
    }
    if (parens) this.write(')');
  }

  private refSeg(seg: Term): void {
    if (seg.type === 'string' && IDENT.test(seg.value) && !KEYWORDS.has(seg.value) && !seg.raw) this.write('.' + seg.value);
    else {
      this.write('[');
      this.term(seg);
      this.write(']');
    }
  }

  /** `minPrec`: the binding strength the context requires (an operand of a stronger operator). */
  private term(t: Term, minPrec = 0, top = false): void {
    this.at(t.loc);
    switch (t.type) {
      case 'null':
        return this.write('null');
      case 'boolean':
        return this.write(String(t.value));
      case 'number':
        return this.write(t.loc.text !== undefined && /^-?[0-9.eE+-]+$/.test(t.loc.text) ? t.loc.text : String(t.value));
      case 'string':
        if (t.raw) return this.write('`' + t.value + '`');
        return this.write(JSON.stringify(t.value).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029'));
      case 'var':
        return this.write(t.name);
      case 'ref': {
        const [h, ...rest] = t.terms;
        if (!h) return;
        if (h.type === 'var') this.write(h.name);
        else if (h.type === 'call' && INFIX[opName(h) ?? ''] !== undefined) {
          this.write('(');
          this.term(h, 0, true);
          this.write(')');
        } else this.term(h);
        for (const s of rest) this.refSeg(s);
        return;
      }
      case 'array':
        return this.iterable('[', ']', t.items, t.loc, (x) => this.term(x, 1));
      case 'set':
        if (t.items.length === 0) return this.write('set()');
        return this.iterable('{', '}', t.items, t.loc, (x) => this.term(x, 1));
      case 'object':
        return this.iterable('{', '}', t.items, t.loc, ([k, v]) => {
          this.term(k, 1);
          this.write(': ');
          this.term(v, 1);
        });
      case 'arraycompr':
        return this.compr('[', ']', t.loc, () => this.term(t.term, 2), t.body);
      case 'setcompr':
        return this.compr('{', '}', t.loc, () => this.term(t.term, 2), t.body);
      case 'objectcompr':
        return this.compr('{', '}', t.loc, () => {
          this.term(t.key, 2);
          this.write(': ');
          this.term(t.value, 2);
        }, t.body);
      case 'call': {
        const name = opName(t) ?? '';
        if (name === 'internal.member_2' || name === 'internal.member_3') {
          if (t.args.length === (name === 'internal.member_2' ? 2 : 3)) return this.inExpr(t, minPrec > 1 || (!top && minPrec === 1));
        }
        const op = INFIX[name];
        if (op !== undefined && (t.args.length === 2 || t.args.length === 3)) {
          if ((name === 'eq' || name === 'assign') && t.args.length === 2) {
            this.term(t.args[0] as Term, 1);
            this.write(` ${op} `);
            this.term(t.args[1] as Term, 1);
            return;
          }
          if (t.args.length === 3) {
            // relation form with an output: `z = x + y` written by the user as `plus(x, y, z)`
            break;
          }
          const p = PREC[name] ?? 0;
          const parens = !top && minPrec > 1;
          if (parens) this.write('(');
          this.term(t.args[0] as Term, p);
          this.write(` ${op} `);
          this.term(t.args[1] as Term, p + 1);
          if (parens) this.write(')');
          return;
        }
        break;
      }
      default:
        return;
    }
    // plain call
    const c = t as Term & { type: 'call' };
    this.term(c.operator);
    this.iterable('(', ')', c.args, c.loc, (a) => this.term(a, 1), c.operator.loc.row);
  }

  private iterable<T>(open: string, close: string, items: T[], loc: Location, each: (x: T) => void, openRow = loc.row): void {
    const rowOf = (x: T): number => (Array.isArray(x) ? (x[0] as Term).loc.row : (x as unknown as Term).loc.row);
    const multi = items.length > 0 && (rowOf(items[0] as T) > openRow || items.some((x, i) => i > 0 && rowOf(x) !== rowOf(items[i - 1] as T)));
    this.write(open);
    if (!multi) {
      items.forEach((x, i) => {
        if (i > 0) this.write(', ');
        each(x);
      });
      this.write(close);
      return;
    }
    this.endLine();
    this.depth++;
    let row = -1;
    for (const x of items) {
      const r = rowOf(x);
      if (r !== row) {
        if (row !== -1) this.endLine();
        this.commentsBefore(r);
        this.startLine();
        row = r;
      } else this.write(' ');
      each(x);
      this.write(',');
    }
    this.endLine();
    this.depth--;
    this.commentsBefore(endRow(loc));
    this.startLine();
    this.write(close);
  }

  private compr(open: string, close: string, loc: Location, head: () => void, body: Body): void {
    this.write(open);
    head();
    this.write(' |');
    const multi = body.length > 0 && (body[0] as Expr).loc.row > loc.row || body.some((e, i) => i > 0 && e.loc.row !== (body[i - 1] as Expr).loc.row);
    if (!multi) {
      this.write(' ');
      body.forEach((e, i) => {
        if (i > 0) this.write('; ');
        this.expr(e);
      });
      this.write(close);
      return;
    }
    this.endLine();
    this.depth++;
    this.body(body);
    this.depth--;
    this.commentsBefore(endRow(loc));
    this.startLine();
    this.write(close);
  }
}

function isV1Noop(i: Import): boolean {
  const p = importPath(i.path.terms);
  return i.alias === undefined && (p === 'future.keywords' || p.startsWith('future.keywords.'));
}

function importPath(terms: Term[]): string {
  return terms
    .map((t, i) => (t.type === 'var' ? t.name : t.type === 'string' ? (i > 0 && IDENT.test(t.value) ? `.${t.value}` : `[${JSON.stringify(t.value)}]`) : ''))
    .join('');
}

function segKey(t: Term): [number, string] {
  return t.type === 'var' ? [0, t.name] : t.type === 'string' ? [1, t.value] : [2, ''];
}

function compareImports(a: Import, b: Import): number {
  const x = a.path.terms;
  const y = b.path.terms;
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const [ka, va] = segKey(x[i] as Term);
    const [kb, vb] = segKey(y[i] as Term);
    if (ka !== kb) return ka - kb;
    if (va !== vb) return va < vb ? -1 : 1;
  }
  if (x.length !== y.length) return x.length - y.length;
  const aa = a.alias ?? '';
  const ba = b.alias ?? '';
  return aa < ba ? -1 : aa > ba ? 1 : 0;
}

function refText(terms: Term[]): string {
  let s = '';
  terms.forEach((t, i) => {
    if (i === 0) s += t.type === 'var' ? t.name : '';
    else if (t.type === 'string' && IDENT.test(t.value) && !KEYWORDS.has(t.value)) s += '.' + t.value;
    else if (t.type === 'string') s += `[${JSON.stringify(t.value)}]`;
    else if (t.type === 'var') s += `[${t.name}]`;
    else if (t.type === 'number') s += `[${t.loc.text ?? String(t.value)}]`;
  });
  return s;
}

/** Formats a parsed module. */
export function formatModule(m: Module, opts: { regoVersion?: 0 | 1; regoV1Import?: boolean } = {}): string {
  return new Writer(m, opts.regoV1Import ? 1 : (opts.regoVersion ?? 1), opts.regoV1Import ?? false).format();
}

/** Parses and formats source text; throws RegoErrors on parse errors. */
export function formatSource(file: string, text: string, opts: FormatOptions = {}): string {
  const out = opts.regoVersion ?? 1;
  const m = parseModule(file, text, { regoVersion: opts.parseVersion ?? out });
  return formatModule(m, { regoVersion: out, regoV1Import: opts.regoV1Import ?? false });
}
