// `docker save` tarballs. Reading accepts both forms: the classic one (`manifest.json`, `<id>.json`,
// `<id>/layer.tar`), for which an OCI manifest is synthesised, and Docker 25+'s (an OCI layout inside
// the tar, whose manifests keep their digests). Writing produces the Docker 25+ form, which `docker load`
// and OCI tools both read. Members are streamed from the file, never extracted.
import { rename, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { OciError } from './errors.ts';
import { Digester, VerifyingStream, digestOf, isDigest } from './digest.ts';
import { MediaType, parseManifest, type Descriptor, type ImageIndex, type ImageManifest } from './media-types.ts';
import { REF_NAME_ANNOTATION } from './layout.ts';
import { formatReference, parseReference } from './reference.ts';
import { tempPathFor } from './storage/atomic-file.ts';
import { indexTar, readMember, readMemberBytes, TarWriter, type TarMember } from './tar-index.ts';
import type { BlobSource, FetchedManifest } from './client/registry-client.ts';
import type { ImageStore } from './image-store.ts';
import { selectPlatform } from './copy.ts';
import type { Platform } from './media-types.ts';

interface ArchiveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

export class DockerArchiveStore implements ImageStore {
  readonly name: string;
  readonly path: string;
  private readonly members: Map<string, TarMember>;
  /** digest -> member holding that content. */
  private readonly blobs = new Map<string, TarMember>();
  /** synthesised manifests by digest, and tags -> digest. */
  private readonly manifests = new Map<string, FetchedManifest>();
  private readonly tags = new Map<string, string>();
  private first: string | undefined;

  private constructor(path: string, members: Map<string, TarMember>) {
    this.path = path;
    this.name = `docker-archive:${path}`;
    this.members = members;
  }

  static async open(path: string): Promise<DockerArchiveStore> {
    const s = new DockerArchiveStore(path, await indexTar(path));
    await s.load();
    return s;
  }

  private member(name: string): TarMember {
    const m = this.members.get(name);
    if (!m) throw new OciError('LAYOUT_INVALID', `${this.path}: member ${name} is missing`);
    return m;
  }

  private async hashMember(m: TarMember): Promise<string> {
    const d = new Digester('sha256');
    for await (const c of readMember(this.path, m)) d.update(c as Buffer);
    return d.digest();
  }

  private async isGzip(m: TarMember): Promise<boolean> {
    if (m.size < 2) return false;
    for await (const c of readMember(this.path, { ...m, size: 2 }))
      return (c as Buffer)[0] === 0x1f && (c as Buffer)[1] === 0x8b;
    return false;
  }

  private async load(): Promise<void> {
    for (const [name, m] of this.members) {
      const mm = /^blobs\/(sha256|sha512)\/([a-f0-9]+)$/.exec(name);
      if (mm) this.blobs.set(`${mm[1]}:${mm[2]}`, m);
    }
    const idxMember = this.members.get('index.json');
    if (idxMember && this.members.has('oci-layout')) {
      const idx = JSON.parse((await readMemberBytes(this.path, idxMember)).toString('utf8')) as ImageIndex;
      for (const d of idx.manifests) {
        this.first ??= d.digest;
        const t = d.annotations?.['io.containerd.image.name'] ?? d.annotations?.[REF_NAME_ANNOTATION];
        if (t) this.tags.set(t, d.digest);
      }
      if (this.first) return;
    }
    const mf = this.members.get('manifest.json');
    if (!mf)
      throw new OciError('LAYOUT_INVALID', `${this.path} is neither a docker save archive nor an OCI layout tar`);
    let entries: ArchiveEntry[];
    try {
      entries = JSON.parse((await readMemberBytes(this.path, mf)).toString('utf8')) as ArchiveEntry[];
    } catch (err) {
      throw new OciError('LAYOUT_INVALID', `${this.path}: manifest.json: ${(err as Error).message}`, { cause: err });
    }
    for (const e of entries) {
      const cfgMember = this.member(e.Config);
      const cfgBytes = await readMemberBytes(this.path, cfgMember);
      const cfgDigest = digestOf(cfgBytes);
      this.blobs.set(cfgDigest, cfgMember);
      const layers: Descriptor[] = [];
      for (const l of e.Layers) {
        const m = this.member(l);
        const fromName = /^blobs\/(sha256)\/([a-f0-9]{64})$/.exec(l);
        const digest = fromName ? `${fromName[1]}:${fromName[2]}` : await this.hashMember(m);
        this.blobs.set(digest, m);
        layers.push({
          mediaType: (await this.isGzip(m)) ? MediaType.OciLayerGzip : MediaType.OciLayer,
          digest,
          size: m.size,
        });
      }
      const manifest: ImageManifest = {
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: MediaType.OciConfig, digest: cfgDigest, size: cfgBytes.length },
        layers,
      };
      const bytes = Buffer.from(JSON.stringify(manifest));
      const digest = digestOf(bytes);
      this.manifests.set(digest, { bytes, digest, mediaType: MediaType.OciManifest });
      this.first ??= digest;
      for (const t of e.RepoTags ?? []) this.tags.set(t, digest);
    }
  }

  async getManifest(ref: string): Promise<FetchedManifest> {
    let digest = ref === '' ? this.first : isDigest(ref) ? ref : this.tags.get(ref);
    if (digest === undefined) {
      // `alpine`, `docker.io/library/alpine:latest` and `alpine:latest` name the same image
      const norm = (r: string): string | undefined => {
        try {
          return formatReference(parseReference(r));
        } catch {
          return undefined;
        }
      };
      const want = norm(ref);
      const matches = [...this.tags].filter(([t]) => want !== undefined && norm(t) === want);
      if (matches.length === 1) digest = matches[0]![1];
    }
    if (digest === undefined)
      throw new OciError(
        'MANIFEST_UNKNOWN',
        `no image ${JSON.stringify(ref)} in ${this.path} (has ${[...this.tags.keys()].join(', ') || 'no tags'})`,
      );
    const synth = this.manifests.get(digest);
    if (synth) return synth;
    const m = this.blobs.get(digest);
    if (!m) throw new OciError('MANIFEST_UNKNOWN', `manifest ${digest} is not in ${this.path}`);
    const bytes = await readMemberBytes(this.path, m);
    if (digestOf(bytes) !== digest)
      throw new OciError('DIGEST_INVALID', `${this.path}: manifest ${digest} does not match its content`);
    return { bytes, digest, mediaType: parseManifest(bytes).mediaType };
  }
  async hasBlob(digest: string): Promise<boolean> {
    return this.blobs.has(digest);
  }
  async hasManifest(digest: string): Promise<boolean> {
    return this.manifests.has(digest) || this.blobs.has(digest);
  }
  async getBlob(desc: Descriptor): Promise<Readable> {
    const m = this.blobs.get(desc.digest);
    if (!m) throw new OciError('BLOB_UNKNOWN', `blob ${desc.digest} is not in ${this.path}`);
    const v = new VerifyingStream(desc.digest, desc.size);
    const src = readMember(this.path, m);
    src.on('error', (e) => v.destroy(e));
    return src.pipe(v);
  }
  blobSource(desc: Descriptor): BlobSource {
    return (offset: number) => {
      const m = this.blobs.get(desc.digest);
      if (!m) throw new OciError('BLOB_UNKNOWN', `blob ${desc.digest} is not in ${this.path}`);
      if (offset > 0) return readMember(this.path, m, offset);
      const v = new VerifyingStream(desc.digest, desc.size);
      const src = readMember(this.path, m);
      src.on('error', (e) => v.destroy(e));
      return src.pipe(v);
    };
  }
  async putBlob(): Promise<'uploaded'> {
    throw new OciError('UNSUPPORTED', `${this.name} is read-only; use image export to write a tarball`);
  }
  async putManifest(): Promise<string> {
    throw new OciError('UNSUPPORTED', `${this.name} is read-only; use image export to write a tarball`);
  }
  async listTags(): Promise<string[]> {
    return [...this.tags.keys()].sort();
  }
  async referrers(): Promise<Descriptor[]> {
    return [];
  }
}

