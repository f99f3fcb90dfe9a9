// What the scanner keeps of an image's layers: the inventory files (package databases, lockfiles,
// manifests) with their bodies, and Go executables reduced to their build info. The merged view itself
// (whiteouts, opaque directories, hostile paths, decompression bombs) is the OCI area's `mergeLayer`.
import { OciError, mergeLayer, type LayerEntryHeader, type MergedEntry } from '../../oci/index.ts';
import { ScanError } from '../errors.ts';
import { binaryEntry, isInterestingPath, isJavaArchive } from '../inventory/index.ts';
import type { Readable } from 'node:stream';
import { MAX_FILE_BYTES } from './dir.ts';

export interface LayerLimits {
  /** Maximum uncompressed bytes of one layer (default 32 GiB). */
  maxLayerBytes?: number;
}

function keep(h: LayerEntryHeader): 'body' | 'skip' {
  if (h.type === 'link') return isInterestingPath(h.path) ? 'body' : 'skip';
  if (h.type !== 'file') return 'skip';
  if (isInterestingPath(h.path)) {
    if (h.size > MAX_FILE_BYTES)
      throw new ScanError('TAR_UNSAFE', `${h.path} is ${h.size} bytes, over the ${MAX_FILE_BYTES}-byte limit`);
    return 'body';
  }
  // executables may be Go binaries with embedded build info; Java archives carry Maven coordinates
  return ((h.mode & 0o111) !== 0 || isJavaArchive(h.path)) && h.size >= 64 && h.size <= MAX_FILE_BYTES
    ? 'body'
    : 'skip';
}

function transform(h: LayerEntryHeader, data: Buffer): { data: Buffer; kind?: string } | null {
  if (isInterestingPath(h.path)) return { data };
  const entry = binaryEntry(data, h.path);
  return entry ? { data: entry, kind: 'packages' } : null;
}

/** Applies one layer to the scanner's merged view; layer errors become scan errors. */
export async function applyLayer(
  files: Map<string, MergedEntry>,
  layer: Readable,
  digest: string,
  limits: LayerLimits = {},
): Promise<void> {
  try {
    await mergeLayer(files, layer, digest, { keep, transform, ...limits });
  } catch (e) {
    if (!(e instanceof OciError)) throw e;
    throw new ScanError(e.code === 'LAYER_UNSAFE' ? 'TAR_UNSAFE' : 'PARSE_ERROR', e.message, { cause: e });
  }
}
