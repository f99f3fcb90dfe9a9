// The validating webhook: HTTPS, AdmissionReview v1 in and out, as Gatekeeper answers it —
// deny-mode violations refuse the request with `[constraint] msg` lines (403), warn-mode violations become
// warnings, dryrun ones only count; exempt namespaces are allowed untouched; evaluation errors and
// evaluations over the deadline deny (fail closed) unless configured to fail open.

import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdmissionEngine } from './engine.ts';
import { Metrics } from './metrics.ts';
import { wildcardMatch } from './match.ts';
import type { AdmissionRequest } from './review.ts';
import { isObj, str } from './yaml-load.ts';

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  [k: string]: unknown;
}

export interface WebhookOptions {
  engine: AdmissionEngine;
  host: string;
  port: number;
  tls: { cert: string; key: string };
  /** Namespaces (with Gatekeeper's wildcards) never reviewed. */
  exemptNamespaces?: string[];
  /** Evaluation budget per request; over it the request is denied (or allowed when failOpen). */
  timeoutMs?: number;
  /** Allow on evaluation errors and timeouts (default false: fail closed). */
  failOpen?: boolean;
  log?: (e: LogEntry) => void;
  /** For tests: evaluate through this instead of the engine (e.g. to inject a failure). */
  evaluate?: (req: AdmissionRequest) => ReturnType<AdmissionEngine['review']>;
  /** The mutating endpoint's handler (POST /v1/mutate), if mutation is enabled. */
  mutate?: (req: AdmissionRequest) => { patch: unknown[] } | Promise<{ patch: unknown[] }>;
  /** Asynchronous checks run before the constraints (image signatures); merged into the decision. */
  extraValidation?: (req: AdmissionRequest) => Promise<ExtraReview>;
}

/** Denials, warnings and evaluation errors from checks outside the constraint engine. */
export interface ExtraReview {
  deny: string[];
  warnings: string[];
  errors: string[];
}

export interface WebhookServer {
  url: string;
  metrics: Metrics;
  close(): Promise<void>;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; message: string; reason?: string };
  warnings?: string[];
  patch?: string;
  patchType?: 'JSONPatch';
}

/** Decides one AdmissionRequest (the HTTP layer aside): exported for tests and benchmarks. */
/** Whether the request's namespace (or the Namespace itself) is exempt from review. */
export function isExempt(opts: WebhookOptions, request: AdmissionRequest): boolean {
  const kindObj = isObj(request.kind) ? request.kind : {};
  const isNamespace = kindObj.kind === 'Namespace' && (kindObj.group ?? '') === '';
  const nsName = isNamespace ? (str(request.name) ?? '') : (str(request.namespace) ?? '');
  return !!nsName && (opts.exemptNamespaces ?? []).some((p) => wildcardMatch(p, nsName));
}

