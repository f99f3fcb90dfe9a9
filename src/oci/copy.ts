// Copying images (manifests, indexes and every blob they reference) between image stores, depth first,
// children before parents, skipping what the destination already has and mounting across repositories of
// the same registry.
import { OciError } from './errors.ts';
import {
  formatPlatform,
  isNondistributable,
  parseManifest,
  platformMatches,
  type Descriptor,
  type Platform,
} from './media-types.ts';
import type { FetchedManifest } from './client/registry-client.ts';
import type { ImageStore } from './image-store.ts';

export interface CopyOptions {
  /** Copy only the image for this platform out of an index (the result is that image's manifest). */
  platform?: Platform;
  onBlob?: (e: { digest: string; size: number; result: 'exists' | 'mounted' | 'uploaded' }) => void;
  /** Parallel blob transfers per manifest (default 4). */
  concurrency?: number;
  /** Also copy what refers to the copied manifests (signatures, attestations, SBOMs), recursively. */
  referrers?: boolean;
}

export interface CopyResult {
  /** Referrer manifests copied along (with `referrers`). */
  referrers?: string[];
  digest: string;
  mediaType: string;
  size: number;
  blobs: { uploaded: number; mounted: number; existing: number; bytes: number };
}

/** Picks the manifest for a platform out of an index. */
export function selectPlatform(index: FetchedManifest, platform: Platform): Descriptor {
  const parsed = parseManifest(index.bytes, index.mediaType);
  if (!parsed.isIndex) return { mediaType: index.mediaType, digest: index.digest, size: index.bytes.length };
  const found = parsed.children.find((d) => platformMatches(d.platform, platform));
  if (!found) {
    const have = parsed.children.map((d) => (d.platform ? formatPlatform(d.platform) : '?')).join(', ');
    throw new OciError(
      'PLATFORM_NOT_FOUND',
      `no image for ${formatPlatform(platform)} in index ${index.digest} (has ${have || 'nothing'})`,
    );
  }
  return found;
}

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  const workers = Array.from({ length: Math.min(n, items.length) }, async () => {
    while (i < items.length) {
      const item = items[i++]!;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

export async function copyImage(
  src: ImageStore,
  srcRef: string,
  dst: ImageStore,
  dstTag: string | undefined,
  opts: CopyOptions = {},
): Promise<CopyResult> {
  const stats = { uploaded: 0, mounted: 0, existing: 0, bytes: 0 };
  const mountFrom =
    src.registryRepo && dst.registryRepo && src.registryRepo.host === dst.registryRepo.host
      ? src.registryRepo.repository
      : undefined;

  const copyBlob = async (d: Descriptor): Promise<void> => {
    const r = await dst.putBlob(d, src.blobSource(d), mountFrom);
    if (r === 'uploaded') {
      stats.uploaded++;
      stats.bytes += d.size;
    } else if (r === 'mounted') stats.mounted++;
    else stats.existing++;
    opts.onBlob?.({ digest: d.digest, size: d.size, result: r });
  };

  const copyManifest = async (m: FetchedManifest, tag: string | undefined): Promise<void> => {
    const parsed = parseManifest(m.bytes, m.mediaType);
    if (parsed.isIndex) {
      for (const child of parsed.children) {
        if (!tag && (await dst.hasManifest(child.digest))) continue;
        await copyManifest(await src.getManifest(child.digest), undefined);
      }
    } else {
      const blobs = parsed.blobs.filter((b) => !isNondistributable(b.mediaType));
      await pool(blobs, opts.concurrency ?? 4, copyBlob);
    }
    const stored = await dst.putManifest(m.bytes, m.mediaType, tag);
    if (stored !== m.digest && stored.split(':')[0] === m.digest.split(':')[0]) {
      throw new OciError('DIGEST_INVALID', `destination stored ${stored} for manifest ${m.digest}`);
    }
  };

  let top = await src.getManifest(srcRef);
  if (opts.platform) {
    const d = selectPlatform(top, opts.platform);
    if (d.digest !== top.digest) top = await src.getManifest(d.digest);
  }
  await copyManifest(top, dstTag);
  const result: CopyResult = { digest: top.digest, mediaType: top.mediaType, size: top.bytes.length, blobs: stats };
  if (opts.referrers) {
    const copied: string[] = [];
    const seen = new Set<string>();
    const walk = async (subject: string): Promise<void> => {
      for (const r of await src.referrers(subject)) {
        if (seen.has(r.digest)) continue;
        seen.add(r.digest);
        await copyManifest(await src.getManifest(r.digest), undefined);
        copied.push(r.digest);
        await walk(r.digest);
      }
    };
    await walk(top.digest);
    result.referrers = copied;
  }
  return result;
}
