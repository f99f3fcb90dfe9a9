// Errors of the admission area. `code` is stable; `location` names the file (and line/column where known).

export interface AdmissionErrorLocation {
  file: string;
  row: number;
  col: number;
}

export type AdmissionErrorCode =
  | 'admission_template_error' // a ConstraintTemplate is malformed or its code does not compile
  | 'admission_constraint_error' // a constraint is malformed or names an unknown template kind
  | 'admission_eval_error' // evaluating a template's code failed (or timed out)
  | 'admission_suite_error' // a gator Suite file is malformed or names a missing file
  | 'admission_load_error' // reading or parsing a YAML/JSON file failed
  | 'admission_request_error' // an AdmissionReview request is malformed
  | 'admission_usage_error'; // bad flags

export class AdmissionError extends Error {
  readonly code: AdmissionErrorCode;
  readonly location: AdmissionErrorLocation | undefined;

  constructor(
    code: AdmissionErrorCode,
    message: string,
    location?: AdmissionErrorLocation,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'AdmissionError';
    this.code = code;
    this.location = location;
  }

  override toString(): string {
    const l = this.location;
    const where = l ? `${l.file}${l.row > 0 ? `:${l.row}:${l.col}` : ''}: ` : '';
    return `${where}${this.message}`;
  }
}
