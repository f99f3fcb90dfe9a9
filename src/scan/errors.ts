// Errors of the scan area. `code` is stable; the CLI maps codes to exit statuses.
export interface ScanErrorLocation {
  file?: string;
  row: number;
  col: number;
}

export type ScanErrorCode =
  | 'VERSION_INVALID' // a version string the ecosystem's ordering cannot read
  | 'PARSE_ERROR' // a package database, lockfile or metadata file we cannot read
  | 'TAR_UNSAFE' // a layer entry whose path escapes the root, or a hostile archive
  | 'TARGET_NOT_FOUND' // the scan target does not exist or is not of the expected kind
  | 'DB_INVALID' // an advisory file or database we cannot read
  | 'DB_MISSING' // no advisory database at the given path
  | 'FORMAT_UNKNOWN'; // an output format we do not write

export class ScanError extends Error {
  readonly code: ScanErrorCode;
  readonly location?: ScanErrorLocation;

  constructor(code: ScanErrorCode, message: string, opts: { location?: ScanErrorLocation; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ScanError';
    this.code = code;
    if (opts.location) this.location = opts.location;
  }
}
