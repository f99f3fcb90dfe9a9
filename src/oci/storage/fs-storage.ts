// Filesystem backend of RegistryStorage.
//
//   blobs/<alg>/<hex[0:2]>/<hex>                       content, shared by all repositories
//   uploads/<id>/{data,info.json}                      upload sessions in progress
//   repositories/<repo>/_layers/<alg>/<hex>            the repository may read this blob
//   repositories/<repo>/_manifests/revisions/<alg>/<hex>   manifest present; file holds its media type
//   repositories/<repo>/_manifests/tags/<tag>          file holds the tagged digest
//   repositories/<repo>/_referrers/<alg>/<hex>/<alg>-<hex>  descriptor of a manifest whose subject is <hex>
//
// Names are validated before they reach a path (the grammar admits no `.`-only or `_`-leading components),
// and every visible file is published by rename, so a crash never exposes a partial blob.
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OciError } from '../errors.ts';
import { parseDigest, Digester, type DigestAlgorithm } from '../digest.ts';
import { checkRepositoryName, isValidTag } from '../reference.ts';
import { parseManifest, type Descriptor } from '../media-types.ts';
import { fsyncDir, fsyncFile, writeFileAtomic } from './atomic-file.ts';
import type {
  BlobInfo,
  ByteRange,
  GcResult,
  RegistryStorage,
  StoredManifest,
  UploadState,
} from './registry-storage.ts';

interface RunningHash {
  hash: Hash;
  size: number;
}

const uploadIdRe = /^[a-f0-9-]{36}$/;

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

async function readdirOrEmpty(p: string): Promise<string[]> {
  try {
    return await readdir(p);
  } catch {
    return [];
  }
}

export class FsRegistryStorage implements RegistryStorage {
  readonly root: string;
  /** sha256 state of uploads whose chunks arrived in order in this process, to avoid re-reading at commit. */
  private readonly running = new Map<string, RunningHash>();

  constructor(root: string) {
    this.root = root;
  }

  async init(): Promise<void> {
    for (const d of ['blobs', 'uploads', 'repositories']) await mkdir(join(this.root, d), { recursive: true });
  }

  /** Temporary files live under uploads/ (same filesystem), never beside published files. */
  private get tmpDir(): string {
    return join(this.root, 'uploads');
  }

  private blobPath(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return join(this.root, 'blobs', algorithm, hex.slice(0, 2), hex);
  }
  private repoDir(repository: string): string {
    checkRepositoryName(repository);
    return join(this.root, 'repositories', repository);
  }
  private layerLink(repository: string, digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return join(this.repoDir(repository), '_layers', algorithm, hex);
  }
  private revisionLink(repository: string, digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return join(this.repoDir(repository), '_manifests', 'revisions', algorithm, hex);
  }
  private tagPath(repository: string, tag: string): string {
    if (!isValidTag(tag)) throw new OciError('TAG_INVALID', `invalid tag ${JSON.stringify(tag)}`);
    return join(this.repoDir(repository), '_manifests', 'tags', tag);
  }
  private referrerDir(repository: string, subject: string): string {
    const { algorithm, hex } = parseDigest(subject);
    return join(this.repoDir(repository), '_referrers', algorithm, hex);
  }
  private uploadDir(id: string): string {
    if (!uploadIdRe.test(id)) throw new OciError('BLOB_UPLOAD_UNKNOWN', `unknown upload ${JSON.stringify(id)}`);
    return join(this.root, 'uploads', id);
  }

  async statBlob(digest: string): Promise<BlobInfo | null> {
    try {
      const s = await stat(this.blobPath(digest));
      return { digest, size: s.size };
    } catch {
      return null;
    }
  }

  async statRepoBlob(repository: string, digest: string): Promise<BlobInfo | null> {
    if (!(await exists(this.layerLink(repository, digest))) && !(await exists(this.revisionLink(repository, digest))))
      return null;
    return this.statBlob(digest);
  }

  readBlob(digest: string, range?: ByteRange): Readable {
    const path = this.blobPath(digest);
    const highWaterMark = 1024 * 1024;
    return range
      ? createReadStream(path, { start: range.start, end: range.end, highWaterMark })
      : createReadStream(path, { highWaterMark });
  }

