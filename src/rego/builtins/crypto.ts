// Rego builtins of the "crypto" category: digests and HMACs over the UTF-8 bytes of strings, hex-encoded,
// a constant-time MAC comparison (node:crypto), and X.509 / private-key parsing (@peculiar/x509 for the structure).
import { createRequire } from 'node:module';
import type * as X509Module from '@peculiar/x509';
import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  timingSafeEqual,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { BigNum, isNumber, RObject, RSet, toBigInt, type Value } from '../value.ts';
import { BuiltinError, OperandError, type BuiltinContext, type BuiltinGroup, type BuiltinImpl } from './builtin.ts';
import { base64Decode } from './encoding.ts';
import { obj, str } from './operands.ts';

function digest(algorithm: string) {
  return (a: Parameters<BuiltinGroup[string]>[0]): string =>
    createHash(algorithm).update(str(a, 0), 'utf8').digest('hex');
}

function hmac(algorithm: string) {
  return (a: Parameters<BuiltinGroup[string]>[0]): string => {
    const message = str(a, 0);
    const key = str(a, 1);
    return createHmac(algorithm, Buffer.from(key, 'utf8')).update(message, 'utf8').digest('hex');
  };
}

/** Go's hmac.Equal: constant time for equal lengths, false otherwise. */
export function macEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export const builtins: BuiltinGroup = {
  'crypto.md5': digest('md5'),
  'crypto.sha1': digest('sha1'),
  'crypto.sha256': digest('sha256'),
  'crypto.hmac.md5': hmac('md5'),
  'crypto.hmac.sha1': hmac('sha1'),
  'crypto.hmac.sha256': hmac('sha256'),
  'crypto.hmac.sha512': hmac('sha512'),
  'crypto.hmac.equal': (a) => {
    const x = str(a, 0);
    const y = str(a, 1);
    return macEqual(x, y);
  },
};

// ---------------------------------------------------------------------------------------------------------
// X.509: certificates rendered in the JSON shape of Go's x509().Certificate (the fields policies use), chain
// verification as OPA does it (first certificate the root, last the leaf), CSRs and private keys.

// @peculiar/x509 takes about a second to load: it is required on first use only.
let x509Module: typeof X509Module | undefined;
function x509(): typeof X509Module {
  if (x509Module === undefined) {
    const require = createRequire(import.meta.url);
    require('reflect-metadata');
    x509Module = require('@peculiar/x509') as typeof X509Module;
  }
  return x509Module;
}

const GO_EXT_KEY_USAGE: Record<string, number> = {
  '2.5.29.37.0': 0,
  '1.3.6.1.5.5.7.3.1': 1,
  '1.3.6.1.5.5.7.3.2': 2,
  '1.3.6.1.5.5.7.3.3': 3,
  '1.3.6.1.5.5.7.3.4': 4,
  '1.3.6.1.5.5.7.3.5': 5,
  '1.3.6.1.5.5.7.3.6': 6,
  '1.3.6.1.5.5.7.3.7': 7,
  '1.3.6.1.5.5.7.3.8': 8,
  '1.3.6.1.5.5.7.3.9': 9,
  '1.3.6.1.4.1.311.10.3.3': 10,
  '2.16.840.1.113730.4.1': 11,
  '1.3.6.1.4.1.311.2.1.22': 12,
  '1.3.6.1.4.1.311.61.1.1': 13,
};

const KEY_USAGE_NAMES: Record<string, number> = {
  KeyUsageAny: 0,
  KeyUsageServerAuth: 1,
  KeyUsageClientAuth: 2,
  KeyUsageCodeSigning: 3,
  KeyUsageEmailProtection: 4,
  KeyUsageIPSECEndSystem: 5,
  KeyUsageIPSECTunnel: 6,
  KeyUsageIPSECUser: 7,
  KeyUsageTimeStamping: 8,
  KeyUsageOCSPSigning: 9,
  KeyUsageMicrosoftServerGatedCrypto: 10,
  KeyUsageNetscapeServerGatedCrypto: 11,
  KeyUsageMicrosoftCommercialCodeSigning: 12,
  KeyUsageMicrosoftKernelCodeSigning: 13,
};

