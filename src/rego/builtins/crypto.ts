// Rego builtins of the "crypto" category: digests and HMACs over the UTF-8 bytes of strings, hex-encoded,
// and a constant-time MAC comparison (node:crypto). The x509 and private-key parsers are not implemented yet.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { BuiltinGroup } from './builtin.ts';
import { str } from './operands.ts';

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
