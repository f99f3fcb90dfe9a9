import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromJS, toJS, type Value } from '../value.ts';
import { OperandError, type BuiltinContext } from './builtin.ts';
import { builtins } from './providers-aws.ts';

const ctx: BuiltinContext = {
  location: undefined,
  cache: new Map(),
  nowNs: 0n,
  allowNet: false,
  print: () => {},
  random: () => 0,
};
const sign = (req: unknown, cfg: unknown, ns: Value): Record<string, unknown> =>
  toJS(builtins['providers.aws.sign_req']!([fromJS(req), fromJS(cfg), ns], ctx) as Value) as Record<string, unknown>;

// AWS's published SigV4 test suite, case "get-vanilla" (2015-08-30T12:36:00Z).
const suiteCreds = {
  aws_access_key: 'AKIDEXAMPLE',
  aws_secret_access_key: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  aws_region: 'us-east-1',
  aws_service: 'service',
};
const ns = fromJS(1440938160n * 1_000_000_000n);

test('sign_req matches the AWS SigV4 test suite (get-vanilla)', () => {
  const out = sign({ method: 'GET', url: 'https://example.amazonaws.com/' }, suiteCreds, ns);
  const headers = out.headers as Record<string, string>;
  assert.equal(
    headers.Authorization,
    'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'.replace(
      /, /g,
      ',',
    ),
  );
  assert.equal(headers['x-amz-date'], '20150830T123600Z');
  assert.equal(headers.host, 'example.amazonaws.com');
  assert.equal(out.method, 'GET');
});

test('s3 adds the payload hash header; disable_payload_signing makes it UNSIGNED-PAYLOAD; session tokens are signed', () => {
  const s3 = { ...suiteCreds, aws_service: 's3', aws_session_token: 'TOKEN' };
  const out = sign(
    { method: 'PUT', url: 'https://b.s3.amazonaws.com/k?x=1', raw_body: 'hello', headers: { 'User-Agent': 'u' } },
    s3,
    ns,
  );
  const h = out.headers as Record<string, string>;
  assert.equal(h['x-amz-content-sha256'], '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
  assert.equal(h['x-amz-security-token'], 'TOKEN');
  assert.equal(h['User-Agent'], 'u');
  assert.match(h.Authorization as string, /SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,/);
  const unsigned = sign(
    { method: 'PUT', url: 'https://b.s3.amazonaws.com/k' },
    { ...s3, disable_payload_signing: true },
    ns,
  );
  assert.equal((unsigned.headers as Record<string, string>)['x-amz-content-sha256'], 'UNSIGNED-PAYLOAD');
});

test('sign_req reports bad operands as OPA does', () => {
  assert.throws(
    () => sign({}, suiteCreds, ns),
    (e: unknown) => {
      assert.ok(e instanceof OperandError);
      assert.equal(e.message, 'operand 1 missing required request parameters(s): {"method", "url"}');
      return true;
    },
  );
  assert.throws(
    () => sign({ method: 'GET', url: 'http://x' }, { x: 1 }, ns),
    /operand 2 missing required AWS config parameters\(s\): \{"aws_access_key", "aws_region", "aws_secret_access_key", "aws_service"\}/,
  );
  assert.throws(
    () => sign({ method: 'GET', url: 'http://x' }, { ...suiteCreds, aws_region: 5 }, ns),
    /operand 2 invalid values for required AWS config parameters\(s\): \{"aws_region"\}/,
  );
  assert.throws(() => sign({ method: 'GET', url: 'http://x' }, suiteCreds, 1.5), /operand 3 could not convert time_ns/);
  assert.throws(
    () => sign({ method: 'GET', url: 'http://x' }, { ...suiteCreds, disable_payload_signing: 'yes' }, ns),
    /disable_payload_signing/,
  );
});
