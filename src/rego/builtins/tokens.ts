// Rego builtins of the "tokens" category: io.jwt.decode, io.jwt.verify_{hs,rs,ps,es}{256,384,512} and
// io.jwt.decode_verify, following OPA's checks and messages (RFC 7519 §7.2 decoding, JWS compact form only).
// Keys are PEM certificates, PEM public keys, JWKs or JWK sets; signatures are checked with node:crypto.
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  constants,
  sign as cryptoSign,
  timingSafeEqual,
  verify as cryptoVerify,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { compareNumbers, isNumber, RObject, typeName, type Value } from '../value.ts';
import { BuiltinError, OperandError, type BuiltinContext, type BuiltinGroup } from './builtin.ts';
import { base64Decode, goJSON, goJSONError, jsonUnmarshal, stringOfBytes } from './encoding.ts';
import { obj, str } from './operands.ts';

// ---------------------------------------------------------------------------------------------------------
// Token structure

interface Token {
  header: string;
  payload: string;
  signature: string;
}

function splitToken(v: Value | undefined): Token {
  if (typeof v !== 'string') {
    throw new OperandError(1, `operand 1 must be string but got ${v === undefined ? 'undefined' : typeName(v)}`);
  }
  if (!v.includes('.')) throw new BuiltinError('encoded JWT had no period separators');
  const parts = v.split('.');
  if (parts.length !== 3) throw new BuiltinError(`encoded JWT must have 3 sections, found ${parts.length}`);
  return { header: parts[0] as string, payload: parts[1] as string, signature: parts[2] as string };
}

/** base64url.decode's semantics (padding optional), as bytes. */
function base64UrlBytes(s: string): Uint8Array {
  let t = s;
  if (!t.endsWith('=')) {
    const r = Buffer.byteLength(t) % 4;
    if (r === 2) t += '==';
    else if (r === 3) t += '=';
    else if (r === 1) throw new BuiltinError(`illegal base64url string: ${t}`);
  }
  return base64Decode(t, 'url', true);
}

function withPrefix<T>(prefix: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof BuiltinError) throw new BuiltinError(`${prefix}${e.message}`);
    throw e;
  }
}

function extractJSONObject(text: string): RObject {
  let v: Value;
  try {
    v = jsonUnmarshal(text);
  } catch (e) {
    if (e instanceof BuiltinError) throw new BuiltinError(`invalid JSON: ${e.message}`);
    throw e;
  }
  if (!(v instanceof RObject)) throw new BuiltinError('decoded JSON type was not an Object');
  return v;
}

function decodeHeader(t: Token): RObject {
  const text = withPrefix('JWT header had invalid encoding: ', () => stringOfBytes(base64UrlBytes(t.header)));
  const header = withPrefix('bad JWT header: ', () => extractJSONObject(text));
  if (header.has('enc')) throw new BuiltinError('JWT is a JWE object, which is not supported');
  return header;
}

function decodePayloadText(t: Token): string {
  return withPrefix('JWT payload had invalid encoding: ', () => stringOfBytes(base64UrlBytes(t.payload)));
}

function decodeSignature(t: Token): Buffer {
  return Buffer.from(base64UrlBytes(t.signature));
}

