// Errors of the Kubernetes layer: a stable string `code`, a human message, an optional location and the
// HTTP status a Kubernetes API server would answer with (404 NotFound, 409 Conflict, 410 Gone...).
export interface KubeErrorLocation {
  file?: string;
  row: number;
  col: number;
}

/** Kubernetes `Status.reason` values we produce; the code is the same string in kebab-less form. */
export type KubeReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'Gone'
  | 'Expired'
  | 'Forbidden'
  | 'Unauthorized'
  | 'MethodNotAllowed'
  | 'UnsupportedMediaType'
  | 'NotAcceptable'
  | 'InternalError'
  | 'Timeout'
  | 'ServiceUnavailable';

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

export class KubeError extends Error {
  readonly code: string;
  readonly status: number;
  readonly reason: KubeReason;
  readonly location?: KubeErrorLocation;
  readonly causes?: StatusCause[];
  readonly details?: { name?: string; group?: string; kind?: string };
  constructor(
    reason: KubeReason,
    status: number,
    message: string,
    opts: {
      location?: KubeErrorLocation;
      cause?: unknown;
      causes?: StatusCause[];
      details?: { name?: string; group?: string; kind?: string };
    } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'KubeError';
    this.code = 'kube_' + reason.replace(/[A-Z]/g, (c, i: number) => (i ? '_' : '') + c.toLowerCase());
    this.status = status;
    this.reason = reason;
    if (opts.location) this.location = opts.location;
    if (opts.causes) this.causes = opts.causes;
    if (opts.details) this.details = opts.details;
  }

  /** The `Status` object an API server sends for this error. */
  toStatus(): Record<string, unknown> {
    const details: Record<string, unknown> = { ...(this.details ?? {}) };
    if (this.causes) details.causes = this.causes;
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(Object.keys(details).length ? { details } : {}),
      code: this.status,
    };
  }

  /** Rebuilds an error from a `Status` body sent by an API server. */
  static fromStatus(status: number, body: unknown): KubeError {
    const s = (body && typeof body === 'object' ? body : {}) as {
      message?: string;
      reason?: string;
      details?: { causes?: StatusCause[]; name?: string; kind?: string; group?: string };
    };
    const reason = (s.reason as KubeReason | undefined) ?? reasonForStatus(status);
    const opts: ConstructorParameters<typeof KubeError>[3] = {};
    if (s.details?.causes) opts.causes = s.details.causes;
    return new KubeError(reason, status, s.message ?? `HTTP ${status}`, opts);
  }
}

export function reasonForStatus(status: number): KubeReason {
  switch (status) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 405:
      return 'MethodNotAllowed';
    case 406:
      return 'NotAcceptable';
    case 409:
      return 'Conflict';
    case 410:
      return 'Gone';
    case 415:
      return 'UnsupportedMediaType';
    case 422:
      return 'Invalid';
    case 503:
      return 'ServiceUnavailable';
    case 504:
      return 'Timeout';
    default:
      return 'InternalError';
  }
}

export const notFound = (resource: string, name: string, group = ''): KubeError =>
  new KubeError('NotFound', 404, `${resource}${group ? '.' + group : ''} "${name}" not found`, {
    details: { name, group, kind: resource },
  });
export const badRequest = (message: string): KubeError => new KubeError('BadRequest', 400, message);
export const invalid = (kind: string, name: string, causes: StatusCause[], group = ''): KubeError =>
  new KubeError(
    'Invalid',
    422,
    `${kind}${group ? '.' + group : ''} "${name}" is invalid: ${causes.map((c) => (c.field ? c.field + ': ' : '') + c.message).join(', ')}`,
    { causes, details: { name, group, kind } },
  );
