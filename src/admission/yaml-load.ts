// Reading Kubernetes-style YAML/JSON documents from files, with errors naming the file and position.

import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { AdmissionError } from './errors.ts';

export type Obj = Record<string, unknown>;

/** Parses every non-empty document of a YAML (or JSON) text. */
export function parseDocuments(text: string, file: string): Obj[] {
  try {
    return parseStrict(text, file);
  } catch (e) {
    // go-yaml (what kubectl and gator read YAML with) accepts continuation lines of a multi-line quoted
    // scalar indented no deeper than its key; YAML 1.2 does not. Retry with those lines indented.
    const relaxed = relaxQuotedContinuations(text);
    if (relaxed === text) throw e;
    try {
      return parseStrict(relaxed, file);
    } catch {
      throw e;
    }
  }
}

/** Indents continuation lines of `key: "...` / `key: '...` scalars that are not indented past the key. */
export function relaxQuotedContinuations(text: string): string {
  const lines = text.split('\n');
  let open: { quote: string; indent: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (open) {
      const ind = line.length - line.trimStart().length;
      if (line.trim() !== '' && ind <= open.indent) lines[i] = ' '.repeat(open.indent + 1 - ind) + line;
      if (closes(line, open.quote)) open = undefined;
      continue;
    }
    const m = /^(\s*)(?:-\s+)?[^\s#"'][^#"']*:\s+(["'])(.*)$/.exec(line);
    if (m && !closes(m[3] ?? '', m[2] ?? '"')) open = { quote: m[2] ?? '"', indent: (m[1] ?? '').length };
  }
  return lines.join('\n');
}

function closes(rest: string, quote: string): boolean {
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (quote === '"' && c === '\\') {
      i++;
      continue;
    }
    if (c === quote) {
      if (quote === "'" && rest[i + 1] === "'") {
        i++;
        continue;
      }
      return true;
    }
  }
  return false;
}

function parseStrict(text: string, file: string): Obj[] {
  const out: Obj[] = [];
  const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: false, version: '1.2' });
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) {
      const pos = err.linePos?.[0];
      throw new AdmissionError('admission_load_error', `cannot parse YAML: ${err.message.split('\n')[0]}`, {
        file,
        row: pos?.line ?? 0,
        col: pos?.col ?? 0,
      });
    }
    const v: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (v === null || v === undefined) continue;
    if (typeof v !== 'object' || Array.isArray(v)) {
      throw new AdmissionError('admission_load_error', 'expected a YAML mapping (a Kubernetes object)', {
        file,
        row: 0,
        col: 0,
      });
    }
    out.push(v as Obj);
  }
  return out;
}

export async function loadDocuments(file: string): Promise<Obj[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new AdmissionError(
      'admission_load_error',
      `cannot read ${file}: ${(e as Error).message}`,
      { file, row: 0, col: 0 },
      { cause: e },
    );
  }
  return parseDocuments(text, file);
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
