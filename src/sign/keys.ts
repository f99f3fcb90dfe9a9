// Keys in the formats cosign reads and writes. `cosign.key` is a PEM block `ENCRYPTED SIGSTORE PRIVATE KEY`
// (or the older `ENCRYPTED COSIGN PRIVATE KEY`) whose body is the JSON envelope of go-securesystemslib's
// `encrypted` package: the PKCS#8 DER of the key, sealed with NaCl secretbox (XSalsa20-Poly1305) under a
// key derived from the password with scrypt. `cosign.pub` is a PKIX `PUBLIC KEY` PEM.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  scryptSync,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import { secretbox } from '@noble/ciphers/salsa.js';
import { ed25519ph } from '@noble/curves/ed25519.js';
import { SignError } from './errors.ts';

export const SIGSTORE_PRIVATE_KEY_PEM = 'ENCRYPTED SIGSTORE PRIVATE KEY';
export const COSIGN_PRIVATE_KEY_PEM = 'ENCRYPTED COSIGN PRIVATE KEY';

/** scrypt parameters go-securesystemslib (and so cosign) uses by default. */
export const DEFAULT_SCRYPT = { N: 32768, r: 8, p: 1 } as const;

export type KeyAlgorithm = 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521' | 'ed25519' | 'rsa';

export interface Signer {
  algorithm: KeyAlgorithm;
  publicKey: KeyObject;
  /** Signs `data` (the hash is part of the algorithm: SHA-256 for P-256 and RSA, none for Ed25519). */
  sign(data: Uint8Array): Buffer;
  /**
   * The signature cosign makes over an image payload: Ed25519ph (RFC 8032 pre-hashed, SHA-512) for Ed25519
   * keys, as cosign 2.x signs images with them; the same as `sign` for every other key type.
   */
  signImagePayload(data: Uint8Array): Buffer;
}

interface EncryptedEnvelope {
  kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: string; nonce: string };
  ciphertext: string;
}

/** Parses the first PEM block (type and DER body). */
export function decodePem(text: string, file?: string): { type: string; der: Buffer } {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text);
  if (!m) throw new SignError('KEY_INVALID', `${file ?? 'key'}: no PEM block found`);
  return { type: m[1]!, der: Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64') };
}

export function encodePem(type: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}

function scryptKey(password: Uint8Array, salt: Uint8Array, p: { N: number; r: number; p: number }): Buffer {
  const maxmem = 256 * p.N * p.r + 1024 * 1024;
  return scryptSync(password, salt, 32, { N: p.N, r: p.r, p: p.p, maxmem });
}

/** Seals `plaintext` in go-securesystemslib's envelope (the JSON bytes, as cosign stores them in the PEM). */
export function encryptEnvelope(
  plaintext: Uint8Array,
  password: Uint8Array,
  opts: { salt?: Uint8Array; nonce?: Uint8Array; scrypt?: { N: number; r: number; p: number } } = {},
): Buffer {
  const salt = opts.salt ?? randomBytes(32);
  const nonce = opts.nonce ?? randomBytes(24);
  const params = opts.scrypt ?? DEFAULT_SCRYPT;
  const key = scryptKey(password, salt, params);
  const sealed = secretbox(key, nonce).seal(plaintext);
  // Field order as Go's encoding/json writes the struct.
  const env: EncryptedEnvelope = {
    kdf: {
      name: 'scrypt',
      params: { N: params.N, r: params.r, p: params.p },
      salt: Buffer.from(salt).toString('base64'),
    },
    cipher: { name: 'nacl/secretbox', nonce: Buffer.from(nonce).toString('base64') },
    ciphertext: Buffer.from(sealed).toString('base64'),
  };
  return Buffer.from(JSON.stringify(env));
}

/** Opens go-securesystemslib's envelope; a wrong password is KEY_PASSWORD. */
export function decryptEnvelope(envelope: Uint8Array, password: Uint8Array, file = 'key'): Buffer {
  let env: EncryptedEnvelope;
  try {
    env = JSON.parse(Buffer.from(envelope).toString('utf8')) as EncryptedEnvelope;
  } catch (err) {
    throw new SignError('KEY_INVALID', `${file}: the encrypted key body is not JSON`, { cause: err });
  }
  if (env?.kdf?.name !== 'scrypt')
    throw new SignError('KEY_UNSUPPORTED', `${file}: key derivation ${JSON.stringify(env?.kdf?.name)} is not scrypt`);
  if (env.cipher?.name !== 'nacl/secretbox')
    throw new SignError('KEY_UNSUPPORTED', `${file}: cipher ${JSON.stringify(env.cipher?.name)} is not nacl/secretbox`);
  const { N, r, p } = env.kdf.params ?? {};
  if (!Number.isInteger(N) || !Number.isInteger(r) || !Number.isInteger(p) || N > 1 << 20)
    throw new SignError('KEY_INVALID', `${file}: bad scrypt parameters`);
  const salt = Buffer.from(env.kdf.salt, 'base64');
  const nonce = Buffer.from(env.cipher.nonce, 'base64');
  if (nonce.length !== 24) throw new SignError('KEY_INVALID', `${file}: nonce is ${nonce.length} bytes, not 24`);
  const key = scryptKey(password, salt, { N, r, p });
  try {
    return Buffer.from(secretbox(key, nonce).open(Buffer.from(env.ciphertext, 'base64')));
  } catch (err) {
    throw new SignError('KEY_PASSWORD', `${file}: decrypt failed: wrong password or corrupted key`, { cause: err });
  }
}

