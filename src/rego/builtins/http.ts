// Rego builtins of the "http" category: http.send.
//
// Evaluation is synchronous, so the request runs on a helper worker thread (node:http/https) while the
// evaluating thread waits on a shared flag (Atomics.wait) and then reads the answer from a message port
// synchronously. The builtin is refused unless the caller allowed network access for the evaluation
// (EvalOptions.allowNet); requests have a timeout (the `timeout` parameter, 5 s by default, at most 60 s) and
// the response body a size limit (8 MiB). Identical requests within one query are answered once (OPA's
// per-query cache).
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { isNumber, keyOf, RObject, toDouble, toJS, typeName, type Value, fromJS } from '../value.ts';
import { BuiltinError, OperandError, type BuiltinContext, type BuiltinGroup } from './builtin.ts';
import { builtins as encoding } from './encoding.ts';

const ALLOWED = new Set([
  'method',
  'url',
  'body',
  'enable_redirect',
  'force_json_decode',
  'force_yaml_decode',
  'headers',
  'raw_body',
  'tls_use_system_certs',
  'tls_ca_cert',
  'tls_ca_cert_file',
  'tls_ca_cert_env_variable',
  'tls_client_cert',
  'tls_client_cert_file',
  'tls_client_cert_env_variable',
  'tls_client_key',
  'tls_client_key_file',
  'tls_client_key_env_variable',
  'tls_insecure_skip_verify',
  'tls_server_name',
  'timeout',
  'cache',
  'force_cache',
  'force_cache_duration_seconds',
  'raise_error',
  'caching_mode',
  'max_retry_attempts',
  'cache_ignored_headers',
]);
const REQUIRED = ['method', 'url'];

export const DEFAULT_TIMEOUT_MS = 5_000;
export const MAX_TIMEOUT_MS = 60_000;
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
export const MAX_RETRIES = 5;

/** Checks an http.send-style request object as OPA does: unknown keys and missing method/url are type errors. */
export function validateRequest(req: Value | undefined, pos: number): RObject {
  if (!(req instanceof RObject)) {
    throw new OperandError(
      pos,
      `operand ${pos} must be object but got ${req === undefined ? 'undefined' : typeName(req)}`,
    );
  }
  const invalid: string[] = [];
  for (const k of req.keys()) {
    if (typeof k !== 'string' || !ALLOWED.has(k)) invalid.push(JSON.stringify(typeof k === 'string' ? k : String(k)));
  }
  if (invalid.length > 0) {
    throw new OperandError(pos, `operand ${pos} invalid request parameters(s): {${invalid.sort().join(', ')}}`);
  }
  const missing = REQUIRED.filter((k) => req.getStr(k) === undefined).map((k) => JSON.stringify(k));
  if (missing.length > 0) {
    throw new OperandError(pos, `operand ${pos} missing required request parameters(s): {${missing.join(', ')}}`);
  }
  return req;
}

/** A Go duration ("1.5s", "300ms", "1m") or a number of nanoseconds, in milliseconds. */
export function parseTimeout(v: Value | undefined): number {
  if (v === undefined) return DEFAULT_TIMEOUT_MS;
  if (isNumber(v)) return toDouble(v) / 1e6;
  if (typeof v === 'string') {
    const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
    const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
    let total = 0;
    let m: RegExpExecArray | null;
    let consumed = 0;
    while ((m = re.exec(v)) !== null) {
      total += Number(m[1]) * (units[m[2] as string] as number);
      consumed = re.lastIndex;
    }
    if (consumed === v.length && v.length > 0) return total;
    if (/^\d+$/.test(v)) return Number(v) / 1e6;
  }
  throw new BuiltinError(`invalid timeout value ${JSON.stringify(toJS(v))}`);
}

// ---- the worker ------------------------------------------------------------------------------------------

