import { test } from 'node:test';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import assert from 'node:assert/strict';
import { RObject, RSet, toJSON, type Value } from '../value.ts';
import { BuiltinError, OperandError, type BuiltinContext } from './builtin.ts';
import { builtins } from './crypto.ts';

const ctx: BuiltinContext = {
  location: undefined,
  cache: new Map(),
  nowNs: BigInt(Date.now()) * 1000000n,
  allowNet: false,
  print: () => {},
  random: Math.random,
};
const call = (name: string, ...args: Value[]): Value | undefined => builtins[name]!(args, ctx);

test('digests (corpus cryptomd5, cryptosha1, cryptosha256)', () => {
  assert.equal(call('crypto.md5', 'lorem ipsum'), '80a751fde577028640c419000e33eba6');
  assert.equal(call('crypto.sha1', 'lorem ipsum'), 'bfb7759a67daeb65410490b4d98bb9da7d1ea2ce');
  assert.equal(
    call('crypto.sha256', 'lorem ipsum'),
    '5e2bf57d3f40c4b6df69daf1936cb766f832374b4fc0259a7cbff06e2f70f269',
  );
  assert.throws(() => call('crypto.md5', 1), OperandError);
});

test('HMACs over UTF-8 bytes (corpus cryptohmac*)', () => {
  assert.equal(call('crypto.hmac.md5', 'foo', 'bar'), '31b6db9e5eb4addb42f1a6ca07367adc');
  assert.equal(call('crypto.hmac.md5', 'åäöçß\u{1F972}♙Ω', '秘密の'), '20a8743c2157ac60b7e8b79c83651b8d');
  assert.equal(call('crypto.hmac.sha1', 'foo', 'bar'), '85d155c55ed286a300bd1cf124de08d87e914f3a');
  assert.equal(
    call('crypto.hmac.sha256', 'foo', 'bar'),
    '147933218aaabc0b8b10a2b3a5c34684c8d94341bcf10a4736dc7270f7741851',
  );
  assert.equal(
    call('crypto.hmac.sha512', 'foo', 'bar'),
    '24257d7210582a65c731ec55159c8184cc24c02489453e58587f71f44c23a2d61b4b72154a89d17b2d49448a8452ea066f4fc56a2bcead45c088572ffccdb3d8',
  );
  assert.throws(() => call('crypto.hmac.sha256', 'foo', 1), { message: 'operand 2 must be string but got number' });
});

test('crypto.hmac.equal (corpus cryptohmacequal)', () => {
  assert.equal(call('crypto.hmac.equal', '31b6db9e5eb4addb42f1a6ca07367adc', '31b6db9e5eb4addb42f1a6ca07367adc'), true);
  assert.equal(
    call('crypto.hmac.equal', '31b6db9e5eb4addb42f1a6ca07367adc', '31b6db9e5eb4addb42f1a6ca07367add'),
    false,
  );
  assert.equal(call('crypto.hmac.equal', 'abc', 'abcd'), false);
});

// ---------------------------------------------------------------------------------------------------------
// X.509

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY = 86400000;

