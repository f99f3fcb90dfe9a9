// hadolint's output formats (tty, json, sarif, checkstyle) and JUnit XML for CI systems that read test reports.
import { xmlEscape } from '../xml.ts';
import type { Finding } from './lint.ts';

export type DockerfileFormat = 'tty' | 'json' | 'sarif' | 'checkstyle' | 'junit';

export function formatFindings(findings: Finding[], format: DockerfileFormat, files: string[]): string {
  switch (format) {
    case 'tty':
      return findings.map((f) => `${f.file}:${f.line} ${f.code} ${f.level}: ${f.message}\n`).join('');
    case 'json':
      return JSON.stringify(findings) + '\n';
    case 'sarif':
      return JSON.stringify(sarif(findings), null, 2) + '\n';
    case 'checkstyle':
      return checkstyle(findings, files);
    case 'junit':
      return junit(findings, files);
  }
}

/** One test suite per Dockerfile, one failing test case per finding (a clean file is one passing case). */
function junit(findings: Finding[], files: string[]): string {
  let out = '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n';
  for (const file of files) {
    const fs = findings.filter((f) => f.file === file);
    out += `<testsuite name="${esc(file)}" tests="${Math.max(fs.length, 1)}" failures="${fs.length}">\n`;
    if (fs.length === 0) out += `<testcase classname="${esc(file)}" name="no findings"/>\n`;
    for (const f of fs)
      out +=
        `<testcase classname="${esc(file)}" name="${esc(`${f.code} line ${f.line}`)}">` +
        `<failure type="${esc(f.level)}" message="${esc(f.message)}">${esc(`${f.file}:${f.line}:${f.column} ${f.code} ${f.message}`)}</failure></testcase>\n`;
    out += '</testsuite>\n';
  }
  return out + '</testsuites>\n';
}

const sarifLevel = (l: string): string => (l === 'error' ? 'error' : l === 'warning' ? 'warning' : 'note');

function sarif(findings: Finding[]): unknown {
  return {
    version: '2.1.0',
    $schema: 'http://json.schemastore.org/sarif-2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'sekisho lint dockerfile',
            fullName: 'Sekisho Dockerfile linter (hadolint rules)',
            informationUri: 'https://github.com/hadolint/hadolint',
          },
        },
        results: findings.map((f) => ({
          ruleId: f.code,
          level: sarifLevel(f.level),
          message: { text: f.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: f.file },
                region: {
                  startLine: f.line,
                  endLine: f.line,
                  startColumn: f.column,
                  endColumn: f.column,
                  sourceLanguage: 'dockerfile',
                },
              },
            },
          ],
        })),
      },
    ],
  };
}

const esc = xmlEscape;

function checkstyle(findings: Finding[], files: string[]): string {
  let out = "<?xml version='1.0' encoding='UTF-8'?><checkstyle version='4.3'>";
  for (const file of files) {
    const fs = findings.filter((f) => f.file === file);
    out += `<file name='${esc(file)}' >`;
    for (const f of fs) {
      out += `<error line='${f.line}' column='${f.column}' severity='${esc(f.level)}' message='${esc(f.message)}' source='${esc(f.code)}' />`;
    }
    out += '</file>';
  }
  return out + '</checkstyle>\n';
}
