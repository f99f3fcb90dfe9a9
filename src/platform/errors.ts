// Errors of the platform composition (`sekisho up`): which service failed to start, and why.
export type PlatformErrorCode = 'platform_start_failed' | 'platform_bad_option' | 'platform_bad_state';

export class PlatformError extends Error {
  readonly code: PlatformErrorCode;
  readonly service?: string;
  readonly location?: { file: string; row: number; col: number };

  constructor(
    code: PlatformErrorCode,
    message: string,
    opts: { cause?: unknown; service?: string; location?: { file: string; row: number; col: number } } = {},
  ) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'PlatformError';
    this.code = code;
    if (opts.service) this.service = opts.service;
    if (opts.location) this.location = opts.location;
  }
}