// Plain JavaScript run with `eval: true`, so that it needs no TypeScript loader.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const http = require('node:http');
const https = require('node:https');
parentPort.on('message', ({ req, port, flag }) => {
  const flags = new Int32Array(flag);
  let done = false;
  const finish = (msg) => {
    if (done) return;
    done = true;
    port.postMessage(msg);
    port.close();
    Atomics.store(flags, 0, 1);
    Atomics.notify(flags, 0);
  };
  let redirects = 0;
  const go = (url, method, body) => {
    let u;
    try { u = new URL(url); } catch (e) { return finish({ error: 'invalid url ' + JSON.stringify(url) }); }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return finish({ error: 'unsupported protocol scheme ' + JSON.stringify(u.protocol.replace(/:$/, '')) });
    const mod = u.protocol === 'https:' ? https : http;
    const opts = { method, headers: req.headers, timeout: req.timeoutMs };
    if (u.protocol === 'https:') {
      if (req.ca) opts.ca = req.ca;
      if (req.cert) opts.cert = req.cert;
      if (req.key) opts.key = req.key;
      if (req.insecure) opts.rejectUnauthorized = false;
      if (req.serverName) opts.servername = req.serverName;
    }
    let r;
    try { r = mod.request(u, opts); } catch (e) { return finish({ error: String(e && e.message || e) }); }
    const timer = setTimeout(() => { r.destroy(new Error('request timed out after ' + req.timeoutMs + 'ms')); }, req.timeoutMs);
    r.on('timeout', () => r.destroy(new Error('request timed out after ' + req.timeoutMs + 'ms')));
    r.on('error', (e) => { clearTimeout(timer); finish({ error: String(e && e.message || e) }); });
    r.on('response', (res) => {
      const loc = res.headers.location;
      if (req.redirect && loc && [301, 302, 303, 307, 308].includes(res.statusCode)) {
        res.resume();
        clearTimeout(timer);
        if (++redirects > 10) return finish({ error: 'stopped after 10 redirects' });
        const keep = res.statusCode === 307 || res.statusCode === 308;
        return go(new URL(loc, u).toString(), keep ? method : (method === 'HEAD' ? 'HEAD' : 'GET'), keep ? body : undefined);
      }
      const chunks = [];
      let size = 0;
      res.on('data', (c) => {
        size += c.length;
        if (size > req.maxBytes) { clearTimeout(timer); r.destroy(); finish({ error: 'response body exceeds ' + req.maxBytes + ' bytes' }); return; }
        chunks.push(c);
      });
      res.on('end', () => {
        clearTimeout(timer);
        const headers = {};
        const raw = res.rawHeaders;
        for (let i = 0; i + 1 < raw.length; i += 2) {
          const k = raw[i].toLowerCase();
          (headers[k] ??= []).push(raw[i + 1]);
        }
        finish({ status: res.statusCode, statusText: res.statusMessage || '', headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (e) => { clearTimeout(timer); finish({ error: String(e && e.message || e) }); });
    });
    if (body !== undefined) r.write(body);
    r.end();
  };
  go(req.url, req.method, req.body);
});
`;

let worker: Worker | undefined;
function getWorker(): Worker {
  if (!worker) {
    worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('error', () => {
      worker = undefined;
    });
    worker.on('exit', () => {
      worker = undefined;
    });
  }
  return worker;
}

interface WireRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  timeoutMs: number;
  maxBytes: number;
  redirect: boolean;
  ca?: string;
  cert?: string;
  key?: string;
  insecure: boolean;
  serverName?: string;
}

type WireResponse =
  { error: string } | { status: number; statusText: string; headers: Record<string, string[]>; body: string };

/** Performs one request synchronously. Exported for tests. */
export function sendSync(req: WireRequest): WireResponse {
  const { port1, port2 } = new MessageChannel();
  const flag = new SharedArrayBuffer(4);
  const flags = new Int32Array(flag);
  getWorker().postMessage({ req, port: port2, flag }, [port2]);
  // The worker has its own timer; the margin covers its start-up.
  const waited = Atomics.wait(flags, 0, 0, req.timeoutMs + 5_000);
  const msg = receiveMessageOnPort(port1);
  port1.close();
  if (waited === 'timed-out' && !msg) return { error: `request timed out after ${req.timeoutMs}ms` };
  return (msg?.message as WireResponse | undefined) ?? { error: 'no response from the http worker' };
}

const strParam = (req: RObject, k: string): string | undefined => {
  const v = req.getStr(k);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new BuiltinError(`invalid value for ${JSON.stringify(k)}: must be a string`);
  return v;
};
const boolParam = (req: RObject, k: string, dflt: boolean): boolean => {
  const v = req.getStr(k);
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new BuiltinError(`invalid value for ${JSON.stringify(k)}: must be a boolean`);
  return v;
};

function toWire(req: RObject): WireRequest {
  for (const k of [
    'tls_ca_cert_file',
    'tls_ca_cert_env_variable',
    'tls_client_cert_file',
    'tls_client_cert_env_variable',
    'tls_client_key_file',
    'tls_client_key_env_variable',
  ]) {
    // The engine reads no files or environment; the embedding application passes PEM text instead.
    if (req.getStr(k) !== undefined)
      throw new BuiltinError(`${JSON.stringify(k)} is not supported by this engine; pass the PEM text instead`);
  }
  const headers: Record<string, string> = {};
  const h = req.getStr('headers');
  if (h !== undefined) {
    if (!(h instanceof RObject)) throw new BuiltinError('invalid value for "headers": must be an object');
    for (const [k, v] of h.entries()) {
      if (typeof k !== 'string' || typeof v !== 'string')
        throw new BuiltinError('invalid value for "headers": keys and values must be strings');
      headers[k] = v;
    }
  }
  const raw = strParam(req, 'raw_body');
  const bodyV = req.getStr('body');
  const body = raw ?? (bodyV !== undefined && bodyV !== null ? JSON.stringify(toJS(bodyV)) : undefined);
  const timeoutMs = Math.min(Math.max(parseTimeout(req.getStr('timeout')), 1), MAX_TIMEOUT_MS);
  const w: WireRequest = {
    url: strParam(req, 'url') as string,
    method: (strParam(req, 'method') as string).toUpperCase(),
    headers,
    body,
    timeoutMs,
    maxBytes: MAX_RESPONSE_BYTES,
    redirect: boolParam(req, 'enable_redirect', false),
    insecure: boolParam(req, 'tls_insecure_skip_verify', false),
  };
  const ca = strParam(req, 'tls_ca_cert');
  const cert = strParam(req, 'tls_client_cert');
  const key = strParam(req, 'tls_client_key');
  const sn = strParam(req, 'tls_server_name');
  if (ca !== undefined) w.ca = ca;
  if (cert !== undefined) w.cert = cert;
  if (key !== undefined) w.key = key;
  if (sn !== undefined) w.serverName = sn;
  return w;
}

function decodeBody(text: string, req: RObject, headers: Record<string, string[]>, ctx: BuiltinContext): Value {
  const ct = (headers['content-type']?.[0] ?? '').toLowerCase();
  try {
    if (boolParam(req, 'force_json_decode', false) || /^application\/(.+\+)?json\b/.test(ct))
      return fromJS(JSON.parse(text));
    if (boolParam(req, 'force_yaml_decode', false) || /^(application|text)\/(x-)?yaml\b/.test(ct)) {
      const yaml = encoding['yaml.unmarshal'];
      return yaml ? (yaml([text], ctx) ?? null) : null;
    }
  } catch (e) {
    if (e instanceof BuiltinError && e.message.startsWith('invalid value')) throw e;
    return null;
  }
  return null;
}

function hostOf(url: Value | undefined): string | undefined {
  if (typeof url !== 'string') return undefined;
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

function httpSend(args: Value[], ctx: BuiltinContext): Value {
  const req = validateRequest(args[0], 1);
  if (!ctx.allowNet) {
    throw new BuiltinError('network access is not allowed for this evaluation (enable it to use http.send)');
  }
  const host = hostOf(req.getStr('url'));
  if (ctx.netHosts && (host === undefined || !ctx.netHosts.has(host))) {
    throw new BuiltinError(`unallowed host: ${host ?? '(none)'}`);
  }
  const cacheKey = `http.send:${keyOf(req)}`;
  const cached = ctx.cache.get(cacheKey) as Value | undefined;
  if (cached !== undefined) return cached;
  const raiseError = boolParam(req, 'raise_error', true);
  const wire = toWire(req);
  // max_retry_attempts: network failures (not HTTP error statuses) are retried, at most MAX_RETRIES times.
  const retriesV = req.getStr('max_retry_attempts');
  const retries =
    retriesV !== undefined && isNumber(retriesV)
      ? Math.min(Math.max(Math.trunc(toDouble(retriesV)), 0), MAX_RETRIES)
      : 0;
  let res = sendSync(wire);
  for (let i = 0; i < retries && 'error' in res; i++) res = sendSync(wire);
  let out: Value;
  if ('error' in res) {
    const message = `${wire.method.charAt(0)}${wire.method.slice(1).toLowerCase()} ${JSON.stringify(wire.url)}: ${res.error}`;
    if (raiseError) throw new BuiltinError(message);
    out = RObject.from([
      ['status_code', 0],
      [
        'error',
        RObject.from([
          ['code', 'eval_http_send_network_error'],
          ['message', message],
        ]),
      ],
    ]);
  } else {
    const headers = new RObject();
    for (const [k, vs] of Object.entries(res.headers)) headers.set(k, vs);
    out = RObject.from([
      ['status', `${res.status} ${res.statusText}`.trim()],
      ['status_code', res.status],
      ['headers', headers],
      ['raw_body', res.body],
      ['body', decodeBody(res.body, req, res.headers, ctx)],
    ]);
  }
  ctx.cache.set(cacheKey, out);
  return out;
}

export const builtins: BuiltinGroup = {
  'http.send': httpSend,
};
