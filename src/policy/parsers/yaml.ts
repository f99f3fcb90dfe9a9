// YAML (multi-document), as Conftest's sigs.k8s.io/yaml parser: YAML 1.1 scalars (yes/no, 0777),
// several documents → an array checked one by one. Alias bombs and oversized input are refused.
import { LineCounter, parseAllDocuments } from 'yaml';
import { PolicyError } from '../errors.ts';
import type { ParseContext, ParsedFile, Parser } from './parser.ts';

/** Aliases one document may expand; the `yaml` package's own guard against "billion laughs". */
export const MAX_ALIAS_COUNT = 100;
/** YAML's in-memory tree costs ~20× the text: refuse larger documents unless the caller raises it. */
export const DEFAULT_MAX_YAML_BYTES = 32 * 1024 * 1024;

export const yamlParser: Parser = {
  name: 'yaml',
  parse(text: string, ctx: ParseContext): ParsedFile {
    const max = ctx.maxBytes ?? DEFAULT_MAX_YAML_BYTES;
    if (text.length > max) {
      throw new PolicyError(
        'policy_input_too_large',
        `YAML input is ${text.length} bytes, over the limit of ${max} bytes (raise it with --max-input-size)`,
        { file: ctx.file, row: 0, col: 0 },
      );
    }
    const lineCounter = new LineCounter();
    const docs = parseAllDocuments(text, { version: '1.1', lineCounter, prettyErrors: false, merge: true });
    if (!Array.isArray(docs)) {
      // an empty stream (only comments/whitespace) comes back as an EmptyStream
      return { value: null };
    }
    const values: unknown[] = [];
    const lines: (number | undefined)[] = [];
    for (const doc of docs) {
      const err = doc.errors[0];
      if (err) {
        const pos = lineCounter.linePos(err.pos[0]);
        throw new PolicyError('policy_parse_error', `yaml: ${firstLine(err.message)}`, {
          file: ctx.file,
          row: pos.line,
          col: pos.col,
        });
      }
      let value: unknown;
      try {
        value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        const start = doc.contents?.range?.[0] ?? 0;
        const pos = lineCounter.linePos(start);
        throw new PolicyError(
          'policy_parse_error',
          /alias/i.test(msg)
            ? `yaml: refused: too many alias expansions (over ${MAX_ALIAS_COUNT}; a YAML alias bomb?)`
            : `yaml: ${firstLine(msg)}`,
          { file: ctx.file, row: pos.line, col: pos.col },
          { cause: e },
        );
      }
      values.push(value === undefined ? null : value);
      const start = doc.contents?.range?.[0];
      lines.push(start === undefined ? undefined : lineCounter.linePos(start).line);
    }
    if (values.length === 0) return { value: null };
    if (values.length === 1) {
      const only = values[0];
      const doc = docs[0];
      // A single document that is a sequence is also checked element by element (as Conftest does);
      // give each element its line.
      if (Array.isArray(only) && doc?.contents && 'items' in doc.contents) {
        const items = (doc.contents as { items: { range?: [number, number, number] | null }[] }).items;
        return {
          value: only,
          lines: items.map((it) => (it?.range ? lineCounter.linePos(it.range[0]).line : undefined)),
        };
      }
      return lines[0] !== undefined ? { value: only, lines: [lines[0]] } : { value: only };
    }
    return { value: values, lines };
  },
};

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
