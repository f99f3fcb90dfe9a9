import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { RObject, toJSON, type Value } from '../value.ts';
import { BuiltinError, type BuiltinContext } from './builtin.ts';
import { builtins } from './tokens.ts';

const ctx: BuiltinContext = {
  location: undefined,
  cache: new Map(),
  nowNs: 1_700_000_000_000_000_000n,
  allowNet: false,
  print: () => {},
  random: Math.random,
};

function call(name: string, ...args: Value[]): Value | undefined {
  const f = builtins[name];
  assert.ok(f, `${name} is implemented`);
  return f(args, ctx);
}

const obj = (x: Record<string, Value>): RObject => RObject.from(Object.entries(x));
const json = (v: Value | undefined): string => toJSON(v as Value);
const jwkOf = (k: KeyObject, extra: Record<string, string> = {}): string =>
  JSON.stringify({ ...k.export({ format: 'jwk' }), ...extra });
const pemOf = (k: KeyObject): string => k.export({ format: 'pem', type: 'spki' }) as string;

// RFC 7515 appendix A.1 (HS256) key and token.
const HS_KEY = 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow';
const HS_JWK = JSON.stringify({ kty: 'oct', k: HS_KEY });

test('io.jwt.decode splits, decodes and hex-encodes the signature', () => {
  const token = call('io.jwt.encode_sign_raw', '{"alg":"HS256","typ":"JWT"}', '{"sub":"me"}', HS_JWK) as string;
  const [header, payload, sig] = call('io.jwt.decode', token) as Value[];
  assert.equal(json(header as Value), '{"alg":"HS256","typ":"JWT"}');
  assert.equal(json(payload as Value), '{"sub":"me"}');
  assert.match(sig as string, /^[0-9a-f]{64}$/);
  assert.throws(() => call('io.jwt.decode', 'abc'), { message: 'encoded JWT had no period separators' });
  assert.throws(() => call('io.jwt.decode', 'a.b'), { message: 'encoded JWT must have 3 sections, found 2' });
  assert.throws(() => call('io.jwt.decode', 'eyJhbGciOiJIUzI1NiJ$.e30.'), {
    message: 'JWT header had invalid encoding: illegal base64 data at input byte 19',
  });
  assert.throws(() => call('io.jwt.decode', 'eyJhbGciOiJIUzI1NiJ9a.e30.'), {
    message: 'JWT header had invalid encoding: illegal base64url string: eyJhbGciOiJIUzI1NiJ9a',
  });
  const jwe = Buffer.from('{"alg":"RSA-OAEP","enc":"A256GCM"}').toString('base64url');
  assert.throws(() => call('io.jwt.decode', `${jwe}.e30.`), { message: 'JWT is a JWE object, which is not supported' });
  const notObject = Buffer.from('[1]').toString('base64url');
  assert.throws(() => call('io.jwt.decode', `e30.${notObject}.`), { message: 'decoded JSON type was not an Object' });
});

test('io.jwt.decode follows nested JWTs (cty JWT)', () => {
  const inner = call('io.jwt.encode_sign_raw', '{"alg":"HS256"}', '{"inner":true}', HS_JWK) as string;
  const outerHeader = Buffer.from('{"alg":"HS256","cty":"JWT"}').toString('base64url');
  const outer = `${outerHeader}.${Buffer.from(`"${inner}"`).toString('base64url')}.`;
  const [, payload] = call('io.jwt.decode', outer) as Value[];
  assert.equal(json(payload as Value), '{"inner":true}');
});

test('io.jwt.verify_hs*', () => {
  // A secret is a string used as its UTF-8 bytes; here only an ASCII secret round-trips.
  const ascii = call(
    'io.jwt.encode_sign_raw',
    '{"alg":"HS256"}',
    '{"a":1}',
    JSON.stringify({ kty: 'oct', k: Buffer.from('s3cret').toString('base64url') }),
  ) as string;
  assert.equal(call('io.jwt.verify_hs256', ascii, 's3cret'), true);
  assert.equal(call('io.jwt.verify_hs256', ascii, 'wrong'), false);
  assert.equal(call('io.jwt.verify_hs384', ascii, 's3cret'), false);
  assert.throws(() => call('io.jwt.verify_hs256', 'a.b', 's3cret'), {
    message: 'encoded JWT must have 3 sections, found 2',
  });
});

