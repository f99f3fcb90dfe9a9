// Rego builtins of the "providers-aws" category: providers.aws.sign_req, AWS Signature Version 4 over an
// http.send-style request object, as OPA computes it (its header set, canonical request and error texts).
import { createHash, createHmac } from 'node:crypto';
import { BigNum, RObject, toBigInt, toJS, type Value } from '../value.ts';
import { OperandError, type BuiltinGroup } from './builtin.ts';
import { validateRequest } from './http.ts';
import { num, obj } from './operands.ts';

const REQUIRED_CONFIG = ['aws_access_key', 'aws_region', 'aws_secret_access_key', 'aws_service'];
// Headers a proxy may change on the way, left out of the signature (as the AWS SDKs do).
const IGNORED_HEADERS = new Set(['authorization', 'user-agent', 'x-amzn-trace-id']);

const sha256hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, msg: string): Buffer => createHmac('sha256', key).update(msg).digest();
const quotedSet = (names: string[]): string => `{${names.map((n) => JSON.stringify(n)).join(', ')}}`;

/** JSON as Go's encoding/json writes it: no spaces, and <, >, & escaped. */
function goJSON(v: Value): string {
  return JSON.stringify(toJS(v))
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

// Characters Go leaves unescaped in a URL path.
const PATH_OK = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/;

/** The parts of a URL that SigV4 signs, as Go's net/url gives them (Host with port, escaped path, raw query). */
function urlParts(url: string): { host: string; path: string; query: string } {
  const noFrag = url.split('#')[0] as string;
  const qi = noFrag.indexOf('?');
  const beforeQuery = qi >= 0 ? noFrag.slice(0, qi) : noFrag;
  const query = qi >= 0 ? noFrag.slice(qi + 1) : '';
  let host = '';
  let path = beforeQuery;
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/.exec(beforeQuery);
  if (m) {
    const rest = m[2] as string;
    if (rest.startsWith('//')) {
      const slash = rest.indexOf('/', 2);
      const authority = slash >= 0 ? rest.slice(2, slash) : rest.slice(2);
      path = slash >= 0 ? rest.slice(slash) : '';
      const at = authority.lastIndexOf('@');
      host = at >= 0 ? authority.slice(at + 1) : authority;
    } else path = rest;
  }
  if (!PATH_OK.test(path)) {
    path = [...path]
      .map((ch) =>
        PATH_OK.test(ch) && ch !== '%'
          ? ch
          : [...Buffer.from(ch)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
      )
      .join('');
  }
  return { host, path, query };
}

/** Go's time formats 20060102 and 20060102T150405Z in UTC, from nanoseconds. */
function stamps(ns: bigint): { date: string; iso: string } {
  const ms = ns / 1_000_000n - (ns % 1_000_000n < 0n ? 1n : 0n);
  const d = new Date(Number(ms));
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const date = `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}`;
  return { date, iso: `${date}T${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z` };
}

export function signV4(
  headers: Map<string, string>,
  method: string,
  url: string,
  body: string,
  service: string,
  creds: { accessKey: string; secretKey: string; region: string; sessionToken: string },
  ns: bigint,
  disablePayloadSigning: boolean,
): { authorization: string; awsHeaders: Map<string, string> } {
  const { host, path, query } = urlParts(url);
  const contentSha = disablePayloadSigning ? 'UNSIGNED-PAYLOAD' : sha256hex(Buffer.from(body, 'utf8'));
  const { date, iso } = stamps(ns);
  const awsHeaders = new Map<string, string>([
    ['host', host],
    ['x-amz-date', iso],
  ]);
  if (service === 's3' || service === 'glacier') awsHeaders.set('x-amz-content-sha256', contentSha);
  if (creds.sessionToken !== '') awsHeaders.set('x-amz-security-token', creds.sessionToken);
  const toSign = new Map(awsHeaders);
  for (const [k, v] of headers) {
    const lk = k.toLowerCase();
    if (!IGNORED_HEADERS.has(lk)) toSign.set(lk, v);
  }
  const keys = [...toSign.keys()].sort();
  let canonical = `${method}\n${path}\n${query}\n`;
  for (const k of keys) canonical += `${k}:${toSign.get(k) as string}\n`;
  const signedHeaders = keys.join(';');
  canonical += `\n${signedHeaders}\n${contentSha}`;
  const scope = `${date}/${creds.region}/${service}/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${iso}\n${scope}\n${sha256hex(canonical)}`;
  let key = hmac(`AWS4${creds.secretKey}`, date);
  key = hmac(key, creds.region);
  key = hmac(key, service);
  key = hmac(key, 'aws4_request');
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  return {
    authorization: `AWS4-HMAC-SHA256 Credential=${creds.accessKey}/${scope},SignedHeaders=${signedHeaders},Signature=${signature}`,
    awsHeaders,
  };
}

const strOr = (v: Value | undefined): string => (typeof v === 'string' ? v : '');

export const builtins: BuiltinGroup = {
  'providers.aws.sign_req': (args) => {
    const req = obj(args, 0);
    // OPA reports a non-object config as operand 1.
    const cfg = args[1] instanceof RObject ? args[1] : obj([args[1] as Value], 0);
    const missing = REQUIRED_CONFIG.filter((k) => !cfg.has(k));
    if (missing.length) {
      throw new OperandError(2, `operand 2 missing required AWS config parameters(s): ${quotedSet(missing)}`);
    }
    const invalid = REQUIRED_CONFIG.filter((k) => typeof cfg.getStr(k) !== 'string');
    if (invalid.length) {
      throw new OperandError(
        2,
        `operand 2 invalid values for required AWS config parameters(s): ${quotedSet(invalid)}`,
      );
    }
    const ts = num(args, 2);
    const ns = toBigInt(ts);
    if (
      ns === undefined ||
      ns > 9223372036854775807n ||
      ns < -9223372036854775808n ||
      (ts instanceof BigNum && ts.int === undefined)
    ) {
      throw new OperandError(3, 'operand 3 could not convert time_ns value into a unix timestamp');
    }
    validateRequest(req, 1);
    let headers = new RObject();
    const h = req.getStr('headers');
    if (h !== undefined) {
      if (!(h instanceof RObject))
        throw new OperandError(0, `operand 0 must be object but got ${h === null ? 'null' : typeof h}`);
      headers = h;
    }
    const url = req.getStr('url');
    const method = req.getStr('method');
    const bad = [...(typeof url !== 'string' ? ['url'] : []), ...(typeof method !== 'string' ? ['method'] : [])].sort();
    if (bad.length)
      throw new OperandError(1, `operand 1 invalid values for required request parameters(s): ${quotedSet(bad)}`);
    const rawBody = req.getStr('raw_body');
    const bodyV = req.getStr('body');
    const body = rawBody !== undefined ? strOr(rawBody) : bodyV !== undefined ? goJSON(bodyV) : '';
    const headerMap = new Map<string, string>();
    for (const [k, v] of headers.entries()) headerMap.set(strOr(k), strOr(v));
    let disable = false;
    const d = cfg.getStr('disable_payload_signing');
    if (d !== undefined) {
      if (typeof d !== 'boolean')
        throw new OperandError(2, "operand 2 invalid value for 'disable_payload_signing' in AWS config");
      disable = d;
    }
    const { authorization, awsHeaders } = signV4(
      headerMap,
      method as string,
      url as string,
      body,
      strOr(cfg.getStr('aws_service')),
      {
        accessKey: strOr(cfg.getStr('aws_access_key')),
        secretKey: strOr(cfg.getStr('aws_secret_access_key')),
        region: strOr(cfg.getStr('aws_region')),
        sessionToken: strOr(cfg.getStr('aws_session_token')),
      },
      ns,
      disable,
    );
    const signed = new RObject();
    for (const [k, v] of headerMap) signed.set(k, v);
    signed.set('Authorization', authorization);
    for (const [k, v] of awsHeaders) signed.set(k, v);
    const out = new RObject();
    for (const [k, v] of req.entries()) out.set(k, v);
    out.set('headers', signed);
    return out;
  },
};
