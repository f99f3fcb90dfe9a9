// One interface over the places images live (a registry repository, an OCI image layout), so copy,
// inspect and the CLI work the same between any two of them.
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { OciError } from './errors.ts';
import { digestOf, isDigest } from './digest.ts';
import { parseManifest, type Descriptor } from './media-types.ts';
import { OciLayout, REF_NAME_ANNOTATION } from './layout.ts';
import type { BlobSource, FetchedManifest, RegistryClient } from './client/registry-client.ts';

export interface ImageStore {
  readonly name: string;
  /** The manifest at a tag or digest (default: the store's own reference). */
  getManifest(ref: string): Promise<FetchedManifest>;
  hasBlob(digest: string): Promise<boolean>;
  hasManifest(digest: string): Promise<boolean>;
  /** Verified stream of a whole blob. */
  getBlob(desc: Descriptor): Promise<Readable>;
  /** A restartable source (for resumable uploads). */
  blobSource(desc: Descriptor): BlobSource;
  putBlob(desc: Descriptor, source: BlobSource, mountFrom?: string): Promise<'exists' | 'mounted' | 'uploaded'>;
  putManifest(bytes: Buffer, mediaType: string, tag?: string): Promise<string>;
  listTags(): Promise<string[]>;
  /** Manifests whose subject is `digest` (signatures, SBOMs, scan reports...). */
  referrers(digest: string): Promise<Descriptor[]>;
  /** Registry + repository of a registry store, for mounts between repositories of one registry. */
  readonly registryRepo?: { host: string; repository: string };
}

export class RegistryStore implements ImageStore {
  readonly name: string;
  readonly client: RegistryClient;
  readonly repository: string;
  readonly registryRepo: { host: string; repository: string };

  constructor(client: RegistryClient, repository: string) {
    this.client = client;
    this.repository = repository;
    this.name = `${client.host}/${repository}`;
    this.registryRepo = { host: client.host, repository };
  }
  getManifest(ref: string): Promise<FetchedManifest> {
    return this.client.getManifest(this.repository, ref);
  }
  async hasBlob(digest: string): Promise<boolean> {
    return (await this.client.blobSize(this.repository, digest)) !== null;
  }
  async hasManifest(digest: string): Promise<boolean> {
    return (await this.client.headManifest(this.repository, digest)) !== null;
  }
  getBlob(desc: Descriptor): Promise<Readable> {
    return this.client.getBlob(this.repository, desc.digest, { size: desc.size });
  }
  blobSource(desc: Descriptor): BlobSource {
    // a restart at an offset uses a range read; the whole blob is verified by the receiving side
    return (offset: number) =>
      lazyStream(() =>
        offset === 0
          ? this.getBlob(desc)
          : this.client.getBlob(this.repository, desc.digest, { range: { start: offset } }),
      );
  }
  putBlob(desc: Descriptor, source: BlobSource, mountFrom?: string): Promise<'exists' | 'mounted' | 'uploaded'> {
    return this.client.pushBlob(this.repository, desc, source, mountFrom ? { mountFrom } : {});
  }
  async putManifest(bytes: Buffer, mediaType: string, tag?: string): Promise<string> {
    const parsed = parseManifest(bytes, mediaType);
    const ref = tag ?? digestOf(bytes);
    if (parsed.subject) return this.client.putReferrer(this.repository, bytes, mediaType, parsed.subject.digest, ref);
    return this.client.putManifest(this.repository, ref, bytes, mediaType);
  }
  listTags(): Promise<string[]> {
    return this.client.listTags(this.repository);
  }
  async referrers(digest: string): Promise<Descriptor[]> {
    return (await this.client.referrers(this.repository, digest)).manifests;
  }
}

/** Defers an async stream factory into a Readable (the source contract is synchronous). */
function lazyStream(open: () => Promise<Readable>): Readable {
  async function* gen(): AsyncIterable<Uint8Array> {
    const s = await open();
    for await (const c of s) yield c as Uint8Array;
  }
  return Readable.from(gen(), { objectMode: false });
}

export class LayoutStore implements ImageStore {
  readonly name: string;
  readonly layout: OciLayout;
  constructor(layout: OciLayout) {
    this.layout = layout;
    this.name = `oci:${layout.dir}`;
  }
  async getManifest(ref: string): Promise<FetchedManifest> {
    const desc = isDigest(ref) ? { digest: ref, mediaType: '' } : await this.layout.resolve(ref);
    const bytes = await this.layout.readBlobBytes(desc.digest);
    return { bytes, digest: desc.digest, mediaType: parseManifest(bytes, desc.mediaType || undefined).mediaType };
  }
  hasBlob(digest: string): Promise<boolean> {
    return this.layout.hasBlob(digest);
  }
  hasManifest(digest: string): Promise<boolean> {
    return this.layout.hasBlob(digest);
  }
  async getBlob(desc: Descriptor): Promise<Readable> {
    if (!(await this.layout.hasBlob(desc.digest)))
      throw new OciError('BLOB_UNKNOWN', `blob ${desc.digest} is not in ${this.layout.dir}`);
    return this.layout.readBlob(desc.digest, desc.size);
  }
  blobSource(desc: Descriptor): BlobSource {
    return (offset: number) =>
      offset === 0
        ? this.layout.readBlob(desc.digest, desc.size)
        : createReadStream(this.layout.blobPath(desc.digest), { start: offset });
  }
  async putBlob(desc: Descriptor, source: BlobSource): Promise<'exists' | 'uploaded'> {
    if (await this.layout.hasBlob(desc.digest)) return 'exists';
    await this.layout.writeBlob(desc.digest, source(0), desc.size);
    return 'uploaded';
  }
  async putManifest(bytes: Buffer, mediaType: string, tag?: string): Promise<string> {
    const digest = await this.layout.writeBlobBytes(bytes, 'sha256');
    const desc = { mediaType, digest, size: bytes.length };
    if (tag !== undefined && !isDigest(tag)) await this.layout.addManifest(desc, tag);
    // a referrer is listed in index.json (untagged) so it can be found again from its subject
    else if (parseManifest(bytes, mediaType).subject) await this.layout.addManifest(desc);
    return digest;
  }
  async referrers(digest: string): Promise<Descriptor[]> {
    // an image layout has no referrers index: look at the manifests index.json lists
    const out: Descriptor[] = [];
    for (const d of (await this.layout.readIndex()).manifests) {
      if (d.digest === digest || !(await this.layout.hasBlob(d.digest))) continue;
      try {
        const p = parseManifest(await this.layout.readBlobBytes(d.digest), d.mediaType);
        if (p.subject?.digest !== digest) continue;
        const r: Descriptor = { mediaType: p.mediaType, digest: d.digest, size: d.size };
        if (p.artifactType) r.artifactType = p.artifactType;
        if (p.manifest.annotations) r.annotations = p.manifest.annotations;
        if (!out.some((x) => x.digest === r.digest)) out.push(r);
      } catch {
        // not a manifest we understand: not a referrer
      }
    }
    return out;
  }
  async listTags(): Promise<string[]> {
    const idx = await this.layout.readIndex();
    return idx.manifests
      .map((m) => m.annotations?.[REF_NAME_ANNOTATION])
      .filter((t): t is string => t !== undefined)
      .sort();
  }
}
