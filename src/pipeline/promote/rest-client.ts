// The JSON-over-HTTPS calls the hosted git services' clients (GitHub, GitLab) share: one request with the
// service's headers, the body as JSON, and on failure an error that carries the service's own message —
// with the token redacted, so it can never reach a log through an error.
import { PipelineError, type PipelineErrorCode } from '../errors.ts';

export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<{
  status: number;
  text(): Promise<string>;
}>;

export interface RestOptions {
  /** base URL, no trailing slash */
  api: string;
  token: string;
  /** the service's headers, authentication included */
  headers: Record<string, string>;
  fetch?: FetchLike;
  code: PipelineErrorCode;
  /** the service's message in an error body (JSON already parsed) */
  errorMessage(body: Record<string, unknown>): string | undefined;
}

export class RestClient {
  private readonly fetch: FetchLike;
  constructor(private readonly o: RestOptions) {
    this.fetch = o.fetch ?? (globalThis.fetch as unknown as FetchLike);
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const redact = (s: string) => s.split(this.o.token).join('***');
    const res = await this.fetch(this.o.api + path, {
      method,
      headers: { ...this.o.headers, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    }).catch((e: unknown) => {
      throw new PipelineError(this.o.code, `${method} ${path}: ${redact((e as Error).message)}`, { cause: e });
    });
    const text = await res.text();
    if (res.status < 200 || res.status >= 300) {
      let msg = text.slice(0, 300);
      try {
        msg = this.o.errorMessage(JSON.parse(text) as Record<string, unknown>) || msg;
      } catch {
        // not JSON: the start of the body
      }
      throw new PipelineError(this.o.code, `${method} ${path}: HTTP ${res.status}: ${redact(msg)}`);
    }
    return (text ? JSON.parse(text) : {}) as T;
  }
}
