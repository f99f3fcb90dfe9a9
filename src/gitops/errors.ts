// Errors of the GitOps area: a stable string `code`, a human message, an optional location in a
// rendered manifest or a spec, and the underlying `cause`.
export interface GitOpsErrorLocation {
  file?: string;
  row: number;
  col: number;
}

export type GitOpsErrorCode =
  | 'gitops_git_error'
  | 'gitops_revision_not_found'
  | 'gitops_render_error'
  | 'gitops_manifest_invalid'
  | 'gitops_helm_not_installed'
  | 'gitops_invalid_spec'
  | 'gitops_project_denied'
  | 'gitops_sync_failed'
  | 'gitops_gate_denied'
  | 'gitops_not_found'
  | 'gitops_timeout'
  | 'gitops_import_error'
  | 'gitops_custom_health_invalid'
  | 'gitops_signature_invalid';

export class GitOpsError extends Error {
  readonly code: GitOpsErrorCode;
  readonly location?: GitOpsErrorLocation;
  constructor(code: GitOpsErrorCode, message: string, opts: { location?: GitOpsErrorLocation; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'GitOpsError';
    this.code = code;
    if (opts.location) this.location = opts.location;
  }
}

/** Removes credentials from URLs in a message (https://user:token@host → https://***@host). */
export function redact(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@');
}