/**
 * Writes one image as a `docker save` tarball (Docker 25+ layout: manifest.json plus an OCI layout).
 * An index is narrowed to `platform` (default linux/amd64), as docker load takes one image per tag.
 */
export async function writeDockerArchive(
  src: ImageStore,
  ref: string,
  path: string,
  repoTag: string | undefined,
  platform: Platform = { os: 'linux', architecture: 'amd64' },
): Promise<{ digest: string }> {
  let m = await src.getManifest(ref);
  let parsed = parseManifest(m.bytes, m.mediaType);
  if (parsed.isIndex) {
    m = await src.getManifest(selectPlatform(m, platform).digest);
    parsed = parseManifest(m.bytes, m.mediaType);
  }
  // written beside the target and renamed, so a failed export leaves no truncated tarball
  const tmp = tempPathFor(path);
  const tar = TarWriter.toFile(tmp);
  try {
    const blobName = (d: string): string => `blobs/${d.replace(':', '/')}`;
    const written = new Set<string>();
    for (const b of parsed.blobs) {
      if (written.has(b.digest)) continue;
      written.add(b.digest);
      await tar.add(blobName(b.digest), b.size, await src.getBlob(b));
    }
    await tar.add(blobName(m.digest), m.bytes.length, m.bytes);
    const desc: Descriptor = { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length };
    if (repoTag)
      desc.annotations = { 'io.containerd.image.name': repoTag, [REF_NAME_ANNOTATION]: repoTag.replace(/^.*:/, '') };
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [desc] }));
    await tar.add('index.json', index.length, index);
    const layoutFile = Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await tar.add('oci-layout', layoutFile.length, layoutFile);
    const entry: ArchiveEntry = {
      Config: blobName(parsed.blobs[0]!.digest),
      RepoTags: repoTag ? [repoTag] : [],
      Layers: parsed.blobs.slice(1).map((b) => blobName(b.digest)),
    };
    const manifestJson = Buffer.from(JSON.stringify([entry]));
    await tar.add('manifest.json', manifestJson.length, manifestJson);
    await tar.close();
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return { digest: m.digest };
}
