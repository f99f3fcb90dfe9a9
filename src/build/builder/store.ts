// The builder's local store under the cache dir: one OCI image layout holding every blob the builder has
// seen (base image layers, built layers, configs, manifests), and the step cache index, one small JSON file
// per cache key. Everything is content-addressed, so concurrent builds sharing a cache dir only ever write
// the same bytes to the same names (each file appears atomically).
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OciLayout, writeFileAtomic, type ImageStore } from '../../oci/index.ts';
import { BuildError } from '../errors.ts';

export interface LayerRef {
  mediaType: string;
  /** sha256 of the stored (gzipped) blob. */
  digest: string;
  /** sha256 of the uncompressed tar. */
  diffId: string;
  size: number;
}

/** What a cached filesystem step produced: a layer, or nothing (an empty diff). */
export interface CacheEntry {
  layer: LayerRef | null;
}

export class BuildStore {
  readonly dir: string;
  readonly layout: OciLayout;
  private readonly indexDir: string;
  /** Entries imported from `--cache-from` (looked up after the local index). */
  readonly imported = new Map<string, CacheEntry>();
  /** Where an imported layer blob can be fetched from, by digest. */
  readonly remoteBlobs = new Map<string, ImageStore>();

  private constructor(dir: string, layout: OciLayout) {
    this.dir = dir;
    this.layout = layout;
    this.indexDir = join(dir, 'index');
  }

  static async open(cacheDir: string): Promise<BuildStore> {
    try {
      await mkdir(join(cacheDir, 'index'), { recursive: true });
      const layout = await OciLayout.open(join(cacheDir, 'blobs'), { create: true });
      return new BuildStore(cacheDir, layout);
    } catch (err) {
      throw new BuildError('CACHE', `cannot open the build cache at ${cacheDir}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  private entryPath(key: string): string {
    return join(this.indexDir, key.slice(0, 2), `${key}.json`);
  }

  /** A cache entry whose layer blob is present (or can be fetched: imported entries). */
  async get(key: string): Promise<{ entry: CacheEntry; source: 'local' | 'imported' } | undefined> {
    try {
      const entry = JSON.parse(await readFile(this.entryPath(key), 'utf8')) as CacheEntry;
      if (entry.layer === null || (await this.layout.hasBlob(entry.layer.digest))) return { entry, source: 'local' };
    } catch {
      // no local entry (or an unreadable one: treated as a miss and rewritten)
    }
    const imp = this.imported.get(key);
    return imp ? { entry: imp, source: 'imported' } : undefined;
  }

  async put(key: string, entry: CacheEntry): Promise<void> {
    const p = this.entryPath(key);
    await mkdir(join(p, '..'), { recursive: true });
    await writeFileAtomic(p, JSON.stringify(entry));
  }

  async putJson(value: unknown): Promise<{ digest: string; size: number; bytes: Buffer }> {
    const bytes = Buffer.from(JSON.stringify(value));
    const digest = await this.layout.writeBlobBytes(bytes);
    return { digest, size: bytes.length, bytes };
  }
}

/** A cache key: sha256 over the parts, each JSON-encoded (so no two part lists collide). */
export function cacheKey(...parts: unknown[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    const s = JSON.stringify(p) ?? 'undefined';
    h.update(`${s.length}:${s}`);
  }
  return h.digest('hex');
}
