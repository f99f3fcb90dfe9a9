// SARIF 2.1.0 as Conftest writes it: one run, rules `<namespace>/deny|warn|allow|success|skip`, a result
// per failure (error), warning (warning) and exception (note), and for a file with neither failures nor
// warnings a `success` (or `skip`) result of level none; the invocation carries the exit code.
import { exitCode, hasFailure, hasWarning, type Result } from '../result.ts';
import { goJSON, ordered, type OrderedObject } from './go-json.ts';
import type { Reporter } from './reporter.ts';

const SCHEMA = 'https://raw.githubusercontent.com/oasis-tcs/sarif-spec/main/sarif-2.1/schema/sarif-schema-2.1.0.json';
const DESCRIPTIONS: Record<string, string> = {
  success: 'Policy was satisfied successfully',
  skip: 'Policy check was skipped',
  allow: 'Policy exception',
  warn: 'Policy warning',
  deny: 'Policy violation',
};

export const sarifReporter: Reporter = (results, opts) => {
  const rules: OrderedObject[] = [];
  const indices = new Map<string, number>();
  const out: OrderedObject[] = [];
  const add = (r: Result, namespace: string, type: string, level: string, fileName: string) => {
    const id = `${namespace}/${type}`;
    let idx = indices.get(id);
    if (idx === undefined) {
      const desc = DESCRIPTIONS[type] ?? DESCRIPTIONS.deny ?? '';
      idx = rules.length;
      indices.set(id, idx);
      rules.push(ordered([
        ['id', id],
        ['shortDescription', ordered([['text', desc]])],
        ['fullDescription', ordered([['text', desc]])],
        ['properties', r.metadata && Object.keys(r.metadata).length > 0 ? r.metadata : undefined],
      ]));
    }
    const line = r.loc?.line !== undefined ? parseInt(r.loc.line, 10) || 0 : undefined;
    const physical = r.loc
      ? ordered([
          ['artifactLocation', ordered([['uri', (r.loc.file ?? '').replace(/\\/g, '/')]])],
          ['region', ordered([['startLine', line], ['endLine', line]])],
        ])
      : ordered([['artifactLocation', ordered([['uri', fileName.replace(/\\/g, '/')]])]]);
    out.push(ordered([
      ['ruleId', id],
      ['ruleIndex', idx],
      ['level', level],
      ['message', ordered([['text', r.msg]])],
      ['locations', [ordered([['physicalLocation', physical]])]],
    ]));
  };
  for (const r of results) {
    for (const f of r.failures ?? []) add(f, r.namespace, 'deny', 'error', r.filename);
    for (const w of r.warnings ?? []) add(w, r.namespace, 'warn', 'warning', r.filename);
    let hasSuccesses = r.successes > 0;
    for (const e of r.exceptions ?? []) {
      add(e, r.namespace, 'allow', 'note', r.filename);
      hasSuccesses = true;
    }
    if ((r.failures?.length ?? 0) > 0 || (r.warnings?.length ?? 0) > 0) continue;
    const type = hasSuccesses ? 'success' : 'skip';
    const desc = DESCRIPTIONS[type] ?? '';
    add({ msg: desc, metadata: { description: desc } }, r.namespace, type, 'none', r.filename);
  }
  const exitDesc = hasFailure(results) ? 'Policy violations found' : hasWarning(results) ? 'Policy warnings found' : 'No policy violations found';
  const report = ordered([
    ['version', '2.1.0'],
    ['$schema', SCHEMA],
    ['runs', [ordered([
      ['tool', ordered([['driver', ordered([
        ['informationUri', 'https://github.com/open-policy-agent/conftest'],
        ['name', 'conftest'],
        ['rules', rules],
        ['version', (opts.version ?? '0.1.0').replace(/^v/, '')],
      ])]])],
      ['invocations', [ordered([
        ['executionSuccessful', true],
        ['exitCode', exitCode(results)],
        ['exitCodeDescription', exitDesc],
      ])]],
      ['results', out],
    ])]],
  ]);
  return goJSON(report, '  ') + '\n';
};
