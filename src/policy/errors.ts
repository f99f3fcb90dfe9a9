// Errors of the policy (config check) area. `code` is stable; `location` names the input file and,
// where the parser knows it, the line and column of the problem.

export interface PolicyErrorLocation {
  file: string;
  row: number;
  col: number;
}

export type PolicyErrorCode =
  | 'policy_parse_error' // an input file could not be parsed
  | 'policy_parser_unknown' // no parser for the file's extension / the --parser value
  | 'policy_parser_unavailable' // a Conftest parser we do not implement
  | 'policy_input_too_large' // an input over the size limit
  | 'policy_no_policies' // no .rego files under the -p paths
  | 'policy_load_error' // a policy or data file could not be read/compiled
  | 'policy_result_error' // a rule produced a result Conftest would reject
  | 'policy_usage_error' // bad flags or config file
  | 'policy_io_error'; // reading an input failed

export class PolicyError extends Error {
  readonly code: PolicyErrorCode;
  readonly location: PolicyErrorLocation | undefined;

  constructor(code: PolicyErrorCode, message: string, location?: PolicyErrorLocation, options?: { cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'PolicyError';
    this.code = code;
    this.location = location;
  }

  override toString(): string {
    const l = this.location;
    const where = l ? `${l.file}${l.row > 0 ? `:${l.row}:${l.col}` : ''}: ` : '';
    return `${where}${this.message}`;
  }
}

/** Several errors reported together (e.g. every builtin a --capabilities file leaves out). */
export class PolicyErrors extends Error {
  readonly errors: PolicyError[];
  constructor(errors: PolicyError[]) {
    super(errors.map((e) => e.toString()).join('\n'));
    this.name = 'PolicyErrors';
    this.errors = errors;
  }
}
