// Errors of the build area (Dockerfile frontend, build context, filesystem, executors, builder).
// `code` is stable and meant for programs (the CLI maps it to an exit code); `message` is for people;
// `location` names the Dockerfile (or other input) position when there is one; `cause` keeps the
// underlying error.

export type BuildErrorCode =
  | 'DOCKERFILE_PARSE'
  | 'DOCKERFILE_INVALID'
  | 'CONTEXT_UNSAFE'
  | 'CONTEXT_MISSING'
  | 'TAR_UNSAFE'
  | 'RUN_FAILED'
  | 'EXECUTOR_UNAVAILABLE'
  | 'BASE_IMAGE'
  | 'CACHE'
  | 'OUTPUT'
  | 'SECRET_MISSING'
  | 'INTERNAL';

export interface BuildErrorLocation {
  file: string;
  /** 1-based line. */
  row: number;
  /** 1-based column, when known. */
  col?: number;
}

export class BuildError extends Error {
  readonly code: BuildErrorCode;
  readonly location?: BuildErrorLocation;

  constructor(code: BuildErrorCode, message: string, opts: { location?: BuildErrorLocation; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'BuildError';
    this.code = code;
    if (opts.location) this.location = opts.location;
  }

  /** `file:row:col: message`, the way the CLI prints it (messages that already start with the location stay as they are). */
  describe(): string {
    if (!this.location) return this.message;
    const { file, row, col } = this.location;
    const where = `${file}:${row}`;
    if (this.message.startsWith(where + ':')) return this.message;
    return `${where}${col !== undefined ? `:${col}` : ''}: ${this.message}`;
  }
}

export function isBuildError(e: unknown): e is BuildError {
  return e instanceof BuildError;
}
