// Conftest's standard output: `WARN|FAIL|EXCP - file - namespace - message` lines, print() output as
// PRNT lines first (after the TRAC lines of each query with --trace), a blank line and the summary, coloured as
// aurora colours them unless --no-color.
import { summaryLine, totals, type CheckResult } from '../result.ts';
import { indicator, nsIndicator, type Reporter } from './reporter.ts';

const COLORS = { red: 31, green: 32, yellow: 33, blue: 34, cyan: 36 } as const;

export const stdoutReporter: Reporter = (results, opts) => {
  const c = (s: string, color: keyof typeof COLORS) => (opts.noColor ? s : `\x1b[${COLORS[color]}m${s}\x1b[0m`);
  let out = '';
  if (opts.tracing)
    for (const r of results)
      for (const q of r.queries ?? []) {
        const passed = q.results.every((x) => x.msg === '');
        out += c(`file: ${r.filename} | query: ${q.query}`, passed ? 'green' : 'red') + '\n';
        for (const t of q.traces) out += `${c('TRAC ', 'blue')}  ${t}\n`;
      }
  for (const r of results) {
    for (const q of r.queries ?? []) for (const t of q.outputs ?? []) out += `${c('PRNT ', 'blue')}  ${t}\n`;
  }
  for (const r of results as CheckResult[]) {
    const file = indicator(r.filename);
    const ns = nsIndicator(r.namespace);
    for (const w of r.warnings ?? []) out += `${c('WARN', 'yellow')} ${file} ${ns} ${w.msg}\n`;
    for (const f of r.failures ?? []) out += `${c('FAIL', 'red')} ${file} ${ns} ${f.msg}\n`;
    if (!opts.suppressExceptions)
      for (const e of r.exceptions ?? []) out += `${c('EXCP', 'cyan')} ${file} ${ns} ${e.msg}\n`;
  }
  const t = totals(results);
  let summary = summaryLine(t);
  if (opts.showSkipped) summary += `, ${t.skipped} skipped`;
  const color = t.failures > 0 ? 'red' : t.warnings > 0 ? 'yellow' : t.exceptions > 0 ? 'cyan' : 'green';
  out += `\n${c(summary, color)}\n`;
  return out;
};
