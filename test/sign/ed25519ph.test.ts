// Ed25519 keys sign images with Ed25519ph (RFC 8032 pre-hashed), as cosign 2.x does, checked against the
// RFC's own test vector; verification accepts Ed25519ph and pure Ed25519 signatures.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign as cryptoSign } from 'node:crypto';
import { RegistryClient } from '../../src/oci/index.ts';
import { loadPrivateKey, requireSigned, signImage, verifyImage, verifySignature } from '../../src/sign/index.ts';
import { startEmbedded, type EmbeddedRegistry } from '../oci/helpers.ts';
import { pushImage, testKey } from './helpers.ts';

test('RFC 8032 section 7.3 Ed25519ph vector ("abc")', () => {
  const d = Buffer.from('833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42', 'hex');
  const x = Buffer.from('ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf', 'hex');
  const priv = createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: d.toString('base64url'), x: x.toString('base64url') },
    format: 'jwk',
  });
  const signer = loadPrivateKey(priv.export({ type: 'pkcs8', format: 'pem' }).toString(), Buffer.alloc(0));
  const sig = signer.signImagePayload(Buffer.from('abc'));
  assert.equal(
    sig.toString('hex'),
    '98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae4131f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406',
  );
  const pub = createPublicKey(priv);
  assert.equal(verifySignature(pub, Buffer.from('abc'), sig), true);
  assert.equal(verifySignature(pub, Buffer.from('abd'), sig), false);
  // pure Ed25519 (what sign-blob and DSSE use) still verifies
  assert.equal(verifySignature(pub, Buffer.from('abc'), cryptoSign(null, Buffer.from('abc'), priv)), true);
});

let reg: EmbeddedRegistry;
before(async () => {
  reg = await startEmbedded();
});
after(async () => {
  await reg.close();
});

test('an Ed25519 key signs an image with Ed25519ph; verify accepts it, another key does not', async () => {
  const key = testKey('ed25519');
  const client = new RegistryClient({ host: reg.host });
  await pushImage(client, 'ed', 'v1', 'ed');
  const t = { client, registry: reg.host, repository: 'ed', ref: 'v1' };
  const r = await signImage(t, key.signer);
  // the stored signature is Ed25519ph, not pure Ed25519
  assert.equal(verifySignature(key.pub, r.payload, Buffer.from(r.signature, 'base64')), true);
  assert.notEqual(r.signature, key.signer.sign(r.payload).toString('base64'));
  assert.equal(requireSigned(await verifyImage(t, [key.pub]), 'ed:v1').length, 1);
  const other = testKey('ed25519');
  await assert.rejects(async () => requireSigned(await verifyImage(t, [other.pub]), 'ed:v1'), {
    code: 'SIGNATURE_INVALID',
  });
});
