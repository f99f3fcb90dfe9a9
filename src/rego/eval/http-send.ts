// Fallback for http.send while no implementation is registered in builtins/http.ts: validates the request
// object exactly as OPA does (unknown and missing keys are type errors) and otherwise refuses, because the
// engine is synchronous and has no network access of its own.

import { BuiltinError, OperandError } from '../builtins/builtin.ts';
import { RObject, typeName, type Value } from '../value.ts';

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

export function httpSendFallback(args: Value[]): Value | undefined {
  const req = args[0];
  if (!(req instanceof RObject)) {
    throw new OperandError(1, `operand 1 must be object but got ${req === undefined ? 'undefined' : typeName(req)}`);
  }
  const invalid: string[] = [];
  for (const k of req.keys()) {
    if (typeof k !== 'string' || !ALLOWED.has(k)) invalid.push(JSON.stringify(typeof k === 'string' ? k : String(k)));
  }
  if (invalid.length > 0) throw new OperandError(1, `invalid request parameters(s): {${invalid.sort().join(', ')}}`);
  const missing = REQUIRED.filter((k) => req.getStr(k) === undefined).map((k) => JSON.stringify(k));
  if (missing.length > 0) throw new OperandError(1, `missing required request parameters(s): {${missing.join(', ')}}`);
  throw new BuiltinError('network access is not available to this evaluator');
}
