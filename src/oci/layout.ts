// OCI image layout (image-spec `image-layout.md`): `oci-layout`, `index.json` and `blobs/<alg>/<hex>`.
// Blobs are written through a temporary file and renamed once their digest checks out.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OciError } from './errors.ts';
import { VerifyingStream, digestOf, parseDigest } from './digest.ts';
import { MediaType, type Descriptor, type ImageIndex } from './media-types.ts';
import { fsyncDir, fsyncFile, tempPathFor, writeFileAtomic } from './storage/atomic-file.ts';

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

export class OciLayout {
  readonly dir: string;
  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Opens a layout; with `create`, makes an empty one if the directory has none. */
  static async open(dir: string, opts: { create?: boolean } = {}): Promise<OciLayout> {
    const marker = join(dir, 'oci-layout');
    let text: string | undefined;
    try {
      text = await readFile(marker, 'utf8');
    } catch {
      if (!opts.create) throw new OciError('LAYOUT_INVALID', `${dir} is not an OCI image layout (no oci-layout file)`);
    }
    if (text !== undefined) {
      let v: unknown;
      try {
        v = (JSON.parse(text) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
      } catch (err) {
        throw new OciError('LAYOUT_INVALID', `${marker}: invalid JSON`, {
          cause: err,
          location: { file: marker, row: 1, col: 1 },
        });
      }
      if (typeof v !== 'string' || !v.startsWith('1.'))
        throw new OciError('LAYOUT_INVALID', `${marker}: unsupported imageLayoutVersion ${JSON.stringify(v)}`);
    } else {
      await mkdir(join(dir, 'blobs'), { recursive: true });
      await writeFileAtomic(marker, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
      await writeFileAtomic(
        join(dir, 'index.json'),
        JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] }),
      );
    }
    return new OciLayout(dir);
  }

  blobPath(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return join(this.dir, 'blobs', algorithm, hex);
  }

  async hasBlob(digest: string): Promise<boolean> {
    try {
      await stat(this.blobPath(digest));
      return true;
    } catch {
      return false;
    }
  }

  async blobSize(digest: string): Promise<number | null> {
    try {
      return (await stat(this.blobPath(digest))).size;
    } catch {
      return null;
    }
  }

  /** Streams a blob out, verifying its digest (and size) as it goes. */
  readBlob(digest: string, size?: number): Readable {
    const src = createReadStream(this.blobPath(digest));
    const v = new VerifyingStream(digest, size);
    src.on('error', (e) => v.destroy(e));
    return src.pipe(v);
  }

  async readBlobBytes(digest: string): Promise<Buffer> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.blobPath(digest));
    } catch (err) {
      throw new OciError('BLOB_UNKNOWN', `blob ${digest} is not in layout ${this.dir}`, { cause: err });
    }
    const got = digestOf(bytes, parseDigest(digest).algorithm);
    if (got !== digest) throw new OciError('DIGEST_INVALID', `blob ${digest} in ${this.dir} has digest ${got}`);
    return bytes;
  }

  /** Writes a blob from a stream; the file appears only once its digest and size have been checked. */
  async writeBlob(digest: string, data: Readable, size?: number): Promise<void> {
    if (await this.hasBlob(digest)) {
      data.resume();
      return;
    }
    const target = this.blobPath(digest);
    await mkdir(join(target, '..'), { recursive: true });
    const tmp = tempPathFor(target);
    try {
      await pipeline(data, new VerifyingStream(digest, size), createWriteStream(tmp));
      await fsyncFile(tmp);
      await rename(tmp, target);
      await fsyncDir(join(target, '..'));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async writeBlobBytes(bytes: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): Promise<string> {
    const digest = digestOf(bytes, algorithm);
    if (!(await this.hasBlob(digest))) await writeFileAtomic(this.blobPath(digest), bytes);
    return digest;
  }

  async readIndex(): Promise<ImageIndex> {
    const p = join(this.dir, 'index.json');
    let doc: unknown;
    try {
      doc = JSON.parse(await readFile(p, 'utf8'));
    } catch (err) {
      throw new OciError('LAYOUT_INVALID', `${p}: cannot read index: ${(err as Error).message}`, {
        cause: err,
        location: { file: p, row: 1, col: 1 },
      });
    }
    const idx = doc as ImageIndex;
    if (!idx || idx.schemaVersion !== 2 || !Array.isArray(idx.manifests))
      throw new OciError('LAYOUT_INVALID', `${p}: not an image index`);
    return idx;
  }

  async writeIndex(idx: ImageIndex): Promise<void> {
    await writeFileAtomic(join(this.dir, 'index.json'), JSON.stringify(idx, null, 2));
  }

  /** Adds (or replaces, by ref name) a manifest in index.json. */
  async addManifest(desc: Descriptor, refName?: string): Promise<void> {
    const idx = await this.readIndex();
    const d: Descriptor = { ...desc };
    if (refName !== undefined) d.annotations = { ...(d.annotations ?? {}), [REF_NAME_ANNOTATION]: refName };
    idx.manifests = idx.manifests.filter((m) =>
      refName !== undefined
        ? m.annotations?.[REF_NAME_ANNOTATION] !== refName
        : !(m.digest === d.digest && m.annotations?.[REF_NAME_ANNOTATION] === undefined),
    );
    idx.manifests.push(d);
    await this.writeIndex(idx);
  }

  /** Finds a manifest by ref name (tag) or digest; with neither, the only manifest. */
  async resolve(ref?: string): Promise<Descriptor> {
    const idx = await this.readIndex();
    let found: Descriptor | undefined;
    if (ref === undefined || ref === '') {
      if (idx.manifests.length !== 1)
        throw new OciError('MANIFEST_UNKNOWN', `${this.dir} holds ${idx.manifests.length} manifests; name one`);
      found = idx.manifests[0];
    } else if (ref.includes(':') && /^sha(256|512):/.test(ref)) {
      found = idx.manifests.find((m) => m.digest === ref);
      if (!found && (await this.hasBlob(ref))) {
        const bytes = await this.readBlobBytes(ref);
        const mt = (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ?? MediaType.OciManifest;
        found = { mediaType: mt, digest: ref, size: bytes.length };
      }
    } else found = idx.manifests.find((m) => m.annotations?.[REF_NAME_ANNOTATION] === ref);
    if (!found) throw new OciError('MANIFEST_UNKNOWN', `no manifest ${JSON.stringify(ref)} in ${this.dir}`);
    return found;
  }
}
