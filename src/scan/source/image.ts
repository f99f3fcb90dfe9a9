// Collects the inventory files of an image from any ImageStore (OCI layout, registry, docker archive).
import { parseManifest, selectPlatform, type ImageStore, type MergedEntry, type Platform } from '../../oci/index.ts';
import type { FileSet } from '../inventory/types.ts';
import { applyLayer, type LayerLimits } from './layers.ts';

export interface ImageFiles extends FileSet {
  /** Digest of the image manifest that was read. */
  digest: string;
  layers: string[];
}

export async function collectImage(
  store: ImageStore,
  ref: string,
  opts: { platform?: Platform } & LayerLimits = {},
): Promise<ImageFiles> {
  let m = await store.getManifest(ref);
  const parsed0 = parseManifest(m.bytes, m.mediaType);
  if (parsed0.isIndex)
    m = await store.getManifest(selectPlatform(m, opts.platform ?? { os: 'linux', architecture: 'amd64' }).digest);
  const parsed = parseManifest(m.bytes, m.mediaType);
  const manifest = parsed.manifest as { layers?: { digest: string; size: number; mediaType: string }[] };
  const merged = new Map<string, MergedEntry>();
  const layers: string[] = [];
  for (const l of manifest.layers ?? []) {
    layers.push(l.digest);
    await applyLayer(merged, await store.getBlob(l), l.digest, opts);
  }
  const files: FileSet['files'] = new Map();
  for (const [path, e] of merged) {
    if (e.data)
      files.set(path, {
        data: e.data,
        layer: e.layer,
        ...(e.kind === 'packages' ? { kind: 'packages' as const } : {}),
      });
  }
  return { files, digest: m.digest, layers };
}
