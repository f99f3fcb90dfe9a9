// `policy verify --coverage` (Conftest lacks it): which expressions of the policies the tests reached,
// reported in the shape of `opa test --coverage`. The engine has no trace hook, so the policies are
// instrumented: before every top-level expression of every rule body (test rules aside) a call to a
// recording builtin is inserted; an expression counts as covered when evaluation reached it.
import { parseModule, registerBuiltin, type Value } from '../rego/index.ts';
import type { PolicyFile } from './loader.ts';

const COVER = '__sekisho_cover';
const reached = new Set<number>();
let registered = false;

function registerCover(): void {
  if (registered) return;
  registered = true;
  registerBuiltin(
    { name: COVER, category: 'sekisho', decl: { type: 'function', args: [{ type: 'number' }], result: { type: 'boolean' } }, nondeterministic: true },
    (args: Value[]) => {
      if (typeof args[0] === 'number') reached.add(args[0]);
      return true;
    },
  );
}

interface Point {
  file: string;
  row: number;
  endRow: number;
}

export interface Instrumented {
  files: PolicyFile[];
  points: Map<number, Point>;
}

/** Rewrites rule bodies with a coverage call before each expression; modules that cannot be parsed stay as they are. */
export function instrument(policies: PolicyFile[], regoVersion: 0 | 1): Instrumented {
  registerCover();
  reached.clear();
  const points = new Map<number, Point>();
  let next = 1;
  const files = policies.map((p) => {
    let module;
    try {
      module = parseModule(p.file, p.text, { regoVersion });
    } catch {
      return p;
    }
    const edits: { start: number; end: number; text: string }[] = [];
    for (const rule of module.rules) {
      const head = rule.head.ref[0];
      const name = head && head.type === 'var' ? head.name : '';
      if (name.startsWith('test_') || name.startsWith('todo_test_') || rule.default) continue;
      const exprs = rule.body as { loc?: { offset?: number; text?: string; row: number } }[];
      const first = exprs[0]?.loc;
      const last = exprs[exprs.length - 1]?.loc;
      if (!first || !last || first.offset === undefined || last.offset === undefined || first.text === undefined || last.text === undefined) continue;
      if (p.text.slice(first.offset, first.offset + first.text.length) !== first.text) continue;
      if (rule.loc.offset === undefined || first.offset < rule.loc.offset) continue;
      const before = p.text.slice(rule.loc.offset, first.offset);
      const braced = /\{\s*$/.test(before);
      // a rule written without a body gets a generated `true` body: nothing to instrument
      if (!braced && !/\bif\s*$/.test(before)) continue;
      const parts: string[] = [];
      let ok = true;
      for (const e of exprs) {
        const l = e.loc;
        if (!l || l.offset === undefined || l.text === undefined) {
          ok = false;
          break;
        }
        const id = next++;
        const rowsSpanned = l.text.split('\n').length - 1;
        points.set(id, { file: p.file, row: l.row, endRow: l.row + rowsSpanned });
        parts.push(`${COVER}(${id})`, l.text);
      }
      if (!ok) continue;
      const body = parts.join('\n');
      edits.push({ start: first.offset, end: last.offset + last.text.length, text: braced ? body : `{\n${body}\n}` });
    }
    let text = p.text;
    for (const e of edits.sort((a, b) => b.start - a.start)) text = text.slice(0, e.start) + e.text + text.slice(e.end);
    return { file: p.file, text };
  });
  return { files, points };
}

export interface CoverageReport {
  files: Record<string, { covered?: { start: { row: number }; end: { row: number } }[]; not_covered?: { start: { row: number }; end: { row: number } }[]; coverage: number }>;
  coverage: number;
}

function ranges(rows: number[]): { start: { row: number }; end: { row: number } }[] {
  const sorted = [...new Set(rows)].sort((a, b) => a - b);
  const out: { start: { row: number }; end: { row: number } }[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && last.end.row + 1 === r) last.end.row = r;
    else out.push({ start: { row: r }, end: { row: r } });
  }
  return out;
}

/** The coverage of the points reached since `instrument`, per file and overall (percent of lines). */
export function coverageReport(points: Map<number, Point>): CoverageReport {
  const byFile = new Map<string, { covered: Set<number>; all: Set<number> }>();
  for (const [id, p] of points) {
    const f = byFile.get(p.file) ?? { covered: new Set<number>(), all: new Set<number>() };
    byFile.set(p.file, f);
    for (let r = p.row; r <= p.endRow; r++) {
      f.all.add(r);
      if (reached.has(id)) f.covered.add(r);
    }
  }
  const report: CoverageReport = { files: {}, coverage: 0 };
  let covered = 0;
  let total = 0;
  for (const [file, f] of [...byFile].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const notCovered = [...f.all].filter((r) => !f.covered.has(r));
    const entry: CoverageReport['files'][string] = { coverage: f.all.size === 0 ? 100 : round((f.covered.size / f.all.size) * 100) };
    if (f.covered.size > 0) entry.covered = ranges([...f.covered]);
    if (notCovered.length > 0) entry.not_covered = ranges(notCovered);
    report.files[file] = entry;
    covered += f.covered.size;
    total += f.all.size;
  }
  report.coverage = total === 0 ? 100 : round((covered / total) * 100);
  return report;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