const GO_SIGNATURE_ALGORITHM: Record<string, number> = {
  '1.2.840.113549.1.1.2': 1,
  '1.2.840.113549.1.1.4': 2,
  '1.2.840.113549.1.1.5': 3,
  '1.2.840.113549.1.1.11': 4,
  '1.2.840.113549.1.1.12': 5,
  '1.2.840.113549.1.1.13': 6,
  '1.2.840.10040.4.3': 7,
  '2.16.840.1.101.3.4.3.2': 8,
  '1.2.840.10045.4.1': 9,
  '1.2.840.10045.4.3.2': 10,
  '1.2.840.10045.4.3.3': 11,
  '1.2.840.10045.4.3.4': 12,
  '1.2.840.113549.1.1.10': 13,
  '1.3.101.112': 16,
};

const GO_PUBLIC_KEY_ALGORITHM: Record<string, number> = { rsa: 1, 'rsa-pss': 1, dsa: 2, ec: 3, ed25519: 4 };

function oidArray(oid: string): Value[] {
  return oid.split('.').map(Number);
}

function b64(buf: ArrayBuffer | Uint8Array): string {
  return Buffer.from(buf instanceof Uint8Array ? buf : new Uint8Array(buf)).toString('base64');
}

function bigFromB64Url(s: unknown): Value {
  if (typeof s !== 'string') return null;
  const hex = Buffer.from(s, 'base64url').toString('hex');
  return BigNum.fromBigInt(hex === '' ? 0n : BigInt('0x' + hex));
}

interface Atv {
  type: string;
  value: { toString(): string };
}

/** pkix.Name as Go fills it from the RDN sequence. */
function pkixName(name: X509Module.Name): RObject {
  const rdns = (name as unknown as { asn: Atv[][] }).asn;
  const lists: Record<string, string[]> = {
    Country: [],
    Organization: [],
    OrganizationalUnit: [],
    Locality: [],
    Province: [],
    StreetAddress: [],
    PostalCode: [],
  };
  const byOid: Record<string, string> = {
    '2.5.4.6': 'Country',
    '2.5.4.10': 'Organization',
    '2.5.4.11': 'OrganizationalUnit',
    '2.5.4.7': 'Locality',
    '2.5.4.8': 'Province',
    '2.5.4.9': 'StreetAddress',
    '2.5.4.17': 'PostalCode',
  };
  let commonName = '';
  let serialNumber = '';
  const names: Value[] = [];
  for (const rdn of rdns) {
    for (const atv of rdn) {
      const value = String(atv.value);
      names.push(
        RObject.from([
          ['Type', oidArray(atv.type)],
          ['Value', value],
        ]),
      );
      if (atv.type === '2.5.4.3') commonName = value;
      else if (atv.type === '2.5.4.5') serialNumber = value;
      else {
        const field = byOid[atv.type];
        if (field) lists[field]!.push(value);
      }
    }
  }
  const o = new RObject();
  for (const [k, v] of Object.entries(lists)) o.set(k, v.length ? v : null);
  o.set('SerialNumber', serialNumber);
  o.set('CommonName', commonName);
  o.set('Names', names.length ? names : null);
  o.set('ExtraNames', null);
  return o;
}

function publicKeyValue(key: KeyObject): Value {
  const jwk = key.export({ format: 'jwk' }) as Record<string, unknown>;
  if (jwk.kty === 'RSA') {
    const e = Buffer.from(String(jwk.e), 'base64url');
    return RObject.from([
      ['N', bigFromB64Url(jwk.n)],
      ['E', e.reduce((acc, x) => acc * 256 + x, 0)],
    ]);
  }
  if (jwk.kty === 'EC') {
    return RObject.from([
      ['Curve', new RObject()],
      ['X', bigFromB64Url(jwk.x)],
      ['Y', bigFromB64Url(jwk.y)],
    ]);
  }
  if (typeof jwk.x === 'string') return Buffer.from(jwk.x, 'base64url').toString('base64');
  return null;
}

