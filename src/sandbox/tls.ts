// The sandbox's certificate authority and serving certificate, generated once into the data directory
// (ECDSA P-256, @peculiar/x509 on WebCrypto) and reused on restart.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface TlsMaterial {
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64.trimEnd()}\n-----END ${label}-----\n`;
}

function writeAtomic(path: string, data: string, mode = 0o600): void {
  writeFileSync(path + '.tmp', data, { mode });
  renameSync(path + '.tmp', path);
}

export async function generateCa(
  commonName: string,
): Promise<{ cert: string; key: string; keys: CryptoKeyPair; x: x509.X509Certificate }> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const now = new Date();
  const x = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8)
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    name: `CN=${commonName}`,
    notBefore: new Date(now.getTime() - 3600_000),
    notAfter: new Date(now.getTime() + 10 * 365 * 86400_000),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const key = pem(
    'PRIVATE KEY',
    await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as unknown as webcrypto.CryptoKey),
  );
  return { cert: x.toString('pem') + '\n', key, keys, x };
}

/** Issues a serving certificate for the given DNS names and IP addresses, signed by a CA. */
export async function issueServingCert(
  ca: { keys: CryptoKeyPair; x: x509.X509Certificate },
  commonName: string,
  dns: string[],
  ips: string[],
): Promise<{ cert: string; key: string }> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const now = new Date();
  const x = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(8)
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    subject: `CN=${commonName}`,
    issuer: ca.x.subject,
    notBefore: new Date(now.getTime() - 3600_000),
    notAfter: new Date(now.getTime() + 5 * 365 * 86400_000),
    signingKey: ca.keys.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...dns.map((d) => ({ type: 'dns' as const, value: d })),
        ...ips.map((i) => ({ type: 'ip' as const, value: i })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
    ],
  });
  const key = pem(
    'PRIVATE KEY',
    await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as unknown as webcrypto.CryptoKey),
  );
  return { cert: x.toString('pem') + '\n', key };
}

/** Loads the CA and serving certificate from `dir`, creating them on first use. */
export async function ensureTls(dir: string): Promise<TlsMaterial> {
  const p = (n: string) => join(dir, n);
  if (existsSync(p('ca.crt')) && existsSync(p('server.crt')) && existsSync(p('server.key'))) {
    return {
      caCert: readFileSync(p('ca.crt'), 'utf8'),
      caKey: existsSync(p('ca.key')) ? readFileSync(p('ca.key'), 'utf8') : '',
      cert: readFileSync(p('server.crt'), 'utf8'),
      key: readFileSync(p('server.key'), 'utf8'),
    };
  }
  const ca = await generateCa('sekisho-sandbox-ca');
  const srv = await issueServingCert(
    ca,
    'sekisho-sandbox',
    ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
    ['127.0.0.1', '::1'],
  );
  writeAtomic(p('ca.key'), ca.key);
  writeAtomic(p('server.key'), srv.key);
  writeAtomic(p('server.crt'), srv.cert, 0o644);
  writeAtomic(p('ca.crt'), ca.cert, 0o644);
  return { caCert: ca.cert, caKey: ca.key, cert: srv.cert, key: srv.key };
}
