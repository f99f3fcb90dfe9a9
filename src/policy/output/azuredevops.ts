// Conftest's Azure DevOps output: ##[section]/##[group] per file and ##vso[task.logissue] lines.
import { summaryLine, totals } from '../result.ts';
import type { Reporter } from './reporter.ts';

export const azureDevOpsReporter: Reporter = (results) => {
  let out = '';
  for (const r of results) {
    const failures = r.failures ?? [];
    const warnings = r.warnings ?? [];
    const exceptions = r.exceptions ?? [];
    const skipped = r.skipped ?? [];
    const n = r.successes + failures.length + warnings.length + exceptions.length + skipped.length;
    out += `##[section]Testing '${r.filename}' against ${n} policies in namespace '${r.namespace}'\n`;
    out += '##[group]See conftest results\n';
    for (const f of failures) out += `##vso[task.logissue type=error] file=${r.filename} --> ${f.msg}\n`;
    for (const w of warnings) out += `##vso[task.logissue type=warning] file=${r.filename} --> ${w.msg}\n`;
    for (const e of exceptions) out += `##vso[task.logissue type=warning] file=${r.filename} --> ${e.msg}\n`;
    for (const s of skipped) out += `skipped file=${r.filename} ${s.msg}\n`;
    if (r.successes > 0) out += `success file=${r.filename} ${r.successes}\n`;
    out += '##[endgroup]\n';
  }
  return out + summaryLine(totals(results)) + '\n';
};