function goTime(d: Date): string {
  return d.toISOString().replace(/\.000Z$/, 'Z');
}

function strList(xs: string[]): Value {
  return xs.length ? xs : null;
}

interface ParsedCert {
  der: Buffer;
  peculiar: X509Module.X509Certificate;
  node: X509Certificate;
}

function parseDER(der: Buffer): ParsedCert {
  try {
    return { der, peculiar: new (x509().X509Certificate)(new Uint8Array(der)), node: new X509Certificate(der) };
  } catch {
    throw new BuiltinError('x509: malformed certificate');
  }
}

/** Splits concatenated DER certificates (x509().ParseCertificates). */
function parseDERSequence(buf: Buffer): ParsedCert[] {
  const out: ParsedCert[] = [];
  let i = 0;
  while (i < buf.length) {
    if (buf[i] !== 0x30 || i + 2 > buf.length) throw new BuiltinError('x509: malformed certificate');
    let len = buf[i + 1] as number;
    let hdr = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4 || i + 2 + n > buf.length) throw new BuiltinError('x509: malformed certificate');
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + (buf[i + 2 + k] as number);
      hdr = 2 + n;
    }
    const end = i + hdr + len;
    if (end > buf.length) throw new BuiltinError('x509: malformed certificate');
    out.push(parseDER(buf.subarray(i, end)));
    i = end;
  }
  return out;
}

function extKeyUsages(c: X509Module.X509Certificate): [number[], string[]] {
  const eku = c.getExtension(x509().ExtendedKeyUsageExtension);
  const known: number[] = [];
  const unknown: string[] = [];
  for (const u of eku?.usages ?? []) {
    const n = GO_EXT_KEY_USAGE[String(u)];
    if (n === undefined) unknown.push(String(u));
    else known.push(n);
  }
  return [known, unknown];
}

export function certificateValue(p: ParsedCert): RObject {
  const c = p.peculiar;
  const asn = (
    c as unknown as { asn: { signatureAlgorithm: { algorithm: string }; tbsCertificate: { version: number } } }
  ).asn;
  const o = new RObject();
  const san = c.getExtension(x509().SubjectAlternativeNameExtension);
  const items = san?.names.items ?? [];
  const of = (t: string): string[] => items.filter((i) => i.type === t).map((i) => i.value);
  const bc = c.getExtension(x509().BasicConstraintsExtension);
  const ku = c.getExtension(x509().KeyUsagesExtension);
  const ski = c.getExtension(x509().SubjectKeyIdentifierExtension);
  const aki = c.getExtension(x509().AuthorityKeyIdentifierExtension);
  const [eku, unknownEku] = extKeyUsages(c);
  const uris = of('url');
  o.set('Raw', b64(p.der));
  o.set('Signature', b64(c.signature));
  o.set('SignatureAlgorithm', GO_SIGNATURE_ALGORITHM[asn.signatureAlgorithm.algorithm] ?? 0);
  o.set('PublicKeyAlgorithm', GO_PUBLIC_KEY_ALGORITHM[p.node.publicKey.asymmetricKeyType ?? ''] ?? 0);
  o.set('PublicKey', publicKeyValue(p.node.publicKey));
  o.set('Version', (asn.tbsCertificate.version ?? 0) + 1);
  o.set('SerialNumber', BigNum.fromBigInt(BigInt('0x' + (c.serialNumber || '0'))));
  o.set('Issuer', pkixName(c.issuerName));
  o.set('Subject', pkixName(c.subjectName));
  o.set('NotBefore', goTime(c.notBefore));
  o.set('NotAfter', goTime(c.notAfter));
  o.set('KeyUsage', ku ? Number(ku.usages) : 0);
  o.set(
    'Extensions',
    c.extensions.map((e) =>
      RObject.from([
        ['Id', oidArray(e.type)],
        ['Critical', e.critical],
        ['Value', b64(e.value)],
      ]),
    ),
  );
  o.set('ExtraExtensions', null);
  o.set('UnhandledCriticalExtensions', null);
  o.set('ExtKeyUsage', eku.length ? eku : null);
  o.set('UnknownExtKeyUsage', unknownEku.length ? unknownEku.map(oidArray) : null);
  o.set('BasicConstraintsValid', bc !== null);
  o.set('IsCA', bc?.ca ?? false);
  o.set('MaxPathLen', bc?.pathLength ?? (bc ? -1 : 0));
  o.set('MaxPathLenZero', bc?.pathLength === 0);
  o.set('SubjectKeyId', ski ? Buffer.from(ski.keyId, 'hex').toString('base64') : null);
  o.set('AuthorityKeyId', aki?.keyId ? Buffer.from(aki.keyId, 'hex').toString('base64') : null);
  o.set('DNSNames', strList(of('dns')));
  o.set('EmailAddresses', strList(of('email')));
  o.set('IPAddresses', strList(of('ip')));
  o.set('URIs', strList(uris));
  o.set('URIStrings', strList(uris));
  return o;
}

