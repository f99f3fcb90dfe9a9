// Errors of the HTTP API: a stable code, an HTTP status, a human message and the underlying cause.

export type ServerErrorCode =
  | 'server_bad_request'
  | 'server_unauthenticated'
  | 'server_forbidden'
  | 'server_not_found'
  | 'server_method_not_allowed'
  | 'server_conflict'
  | 'server_rate_limited'
  | 'server_upstream_error'
  | 'server_config_error';

const STATUS: Record<ServerErrorCode, number> = {
  server_bad_request: 400,
  server_unauthenticated: 401,
  server_forbidden: 403,
  server_not_found: 404,
  server_method_not_allowed: 405,
  server_conflict: 409,
  server_rate_limited: 429,
  server_upstream_error: 502,
  server_config_error: 500,
};

export class ServerError extends Error {
  readonly code: ServerErrorCode;
  readonly status: number;
  readonly location?: { file: string; row: number; col: number };
  /** seconds, for 429 */
  readonly retryAfter?: number;

  constructor(
    code: ServerErrorCode,
    message: string,
    opts: { cause?: unknown; location?: { file: string; row: number; col: number }; retryAfter?: number } = {},
  ) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'ServerError';
    this.code = code;
    this.status = STATUS[code];
    if (opts.location) this.location = opts.location;
    if (opts.retryAfter !== undefined) this.retryAfter = opts.retryAfter;
  }
}
