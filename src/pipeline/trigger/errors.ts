// Errors of the platform's pipeline triggers (push notifications, webhooks, the run queue): a stable
// string code, a human message, the HTTP status a webhook answer maps it to, and the cause.
export type TriggerErrorCode =
  | 'trigger_bad_request' // a webhook payload that is not JSON or lacks the push fields
  | 'trigger_unauthorized' // a webhook whose signature or token does not match
  | 'trigger_not_configured' // webhooks arrive but no secret is configured
  | 'trigger_unsupported' // an event or provider that is not a push
  | 'trigger_git_error' // fetching or checking out the pushed commit failed
  | 'trigger_closed'; // the runner is stopping

const STATUS: Record<TriggerErrorCode, number> = {
  trigger_bad_request: 400,
  trigger_unauthorized: 401,
  trigger_not_configured: 503,
  trigger_unsupported: 400,
  trigger_git_error: 502,
  trigger_closed: 503,
};

export interface TriggerLocation {
  file: string;
  row: number;
  col: number;
}

export class TriggerError extends Error {
  readonly code: TriggerErrorCode;
  readonly status: number;
  readonly location: TriggerLocation | undefined;
  constructor(code: TriggerErrorCode, message: string, o: { cause?: unknown; location?: TriggerLocation } = {}) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = 'TriggerError';
    this.code = code;
    this.status = STATUS[code];
    this.location = o.location;
  }
}