  async linkBlob(repository: string, digest: string): Promise<void> {
    const link = this.layerLink(repository, digest);
    await mkdir(dirname(link), { recursive: true });
    await writeFile(link, '');
  }

  async unlinkBlob(repository: string, digest: string): Promise<boolean> {
    const link = this.layerLink(repository, digest);
    if (!(await exists(link))) return false;
    await rm(link, { force: true });
    return true;
  }

  async createUpload(repository: string): Promise<UploadState> {
    checkRepositoryName(repository);
    const id = randomUUID();
    const dir = this.uploadDir(id);
    await mkdir(dir, { recursive: true });
    const startedAt = Date.now();
    await writeFile(join(dir, 'data'), '');
    await writeFile(join(dir, 'info.json'), JSON.stringify({ repository, startedAt }));
    this.running.set(id, { hash: createHash('sha256'), size: 0 });
    return { id, repository, size: 0, startedAt };
  }

  async getUpload(repository: string, id: string): Promise<UploadState | null> {
    let dir: string;
    try {
      dir = this.uploadDir(id);
    } catch {
      return null;
    }
    try {
      const info = JSON.parse(await readFile(join(dir, 'info.json'), 'utf8')) as {
        repository: string;
        startedAt: number;
      };
      if (info.repository !== repository) return null;
      const s = await stat(join(dir, 'data'));
      return { id, repository, size: s.size, startedAt: info.startedAt };
    } catch {
      return null;
    }
  }

  private async requireUpload(repository: string, id: string): Promise<UploadState> {
    const u = await this.getUpload(repository, id);
    if (!u) throw new OciError('BLOB_UPLOAD_UNKNOWN', `upload ${id} is not known in ${repository}`);
    return u;
  }