async function makeChain(): Promise<{ pems: string[]; leafKey: string; now: number }> {
  const now = Date.now();
  const keys = await Promise.all([0, 1, 2].map(() => webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])));
  const [rootKeys, interKeys, leafKeys] = keys as CryptoKeyPair[];
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=Test Root CA, O=Sekisho',
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 30 * DAY),
    keys: rootKeys!,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ],
  });
  const inter = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=Test Intermediate CA, O=Sekisho',
    issuer: root.subject,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 20 * DAY),
    publicKey: interKeys!.publicKey,
    signingKey: rootKeys!.privateKey,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ],
  });
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '0a0b',
    subject: 'CN=svc.example.test',
    issuer: inter.subject,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 10 * DAY),
    publicKey: leafKeys!.publicKey,
    signingKey: interKeys!.privateKey,
    signingAlgorithm: EC,
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'svc.example.test' },
        { type: 'url', value: 'spiffe://example.test/svc' },
      ]),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', leafKeys!.privateKey)).toString('base64');
  const leafKey = `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
  return { pems: [root, inter, leaf].map((c) => c.toString('pem')), leafKey, now };
}

test('crypto.x509.parse_certificates renders Go x509.Certificate fields', async () => {
  const { pems } = await makeChain();
  const certs = call('crypto.x509.parse_certificates', pems.join('\n')) as RObject[];
  assert.equal(certs.length, 3);
  const leaf = certs[2] as RObject;
  assert.equal((leaf.getStr('Subject') as RObject).getStr('CommonName'), 'svc.example.test');
  assert.equal(toJSON((leaf.getStr('Issuer') as RObject).getStr('Organization') as Value), '["Sekisho"]');
  assert.equal(toJSON(leaf.getStr('DNSNames') as Value), '["svc.example.test"]');
  assert.equal(toJSON(leaf.getStr('URIStrings') as Value), '["spiffe://example.test/svc"]');
  assert.equal(toJSON(leaf.getStr('ExtKeyUsage') as Value), '[1]');
  assert.equal(leaf.getStr('KeyUsage'), 1);
  assert.equal(leaf.getStr('SerialNumber'), 2571);
  assert.equal(leaf.getStr('Version'), 3);
  assert.equal(leaf.getStr('SignatureAlgorithm'), 10);
  assert.equal(leaf.getStr('PublicKeyAlgorithm'), 3);
  assert.equal((certs[0] as RObject).getStr('IsCA'), true);
  assert.equal((certs[1] as RObject).getStr('MaxPathLenZero'), true);
  // Base64 of the PEM text and of the DER work too.
  const b64pem = Buffer.from(pems[2] as string).toString('base64');
  assert.equal((call('crypto.x509.parse_certificates', b64pem) as Value[]).length, 1);
  assert.equal((call('crypto.x509.parse_certificates', leaf.getStr('Raw') as string) as Value[]).length, 1);
  assert.throws(() => call('crypto.x509.parse_certificates', 'YmFkc3RyaW5n'), {
    message: 'x509: malformed certificate',
  });
  assert.throws(() => call('crypto.x509.parse_certificates', 'bad string'), BuiltinError);
});

test('crypto.x509.parse_and_verify_certificates builds root → leaf chains', async () => {
  const { pems, now } = await makeChain();
  const chain = pems.join('\n');
  const r = call('crypto.x509.parse_and_verify_certificates', chain) as Value[];
  assert.equal(r[0], true);
  const cns = (r[1] as RObject[]).map((c) => (c.getStr('Subject') as RObject).getStr('CommonName'));
  assert.deepEqual(cns, ['svc.example.test', 'Test Intermediate CA', 'Test Root CA']);
  // Wrong order (leaf not last) or a missing intermediate fails.
  assert.equal((call('crypto.x509.parse_and_verify_certificates', [pems[0], pems[2]].join('\n')) as Value[])[0], false);
  assert.equal((call('crypto.x509.parse_and_verify_certificates', pems[0] as string) as Value[])[0], false);
  const withOpts = (o: Record<string, Value>): Value =>
    (
      call('crypto.x509.parse_and_verify_certificates_with_options', chain, RObject.from(Object.entries(o))) as Value[]
    )[0] as Value;
  assert.equal(withOpts({ DNSName: 'svc.example.test' }), true);
  assert.equal(withOpts({ DNSName: 'other.example.test' }), false);
  assert.equal(withOpts({ CurrentTime: (now + 15 * DAY) * 1e6 }), false);
  assert.equal(withOpts({ KeyUsages: ['KeyUsageServerAuth'] }), true);
  assert.equal(withOpts({ KeyUsages: RSet.from(['KeyUsageCodeSigning']) }), false);
  assert.equal(withOpts({ KeyUsages: ['KeyUsageAny'] }), true);
  assert.throws(() => withOpts({ Bogus: 1 }), { message: 'invalid key option' });
  assert.throws(() => withOpts({ KeyUsages: ['Nope'] }), { message: "invalid entries for 'KeyUsages' found: [Nope]" });
});

test('crypto.x509.parse_keypair, parse_private_keys, parse_rsa_private_key', async () => {
  const { pems, leafKey } = await makeChain();
  const kp = call('crypto.x509.parse_keypair', pems[2] as string, leafKey) as RObject;
  assert.equal(((kp.getStr('Certificate') as Value[])[0] as string).length > 100, true);
  assert.throws(() => call('crypto.x509.parse_keypair', pems[1] as string, leafKey), {
    message: 'tls: private key does not match public key',
  });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const pkcs1 = rsa.privateKey.export({ format: 'pem', type: 'pkcs1' }) as string;
  const pkcs8 = rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  assert.equal((call('crypto.parse_private_keys', pkcs1 + pkcs8 + leafKey) as Value[]).length, 3);
  assert.equal((call('crypto.parse_private_keys', Buffer.from(pkcs1).toString('base64')) as Value[]).length, 1);
  assert.deepEqual(call('crypto.parse_private_keys', 'nope'), []);
  assert.equal(call('crypto.parse_private_keys', ''), null);
  const jwk = call('crypto.x509.parse_rsa_private_key', pkcs1) as RObject;
  assert.deepEqual(jwk.keys(), ['d', 'dp', 'dq', 'e', 'kty', 'n', 'p', 'q', 'qi']);
  assert.equal(jwk.getStr('n'), rsa.publicKey.export({ format: 'jwk' }).n);
  assert.throws(() => call('crypto.x509.parse_rsa_private_key', 'invalid'), {
    message: 'illegal base64 data at input byte 4',
  });
});

test('crypto.x509.parse_certificate_request', async () => {
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=example.com, O=Example',
    keys,
    signingAlgorithm: EC,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'www.example.com' }])],
  });
  const pem = csr.toString('pem');
  for (const input of [pem, Buffer.from(pem).toString('base64'), Buffer.from(csr.rawData).toString('base64')]) {
    const v = call('crypto.x509.parse_certificate_request', input) as RObject;
    assert.equal((v.getStr('Subject') as RObject).getStr('CommonName'), 'example.com');
    assert.equal(toJSON(v.getStr('DNSNames') as Value), '["www.example.com"]');
  }
  assert.throws(
    () => call('crypto.x509.parse_certificate_request', 'YmFkc3RyaW5n'),
    (e: unknown) => {
      assert.ok(e instanceof BuiltinError);
      assert.match(e.message, /^asn1: structure error/);
      return true;
    },
  );
});
