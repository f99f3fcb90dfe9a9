// Errors of `sekisho demo`: a checkpoint that could not run (as opposed to one that ran and gave the
// wrong answer, which is a checkpoint result), a missing tool, bad options, a bad example file.
export type DemoErrorCode =
  'demo_step_failed' | 'demo_tool_missing' | 'demo_bad_option' | 'demo_bad_example' | 'demo_timeout';

export interface DemoErrorLocation {
  file: string;
  row: number;
  col: number;
}

export class DemoError extends Error {
  readonly code: DemoErrorCode;
  readonly location?: DemoErrorLocation;

  constructor(code: DemoErrorCode, message: string, opts: { cause?: unknown; location?: DemoErrorLocation } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'DemoError';
    this.code = code;
    if (opts.location) this.location = opts.location;
  }
}