  async appendUpload(repository: string, id: string, offset: number, data: Readable): Promise<UploadState> {
    const u = await this.requireUpload(repository, id);
    if (offset !== u.size) {
      throw new OciError('RANGE_INVALID', `chunk starts at ${offset} but the upload has ${u.size} bytes`, {
        detail: { size: u.size },
      });
    }
    const path = join(this.uploadDir(id), 'data');
    const rh = this.running.get(id);
    const track = rh && rh.size === offset ? rh : undefined;
    if (!track) this.running.delete(id);
    // Hash into a fresh copy so a failed chunk does not poison the running state.
    const h = track ? track.hash.copy() : undefined;
    let n = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _e, cb) {
        n += chunk.length;
        h?.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(data, counter, createWriteStream(path, { flags: 'r+', start: offset }));
    } catch (err) {
      // the client went away mid-chunk: drop the partial chunk
      await truncate(path, offset).catch(() => undefined);
      this.running.delete(id);
      throw err;
    }
    if (track && h) this.running.set(id, { hash: h, size: offset + n });
    return { ...u, size: offset + n };
  }

  private async digestFile(path: string, algorithm: DigestAlgorithm): Promise<{ digest: string; size: number }> {
    const d = new Digester(algorithm);
    for await (const chunk of createReadStream(path)) d.update(chunk as Buffer);
    return { digest: d.digest(), size: d.size };
  }

  /** Moves a verified file into the content store (or drops it if the blob is already there). */
  private async publish(tmpPath: string, digest: string): Promise<void> {
    const target = this.blobPath(digest);
    if (await exists(target)) {
      await rm(tmpPath, { force: true });
      return;
    }
    await fsyncFile(tmpPath);
    await mkdir(dirname(target), { recursive: true });
    await rename(tmpPath, target);
    await fsyncDir(dirname(target));
  }

  async commitUpload(repository: string, id: string, digest: string, expectedSize?: number): Promise<BlobInfo> {
    const { algorithm } = parseDigest(digest);
    const u = await this.requireUpload(repository, id);
    const dir = this.uploadDir(id);
    const path = join(dir, 'data');
    const rh = this.running.get(id);
    let got: { digest: string; size: number };
    if (algorithm === 'sha256' && rh && rh.size === u.size)
      got = { digest: `sha256:${rh.hash.copy().digest('hex')}`, size: rh.size };
    else got = await this.digestFile(path, algorithm);
    if (expectedSize !== undefined && got.size !== expectedSize) {
      await this.cancelUpload(repository, id);
      throw new OciError('SIZE_INVALID', `upload has ${got.size} bytes, expected ${expectedSize}`);
    }
    if (got.digest !== digest) {
      await this.cancelUpload(repository, id);
      throw new OciError('DIGEST_INVALID', `uploaded content has digest ${got.digest}, not ${digest}`);
    }
    await this.publish(path, digest);
    await this.linkBlob(repository, digest);
    await rm(dir, { recursive: true, force: true });
    this.running.delete(id);
    return { digest, size: got.size };
  }

  async cancelUpload(repository: string, id: string): Promise<boolean> {
    const u = await this.getUpload(repository, id);
    if (!u) return false;
    await rm(this.uploadDir(id), { recursive: true, force: true });
    this.running.delete(id);
    return true;
  }

  async putBlob(repository: string, digest: string, data: Readable, expectedSize?: number): Promise<BlobInfo> {
    const { algorithm } = parseDigest(digest);
    checkRepositoryName(repository);
    const dir = join(this.root, 'uploads', randomUUID());
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'data');
    const d = new Digester(algorithm);
    const hasher = new Transform({
      transform(chunk: Buffer, _e, cb) {
        d.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(data, hasher, createWriteStream(path));
      if (expectedSize !== undefined && d.size !== expectedSize) {
        throw new OciError('SIZE_INVALID', `blob has ${d.size} bytes, expected ${expectedSize}`);
      }
      const got = d.digest();
      if (got !== digest) throw new OciError('DIGEST_INVALID', `uploaded content has digest ${got}, not ${digest}`);
      await this.publish(path, digest);
      await this.linkBlob(repository, digest);
      return { digest, size: d.size };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async putManifest(
    repository: string,
    m: StoredManifest,
    tag?: string,
    subject?: Descriptor,
    referrer?: Descriptor,
  ): Promise<void> {
    const target = this.blobPath(m.digest);
    if (!(await exists(target))) await writeFileAtomic(target, m.bytes, this.tmpDir);
    await writeFileAtomic(this.revisionLink(repository, m.digest), m.mediaType, this.tmpDir);
    if (subject && referrer) {
      const { algorithm, hex } = parseDigest(m.digest);
      await writeFileAtomic(
        join(this.referrerDir(repository, subject.digest), `${algorithm}-${hex}`),
        JSON.stringify(referrer),
        this.tmpDir,
      );
    }
    if (tag !== undefined) await writeFileAtomic(this.tagPath(repository, tag), m.digest, this.tmpDir);
  }

  async resolveTag(repository: string, tag: string): Promise<string | null> {
    try {
      return (await readFile(this.tagPath(repository, tag), 'utf8')).trim();
    } catch (err) {
      if (err instanceof OciError) throw err;
      return null;
    }
  }

  async getManifest(repository: string, reference: string): Promise<StoredManifest | null> {
    const digest = reference.includes(':') ? reference : await this.resolveTag(repository, reference);
    if (digest === null) return null;
    let mediaType: string;
    try {
      mediaType = await readFile(this.revisionLink(repository, digest), 'utf8');
    } catch (err) {
      if (err instanceof OciError) throw err;
      return null;
    }
    try {
      const bytes = await readFile(this.blobPath(digest));
      return { digest, mediaType, bytes };
    } catch {
      return null;
    }
  }

  async deleteManifest(repository: string, digest: string): Promise<boolean> {
    const m = await this.getManifest(repository, digest);
    if (!m) return false;
    try {
      const parsed = parseManifest(m.bytes, m.mediaType);
      if (parsed.subject) {
        const { algorithm, hex } = parseDigest(digest);
        await rm(join(this.referrerDir(repository, parsed.subject.digest), `${algorithm}-${hex}`), { force: true });
      }
    } catch {
      // a manifest we stored always parses; if not, there is no referrer entry to remove
    }
    await rm(this.revisionLink(repository, digest), { force: true });
    const tagsDir = join(this.repoDir(repository), '_manifests', 'tags');
    for (const t of await readdirOrEmpty(tagsDir)) {
      if (t.startsWith('.')) continue;
      const d = await this.resolveTag(repository, t);
      if (d === digest) await rm(join(tagsDir, t), { force: true });
    }
    return true;
  }

  async deleteTag(repository: string, tag: string): Promise<boolean> {
    const p = this.tagPath(repository, tag);
    if (!(await exists(p))) return false;
    await rm(p, { force: true });
    return true;
  }

  async listTags(repository: string): Promise<string[] | null> {
    const dir = this.repoDir(repository);
    if (!(await exists(dir))) return null;
    const tags = (await readdirOrEmpty(join(dir, '_manifests', 'tags'))).filter((t) => !t.startsWith('.'));
    return tags.sort();
  }

  async listRepositories(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      const entries = await readdirOrEmpty(dir);
      if (entries.includes('_manifests') || entries.includes('_layers')) out.push(prefix);
      for (const e of entries) {
        if (e.startsWith('_') || e.startsWith('.')) continue;
        await walk(join(dir, e), prefix ? `${prefix}/${e}` : e);
      }
    };
    await walk(join(this.root, 'repositories'), '');
    return out.filter((r) => r !== '').sort();
  }

  async listReferrers(repository: string, digest: string): Promise<Descriptor[]> {
    const dir = this.referrerDir(repository, digest);
    const out: Descriptor[] = [];
    for (const f of (await readdirOrEmpty(dir)).sort()) {
      if (f.startsWith('.')) continue;
      try {
        out.push(JSON.parse(await readFile(join(dir, f), 'utf8')) as Descriptor);
      } catch {
        // a vanished entry (concurrent delete) is skipped
      }
    }
    return out;
  }

  async gc(opts: { uploadTtlMs: number; dryRun?: boolean; now?: number }): Promise<GcResult> {
    const now = opts.now ?? Date.now();
    const result: GcResult = { blobsDeleted: 0, bytesFreed: 0, uploadsExpired: 0 };
    result.uploadsExpired = await this.expireUploads(opts.uploadTtlMs, now, opts.dryRun);
    // mark: every manifest of every repository and what it references
    const marked = new Set<string>();
    const repos = await this.listRepositories();
    for (const repo of repos) {
      const revDir = join(this.repoDir(repo), '_manifests', 'revisions');
      for (const alg of await readdirOrEmpty(revDir)) {
        for (const hex of await readdirOrEmpty(join(revDir, alg))) {
          if (hex.startsWith('.')) continue;
          const digest = `${alg}:${hex}`;
          marked.add(digest);
          const m = await this.getManifest(repo, digest);
          if (!m) continue;
          try {
            const p = parseManifest(m.bytes, m.mediaType);
            for (const b of p.blobs) marked.add(b.digest);
          } catch {
            // unparsable manifests keep only themselves
          }
        }
      }
    }
    // sweep
    const blobsRoot = join(this.root, 'blobs');
    for (const alg of await readdirOrEmpty(blobsRoot)) {
      for (const pre of await readdirOrEmpty(join(blobsRoot, alg))) {
        for (const hex of await readdirOrEmpty(join(blobsRoot, alg, pre))) {
          if (hex.startsWith('.')) continue;
          const digest = `${alg}:${hex}`;
          if (marked.has(digest)) continue;
          const p = join(blobsRoot, alg, pre, hex);
          const s = await stat(p).catch(() => null);
          result.blobsDeleted++;
          result.bytesFreed += s?.size ?? 0;
          if (!opts.dryRun) {
            await rm(p, { force: true });
            for (const repo of repos) await rm(this.layerLink(repo, digest), { force: true });
          }
        }
      }
    }
    return result;
  }

  async expireUploads(ttlMs: number, now = Date.now(), dryRun = false): Promise<number> {
    let n = 0;
    for (const id of await readdirOrEmpty(join(this.root, 'uploads'))) {
      const dir = join(this.root, 'uploads', id);
      let startedAt = 0;
      try {
        startedAt = (JSON.parse(await readFile(join(dir, 'info.json'), 'utf8')) as { startedAt: number }).startedAt;
      } catch {
        startedAt = (await stat(dir).catch(() => ({ mtimeMs: 0 }))).mtimeMs;
      }
      if (now - startedAt > ttlMs) {
        n++;
        if (!dryRun) {
          await rm(dir, { recursive: true, force: true });
          this.running.delete(id);
        }
      }
    }
    return n;
  }
}

export async function openFsStorage(root: string): Promise<FsRegistryStorage> {
  const s = new FsRegistryStorage(root);
  await s.init();
  return s;
}