function pemBlocks(text: string): { type: string; bytes: Buffer }[] {
  const out: { type: string; bytes: Buffer }[] = [];
  const re = /-----BEGIN ([^\n-]*)-----\r?\n([\s\S]*?)\r?\n?-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({ type: m[1] as string, bytes: Buffer.from((m[2] as string).replace(/\s+/g, ''), 'base64') });
  }
  return out;
}

function certsFromString(s: string): ParsedCert[] {
  const fromPEM = (text: string): ParsedCert[] => {
    const blocks = pemBlocks(text);
    for (const b of blocks) {
      if (b.type !== 'CERTIFICATE') throw new BuiltinError(`PEM block type is '${b.type}', expected CERTIFICATE`);
    }
    return parseDERSequence(Buffer.concat(blocks.map((b) => b.bytes)));
  };
  if (s.startsWith('-----BEGIN')) return fromPEM(s);
  const bytes = Buffer.from(base64Decode(s, 'std', true));
  if (bytes.subarray(0, 10).toString('latin1') === '-----BEGIN') return fromPEM(bytes.toString('latin1'));
  return parseDERSequence(bytes);
}

interface VerifyOptions {
  dnsName: string;
  currentTime: Date;
  keyUsages: number[];
}

/** Builds and checks the chain leaf → intermediates → root (certs[0]); throws on failure. */
function verifyChain(certs: ParsedCert[], opts: VerifyOptions): ParsedCert[] {
  if (certs.length < 2)
    throw new OperandError(1, 'operand 1 must supply at least two certificates to be able to verify');
  const root = certs[0] as ParsedCert;
  const leaf = certs[certs.length - 1] as ParsedCert;
  const intermediates = certs.slice(1, -1);
  const within = (p: ParsedCert): boolean =>
    opts.currentTime >= p.peculiar.notBefore && opts.currentTime <= p.peculiar.notAfter;
  const isCA = (p: ParsedCert): boolean => p.peculiar.getExtension(x509().BasicConstraintsExtension)?.ca === true;
  const issues = (parent: ParsedCert, child: ParsedCert): boolean => {
    try {
      return child.node.checkIssued(parent.node) && child.node.verify(parent.node.publicKey);
    } catch {
      return false;
    }
  };
  if (!within(leaf)) throw new BuiltinError('x509: certificate has expired or is not yet valid');
  if (opts.dnsName !== '' && leaf.node.checkHost(opts.dnsName) === undefined) {
    throw new BuiltinError(`x509: certificate is not valid for ${opts.dnsName}`);
  }
  const build = (cur: ParsedCert, chain: ParsedCert[]): ParsedCert[] | undefined => {
    if (issues(root, cur) && within(root)) return [...chain, root];
    if (chain.length > certs.length) return undefined;
    for (const im of intermediates) {
      if (chain.includes(im) || !isCA(im) || !within(im) || !issues(im, cur)) continue;
      const r = build(im, [...chain, im]);
      if (r) return r;
    }
    return undefined;
  };
  const chain = cur(leaf);
  function cur(l: ParsedCert): ParsedCert[] {
    if (l === root) return [root];
    const r = build(l, [l]);
    if (!r) throw new BuiltinError('x509: certificate signed by unknown authority');
    return r;
  }
  // Extended key usage: every certificate that restricts usages must allow one of the requested ones.
  const wanted = opts.keyUsages.length ? opts.keyUsages : [1];
  if (!wanted.includes(0)) {
    let usable = new Set(wanted);
    for (const p of chain) {
      const [eku, unknown] = extKeyUsages(p.peculiar);
      if (eku.length === 0 && unknown.length === 0) continue;
      if (eku.includes(0)) continue;
      const next = new Set<number>();
      for (const u of usable) {
        if (eku.includes(u) || (u === 1 && (eku.includes(10) || eku.includes(11)))) next.add(u);
      }
      usable = next;
    }
    if (usable.size === 0) throw new BuiltinError('x509: certificate specifies an incompatible key usage');
  }
  return chain;
}

