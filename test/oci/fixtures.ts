// Test images: real (ustar) tar layers, gzip-compressed, with a config whose diff_ids match, written to an
// OCI image layout. Content is derived from a seed so runs are reproducible.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { OciLayout } from '../../src/oci/layout.ts';
import {
  MediaType,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  type Platform,
} from '../../src/oci/media-types.ts';
import { digestOf } from '../../src/oci/digest.ts';

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

/** A ustar archive holding regular files. */
export function makeTar(files: { name: string; data: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    const h = Buffer.alloc(512);
    h.write(f.name, 0, 100, 'utf8');
    h.write(octal(0o644, 8), 100);
    h.write(octal(0, 8), 108);
    h.write(octal(0, 8), 116);
    h.write(octal(f.data.length, 12), 124);
    h.write(octal(0, 12), 136);
    h.write('        ', 148);
    h.write('0', 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(octal(sum, 7) + ' ', 148);
    parts.push(h, f.data, Buffer.alloc((512 - (f.data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** Deterministic pseudo-random bytes (incompressible enough for size tests). */
export function seededBytes(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let off = 0;
  let counter = 0;
  while (off < size) {
    const block = createHash('sha256').update(`${seed}:${counter++}`).digest();
    off += block.copy(out, off);
  }
  return out;
}

export interface BuiltImage {
  manifest: ImageManifest;
  manifestBytes: Buffer;
  manifestDigest: string;
  config: Buffer;
  layers: { descriptor: Descriptor; bytes: Buffer }[];
}

/** Builds an image with `layers` gzip layers of about `layerSize` bytes each (in memory). */
export function buildImage(
  seed: string,
  opts: { layers?: number; layerSize?: number; platform?: Platform; sharedLayers?: Buffer[] } = {},
): BuiltImage {
  const layers: BuiltImage['layers'] = [];
  const diffIds: string[] = [];
  const shared = opts.sharedLayers ?? [];
  const n = opts.layers ?? 3;
  for (let i = 0; i < n; i++) {
    const tar =
      shared[i] ??
      makeTar([{ name: `layer${i}/data-${seed}.bin`, data: seededBytes(`${seed}-${i}`, opts.layerSize ?? 4096) }]);
    diffIds.push(digestOf(tar));
    const gz = gzipSync(tar, { level: 1 });
    layers.push({
      descriptor: { mediaType: MediaType.OciLayerGzip, digest: digestOf(gz), size: gz.length },
      bytes: gz,
    });
  }
  const platform = opts.platform ?? { os: 'linux', architecture: 'amd64' };
  const config = Buffer.from(
    JSON.stringify({
      created: '2024-01-01T00:00:00Z',
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: { Env: ['PATH=/usr/bin'], Cmd: ['/bin/sh'], Labels: { seed } },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: diffIds.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'sekisho test' })),
    }),
  );
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: digestOf(config), size: config.length },
    layers: layers.map((l) => l.descriptor),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  return { manifest, manifestBytes, manifestDigest: digestOf(manifestBytes), config, layers };
}

export async function writeImageToLayout(layout: OciLayout, img: BuiltImage, refName?: string): Promise<Descriptor> {
  await layout.writeBlobBytes(img.config);
  for (const l of img.layers) await layout.writeBlobBytes(l.bytes);
  await layout.writeBlobBytes(img.manifestBytes);
  const desc: Descriptor = {
    mediaType: MediaType.OciManifest,
    digest: img.manifestDigest,
    size: img.manifestBytes.length,
  };
  if (refName !== undefined) await layout.addManifest(desc, refName);
  return desc;
}

/** A multi-arch index over images built for each platform. */
export async function writeIndexToLayout(
  layout: OciLayout,
  seed: string,
  platforms: Platform[],
  refName: string,
): Promise<{ index: ImageIndex; digest: string; images: BuiltImage[] }> {
  const images = platforms.map((p, i) => buildImage(`${seed}-${i}`, { layers: 2, platform: p }));
  const manifests: Descriptor[] = [];
  for (const [i, img] of images.entries()) {
    const d = await writeImageToLayout(layout, img);
    manifests.push({ ...d, platform: platforms[i]! });
  }
  const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests };
  const bytes = Buffer.from(JSON.stringify(index));
  const digest = await layout.writeBlobBytes(bytes);
  await layout.addManifest({ mediaType: MediaType.OciIndex, digest, size: bytes.length }, refName);
  return { index, digest, images };
}
