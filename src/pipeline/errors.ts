// Errors raised by the pipeline area: stable string code, human message, optional location and cause.
export interface PipelineLocation {
  file: string;
  row: number;
  col: number;
}

export type PipelineErrorCode =
  | 'pipeline_parse_error' // YAML syntax
  | 'pipeline_invalid' // schema / graph errors in a Pipeline
  | 'pipeline_expression_error' // a ${{ }} expression that does not parse or evaluate
  | 'pipeline_param_error' // missing or unknown --param
  | 'pipeline_secret_missing' // a secretRef whose variable or file is absent
  | 'pipeline_step_failed' // a step failed (the run record holds the details)
  | 'pipeline_io_error'
  | 'promote_invalid' // bad promote arguments (image name, digest, key path)
  | 'promote_no_target' // no reference to the image found under the path
  | 'promote_git_error'
  | 'cr_not_found'
  | 'cr_state' // e.g. merging a closed change request
  | 'cr_merge_conflict'
  | 'github_api_error'
  | 'gitlab_api_error';

export class PipelineError extends Error {
  readonly code: PipelineErrorCode;
  readonly location: PipelineLocation | undefined;
  constructor(
    code: PipelineErrorCode,
    message: string,
    options: { location?: PipelineLocation; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PipelineError';
    this.code = code;
    this.location = options.location;
  }
}

/** `file:line:col: message` when the error has a location, else the message. */
export function describeError(e: unknown): string {
  if (e instanceof PipelineError && e.location)
    return `${e.location.file}:${e.location.row}:${e.location.col}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

/** Several errors found at once (validation collects them); the CLI prints each. */
export class PipelineErrors extends Error {
  readonly code = 'pipeline_invalid';
  constructor(readonly errors: PipelineError[]) {
    super(errors.map(describeError).join('\n'));
    this.name = 'PipelineErrors';
  }
}
