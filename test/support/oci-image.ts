// Builds small OCI image layouts for tests (scan, image lint): each layer is a list of tar entries,
// gzip-compressed, with an optional image config (config, history).
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { OciLayout } from '../../src/oci/index.ts';

export interface Entry {
  name: string;
  content?: string;
  type?: 'file' | 'directory' | 'link' | 'symlink';
  linkname?: string;
  mode?: number;
}

export async function tarOf(entries: Entry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) => p.on('end', () => r()));
  for (const e of entries) {
    const type = e.type ?? 'file';
    const mode = e.mode !== undefined ? { mode: e.mode } : {};
    if (type === 'file') p.entry({ name: e.name, type, ...mode }, e.content ?? '');
    else p.entry({ name: e.name, type, ...mode, ...(e.linkname ? { linkname: e.linkname } : {}) });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

export async function writeImage(
  dir: string,
  layers: Entry[][],
  tag = 'latest',
  extraConfig: Record<string, unknown> = {},
): Promise<OciLayout> {
  const layout = await OciLayout.open(dir, { create: true });
  const descs = [];
  for (const l of layers) {
    const gz = gzipSync(await tarOf(l));
    const digest = await layout.writeBlobBytes(gz);
    descs.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: gz.length });
  }
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, ...extraConfig }),
  );
  const cfgDigest = await layout.writeBlobBytes(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cfgDigest, size: config.length },
      layers: descs,
    }),
  );
  const mDigest = await layout.writeBlobBytes(manifest);
  await layout.addManifest(
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: mDigest, size: manifest.length },
    tag,
  );
  return layout;
}
