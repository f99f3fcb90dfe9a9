// Keys: cosign's encrypted envelope (checked against a vector computed with libsodium through PyNaCl and
// Python's hashlib.scrypt), generate/load round trips, and the other private key formats cosign reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import {
  SignError,
  decodePem,
  decryptEnvelope,
  encryptEnvelope,
  generateKeyPair,
  loadPrivateKey,
  loadPublicKey,
  verifySignature,
} from '../../src/sign/index.ts';

// Independent vector: key = hashlib.scrypt(b'sekisho-vector', salt=bytes(range(32)), n=1024, r=8, p=1,
// dklen=32); ciphertext = nacl.secret.SecretBox(key).encrypt(PLAIN, bytes(range(100,124))).ciphertext.
const PLAIN = Buffer.from('sekisho hand-checked vector: PKCS#8 goes here');
const SALT = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const NONCE = Buffer.from(Array.from({ length: 24 }, (_, i) => 100 + i));
const LIBSODIUM_CT = '5tBc/HGpIF1lJkn6+8Z1EKiA4mq5VQnDYWPa1UOXgV70DfFyDRSiLJLdJoWKMjG3YNR9unnDU2gookgBUw==';

test('envelope matches libsodium secretbox + scrypt byte for byte, in go-securesystemslib JSON shape', () => {
  const env = encryptEnvelope(PLAIN, Buffer.from('sekisho-vector'), {
    salt: SALT,
    nonce: NONCE,
    scrypt: { N: 1024, r: 8, p: 1 },
  });
  const text = env.toString('utf8');
  assert.equal(
    text,
    `{"kdf":{"name":"scrypt","params":{"N":1024,"r":8,"p":1},"salt":"${SALT.toString('base64')}"},` +
      `"cipher":{"name":"nacl/secretbox","nonce":"${NONCE.toString('base64')}"},"ciphertext":"${LIBSODIUM_CT}"}`,
  );
  assert.deepEqual(decryptEnvelope(env, Buffer.from('sekisho-vector')), PLAIN);
  assert.throws(
    () => decryptEnvelope(env, Buffer.from('sekisho-vectoR')),
    (e: unknown) => e instanceof SignError && e.code === 'KEY_PASSWORD' && /wrong password/.test(e.message),
  );
  const tampered = JSON.parse(text) as { ciphertext: string };
  const ct = Buffer.from(tampered.ciphertext, 'base64');
  ct[20] = ct[20]! ^ 1;
  tampered.ciphertext = ct.toString('base64');
  assert.throws(
    () => decryptEnvelope(Buffer.from(JSON.stringify(tampered)), Buffer.from('sekisho-vector')),
    /corrupted/,
  );
});

test('key generate writes cosign.key / cosign.pub that load, sign and verify', () => {
  const pair = generateKeyPair(Buffer.from('s3cret'));
  assert.match(pair.privateKeyPem, /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
  assert.match(pair.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/);
  const env = JSON.parse(decodePem(pair.privateKeyPem).der.toString('utf8')) as {
    kdf: { params: { N: number } };
  };
  assert.equal(env.kdf.params.N, 32768);
  const signer = loadPrivateKey(pair.privateKeyPem, Buffer.from('s3cret'));
  assert.equal(signer.algorithm, 'ecdsa-p256');
  const pub = loadPublicKey(pair.publicKeyPem);
  const sig = signer.sign(Buffer.from('payload'));
  assert.equal(sig[0], 0x30, 'ASN.1 DER ECDSA signature');
  assert.ok(verifySignature(pub, Buffer.from('payload'), sig));
  assert.ok(!verifySignature(pub, Buffer.from('payloaD'), sig));
  assert.throws(() => loadPrivateKey(pair.privateKeyPem, Buffer.from('wrong')), { code: 'KEY_PASSWORD' });
  // the password callback is only called for encrypted keys
  assert.equal(loadPrivateKey(pair.privateKeyPem, () => Buffer.from('s3cret')).algorithm, 'ecdsa-p256');
});

test('reads PKCS#8, SEC1 and Ed25519 private keys; refuses unsupported curves and garbage', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pkcs8 = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const sec1 = ec.privateKey.export({ type: 'sec1', format: 'pem' }).toString();
  const pubPem = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  for (const pem of [pkcs8, sec1]) {
    const s = loadPrivateKey(pem, Buffer.alloc(0));
    assert.ok(verifySignature(loadPublicKey(pubPem), Buffer.from('x'), s.sign(Buffer.from('x'))));
  }
  const ed = generateKeyPairSync('ed25519');
  const eds = loadPrivateKey(ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), Buffer.alloc(0));
  assert.equal(eds.algorithm, 'ed25519');
  const edPub = loadPublicKey(ed.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  assert.ok(verifySignature(edPub, Buffer.from('m'), eds.sign(Buffer.from('m'))));
  // an Ed25519 cosign key round trip
  const edPair = generateKeyPair(Buffer.from('p'), { algorithm: 'ed25519', scrypt: { N: 1024, r: 8, p: 1 } });
  assert.equal(loadPrivateKey(edPair.privateKeyPem, Buffer.from('p')).algorithm, 'ed25519');

  const p224 = generateKeyPairSync('ec', { namedCurve: 'P-224' });
  assert.throws(
    () =>
      loadPrivateKey(p224.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), Buffer.alloc(0), 'p224.key'),
    (e: unknown) => e instanceof SignError && e.code === 'KEY_UNSUPPORTED' && /p224\.key.*not allowed/.test(e.message),
  );
  assert.throws(() => loadPrivateKey('hello', Buffer.alloc(0), 'x.key'), /x\.key: no PEM block/);
  assert.throws(() => loadPublicKey('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', 'y.pub'), {
    code: 'KEY_INVALID',
  });
});
