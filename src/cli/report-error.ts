// Prints an error from any area to stderr: `file:row:col: code: message` with a caret excerpt where the
// error carries a location, and maps error codes to exit codes.
import { readFileSync } from 'node:fs';

export interface LocatedError {
  code?: string;
  message: string;
  location?: { file?: string; row: number; col: number; text?: string };
}

/** Exit codes: 1 for failures of the checked thing, 2 for usage, parse and other errors (like OPA and Conftest). */
export function exitCodeFor(code: string | undefined): number {
  if (code === undefined) return 2;
  return 2;
}

export function caretExcerpt(source: string, row: number, col: number): string {
  const line = source.split('\n')[row - 1];
  if (line === undefined) return '';
  const shown = line.replace(/\t/g, ' ');
  return `  ${shown}\n  ${' '.repeat(Math.max(0, col - 1))}^`;
}

export function formatError(err: LocatedError): string {
  const loc = err.location;
  const where = loc ? `${loc.file ? loc.file + ':' : ''}${loc.row}:${loc.col}: ` : '';
  let out = `${where}${err.code ? err.code + ': ' : ''}${err.message}`;
  if (loc?.file && loc.row > 0) {
    try {
      const excerpt = caretExcerpt(readFileSync(loc.file, 'utf8'), loc.row, loc.col);
      if (excerpt) out += '\n' + excerpt;
    } catch {
      // the file may be stdin or gone; the location alone is enough
    }
  }
  return out;
}

export function reportError(err: unknown): number {
  const list: LocatedError[] =
    err && typeof err === 'object' && Array.isArray((err as { errors?: unknown }).errors)
      ? ((err as { errors: LocatedError[] }).errors)
      : [err instanceof Error ? (err as LocatedError) : { message: String(err) }];
  for (const e of list) process.stderr.write(formatError(e) + '\n');
  return exitCodeFor(list[0]?.code);
}
