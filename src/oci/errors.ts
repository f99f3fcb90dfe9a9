// Errors of the OCI area. `code` is stable; for registry errors it is the distribution-spec error code
// (BLOB_UNKNOWN, DIGEST_INVALID, NAME_INVALID, ...), which the server also uses as the HTTP error body.
export interface OciErrorLocation {
  file?: string;
  row: number;
  col: number;
}

export type OciErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS'
  | 'RANGE_INVALID'
  | 'REFERENCE_INVALID'
  | 'TAG_INVALID'
  | 'LAYOUT_INVALID'
  | 'REGISTRY_ERROR'
  | 'PLATFORM_NOT_FOUND'
  | 'LAYER_INVALID'
  | 'LAYER_UNSAFE';

/** HTTP status the distribution spec gives each error code. */
export const httpStatusFor: Record<OciErrorCode, number> = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  RANGE_INVALID: 416,
  REFERENCE_INVALID: 400,
  TAG_INVALID: 400,
  LAYOUT_INVALID: 400,
  REGISTRY_ERROR: 500,
  PLATFORM_NOT_FOUND: 404,
  LAYER_INVALID: 400,
  LAYER_UNSAFE: 400,
};

export class OciError extends Error {
  readonly code: OciErrorCode;
  readonly location?: OciErrorLocation;
  readonly detail?: unknown;
  /** HTTP status when the error came from (or goes to) a registry. */
  readonly status?: number;

  constructor(
    code: OciErrorCode,
    message: string,
    opts: { location?: OciErrorLocation; cause?: unknown; detail?: unknown; status?: number } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'OciError';
    this.code = code;
    if (opts.location) this.location = opts.location;
    if (opts.detail !== undefined) this.detail = opts.detail;
    if (opts.status !== undefined) this.status = opts.status;
  }
}
