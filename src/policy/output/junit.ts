// Conftest's JUnit output (go-junit-report's formatter): one <testsuite> per namespace named
// `conftest.<namespace>`, a <testcase> per warning/failure (as failures), skipped result and success.
// Beyond Conftest, each <testsuite> also carries what the Ant JUnit schema (the one CI servers validate
// against) requires — errors, skipped, timestamp, hostname, package, id and empty system-out/system-err —
// so the file validates; the attributes Conftest writes come first and are unchanged.
import type { Reporter } from './reporter.ts';

/** Go's xml.EscapeText. */
export function xmlEscape(s: string): string {
  return s.replace(/[&<>"'\t\n\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;' })[c] ?? c);
}

interface TestCase {
  name: string;
  result: 'pass' | 'fail' | 'skip';
  output: string[];
}

export const junitReporter: Reporter = (results, opts) => {
  const name = (file: string, msg: string) => (opts.junitHideMessage || msg === '' ? file : `${file} - ${msg.split('\n')[0] ?? ''}`);
  const byNs = new Map<string, TestCase[]>();
  for (const r of results) {
    const list = byNs.get(r.namespace) ?? [];
    byNs.set(r.namespace, list);
    for (const w of r.warnings ?? []) list.push({ name: name(r.filename, w.msg), result: 'fail', output: w.msg.split('\n') });
    for (const f of r.failures ?? []) list.push({ name: name(r.filename, f.msg), result: 'fail', output: f.msg.split('\n') });
    for (const s of r.skipped ?? []) list.push({ name: name(r.filename, s.msg), result: 'skip', output: s.msg.split('\n') });
    for (let i = 0; i < r.successes; i++) list.push({ name: name(r.filename, ''), result: 'pass', output: [] });
  }
  const suites = [...byNs.entries()].filter(([, t]) => t.length > 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let out = '<?xml version="1.0" encoding="UTF-8"?>\n';
  const timestamp = (opts.now ?? new Date()).toISOString().slice(0, 19);
  let id = 0;
  if (suites.length === 0) return out + '<testsuites></testsuites>\n';
  out += '<testsuites>\n';
  for (const [ns, tests] of suites) {
    const suite = xmlEscape('conftest.' + ns);
    const failures = tests.filter((t) => t.result === 'fail').length;
    const skipped = tests.filter((t) => t.result === 'skip').length;
    out += `\t<testsuite tests="${tests.length}" failures="${failures}" time="0.000" name="${suite}" errors="0" skipped="${skipped}" timestamp="${timestamp}" hostname="${xmlEscape(opts.hostname ?? 'localhost')}" package="${suite}" id="${id++}">\n`;
    out += `\t\t<properties>\n\t\t\t<property name="go.version" value="${xmlEscape(opts.runtimeVersion ?? process.version)}"></property>\n\t\t</properties>\n`;
    for (const t of tests) {
      out += `\t\t<testcase classname="${suite}" name="${xmlEscape(t.name)}" time="0.000">`;
      if (t.result === 'fail') out += `\n\t\t\t<failure message="Failed" type="">${xmlEscape(t.output.join('\n'))}</failure>\n\t\t`;
      else if (t.result === 'skip') out += `\n\t\t\t<skipped message="${xmlEscape(t.output.join('\n'))}"></skipped>\n\t\t`;
      out += '</testcase>\n';
    }
    out += '\t\t<system-out></system-out>\n\t\t<system-err></system-err>\n';
    out += '\t</testsuite>\n';
  }
  return out + '</testsuites>\n';
};
