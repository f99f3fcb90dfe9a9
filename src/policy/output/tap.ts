// Conftest's TAP output: per file a plan `1..N`, `not ok` for failures and warnings, `ok` for exceptions,
// skipped and successes, with `# warnings` / `# exceptions` / `# skip` / `# successes` headings.
import { indicator, nsIndicator, type Reporter } from './reporter.ts';

export const tapReporter: Reporter = (results) => {
  let out = '';
  for (const r of results) {
    const file = indicator(r.filename);
    const ns = nsIndicator(r.namespace);
    const failures = r.failures ?? [];
    const warnings = r.warnings ?? [];
    const exceptions = r.exceptions ?? [];
    const skipped = r.skipped ?? [];
    const total = r.successes + failures.length + warnings.length + exceptions.length + skipped.length;
    // Conftest stops the whole output at the first file without tests.
    if (total === 0) return out;
    let n = 1;
    out += `1..${total}\n`;
    for (const f of failures) out += `not ok ${n++} ${file} ${ns} ${f.msg}\n`;
    if (warnings.length > 0) {
      out += '# warnings\n';
      for (const w of warnings) out += `not ok ${n++} ${file} ${ns} ${w.msg}\n`;
    }
    if (exceptions.length > 0) {
      out += '# exceptions\n';
      for (const e of exceptions) out += `ok ${n++} ${file} ${ns} ${e.msg}\n`;
    }
    if (skipped.length > 0) {
      out += '# skip\n';
      for (const s of skipped) out += `ok ${n++} ${file} ${ns} ${s.msg}\n`;
    }
    if (r.successes > 0) {
      out += '# successes\n';
      for (let i = 0; i < r.successes; i++) out += `ok ${n++} ${file} ${ns} SUCCESS\n`;
    }
  }
  return out;
};
