// Line coverage in the shape of `opa test --coverage`: every expression and rule head of the loaded modules
// is a coverable location; an expression is covered when evaluation reached it (OPA's Eval event), a rule
// head when evaluation reached the last expression of its body (an approximation of OPA's Exit event). A line
// is covered when any location on it is covered.

import type { Body, Expr, Module, Rule, Term } from '../ast.ts';
import type { Location } from '../errors.ts';

export interface Range {
  start: { row: number };
  end: { row: number };
}

export interface FileReport {
  covered?: Range[];
  not_covered?: Range[];
  covered_lines?: number;
  not_covered_lines?: number;
  coverage: number;
}

export interface CoverageReport {
  files: Record<string, FileReport>;
  covered_lines?: number;
  not_covered_lines?: number;
  coverage: number;
}

function rows(loc: Location): [number, number] {
  const span = loc.text === undefined ? 0 : loc.text.split('\n').length - 1;
  return [loc.row, loc.row + span];
}

export class CoverageTracer {
  private readonly all = new Map<string, Set<number>>();
  private readonly hitRows = new Map<string, Set<number>>();
  /** The last expression of each rule body → the rows of the rule's head. */
  private readonly heads = new Map<Expr, Location>();

  constructor(modules: Module[]) {
    for (const m of modules) {
      for (const r of m.rules) for (let x: Rule | undefined = r; x; x = x.else) this.addRule(x);
    }
  }

  private add(loc: Location): void {
    let s = this.all.get(loc.file);
    if (!s) this.all.set(loc.file, (s = new Set()));
    const [a, b] = rows(loc);
    for (let r = a; r <= b; r++) s.add(r);
  }

  private addRule(r: Rule): void {
    // the head: its first line only (a head can span lines when its value is a long composite)
    this.add({ file: r.head.loc.file, row: r.head.loc.row, col: r.head.loc.col });
    const last = r.body[r.body.length - 1];
    if (last) this.heads.set(last, r.head.loc);
    for (const t of r.head.args ?? []) this.addTerm(t);
    if (r.head.key) this.addTerm(r.head.key);
    if (r.head.value) this.addTerm(r.head.value);
    this.addBody(r.body);
  }

  private addBody(body: Body): void {
    for (const e of body) {
      this.add(e.loc);
      if (e.type === 'expr') this.addTerm(e.term);
      else if (e.type === 'every') {
        this.addTerm(e.domain);
        this.addBody(e.body);
      }
      for (const w of e.with) this.addTerm(w.value);
    }
  }

  private addTerm(t: Term): void {
    switch (t.type) {
      case 'arraycompr':
      case 'setcompr':
        this.addBody(t.body);
        return;
      case 'objectcompr':
        this.addBody(t.body);
        return;
      case 'array':
      case 'set':
        for (const x of t.items) this.addTerm(x);
        return;
      case 'object':
        for (const [k, v] of t.items) {
          this.addTerm(k);
          this.addTerm(v);
        }
        return;
      case 'call':
        for (const x of t.args) this.addTerm(x);
        return;
      case 'ref':
        for (const x of t.terms) this.addTerm(x);
        return;
      default:
        return;
    }
  }

  private mark(loc: Location, firstLineOnly: boolean): void {
    if (!this.all.has(loc.file)) return;
    let s = this.hitRows.get(loc.file);
    if (!s) this.hitRows.set(loc.file, (s = new Set()));
    const [a, b] = firstLineOnly ? [loc.row, loc.row] : rows(loc);
    for (let r = a; r <= b; r++) s.add(r);
  }

  /** The evaluator's onEval hook. */
  hit(e: Expr): void {
    this.mark(e.loc, false);
    const head = this.heads.get(e);
    if (head) this.mark(head, true);
  }

  report(): CoverageReport {
    const files: Record<string, FileReport> = {};
    let covered = 0;
    let total = 0;
    for (const file of [...this.all.keys()].sort()) {
      const all = this.all.get(file) as Set<number>;
      const hit = this.hitRows.get(file) ?? new Set<number>();
      const cov = [...all].filter((r) => hit.has(r));
      const not = [...all].filter((r) => !hit.has(r));
      // field order as OPA's FileReport
      const f = {} as FileReport;
      if (cov.length > 0) f.covered = ranges(cov);
      if (not.length > 0) f.not_covered = ranges(not);
      if (cov.length > 0) f.covered_lines = cov.length;
      if (not.length > 0) f.not_covered_lines = not.length;
      f.coverage = percent(cov.length, all.size);
      files[file] = f;
      covered += cov.length;
      total += all.size;
    }
    const report = { files } as CoverageReport;
    if (covered > 0) report.covered_lines = covered;
    if (total - covered > 0) report.not_covered_lines = total - covered;
    report.coverage = percent(covered, total);
    return report;
  }
}

function percent(n: number, d: number): number {
  if (d === 0) return 0;
  return Math.round((n / d) * 10000) / 100;
}

function ranges(rowsIn: number[]): Range[] {
  const sorted = rowsIn.slice().sort((a, b) => a - b);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && last.end.row + 1 === r) last.end.row = r;
    else out.push({ start: { row: r }, end: { row: r } });
  }
  return out;
}
