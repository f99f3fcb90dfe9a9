// `opa eval` output formats: json, values, bindings, pretty, raw — byte for byte as OPA prints them
// (OPA's internal/presentation package), and its error rendering.
import type { QueryResult, RegoError, Value } from '../../rego/index.ts';
import { RObject } from '../../rego/index.ts';
import { goJSON, Ordered, type GoJSON } from './go-json.ts';
import { renderTable } from './table.ts';

export const FORMATS = ['json', 'values', 'bindings', 'pretty', 'raw'] as const;
export type Format = (typeof FORMATS)[number];

/** An error as OPA's presentation package carries it. */
export interface OutputError {
  message: string;
  code?: string;
  location?: { file: string; row: number; col: number; text?: string };
  /** Parse errors: the source line and the index of the error in it. */
  details?: { line: string; idx: number };
}

function bindingsObject(b: Map<string, Value>): RObject {
  const o = new RObject();
  for (const [k, v] of b) o.set(k, v);
  return o;
}

function resultJSON(r: QueryResult): Ordered {
  return new Ordered([
    [
      'expressions',
      r.expressions.map(
        (e) =>
          new Ordered([
            ['value', e.value],
            ['text', e.text],
            [
              'location',
              new Ordered([
                ['row', e.location.row],
                ['col', e.location.col],
              ]),
            ],
          ]),
      ),
    ],
    ['bindings', r.bindings.size > 0 ? bindingsObject(r.bindings) : undefined],
  ]);
}

function errorJSON(e: OutputError): Ordered {
  return new Ordered([
    ['message', e.message],
    ['code', e.code || undefined],
    [
      'location',
      e.location
        ? new Ordered([
            ['file', e.location.file],
            ['row', e.location.row],
            ['col', e.location.col],
          ])
        : undefined,
    ],
    [
      'details',
      e.details
        ? new Ordered([
            ['line', e.details.line],
            ['idx', e.details.idx],
          ])
        : undefined,
    ],
  ]);
}

/** The text of one error as Go's ast.Error / topdown.Error print it. */
export function errorText(e: OutputError): string {
  let prefix = '';
  if (e.location)
    prefix = e.location.file ? `${e.location.file}:${e.location.row}` : `${e.location.row}:${e.location.col}`;
  let msg = e.code ? `${e.code}: ${e.message}` : e.message;
  if (prefix) msg = `${prefix}: ${msg}`;
  if (e.details) {
    const line = e.details.line.replace(/^\t+/, '');
    const tabs = e.details.line.length - line.length;
    msg += `\n\t${line}\n\t${' '.repeat(Math.max(0, e.details.idx - tabs))}^`;
  }
  return msg;
}

/** OPA's OutputErrors text: "1 error occurred: …" or "N errors occurred:\n…". */
export function errorsText(errors: OutputError[]): string {
  if (errors.length === 0) return 'no error(s)';
  if (errors.length === 1) return `1 error occurred: ${errorText(errors[0] as OutputError)}`;
  return `${errors.length} errors occurred:\n${errors.map(errorText).join('\n')}`;
}

/** Converts a thrown RegoError into the output form, adding parse-error details from the source when known. */
export function outputErrorOf(e: RegoError, sources: Map<string, string>, queryText?: string): OutputError {
  const out: OutputError = { message: e.message, code: e.code };
  if (e.location) {
    // The query has no file in OPA (the engine calls it "query").
    const file = e.location.file === 'query' && !sources.has('query') ? '' : e.location.file;
    out.location = { file, row: e.location.row, col: e.location.col };
    if (e.location.text !== undefined) out.location.text = e.location.text;
  }
  const d = e.details as { line?: unknown; idx?: unknown } | undefined;
  if (d && typeof d.line === 'string' && typeof d.idx === 'number') out.details = { line: d.line, idx: d.idx };
  else if (e.code === 'rego_parse_error' && e.location) {
    const src = e.location.file === 'query' ? queryText : sources.get(e.location.file);
    const line = src?.split('\n')[e.location.row - 1];
    if (line !== undefined) out.details = { line: line.replace(/\r$/, ''), idx: Math.max(0, e.location.col - 1) };
  }
  return out;
}

/** Renders results (or errors) in one of OPA's formats; the text ends with a newline unless empty. */
export function render(format: Format, results: QueryResult[] | undefined, errors: OutputError[] | undefined): string {
  if (format === 'json') {
    const doc = new Ordered([
      ['errors', errors && errors.length > 0 ? errors.map(errorJSON) : undefined],
      ['result', results && results.length > 0 ? results.map(resultJSON) : undefined],
    ]);
    return goJSON(doc, 2) + '\n';
  }
  if (errors && errors.length > 0) return errorsText(errors) + '\n';
  const rs = results ?? [];
  switch (format) {
    case 'values':
      return rs
        .map(
          (r) =>
            goJSON(
              r.expressions.map((e) => e.value),
              2,
            ) + '\n',
        )
        .join('');
    case 'bindings':
      return rs.map((r) => goJSON(bindingsObject(r.bindings), 2) + '\n').join('');
    case 'raw':
      return rs
        .map(
          (r) => r.expressions.map((e) => (typeof e.value === 'string' ? e.value : goJSON(e.value))).join(' ') + '\n',
        )
        .join('');
    case 'pretty':
      return pretty(rs);
  }
}

function pretty(rs: QueryResult[]): string {
  if (rs.length === 0) return 'undefined\n';
  const first = rs[0] as QueryResult;
  if (rs.length === 1 && first.bindings.size === 0) {
    if (first.expressions.length === 1 || first.expressions.every((e) => typeof e.value === 'boolean'))
      return goJSON((first.expressions[0]?.value ?? null) as GoJSON, 2) + '\n';
  }
  // Columns: the variables of the first result (sorted), then its expressions that are not plain booleans
  // (all of them when there are no variables).
  const vars = [...first.bindings.keys()].sort();
  const exprs = first.expressions
    .map((e, i) => ({ e, i }))
    .filter(({ e }) => typeof e.value !== 'boolean' || first.bindings.size === 0);
  const header = [...vars, ...exprs.map(({ e }) => e.text)];
  const rows = rs.map((r) => [
    ...vars.map((v) => goJSON((r.bindings.get(v) ?? null) as GoJSON)),
    ...exprs.map(({ i }) => goJSON((r.expressions[i]?.value ?? null) as GoJSON)),
  ]);
  return renderTable(header, rows);
}
