// Conftest's JSON output: the check results (without queries), stdin's `-` file name blanked, Go's
// encoding/json field order and escaping, tab indentation.
import type { CheckResult, Result } from '../result.ts';
import { goJSON, ordered, RawNumber, type OrderedObject } from './go-json.ts';
import type { Reporter } from './reporter.ts';

export function resultJSON(r: Result): OrderedObject {
  const loc = r.loc ? ordered([['file', r.loc.file || undefined], ['line', r.loc.line ? new RawNumber(r.loc.line) : undefined]]) : undefined;
  return ordered([
    ['msg', r.msg],
    ['loc', loc],
    ['metadata', r.metadata && Object.keys(r.metadata).length > 0 ? r.metadata : undefined],
    ['outputs', r.outputs && r.outputs.length > 0 ? r.outputs : undefined],
  ]);
}


function list(rs: Result[] | undefined): OrderedObject[] | undefined {
  return rs && rs.length > 0 ? rs.map(resultJSON) : undefined;
}

export function checkResultJSON(r: CheckResult): OrderedObject {
  return ordered([
    ['filename', r.filename === '-' ? '' : r.filename],
    ['namespace', r.namespace],
    ['successes', r.successes],
    ['skipped', list(r.skipped)],
    ['warnings', list(r.warnings)],
    ['failures', list(r.failures)],
    ['exceptions', list(r.exceptions)],
  ]);
}

export const jsonReporter: Reporter = (results) => goJSON(results.map(checkResultJSON), '\t') + '\n';