function verifyOptions(o: RObject, ctx: BuiltinContext): VerifyOptions {
  const opts: VerifyOptions = { dnsName: '', currentTime: new Date(Number(ctx.nowNs / 1000000n)), keyUsages: [] };
  for (const [k, v] of o.entries()) {
    if (typeof k !== 'string') continue;
    switch (k) {
      case 'DNSName':
        if (typeof v !== 'string') throw new BuiltinError("'DNSName' should be a string");
        opts.dnsName = v.replace(/^"+|"+$/g, '');
        break;
      case 'CurrentTime': {
        if (!isNumber(v)) throw new BuiltinError("'CurrentTime' should be a number");
        const ns = toBigInt(v);
        if (ns === undefined) throw new BuiltinError("'CurrentTime' should be a valid int64 number");
        opts.currentTime = new Date(Number(ns / 1000000n));
        break;
      }
      case 'MaxConstraintComparisons':
        if (!isNumber(v)) throw new BuiltinError("'MaxConstraintComparisons' should be a number");
        break;
      case 'KeyUsages': {
        const list = Array.isArray(v) ? v : v instanceof RSet ? v.values() : undefined;
        if (!list) throw new BuiltinError("'KeyUsages' should be an Array or Set");
        const invalid: string[] = [];
        for (const u of list) {
          if (typeof u !== 'string') continue;
          const n = KEY_USAGE_NAMES[u];
          if (n === undefined) invalid.push(u);
          else opts.keyUsages.push(n);
        }
        if (invalid.length) throw new BuiltinError(`invalid entries for 'KeyUsages' found: [${invalid.join(' ')}]`);
        break;
      }
      default:
        throw new BuiltinError('invalid key option');
    }
  }
  return opts;
}

function parseAndVerify(s: string, opts: VerifyOptions): Value {
  let certs: ParsedCert[];
  try {
    certs = certsFromString(s);
  } catch {
    return [false, []];
  }
  try {
    return [true, verifyChain(certs, opts).map(certificateValue)];
  } catch {
    return [false, []];
  }
}

// Private keys

interface PrivateKeyEntry {
  key: KeyObject;
}