function jwtDecode(v: Value | undefined): Value {
  const t = splitToken(v);
  const header = decodeHeader(t);
  let payloadText = decodePayloadText(t);
  const cty = header.getStr('cty');
  if (cty === 'JWT') {
    payloadText = payloadText.replace(/^["']+|["']+$/g, '');
    return jwtDecode(payloadText);
  }
  const payload = extractJSONObject(payloadText);
  const sig = withPrefix('JWT signature had invalid encoding: ', () => base64UrlBytes(t.signature));
  return [header, payload, Buffer.from(sig).toString('hex')];
}

// ---------------------------------------------------------------------------------------------------------
// Header parameters

interface Header {
  alg: string;
  kid: string;
  typ: string;
  cty: string;
  crit: Set<string> | undefined;
  unknown: string[];
}

function parseHeader(o: RObject): Header {
  const h: Header = { alg: '', kid: '', typ: '', cty: '', crit: undefined, unknown: [] };
  for (const [k, v] of o.entries()) {
    const name = k as string;
    switch (name) {
      case 'alg':
      case 'kid':
      case 'typ':
      case 'cty':
        if (typeof v !== 'string') throw new BuiltinError(`${name}: must be a string`);
        h[name] = v;
        break;
      case 'crit': {
        if (!Array.isArray(v)) throw new BuiltinError('crit: must be a list');
        h.crit = new Set(v.filter((x): x is string => typeof x === 'string'));
        if (h.crit.size === 0) throw new BuiltinError('crit: must be a nonempty list');
        break;
      }
      default:
        h.unknown.push(name);
    }
  }
  return h;
}

function headerValid(h: Header): boolean {
  if (h.alg === '') return false;
  for (const u of h.unknown) if (h.crit?.has(u)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// Keys

const ALGORITHMS = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'HS256',
  'HS384',
  'HS512',
  'EdDSA',
]);

interface VerificationKey {
  key: KeyObject | Buffer;
  alg: string;
  kid: string;
}

interface PemBlock {
  type: string;
  bytes: Buffer;
  rest: string;
}

/** Go's pem.Decode: the first well-formed block and the text after its END line. */
function pemDecode(text: string): PemBlock | undefined {
  const begin = /-----BEGIN ([^\n]*?)-----[ \t\r]*\n/.exec(text);
  if (!begin) return undefined;
  const type = begin[1] as string;
  const bodyStart = begin.index + begin[0].length;
  const endMarker = `\n-----END ${type}-----`;
  const endIndex = text.indexOf(endMarker, bodyStart - 1);
  if (endIndex < 0) return undefined;
  let body = text.slice(bodyStart, endIndex);
  // Optional RFC 1421 headers end at the first blank line.
  if (/^[^\n]*:/.test(body)) {
    const blank = body.indexOf('\n\n');
    body = blank >= 0 ? body.slice(blank + 2) : '';
  }
  const b64 = body.replace(/[ \t\r\n]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) return undefined;
  let after = text.slice(endIndex + endMarker.length);
  const nl = after.indexOf('\n');
  const line = nl < 0 ? after : after.slice(0, nl);
  if (line.trim() !== '') return undefined;
  after = nl < 0 ? '' : after.slice(nl + 1);
  return { type, bytes: Buffer.from(b64, 'base64'), rest: after };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function keysFromCertOrJWK(text: string): VerificationKey[] {
  const block = pemDecode(text);
  if (block) {
    if (block.rest.length > 0) throw new BuiltinError('extra data after a PEM certificate block');
    if (block.type === 'CERTIFICATE') {
      try {
        return [{ key: new X509Certificate(block.bytes).publicKey, alg: '', kid: '' }];
      } catch (e) {
        throw new BuiltinError(`failed to parse a PEM certificate: ${errorText(e)}`);
      }
    }
    if (block.type === 'PUBLIC KEY') {
      try {
        return [{ key: createPublicKey({ key: block.bytes, format: 'der', type: 'spki' }), alg: '', kid: '' }];
      } catch (e) {
        throw new BuiltinError(`failed to parse a PEM public key: ${errorText(e)}`);
      }
    }
    throw new BuiltinError('failed to extract a Key from the PEM certificate');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new BuiltinError(`failed to parse a JWK key (set): ${errorText(e)}`);
  }
  const list: unknown[] =
    parsed !== null && typeof parsed === 'object' && Array.isArray((parsed as { keys?: unknown }).keys)
      ? ((parsed as { keys: unknown[] }).keys as unknown[])
      : [parsed];
  const out: VerificationKey[] = [];
  for (const jwk of list) {
    const k = jwkToKey(jwk);
    if (k.alg !== '' && !ALGORITHMS.has(k.alg)) continue;
    out.push(k);
  }
  return out;
}

function jwkToKey(jwk: unknown): VerificationKey {
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) {
    throw new BuiltinError('failed to parse a JWK key (set): invalid key');
  }
  const o = jwk as Record<string, unknown>;
  const alg = typeof o.alg === 'string' ? o.alg : '';
  const kid = typeof o.kid === 'string' ? o.kid : '';
  if (typeof o.kty !== 'string') throw new BuiltinError('failed to parse a JWK key (set): missing "kty" field');
  if (o.kty === 'oct') {
    if (typeof o.k !== 'string') throw new BuiltinError('failed to parse a JWK key (set): missing "k" field');
    return { key: Buffer.from(o.k, 'base64url'), alg, kid };
  }
  try {
    return { key: createPublicKey({ key: o as import('node:crypto').JsonWebKey, format: 'jwk' }), alg, kid };
  } catch (e) {
    throw new BuiltinError(`failed to parse a JWK key (set): ${errorText(e)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Signatures

const HASHES: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };

/** Verifies a JWS signature for an algorithm; false on any mismatch (wrong key type, bad signature). */
export function verifySignature(key: KeyObject | Buffer, alg: string, data: Buffer, sig: Buffer): boolean {
  const family = alg.slice(0, 2);
  const hash = HASHES[alg.slice(2)];
  try {
    if (alg === 'EdDSA') {
      if (Buffer.isBuffer(key) || key.asymmetricKeyType !== 'ed25519') return false;
      return cryptoVerify(null, data, key, sig);
    }
    if (!hash) return false;
    switch (family) {
      case 'HS':
        if (!Buffer.isBuffer(key)) return false;
        return bytesEqual(createHmac(hash, key).update(data).digest(), sig);
      case 'RS':
        if (Buffer.isBuffer(key) || !isRSA(key)) return false;
        return cryptoVerify(hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, sig);
      case 'PS':
        if (Buffer.isBuffer(key) || !isRSA(key)) return false;
        return cryptoVerify(
          hash,
          data,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
          sig,
        );
      case 'ES':
        if (Buffer.isBuffer(key) || key.asymmetricKeyType !== 'ec') return false;
        return verifyES(key, hash, data, sig);
      default:
        return false;
    }
  } catch {
    return false;
  }
}

function bytesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function isRSA(k: KeyObject): boolean {
  return k.asymmetricKeyType === 'rsa' || k.asymmetricKeyType === 'rsa-pss';
}

/** ECDSA with the signature as r || s split in two halves (as OPA does), re-encoded as DER. */
function verifyES(key: KeyObject, hash: string, data: Buffer, sig: Buffer): boolean {
  const n = sig.length >> 1;
  const der = (b: Buffer): Buffer => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let x = b.subarray(i);
    if (x.length === 0) x = Buffer.from([0]);
    if ((x[0] as number) & 0x80) x = Buffer.concat([Buffer.from([0]), x]);
    return Buffer.concat([Buffer.from([0x02]), derLength(x.length), x]);
  };
  const seq = Buffer.concat([der(sig.subarray(0, n)), der(sig.subarray(n))]);
  const encoded = Buffer.concat([Buffer.from([0x30]), derLength(seq.length), seq]);
  return cryptoVerify(hash, data, { key, dsaEncoding: 'der' }, encoded);
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n >>= 8;
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

// ---------------------------------------------------------------------------------------------------------
// io.jwt.verify_*

function verifyWithKeys(family: 'RS' | 'PS' | 'ES', bits: string) {
  return (a: Value[]): Value => {
    const t = splitToken(a[0]);
    const keyText = str(a, 1);
    const keys = keysFromCertOrJWK(keyText);
    const sig = decodeSignature(t);
    const header = parseHeader(decodeHeader(t));
    const data = Buffer.from(`${t.header}.${t.payload}`, 'utf8');
    const alg = family + bits;
    if (header.kid !== '') {
      const k = keys.find((x) => x.kid === header.kid);
      if (k) return verifySignature(k.key, alg, data, sig);
    }
    for (const k of keys) {
      if (k.alg !== '' && header.alg !== k.alg) continue;
      if (verifySignature(k.key, alg, data, sig)) return true;
    }
    return false;
  };
}

function verifyHS(bits: string) {
  return (a: Value[]): Value => {
    const jwt = str(a, 0);
    const secret = str(a, 1);
    const t = splitToken(jwt);
    const mac = createHmac(HASHES[bits] as string, Buffer.from(secret, 'utf8'))
      .update(`${t.header}.${t.payload}`, 'utf8')
      .digest();
    const sig = decodeSignature(t);
    return bytesEqual(mac, sig);
  };
}

// ---------------------------------------------------------------------------------------------------------
// io.jwt.decode_verify

interface Constraints {
  secret: string;
  alg: string;
  iss: string;
  aud: string;
  keys: VerificationKey[] | undefined;
  time: number;
}

function timeFromValue(v: Value): number {
  if (!isNumber(v)) throw new BuiltinError('token time constraint: must be a number');
  const t = typeof v === 'number' ? v : v.approx;
  if (t < 0) throw new BuiltinError('token time constraint: must not be negative');
  return t;
}

function parseConstraints(o: RObject, ctx: BuiltinContext): Constraints {
  const c: Constraints = { secret: '', alg: '', iss: '', aud: '', keys: undefined, time: -1 };
  for (const [k, v] of o.entries()) {
    const name = k as string;
    switch (name) {
      case 'cert':
        if (typeof v !== 'string') throw new BuiltinError('cert constraint: must be a string');
        c.keys = keysFromCertOrJWK(v);
        break;
      case 'secret':
      case 'alg':
      case 'iss':
      case 'aud':
        if (typeof v !== 'string') throw new BuiltinError(`${name} constraint: must be a string`);
        c[name] = v;
        break;
      case 'time':
        c.time = timeFromValue(v);
        break;
      default:
        throw new BuiltinError(`unknown token validation constraint: ${name}`);
    }
  }
  if (c.time === -1) c.time = Number(ctx.nowNs);
  const n = (c.keys !== undefined ? 1 : 0) + (c.secret !== '' ? 1 : 0);
  if (n > 1) throw new BuiltinError('duplicate key constraints');
  if (n < 1) throw new BuiltinError('no key constraint');
  return c;
}

function constraintsVerify(c: Constraints, h: Header, t: Token, sig: Buffer): boolean {
  const data = Buffer.from(`${t.header}.${t.payload}`, 'utf8');
  if (c.keys !== undefined) {
    if (h.kid !== '') {
      const k = c.keys.find((x) => x.kid === h.kid);
      if (k) return verifySignature(k.key, h.alg, data, sig);
    }
    for (const k of c.keys) {
      if (k.alg !== '' && h.alg !== k.alg) continue;
      if (verifySignature(k.key, h.alg, data, sig)) return true;
    }
    return false;
  }
  return verifySignature(Buffer.from(c.secret, 'utf8'), h.alg, data, sig);
}

function validAudience(aud: Value, want: string): boolean {
  if (typeof aud === 'string') return aud === want;
  if (!Array.isArray(aud)) return false;
  return aud.some((x) => typeof x === 'string' && x === want);
}

function decodeVerify(a: Value[], ctx: BuiltinContext): Value {
  let jwt: Value | undefined = a[0];
  const constraintsObj = obj(a, 1);
  const unverified: Value = [false, new RObject(), new RObject()];
  const c = parseConstraints(constraintsObj, ctx);
  let token: Token;
  let headerObj: RObject;
  let payloadText: string;
  for (;;) {
    token = splitToken(jwt);
    headerObj = decodeHeader(token);
    const header = parseHeader(headerObj);
    if (!headerValid(header)) return unverified;
    if (c.alg !== '' && c.alg !== header.alg) return unverified;
    const sig = decodeSignature(token);
    if (!constraintsVerify(c, header, token, sig)) return unverified;
    payloadText = decodePayloadText(token);
    if (header.cty.toLowerCase() === 'jwt') {
      jwt = payloadText;
      continue;
    }
    break;
  }
  const payload = extractJSONObject(payloadText);
  if (c.iss !== '') {
    const iss = payload.getStr('iss');
    if (iss === undefined || iss !== c.iss) return unverified;
  }
  const aud = payload.getStr('aud');
  if (aud !== undefined) {
    if (!validAudience(aud, c.aud)) return unverified;
  } else if (c.aud !== '') return unverified;
  const now = c.time / 1e9;
  const exp = payload.getStr('exp');
  if (exp !== undefined) {
    if (!isNumber(exp)) throw new BuiltinError('exp value must be a number');
    if (compareNumbers(now, exp) !== -1) return unverified;
  }
  const nbf = payload.getStr('nbf');
  if (nbf !== undefined) {
    if (!isNumber(nbf)) throw new BuiltinError('nbf value must be a number');
    if (compareNumbers(now, nbf) === -1) return unverified;
  }
  return [true, headerObj, payload];
}

// ---------------------------------------------------------------------------------------------------------
// io.jwt.encode_sign and encode_sign_raw (declared in the "tokensign" category)

function signingKey(jwkText: string): KeyObject | Buffer {
  let parsed: unknown;
  const bad = goJSONError(jwkText);
  if (bad !== undefined) throw new BuiltinError(bad);
  try {
    parsed = JSON.parse(jwkText);
  } catch (e) {
    throw new BuiltinError(errorText(e));
  }
  const list: unknown[] =
    parsed !== null && typeof parsed === 'object' && Array.isArray((parsed as { keys?: unknown }).keys)
      ? (parsed as { keys: unknown[] }).keys
      : [parsed];
  const first = list[0];
  if (first === null || typeof first !== 'object') throw new BuiltinError('failed to parse JWK: no keys found');
  const o = first as Record<string, unknown>;
  if (o.kty === 'oct') {
    if (typeof o.k !== 'string') throw new BuiltinError('failed to parse JWK: missing "k" field');
    return Buffer.from(o.k, 'base64url');
  }
  try {
    if (typeof o.d === 'string') return createPrivateKey({ key: o as import('node:crypto').JsonWebKey, format: 'jwk' });
    return createPublicKey({ key: o as import('node:crypto').JsonWebKey, format: 'jwk' });
  } catch (e) {
    throw new BuiltinError(`failed to parse JWK: ${errorText(e)}`);
  }
}

function signWith(key: KeyObject | Buffer, alg: string, data: Buffer): Buffer {
  const hash = HASHES[alg.slice(2)];
  const family = alg.slice(0, 2);
  const fail = (): never => {
    throw new BuiltinError(`failed to sign payload: invalid key type for ${alg}`);
  };
  if (alg === 'EdDSA') {
    if (Buffer.isBuffer(key) || key.type !== 'private') return fail();
    return cryptoSign(null, data, key);
  }
  if (family === 'HS') {
    if (!Buffer.isBuffer(key)) return fail();
    return createHmac(hash as string, key)
      .update(data)
      .digest();
  }
  if (Buffer.isBuffer(key) || key.type !== 'private') return fail();
  switch (family) {
    case 'RS':
      if (!isRSA(key)) return fail();
      return cryptoSign(hash as string, data, { key, padding: constants.RSA_PKCS1_PADDING });
    case 'PS':
      if (!isRSA(key)) return fail();
      return cryptoSign(hash as string, data, {
        key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      });
    case 'ES':
      if (key.asymmetricKeyType !== 'ec') return fail();
      return cryptoSign(hash as string, data, { key, dsaEncoding: 'ieee-p1363' });
  }
  return fail();
}

/** OPA's encode-and-sign: the header and payload texts are used as given (base64url, no padding). */
export function encodeSign(headerText: string, payloadText: string, jwkText: string): string {
  const key = signingKey(jwkText);
  const err = goJSONError(headerText);
  if (err !== undefined) throw new BuiltinError(err);
  const header = JSON.parse(headerText) as unknown;
  const h = (header !== null && typeof header === 'object' ? header : {}) as Record<string, unknown>;
  const alg = typeof h.alg === 'string' ? h.alg : '';
  if (alg === '') throw new BuiltinError('unsupported signature algorithm');
  if (!ALGORITHMS.has(alg)) throw new BuiltinError('unknown signature algorithm');
  const typ = typeof h.typ === 'string' ? h.typ : '';
  if ((typ === '' || typ === 'JWT') && goJSONError(payloadText) !== undefined) {
    throw new BuiltinError('type is JWT but payload is not JSON');
  }
  const input = `${Buffer.from(headerText, 'utf8').toString('base64url')}.${Buffer.from(payloadText, 'utf8').toString('base64url')}`;
  const sig = signWith(key, alg, Buffer.from(input, 'utf8'));
  return `${input}.${sig.toString('base64url')}`;
}

export const builtins: BuiltinGroup = {
  'io.jwt.encode_sign': (a) => encodeSign(goJSON(a[0] as Value), goJSON(a[1] as Value), goJSON(a[2] as Value)),
  'io.jwt.encode_sign_raw': (a) => {
    const header = str(a, 0);
    const payload = str(a, 1);
    const jwk = str(a, 2);
    return encodeSign(header, payload, jwk);
  },
  'io.jwt.decode': (a) => jwtDecode(a[0]),
  'io.jwt.decode_verify': decodeVerify,
  'io.jwt.verify_hs256': verifyHS('256'),
  'io.jwt.verify_hs384': verifyHS('384'),
  'io.jwt.verify_hs512': verifyHS('512'),
  'io.jwt.verify_rs256': verifyWithKeys('RS', '256'),
  'io.jwt.verify_rs384': verifyWithKeys('RS', '384'),
  'io.jwt.verify_rs512': verifyWithKeys('RS', '512'),
  'io.jwt.verify_ps256': verifyWithKeys('PS', '256'),
  'io.jwt.verify_ps384': verifyWithKeys('PS', '384'),
  'io.jwt.verify_ps512': verifyWithKeys('PS', '512'),
  'io.jwt.verify_es256': verifyWithKeys('ES', '256'),
  'io.jwt.verify_es384': verifyWithKeys('ES', '384'),
  'io.jwt.verify_es512': verifyWithKeys('ES', '512'),
};
