// Rego errors as values with OPA's stable codes and a source location.
// Parsers and the compiler collect RegoError values and throw them together as RegoErrors;
// evaluation throws a single RegoError.

export interface Location {
  file: string;
  row: number;
  col: number;
  /** Byte offset of the start in the source text, when known. */
  offset?: number;
  /** The source text the location spans, when known. */
  text?: string;
}

export const ErrorCodes = {
  parse: 'rego_parse_error',
  compile: 'rego_compile_error',
  type: 'rego_type_error',
  unsafeVar: 'rego_unsafe_var_error',
  recursion: 'rego_recursion_error',
  evalType: 'eval_type_error',
  evalConflict: 'eval_conflict_error',
  evalBuiltin: 'eval_builtin_error',
  evalWith: 'eval_with_merge_error',
  evalCancel: 'eval_cancel_error',
  evalInternal: 'eval_internal_error',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes] | (string & {});

export class RegoError extends Error {
  readonly code: ErrorCode;
  readonly location: Location | undefined;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, location?: Location, options?: { cause?: unknown; details?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'RegoError';
    this.code = code;
    this.location = location;
    this.details = options?.details;
  }

  /** OPA's one-line rendering: `file:row: code: message` (file and row omitted when unknown). */
  override toString(): string {
    const loc = this.location;
    const where = loc ? `${loc.file ? loc.file + ':' : ''}${loc.row}: ` : '';
    return `${where}${this.code}: ${this.message}`;
  }

  toJSON(): { code: string; message: string; location?: { file: string; row: number; col: number } } {
    const out: { code: string; message: string; location?: { file: string; row: number; col: number } } = {
      code: this.code,
      message: this.message,
    };
    if (this.location) out.location = { file: this.location.file, row: this.location.row, col: this.location.col };
    return out;
  }
}

/** Several errors from parsing or compiling, rendered as OPA does ("2 errors occurred:\n..."). */
export class RegoErrors extends Error {
  readonly errors: RegoError[];

  constructor(errors: RegoError[]) {
    super(
      errors.length === 1
        ? String(errors[0])
        : `${errors.length} errors occurred:\n${errors.map((e) => String(e)).join('\n')}`,
    );
    this.name = 'RegoErrors';
    this.errors = errors;
  }

  get code(): ErrorCode | undefined {
    return this.errors[0]?.code;
  }
}
