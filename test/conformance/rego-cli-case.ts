// Runs one OPA-format case through the CLI, `sekisho rego eval --format json`, in a fresh process: the
// modules, data and input are written to a temporary directory (modules as test-N.rego, so error locations
// read as in OPA's harness) and the JSON output is read back into an Outcome.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { caseInput, rowOf, type Outcome, type RegoCase } from './rego-cases.ts';
import { parseJSON, parseQuery, RObject, RSet, toJSON, type Value } from '../../src/rego/index.ts';

export const SEKISHO_BIN = resolve(fileURLToPath(new URL('../../bin/sekisho.js', import.meta.url)));

export interface CliRunOptions {
  regoVersion: 0 | 1;
  timeoutMs: number;
}

interface Spawned {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function run(args: string[], cwd: string, timeoutMs: number): Promise<Spawned> {
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, timedOut });
    });
  });
}

/** The error text OPA's topdown.Error / ast.Error print: `file:row: code: message`. */
function errorText(e: Value): { code: string | undefined; text: string } {
  if (!(e instanceof RObject)) return { code: undefined, text: toJSON(e) };
  const code = e.getStr('code');
  const message = e.getStr('message');
  const loc = e.getStr('location');
  let where = '';
  if (loc instanceof RObject) {
    const file = loc.getStr('file');
    const row = loc.getStr('row');
    const col = loc.getStr('col');
    where = typeof file === 'string' && file !== '' ? `${file}:${String(row)}: ` : `${String(row)}:${String(col)}: `;
  }
  const codeText = typeof code === 'string' ? code : undefined;
  return {
    code: codeText,
    text: `${where}${codeText ? codeText + ': ' : ''}${typeof message === 'string' ? message : ''}`,
  };
}

/** Reads `sekisho rego eval --format json` output into an Outcome. */
export function outcomeOfJSONOutput(stdout: string, stderr: string, exitCode: number | null): Outcome {
  let doc: Value;
  try {
    doc = parseJSON(stdout);
  } catch {
    return {
      kind: 'crash',
      text: `exit ${exitCode}: output is not JSON: ${stdout.slice(0, 500)}${stderr.slice(0, 2000)}`,
    };
  }
  if (!(doc instanceof RObject)) return { kind: 'crash', text: `output is not a JSON object: ${stdout.slice(0, 500)}` };
  const errors = doc.getStr('errors');
  if (Array.isArray(errors) && errors.length > 0) {
    const parts = errors.map(errorText);
    const text =
      parts.length === 1
        ? (parts[0]?.text ?? '')
        : `${parts.length} errors occurred:\n${parts.map((p) => p.text).join('\n')}`;
    const rows = rowsOf(doc);
    return rows.length > 0
      ? { kind: 'error', code: parts[0]?.code, text, rows }
      : { kind: 'error', code: parts[0]?.code, text };
  }
  if (exitCode !== 0)
    return { kind: 'crash', text: `exit ${exitCode} without errors in the output: ${stderr.slice(0, 2000)}` };
  return { kind: 'rows', rows: rowsOf(doc) };
}

/** The binding rows of the output's `result` (empty when there is none). */
function rowsOf(doc: RObject): RObject[] {
  const result = doc.getStr('result');
  const rows: RObject[] = [];
  if (Array.isArray(result)) {
    for (const r of result) {
      const b = r instanceof RObject ? r.getStr('bindings') : undefined;
      rows.push(b instanceof RObject ? rowOf(b.entries() as [string, Value][]) : new RObject());
    }
  }
  return rows;
}

/** Whether JSON can carry the value unchanged (no sets, only string object keys). */
function jsonExpressible(v: Value): boolean {
  if (v instanceof RSet) return false;
  if (Array.isArray(v)) return v.every(jsonExpressible);
  if (v instanceof RObject) return v.entries().every(([k, x]) => typeof k === 'string' && jsonExpressible(x));
  return true;
}

function singleExpression(query: string, regoVersion: 0 | 1): boolean {
  try {
    return parseQuery(query, { regoVersion }).length === 1;
  } catch {
    return false;
  }
}

export async function runCaseViaCli(c: RegoCase, opts: CliRunOptions): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-case-'));
  try {
    const args = [SEKISHO_BIN, 'rego', 'eval', '--format', 'json'];
    c.modules.forEach((text, i) => {
      writeFileSync(join(dir, `test-${i}.rego`), text);
      args.push('-d', `test-${i}.rego`);
    });
    if (c.data !== undefined) {
      writeFileSync(join(dir, 'data.json'), toJSON(c.data));
      args.push('-d', 'data.json');
    }
    let input: Value | undefined;
    try {
      input = caseInput(c);
    } catch (err) {
      return { kind: 'crash', text: `input_term: ${String(err)}` };
    }
    let query = c.query;
    if (input !== undefined) {
      if (c.inputTerm !== undefined && !jsonExpressible(input) && singleExpression(c.query, opts.regoVersion)) {
        // JSON has no sets (or non-string keys): pass such an input the way an opa eval user would, on the
        // query with `with input as <term>`.
        query = `${c.query.trim()} with input as ${c.inputTerm.trim()}`;
      } else {
        writeFileSync(join(dir, 'input.json'), toJSON(input));
        args.push('-i', 'input.json');
      }
    }
    if (opts.regoVersion === 0) args.push('--v0-compatible');
    if (c.strictError) args.push('--strict-builtin-errors');
    args.push('--', query);
    const r = await run(args, dir, opts.timeoutMs);
    if (r.timedOut) return { kind: 'crash', text: `timed out after ${opts.timeoutMs} ms` };
    return outcomeOfJSONOutput(r.stdout, r.stderr, r.code);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
