// Where the images API reads from: the embedded registry's storage, or any registry over the
// distribution API through the oci RegistryClient (`sekisho up --registry URL`). Both answer the same
// small interface; "not found" is null, never an exception.
import type { Readable } from 'node:stream';
import {
  OciError,
  RegistryClient,
  type CredentialProvider,
  type Descriptor,
  type RegistryStorage,
} from '../oci/index.ts';

export interface ManifestBytes {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

export interface ImageSource {
  /** e.g. "embedded" or the registry URL */
  readonly name: string;
  listRepositories(): Promise<string[]>;
  /** null when the repository does not exist */
  listTags(repository: string): Promise<string[] | null>;
  resolveTag(repository: string, tag: string): Promise<string | null>;
  getManifest(repository: string, reference: string): Promise<ManifestBytes | null>;
  /** a blob's bytes (at most `maxBytes`; larger blobs are an error) */
  getBlob(repository: string, digest: string, maxBytes: number): Promise<Buffer | null>;
  /** OCI 1.1 referrers of a manifest */
  referrers(repository: string, digest: string): Promise<Descriptor[]>;
}

async function readAll(s: Readable, maxBytes: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of s as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > maxBytes) {
      s.destroy();
      throw new Error(`${what} is larger than ${maxBytes} bytes`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

export class StorageImageSource implements ImageSource {
  readonly name = 'embedded';
  constructor(private readonly storage: RegistryStorage) {}
  listRepositories(): Promise<string[]> {
    return this.storage.listRepositories();
  }
  listTags(repository: string): Promise<string[] | null> {
    return this.storage.listTags(repository);
  }
  resolveTag(repository: string, tag: string): Promise<string | null> {
    return this.storage.resolveTag(repository, tag);
  }
  async getManifest(repository: string, reference: string): Promise<ManifestBytes | null> {
    const m = await this.storage.getManifest(repository, reference);
    return m ? { digest: m.digest, mediaType: m.mediaType, bytes: m.bytes } : null;
  }
  async getBlob(repository: string, digest: string, maxBytes: number): Promise<Buffer | null> {
    const info = await this.storage.statRepoBlob(repository, digest);
    if (!info) return null;
    if (info.size > maxBytes) throw new Error(`blob ${digest} is larger than ${maxBytes} bytes`);
    return readAll(this.storage.readBlob(digest), maxBytes, `blob ${digest}`);
  }
  referrers(repository: string, digest: string): Promise<Descriptor[]> {
    return this.storage.listReferrers(repository, digest);
  }
}

function isNotFound(e: unknown): boolean {
  return (
    e instanceof OciError &&
    (e.status === 404 || e.code === 'MANIFEST_UNKNOWN' || e.code === 'NAME_UNKNOWN' || e.code === 'BLOB_UNKNOWN')
  );
}

/** A registry read over HTTP(S); `url` is e.g. http://127.0.0.1:5000 or https://ghcr.io. */
export class ClientImageSource implements ImageSource {
  readonly name: string;
  readonly client: RegistryClient;
  constructor(url: string, credentials?: CredentialProvider) {
    const u = new URL(url);
    this.name = u.origin;
    this.client = new RegistryClient({
      host: u.host,
      scheme: u.protocol === 'http:' ? 'http' : 'https',
      maxAttempts: 2,
      ...(credentials ? { credentials } : {}),
    });
  }
  listRepositories(): Promise<string[]> {
    return this.client.catalog();
  }
  async listTags(repository: string): Promise<string[] | null> {
    try {
      const tags = await this.client.listTags(repository);
      if (tags.length) return tags;
      // the client maps a 404 to [] — tell an empty repository from a missing one by its catalog entry
      return (await this.client.catalog().catch(() => [repository])).includes(repository) ? tags : null;
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }
  async resolveTag(repository: string, tag: string): Promise<string | null> {
    const d = await this.client.headManifest(repository, tag).catch((e: unknown) => {
      if (isNotFound(e)) return null;
      throw e;
    });
    return d?.digest ?? null;
  }
  async getManifest(repository: string, reference: string): Promise<ManifestBytes | null> {
    try {
      return await this.client.getManifest(repository, reference);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }
  async getBlob(repository: string, digest: string, maxBytes: number): Promise<Buffer | null> {
    try {
      const size = await this.client.blobSize(repository, digest);
      if (size === null) return null;
      if (size > maxBytes) throw new Error(`blob ${digest} is larger than ${maxBytes} bytes`);
      return await this.client.getBlobBytes(repository, digest, size);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }
  async referrers(repository: string, digest: string): Promise<Descriptor[]> {
    return (await this.client.referrers(repository, digest)).manifests;
  }
}
