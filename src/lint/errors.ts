// Errors raised by the lint area: stable string code, human message, optional location and cause.
export interface LintLocation {
  file: string;
  row: number;
  col: number;
}

export type LintErrorCode = 'lint_parse_error' | 'lint_config_error' | 'lint_io_error' | 'lint_image_error';

export class LintError extends Error {
  readonly code: LintErrorCode;
  readonly location: LintLocation | undefined;
  constructor(code: LintErrorCode, message: string, options: { location?: LintLocation; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LintError';
    this.code = code;
    this.location = options.location;
  }
}