function privateKeysFromPEM(text: string): PrivateKeyEntry[] {
  let s = text;
  try {
    s = stringOfBytesLatin1(base64Decode(text, 'std', true));
  } catch {
    // not base64: used as it is
  }
  const out: PrivateKeyEntry[] = [];
  for (const b of pemBlocks(s)) {
    try {
      if (b.type === 'RSA PRIVATE KEY')
        out.push({ key: createPrivateKey({ key: b.bytes, format: 'der', type: 'pkcs1' }) });
      else if (b.type === 'PRIVATE KEY')
        out.push({ key: createPrivateKey({ key: b.bytes, format: 'der', type: 'pkcs8' }) });
      else if (b.type === 'EC PRIVATE KEY')
        out.push({ key: createPrivateKey({ key: b.bytes, format: 'der', type: 'sec1' }) });
    } catch (e) {
      throw new BuiltinError(`x509: failed to parse private key: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return out;
}

function stringOfBytesLatin1(b: Uint8Array): string {
  return Buffer.from(b).toString('latin1');
}

/** Go's JSON of a crypto.PrivateKey (rsa: N, E, D, Primes, Precomputed; ecdsa: Curve, X, Y, D). */
function privateKeyValue(k: KeyObject): Value {
  const jwk = k.export({ format: 'jwk' }) as Record<string, unknown>;
  if (jwk.kty === 'RSA') {
    const e = Buffer.from(String(jwk.e), 'base64url').reduce((acc, x) => acc * 256 + x, 0);
    return RObject.from([
      ['N', bigFromB64Url(jwk.n)],
      ['E', e],
      ['D', bigFromB64Url(jwk.d)],
      ['Primes', [bigFromB64Url(jwk.p), bigFromB64Url(jwk.q)]],
      [
        'Precomputed',
        RObject.from([
          ['Dp', bigFromB64Url(jwk.dp)],
          ['Dq', bigFromB64Url(jwk.dq)],
          ['Qinv', bigFromB64Url(jwk.qi)],
          ['CRTValues', []],
        ]),
      ],
    ]);
  }
  if (jwk.kty === 'EC') {
    return RObject.from([
      ['Curve', new RObject()],
      ['X', bigFromB64Url(jwk.x)],
      ['Y', bigFromB64Url(jwk.y)],
      ['D', bigFromB64Url(jwk.d)],
    ]);
  }
  const raw = Buffer.concat([Buffer.from(String(jwk.d), 'base64url'), Buffer.from(String(jwk.x), 'base64url')]);
  return raw.toString('base64');
}

function jwkValue(k: KeyObject): Value {
  const jwk = k.export({ format: 'jwk' }) as Record<string, unknown>;
  return RObject.from(Object.entries(jwk).map(([key, v]) => [key, String(v)] as [Value, Value]));
}

function keyPair(certText: string, keyText: string): Value {
  const decode = (t: string): Buffer =>
    t.startsWith('-----BEGIN ') ? Buffer.from(t, 'latin1') : Buffer.from(base64Decode(t, 'std', true));
  const certBytes = decode(certText);
  const keyBytes = decode(keyText);
  const certPEM = certBytes.subarray(0, 11).toString('latin1') === '-----BEGIN ' ? certBytes.toString('latin1') : '';
  const certs = certPEM
    ? pemBlocks(certPEM)
        .filter((b) => b.type === 'CERTIFICATE')
        .map((b) => b.bytes)
    : [certBytes];
  if (certs.length === 0) throw new BuiltinError('tls: failed to find any PEM data in certificate input');
  let key: KeyObject;
  try {
    if (keyBytes.subarray(0, 10).toString('latin1') === '-----BEGIN')
      key = createPrivateKey(keyBytes.toString('latin1'));
    else key = createPrivateKey({ key: keyBytes, format: 'der', type: 'pkcs8' });
  } catch {
    throw new BuiltinError('tls: failed to parse private key');
  }
  const leaf = parseDER(certs[0] as Buffer);
  if (!leaf.node.checkPrivateKey(key)) throw new BuiltinError('tls: private key does not match public key');
  return RObject.from([
    ['Certificate', certs.map((c) => c.toString('base64'))],
    ['PrivateKey', privateKeyValue(key)],
    ['Leaf', certificateValue(leaf)],
  ]);
}

function certificateRequest(s: string): Value {
  let bytes: Buffer;
  if (s.startsWith('-----BEGIN CERTIFICATE REQUEST-----')) bytes = Buffer.from(s, 'latin1');
  else bytes = Buffer.from(base64Decode(s, 'std', true));
  const text = bytes.toString('latin1');
  const blocks = text.startsWith('-----BEGIN') ? pemBlocks(text) : [];
  if (blocks.length > 0) {
    if ((blocks[0] as { type: string }).type !== 'CERTIFICATE REQUEST') {
      throw new BuiltinError('invalid PEM-encoded certificate signing request');
    }
    bytes = (blocks[0] as { bytes: Buffer }).bytes;
  }
  let csr: X509Module.Pkcs10CertificateRequest;
  try {
    csr = new (x509().Pkcs10CertificateRequest)(new Uint8Array(bytes));
  } catch (e) {
    throw new BuiltinError(`asn1: structure error: ${e instanceof Error ? e.message : String(e)}`);
  }
  const asn = (csr as unknown as { asn: { signatureAlgorithm: { algorithm: string } } }).asn;
  let pub: KeyObject | undefined;
  try {
    pub = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  } catch {
    pub = undefined;
  }
  const san = csr.getExtension('2.5.29.17') as X509Module.SubjectAlternativeNameExtension | null;
  const items = san?.names.items ?? [];
  const of = (t: string): string[] => items.filter((i) => i.type === t).map((i) => i.value);
  return RObject.from([
    ['Raw', b64(csr.rawData)],
    ['Version', 0],
    ['Signature', b64(csr.signature)],
    ['SignatureAlgorithm', GO_SIGNATURE_ALGORITHM[asn.signatureAlgorithm.algorithm] ?? 0],
    ['PublicKeyAlgorithm', GO_PUBLIC_KEY_ALGORITHM[pub?.asymmetricKeyType ?? ''] ?? 0],
    ['PublicKey', pub ? publicKeyValue(pub) : null],
    ['Subject', pkixName(csr.subjectName)],
    [
      'Extensions',
      csr.extensions.length
        ? csr.extensions.map((e) =>
            RObject.from([
              ['Id', oidArray(e.type)],
              ['Critical', e.critical],
              ['Value', b64(e.value)],
            ]),
          )
        : null,
    ],
    ['ExtraExtensions', null],
    ['DNSNames', strList(of('dns'))],
    ['EmailAddresses', strList(of('email'))],
    ['IPAddresses', strList(of('ip'))],
    ['URIs', strList(of('url'))],
  ]);
}

Object.assign(builtins as Record<string, BuiltinImpl>, {
  'crypto.x509.parse_certificates': (a: Value[]) => certsFromString(str(a, 0)).map(certificateValue),
  'crypto.x509.parse_and_verify_certificates': (a: Value[], ctx: BuiltinContext) =>
    parseAndVerify(str(a, 0), { dnsName: '', currentTime: new Date(Number(ctx.nowNs / 1000000n)), keyUsages: [] }),
  'crypto.x509.parse_and_verify_certificates_with_options': (a: Value[], ctx: BuiltinContext) => {
    const s = str(a, 0);
    const o = obj(a, 1);
    let certs: ParsedCert[];
    try {
      certs = certsFromString(s);
    } catch {
      return [false, []];
    }
    const opts = verifyOptions(o, ctx);
    try {
      return [true, verifyChain(certs, opts).map(certificateValue)];
    } catch {
      return [false, []];
    }
  },
  'crypto.x509.parse_certificate_request': (a: Value[]) => certificateRequest(str(a, 0)),
  'crypto.x509.parse_keypair': (a: Value[]) => {
    const cert = str(a, 0);
    const key = str(a, 1);
    return keyPair(cert, key);
  },
  'crypto.x509.parse_rsa_private_key': (a: Value[]) => {
    let s = str(a, 0);
    if (s === '') throw new BuiltinError('input PEM data was empty');
    if (!s.startsWith('-----BEGIN')) s = stringOfBytesLatin1(base64Decode(s, 'std', true));
    const keys = privateKeysFromPEM(s);
    const first = keys[0];
    return first ? jwkValue(first.key) : null;
  },
  'crypto.parse_private_keys': (a: Value[]) => {
    const s = str(a, 0);
    if (s === '') return null;
    return privateKeysFromPEM(s).map((k) => privateKeyValue(k.key));
  },
});
