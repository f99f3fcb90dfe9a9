// The one interface every input parser implements. A parser turns a file's text into the value Conftest
// would hand to Rego for that file (plain JSON-like JS values: null, boolean, number, string, arrays and
// plain objects). When that value is an array, Conftest checks each element as its own document (this is
// how multi-document YAML works); `lines` then gives the 1-based line each element starts on, where known.

export interface ParsedFile {
  /** What Conftest's parser would produce for the whole file. */
  value: unknown;
  /** When `value` is an array of documents: the first line of each, where the parser knows it; for a single
   *  document that is not an array, its first line at index 0. */
  lines?: (number | undefined)[];
}

export interface ParseContext {
  /** The file's path as given (or `-` / the --stdin-filename for stdin); used in errors. */
  file: string;
  /** Upper bound on input size in bytes for this parser (already checked by the caller for raw text). */
  maxBytes?: number;
  /** Folders of .proto files that define the message types of textproto inputs (--proto-file-dirs). */
  protoFileDirs?: string[];
}

export interface Parser {
  readonly name: string;
  parse(text: string, ctx: ParseContext): ParsedFile | Promise<ParsedFile>;
}

/** Converts a byte/char offset into a 1-based line and column. */
export function lineColAt(text: string, offset: number): { row: number; col: number } {
  let row = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      row++;
      lineStart = i + 1;
    }
  }
  return { row, col: end - lineStart + 1 };
}

/** Strips a UTF-8 byte order mark. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
