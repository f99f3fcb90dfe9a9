// Conftest's GitHub Actions output: a ::group:: per file with ::error/::warning/::notice workflow
// commands (at the policy's `_loc` when given, else line 1 of the file), then the summary line.
import { isAbsolute, relative } from 'node:path';
import { summaryLine, totals, type ResultLocation } from '../result.ts';
import type { Reporter } from './reporter.ts';

function escapeProperty(v: string): string {
  return v.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export const githubReporter: Reporter = (results, opts) => {
  let out = '';
  const write = (level: string, loc: ResultLocation, msg: string) => {
    out += `::${level} file=${escapeProperty(loc.file ?? '')},line=${loc.line ?? ''}::${msg}\n`;
  };
  const writeLocs = (level: string, fileLoc: ResultLocation, og: ResultLocation | undefined, msg: string) => {
    if (!og) return write(level, fileLoc, msg);
    if (og.file === fileLoc.file) return write(level, og, msg);
    const file = og.file && isAbsolute(og.file) ? relative(opts.cwd ?? process.cwd(), og.file) : (og.file ?? '');
    const rel: ResultLocation = { file, line: og.line ?? '' };
    write(level, rel, msg);
    write(level, fileLoc, `(ORIGINATING FROM ${rel.file} L${rel.line}) ${msg}`);
  };
  for (const r of results) {
    const failures = r.failures ?? [];
    const warnings = r.warnings ?? [];
    const exceptions = r.exceptions ?? [];
    const skipped = r.skipped ?? [];
    if (opts.githubHidePassed && failures.length + warnings.length + exceptions.length + skipped.length === 0) continue;
    const n = r.successes + failures.length + warnings.length + exceptions.length + skipped.length;
    const fileLoc: ResultLocation = { file: r.filename, line: '1' };
    out += `::group::Testing ${JSON.stringify(r.filename)} against ${n} policies in namespace ${JSON.stringify(r.namespace)}\n`;
    for (const f of failures) writeLocs('error', fileLoc, f.loc, f.msg);
    for (const w of warnings) writeLocs('warning', fileLoc, w.loc, w.msg);
    for (const e of exceptions) writeLocs('notice', fileLoc, e.loc, e.msg);
    for (const s of skipped) writeLocs('notice', fileLoc, s.loc, `Test was skipped: ${s.msg}`);
    write('notice', fileLoc, `Number of successful checks: ${r.successes}`);
    out += '::endgroup::\n';
  }
  out += summaryLine(totals(results)) + '\n';
  return out;
};