function algorithmOf(key: KeyObject, file: string): KeyAlgorithm {
  const t = key.asymmetricKeyType;
  if (t === 'ed25519') return 'ed25519';
  if (t === 'rsa') return 'rsa';
  if (t === 'ec') {
    const c = key.asymmetricKeyDetails?.namedCurve;
    if (c === 'prime256v1') return 'ecdsa-p256';
    if (c === 'secp384r1') return 'ecdsa-p384';
    if (c === 'secp521r1') return 'ecdsa-p521';
    throw new SignError('KEY_UNSUPPORTED', `${file}: ECDSA curve ${c} is not allowed (P-256, P-384, P-521 are)`);
  }
  throw new SignError('KEY_UNSUPPORTED', `${file}: key type ${t} is not supported`);
}

function hashFor(alg: KeyAlgorithm): string | null {
  return alg === 'ed25519' ? null : alg === 'ecdsa-p384' ? 'sha384' : alg === 'ecdsa-p521' ? 'sha512' : 'sha256';
}

function signerFrom(priv: KeyObject, file: string): Signer {
  const algorithm = algorithmOf(priv, file);
  const publicKey = createPublicKey(priv);
  const hash = hashFor(algorithm);
  const sign = (data: Uint8Array) => cryptoSign(hash, data, priv);
  const signImagePayload =
    algorithm === 'ed25519'
      ? (data: Uint8Array) =>
          Buffer.from(ed25519ph.sign(data, Buffer.from(priv.export({ format: 'jwk' }).d!, 'base64url')))
      : sign;
  return { algorithm, publicKey, sign, signImagePayload };
}

/**
 * Reads a private key: cosign's encrypted PEM (needs the password), PKCS#8 `PRIVATE KEY` (ECDSA, Ed25519,
 * RSA), SEC1 `EC PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`.
 */
export function loadPrivateKey(pem: string, password: Uint8Array | (() => Uint8Array), file = 'key'): Signer {
  const { type, der } = decodePem(pem, file);
  let priv: KeyObject;
  try {
    if (type === SIGSTORE_PRIVATE_KEY_PEM || type === COSIGN_PRIVATE_KEY_PEM) {
      const pw = typeof password === 'function' ? password() : password;
      const plain = decryptEnvelope(der, pw, file);
      // cosign stores PKCS#8; very old keys hold SEC1 EC keys, which we read too.
      try {
        priv = createPrivateKey({ key: plain, format: 'der', type: 'pkcs8' });
      } catch {
        priv = createPrivateKey({ key: plain, format: 'der', type: 'sec1' });
      }
    } else if (type === 'PRIVATE KEY') priv = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    else if (type === 'EC PRIVATE KEY') priv = createPrivateKey({ key: der, format: 'der', type: 'sec1' });
    else if (type === 'RSA PRIVATE KEY') priv = createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
    else throw new SignError('KEY_UNSUPPORTED', `${file}: unsupported private key PEM type ${JSON.stringify(type)}`);
  } catch (err) {
    if (err instanceof SignError) throw err;
    throw new SignError('KEY_INVALID', `${file}: cannot parse the private key: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return signerFrom(priv, file);
}

/** Reads a PKIX `PUBLIC KEY` PEM (or the public key of a certificate PEM). */
export function loadPublicKey(pem: string, file = 'key'): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new SignError('KEY_INVALID', `${file}: not a PEM public key: ${(err as Error).message}`, { cause: err });
  }
  algorithmOf(key, file);
  return key;
}

/**
 * Verifies a signature the way cosign's verifiers do (ASN.1 DER ECDSA, PKCS#1 v1.5 RSA; Ed25519 pure or
 * pre-hashed Ed25519ph, which cosign 2.x uses for image signatures).
 */
export function verifySignature(key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  const alg = algorithmOf(key, 'key');
  try {
    if (cryptoVerify(hashFor(alg), data, key, signature)) return true;
    if (alg !== 'ed25519' || signature.length !== 64) return false;
    return ed25519ph.verify(signature, data, Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url'));
  } catch {
    return false;
  }
}

export function publicKeyPem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

export interface GeneratedKeyPair {
  /** `cosign.key` contents. */
  privateKeyPem: string;
  /** `cosign.pub` contents. */
  publicKeyPem: string;
}

/** Generates an ECDSA P-256 key pair as `cosign generate-key-pair` does. */
export function generateKeyPair(
  password: Uint8Array,
  opts: { algorithm?: 'ecdsa-p256' | 'ed25519'; scrypt?: { N: number; r: number; p: number } } = {},
): GeneratedKeyPair {
  const { privateKey, publicKey } =
    opts.algorithm === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return encryptPrivateKey(privateKey, password, opts.scrypt ? { scrypt: opts.scrypt } : {}, publicKey);
}

/** Encrypts an existing private key into cosign's format (`cosign import-key-pair`). */
export function encryptPrivateKey(
  privateKey: KeyObject,
  password: Uint8Array,
  opts: { scrypt?: { N: number; r: number; p: number } } = {},
  publicKey: KeyObject = createPublicKey(privateKey),
): GeneratedKeyPair {
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const env = encryptEnvelope(pkcs8, password, opts.scrypt ? { scrypt: opts.scrypt } : {});
  return { privateKeyPem: encodePem(SIGSTORE_PRIVATE_KEY_PEM, env), publicKeyPem: publicKeyPem(publicKey) };
}