test('io.jwt.verify_rs/ps/es with PEM keys, certificates and JWK sets', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const sign = (alg: string, priv: KeyObject): string =>
    call('io.jwt.encode_sign_raw', JSON.stringify({ alg }), '{"x":1}', jwkOf(priv)) as string;
  const rs = sign('RS256', rsa.privateKey);
  assert.equal(call('io.jwt.verify_rs256', rs, pemOf(rsa.publicKey)), true);
  assert.equal(call('io.jwt.verify_rs384', rs, pemOf(rsa.publicKey)), false);
  assert.equal(call('io.jwt.verify_rs256', rs, pemOf(ec.publicKey)), false);
  const ps = sign('PS384', rsa.privateKey);
  assert.equal(call('io.jwt.verify_ps384', ps, jwkOf(rsa.publicKey)), true);
  assert.equal(call('io.jwt.verify_rs384', ps, jwkOf(rsa.publicKey)), false);
  const es = sign('ES256', ec.privateKey);
  assert.equal(es.split('.')[2]!.length, 86, 'ES256 signatures are r||s, 64 bytes');
  assert.equal(call('io.jwt.verify_es256', es, pemOf(ec.publicKey)), true);
  assert.equal(call('io.jwt.verify_es256', es, pemOf(ec384.publicKey)), false);
  const es384 = sign('ES384', ec384.privateKey);
  assert.equal(call('io.jwt.verify_es384', es384, jwkOf(ec384.publicKey)), true);
  // A JWK set: the key with the token's kid is used; keys whose alg differs from the token's are skipped.
  const set = JSON.stringify({
    keys: [
      { ...ec.publicKey.export({ format: 'jwk' }), kid: 'other', alg: 'ES256' },
      { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256' },
    ],
  });
  const withKid = call('io.jwt.encode_sign_raw', '{"alg":"RS256","kid":"k1"}', '{}', jwkOf(rsa.privateKey)) as string;
  assert.equal(call('io.jwt.verify_rs256', withKid, set), true);
  assert.throws(
    () => call('io.jwt.verify_rs256', rs, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
    (e: unknown) => {
      assert.ok(e instanceof BuiltinError);
      assert.match(e.message, /^failed to parse a PEM certificate/);
      return true;
    },
  );
  assert.throws(() => call('io.jwt.verify_rs256', rs, `${pemOf(rsa.publicKey)}EXTRA`), {
    message: 'extra data after a PEM certificate block',
  });
  assert.throws(
    () => call('io.jwt.verify_rs256', rs, 'not a key'),
    (e: unknown) => {
      assert.ok(e instanceof BuiltinError);
      assert.match(e.message, /^failed to parse a JWK key \(set\)/);
      return true;
    },
  );
});

test('io.jwt.decode_verify checks signature, alg, iss, aud, exp and nbf', () => {
  const now = 1_700_000_000;
  const token = (
    payload: Record<string, unknown>,
    header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
  ): string =>
    call(
      'io.jwt.encode_sign_raw',
      JSON.stringify(header),
      JSON.stringify(payload),
      JSON.stringify({ kty: 'oct', k: Buffer.from('secret').toString('base64url') }),
    ) as string;
  const verify = (t: string, c: Record<string, Value>): string => json(call('io.jwt.decode_verify', t, obj(c)));
  const good = token({ iss: 'me', aud: ['you', 'them'], exp: now + 10, nbf: now - 10 });
  const ok = verify(good, { secret: 'secret', iss: 'me', aud: 'them' });
  assert.ok(ok.startsWith('[true,{"alg":"HS256","typ":"JWT"},'), ok);
  const no = '[false,{},{}]';
  assert.equal(verify(good, { secret: 'wrong' }), no);
  assert.equal(verify(good, { secret: 'secret', alg: 'HS384' }), no);
  assert.equal(verify(good, { secret: 'secret', iss: 'other' }), no);
  assert.equal(verify(good, { secret: 'secret' }), no, 'aud present but no aud constraint');
  assert.equal(verify(good, { secret: 'secret', aud: 'you', time: (now + 20) * 1e9 }), no, 'expired');
  assert.equal(verify(good, { secret: 'secret', aud: 'you', time: (now - 20) * 1e9 }), no, 'not yet valid');
  assert.ok(verify(good, { secret: 'secret', aud: 'you', time: now * 1e9 }).startsWith('[true'));
  // Critical headers we do not understand make the token invalid.
  assert.equal(verify(token({}, { alg: 'HS256', crit: ['x'], x: 1 }), { secret: 'secret' }), no);
  assert.throws(() => verify(good, { secret: 'secret', cert: 'x' }), BuiltinError);
  assert.throws(() => verify(good, {}), { message: 'no key constraint' });
  assert.throws(() => verify(good, { secret: 'secret', bogus: 1 }), {
    message: 'unknown token validation constraint: bogus',
  });
  assert.throws(() => verify(token({ exp: 'soon' }), { secret: 'secret' }), { message: 'exp value must be a number' });
  assert.throws(() => verify(token({ nbf: 'soon' }), { secret: 'secret' }), { message: 'nbf value must be a number' });
});

test('io.jwt.encode_sign matches RFC 7515 A.1 and reports header/payload errors', () => {
  const jwk = obj({ kty: 'oct', k: HS_KEY });
  assert.equal(
    call('io.jwt.encode_sign', obj({ alg: 'HS256', typ: 'JWT' }), new RObject(), jwk),
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.6cvao8lnOu6FAdK68jQFcDMXOmaWNwWiYhCgijd-AD8',
  );
  const raw = (h: string, p: string): Value | undefined => call('io.jwt.encode_sign_raw', h, p, HS_JWK);
  assert.throws(() => raw('{}', '{}'), { message: 'unsupported signature algorithm' });
  assert.throws(() => raw('{"alg":"dummy"}', '{}'), { message: 'unknown signature algorithm' });
  assert.throws(() => raw('', '{}'), { message: 'unexpected end of JSON input' });
  assert.throws(
    () => raw('e', '{}'),
    (e: unknown) => e instanceof BuiltinError && e.message.startsWith('invalid character'),
  );
  assert.throws(() => raw('{"typ":"JWT","alg":"HS256"}', 'e'), { message: 'type is JWT but payload is not JSON' });
  assert.equal(typeof raw('{"typ":"text","alg":"HS256"}', 'plain text'), 'string');
});
