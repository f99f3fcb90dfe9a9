// Content digests (`algorithm:encoded`) as the OCI image spec defines them: sha256 and sha512, lower-case
// hex. Hashing is streaming; verification never needs the whole content in memory.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { OciError } from './errors.ts';

export type DigestAlgorithm = 'sha256' | 'sha512';

const hexLength: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
/** The digest grammar from the image spec (algorithm components and encoded part). */
const grammar = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  hex: string;
  digest: string;
}

export function isSupportedAlgorithm(a: string): a is DigestAlgorithm {
  return a === 'sha256' || a === 'sha512';
}

/** Parses and validates a digest; throws DIGEST_INVALID with the reason. */
export function parseDigest(digest: string): ParsedDigest {
  if (!grammar.test(digest)) throw new OciError('DIGEST_INVALID', `invalid digest ${JSON.stringify(digest)}`);
  const i = digest.indexOf(':');
  const algorithm = digest.slice(0, i);
  const hex = digest.slice(i + 1);
  if (!isSupportedAlgorithm(algorithm)) {
    throw new OciError('DIGEST_INVALID', `unsupported digest algorithm ${JSON.stringify(algorithm)}`);
  }
  if (hex.length !== hexLength[algorithm] || !/^[a-f0-9]+$/.test(hex)) {
    throw new OciError('DIGEST_INVALID', `invalid ${algorithm} digest ${JSON.stringify(digest)}`);
  }
  return { algorithm, hex, digest };
}

export function isDigest(s: string): boolean {
  try {
    parseDigest(s);
    return true;
  } catch {
    return false;
  }
}

export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** A streaming digester: feed chunks, read the digest at the end. */
export class Digester {
  readonly algorithm: DigestAlgorithm;
  private readonly hash: Hash;
  size = 0;
  constructor(algorithm: DigestAlgorithm = 'sha256') {
    this.algorithm = algorithm;
    this.hash = createHash(algorithm);
  }
  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.size += chunk.length;
  }
  digest(): string {
    return `${this.algorithm}:${this.hash.digest('hex')}`;
  }
}

/**
 * A pass-through stream that checks size and digest of what flows through it; it errors at the end
 * (before signalling completion) if either differs, so a consumer never sees a bad blob as complete.
 */
export class VerifyingStream extends Transform {
  private readonly digester: Digester;
  private readonly expected: ParsedDigest;
  private readonly expectedSize: number | undefined;

  constructor(expectedDigest: string, expectedSize?: number) {
    super();
    this.expected = parseDigest(expectedDigest);
    this.digester = new Digester(this.expected.algorithm);
    this.expectedSize = expectedSize;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.digester.update(chunk);
    if (this.expectedSize !== undefined && this.digester.size > this.expectedSize) {
      cb(new OciError('SIZE_INVALID', `content is larger than the expected ${this.expectedSize} bytes`));
      return;
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.expectedSize !== undefined && this.digester.size !== this.expectedSize) {
      cb(new OciError('SIZE_INVALID', `content has ${this.digester.size} bytes, expected ${this.expectedSize}`));
      return;
    }
    const got = this.digester.digest();
    if (got !== this.expected.digest) {
      cb(new OciError('DIGEST_INVALID', `content digest ${got} does not match ${this.expected.digest}`));
      return;
    }
    cb();
  }
}