export function decide(
  opts: WebhookOptions,
  metrics: Metrics,
  request: AdmissionRequest,
  extra?: ExtraReview,
): AdmissionResponse {
  const uid = str(request.uid) ?? '';
  const started = performance.now();
  const ns = str(request.namespace) ?? '';
  const kindObj = isObj(request.kind) ? request.kind : {};
  if (isExempt(opts, request)) {
    metrics.observeRequest('allow', (performance.now() - started) / 1000);
    return { uid, allowed: true };
  }
  // Gatekeeper reviews the object being deleted as `object` on DELETE.
  const req: AdmissionRequest = { ...request };
  if (req.operation === 'DELETE' && (req.object === null || req.object === undefined) && isObj(req.oldObject))
    req.object = req.oldObject;
  let result;
  try {
    result = (opts.evaluate ?? ((r) => opts.engine.review(r)))(req);
  } catch (e) {
    result = {
      violations: [],
      errors: [{ constraint: undefined, message: e instanceof Error ? e.message : String(e) }],
    };
  }
  const elapsed = performance.now() - started;
  const deadline = opts.timeoutMs ?? 3000;
  const errors = result.errors.map((e) => (e.constraint ? `[${e.constraint.name}] ${e.message}` : e.message));
  if (extra) errors.push(...extra.errors);
  if (elapsed > deadline)
    errors.push(`policy evaluation exceeded the ${deadline} ms deadline (took ${Math.round(elapsed)} ms)`);
  const deny: string[] = [...(extra?.deny ?? [])];
  const warnings: string[] = [...(extra?.warnings ?? [])];
  for (const v of result.violations) {
    for (const a of v.actions) metrics.countViolation(v.constraint.kind, v.constraint.name, a);
    const line = `[${v.constraint.name}] ${v.msg}`;
    if (v.actions.includes('deny')) deny.push(line);
    if (v.actions.includes('warn')) warnings.push(line);
  }
  const log = opts.log;
  if (errors.length > 0 && !opts.failOpen) {
    metrics.observeRequest('error', elapsed / 1000);
    log?.({ level: 'error', msg: 'admission evaluation failed; denying (fail closed)', uid, errors });
    return {
      uid,
      allowed: false,
      status: { code: 500, reason: 'InternalError', message: errors.join('\n') },
      ...(warnings.length ? { warnings } : {}),
    };
  }
  if (errors.length > 0)
    log?.({ level: 'warn', msg: 'admission evaluation failed; allowing (fail open)', uid, errors });
  if (deny.length > 0) {
    metrics.observeRequest('deny', elapsed / 1000);
    log?.({
      level: 'info',
      msg: 'denied',
      uid,
      kind: kindObj.kind,
      namespace: ns,
      name: request.name,
      violations: deny.length,
    });
    return {
      uid,
      allowed: false,
      status: { code: 403, reason: 'Forbidden', message: deny.join('\n') },
      ...(warnings.length ? { warnings } : {}),
    };
  }
  metrics.observeRequest('allow', elapsed / 1000);
  return { uid, allowed: true, ...(warnings.length ? { warnings } : {}) };
}

const MAX_BODY = 8 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, code: number, body: unknown, type = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startWebhook(opts: WebhookOptions): Promise<WebhookServer> {
  const metrics = new Metrics();
  const server = https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, (req, res) => {
    void handle(req, res);
  });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://x');
    if (req.method === 'GET' && url.pathname === '/metrics')
      return send(res, 200, metrics.render(), 'text/plain; version=0.0.4');
    if (req.method === 'GET' && (url.pathname === '/healthz' || url.pathname === '/readyz'))
      return send(res, 200, 'ok', 'text/plain');
    const validate = url.pathname === '/v1/admit' || url.pathname === '/v1/admitlabel' || url.pathname === '/validate';
    const mutate = url.pathname === '/v1/mutate' || url.pathname === '/mutate';
    if (req.method !== 'POST' || (!validate && !mutate)) return send(res, 404, { error: 'not found' });
    let review: unknown;
    try {
      review = JSON.parse(await readBody(req));
    } catch (e) {
      return send(res, 400, { error: `invalid AdmissionReview: ${(e as Error).message}` });
    }
    if (!isObj(review) || !isObj(review.request))
      return send(res, 400, { error: 'invalid AdmissionReview: no request' });
    const apiVersion = str(review.apiVersion) ?? 'admission.k8s.io/v1';
    const request = review.request as AdmissionRequest;
    let response: AdmissionResponse;
    if (mutate) {
      const uid = str(request.uid) ?? '';
      try {
        const patch = opts.mutate ? (await opts.mutate(request)).patch : [];
        response =
          patch.length > 0
            ? {
                uid,
                allowed: true,
                patchType: 'JSONPatch',
                patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
              }
            : { uid, allowed: true };
      } catch (e) {
        response = { uid, allowed: false, status: { code: 500, message: `mutation failed: ${(e as Error).message}` } };
      }
    } else {
      let extra: ExtraReview | undefined;
      if (opts.extraValidation && !isExempt(opts, request)) {
        try {
          extra = await opts.extraValidation(request);
        } catch (e) {
          extra = { deny: [], warnings: [], errors: [e instanceof Error ? e.message : String(e)] };
        }
      }
      response = decide(opts, metrics, request, extra);
    }
    send(res, 200, { apiVersion, kind: 'AdmissionReview', response });
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `https://${host}:${addr.port}`,
    metrics,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
