// Reports of `sekisho lint image`: dockle's list and JSON shapes, SARIF (as dockle writes it), checkstyle
// and JUnit for CI systems.
import { xmlEscape as esc } from '../xml.ts';
import type { Level } from './checkpoints.ts';
import type { ImageLintReport } from './lint.ts';

export type ImageReportFormat = 'list' | 'json' | 'sarif' | 'checkstyle' | 'junit';

const HELP = 'https://github.com/goodwithtech/dockle/blob/master/CHECKPOINT.md#';
const SARIF_LEVEL: Record<Level, string> = {
  INFO: 'note',
  WARN: 'warning',
  FATAL: 'error',
  PASS: 'none',
  SKIP: 'none',
  IGNORE: 'none',
};
const COLOR: Partial<Record<Level, string>> = {
  INFO: '35',
  WARN: '33',
  FATAL: '31',
  PASS: '32',
  SKIP: '34',
  IGNORE: '34',
};

const shown = (r: ImageLintReport): ImageLintReport['results'] => r.results.filter((x) => x.level !== 'PASS');

function list(r: ImageLintReport, color: boolean): string {
  let out = '';
  for (const x of shown(r)) {
    const label = color ? `\x1b[${COLOR[x.level] ?? '0'}m${x.level}\x1b[0m` : x.level;
    const code = color ? `\x1b[36m${x.code}\x1b[0m` : x.code;
    out += `${label}\t- ${code}: ${x.title}\n`;
    if (x.level !== 'IGNORE') for (const a of x.alerts) out += `\t* ${a.desc}\n`;
  }
  return out;
}

function json(r: ImageLintReport): string {
  const details = shown(r)
    .filter((x) => x.alerts.length > 0)
    .map((x) => ({ code: x.code, title: x.title, level: x.level, alerts: x.alerts.map((a) => a.desc) }));
  return JSON.stringify({ image: r.image, digest: r.digest, summary: r.summary, details }, null, 2) + '\n';
}

function sarif(r: ImageLintReport): string {
  const withAlerts = shown(r).filter((x) => x.alerts.length > 0 && x.level !== 'SKIP');
  const rules = withAlerts.map((x) => ({
    id: x.code,
    name: x.code,
    shortDescription: { text: x.title },
    helpUri: HELP + x.code,
  }));
  const results = withAlerts.flatMap((x, ruleIndex) =>
    x.alerts.map((a) => ({
      ruleId: x.code,
      ruleIndex,
      level: SARIF_LEVEL[x.level],
      message: { text: a.desc },
      locations: [{ physicalLocation: { artifactLocation: { uri: a.filename || r.image } } }],
    })),
  );
  const doc = {
    version: '2.1.0',
    $schema: 'https://raw.githubusercontent.com/oasis-tcs/sarif-spec/main/sarif-2.1/schema/sarif-schema-2.1.0.json',
    runs: [
      {
        tool: {
          driver: {
            informationUri: 'https://github.com/goodwithtech/dockle',
            name: 'Sekisho image lint (dockle checkpoints)',
            rules,
          },
        },
        results,
      },
    ],
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

function checkstyle(r: ImageLintReport): string {
  let out = "<?xml version='1.0' encoding='UTF-8'?><checkstyle version='4.3'>";
  const byFile = new Map<string, string[]>();
  for (const x of shown(r))
    for (const a of x.level === 'IGNORE' || x.level === 'SKIP' ? [] : x.alerts) {
      const sev = x.level === 'FATAL' ? 'error' : x.level === 'WARN' ? 'warning' : 'info';
      const file = a.filename || r.image;
      byFile.set(file, [
        ...(byFile.get(file) ?? []),
        `<error severity='${sev}' message='${esc(a.desc)}' source='${esc(x.code)}' />`,
      ]);
    }
  for (const [file, errors] of byFile) out += `<file name='${esc(file)}'>${errors.join('')}</file>`;
  return out + '</checkstyle>\n';
}

function junit(r: ImageLintReport): string {
  const failing = r.results.filter((x) => x.level === 'FATAL' || x.level === 'WARN' || x.level === 'INFO');
  const skipped = r.results.filter((x) => x.level === 'SKIP' || x.level === 'IGNORE');
  let out = `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n<testsuite name="${esc(r.image)}" tests="${r.results.length}" failures="${failing.length}" skipped="${skipped.length}">\n`;
  for (const x of r.results) {
    out += `<testcase classname="${esc(x.code)}" name="[${x.level}] ${esc(x.code)}: ${esc(x.title)}">`;
    if (x.level === 'SKIP' || x.level === 'IGNORE') out += '<skipped/>';
    else if (x.level !== 'PASS')
      out += `<failure message="${esc(x.title)}" type="${x.level}">${esc(x.alerts.map((a) => a.desc).join('\n'))}</failure>`;
    out += '</testcase>\n';
  }
  return out + '</testsuite>\n</testsuites>\n';
}

export function formatImageReport(
  r: ImageLintReport,
  format: ImageReportFormat,
  opts: { color?: boolean } = {},
): string {
  switch (format) {
    case 'list':
      return list(r, opts.color ?? false);
    case 'json':
      return json(r);
    case 'sarif':
      return sarif(r);
    case 'checkstyle':
      return checkstyle(r);
    case 'junit':
      return junit(r);
  }
}
