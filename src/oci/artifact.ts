// OCI 1.1 artifacts: a manifest with an `artifactType`, the empty config, one or more blobs as layers, and
// optionally a `subject` that makes it a referrer of another manifest (an SBOM or scan report attached to
// an image, a database published under a tag). Works against any ImageStore (registry or layout).
import { Readable } from 'node:stream';
import { digestOf } from './digest.ts';
import { OciError } from './errors.ts';
import type { ImageStore } from './image-store.ts';
import { MediaType, parseManifest, type Descriptor } from './media-types.ts';

export interface ArtifactBlob {
  bytes: Buffer;
  mediaType: string;
  annotations?: Record<string, string>;
}

export interface ArtifactSpec {
  artifactType: string;
  blobs: ArtifactBlob[];
  /** The manifest this artifact refers to. */
  subject?: Descriptor;
  /** Tag the artifact's manifest under this name. */
  tag?: string;
  annotations?: Record<string, string>;
}

const EMPTY = Buffer.from('{}');

async function put(
  store: ImageStore,
  bytes: Buffer,
  mediaType: string,
  annotations?: Record<string, string>,
): Promise<Descriptor> {
  const desc: Descriptor = {
    mediaType,
    digest: digestOf(bytes),
    size: bytes.length,
    ...(annotations ? { annotations } : {}),
  };
  await store.putBlob(desc, () => Readable.from([bytes]));
  return desc;
}

/** Pushes the blobs and the artifact manifest; returns the manifest's descriptor. */
export async function pushArtifact(store: ImageStore, spec: ArtifactSpec): Promise<Descriptor> {
  const config = await put(store, EMPTY, MediaType.OciEmpty);
  const layers: Descriptor[] = [];
  for (const b of spec.blobs) layers.push(await put(store, b.bytes, b.mediaType, b.annotations));
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    artifactType: spec.artifactType,
    config,
    layers,
    ...(spec.subject
      ? { subject: { mediaType: spec.subject.mediaType, digest: spec.subject.digest, size: spec.subject.size } }
      : {}),
    ...(spec.annotations ? { annotations: spec.annotations } : {}),
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = await store.putManifest(bytes, MediaType.OciManifest, spec.tag);
  return { mediaType: MediaType.OciManifest, digest, size: bytes.length, artifactType: spec.artifactType };
}

/** Reads an artifact's manifest and the bytes of its layers, checking its type. */
export async function pullArtifact(
  store: ImageStore,
  ref: string,
  opts: { artifactType?: string; maxBytes?: number } = {},
): Promise<{ digest: string; blobs: Array<Descriptor & { bytes: Buffer }> }> {
  const m = await store.getManifest(ref);
  const parsed = parseManifest(m.bytes, m.mediaType);
  const man = parsed.manifest as { artifactType?: string; config?: Descriptor; layers?: Descriptor[] };
  const type = man.artifactType ?? man.config?.mediaType;
  if (opts.artifactType && type !== opts.artifactType)
    throw new OciError(
      'MANIFEST_INVALID',
      `${store.name}@${m.digest} is a ${type ?? 'manifest without a type'}, not a ${opts.artifactType}`,
    );
  const max = opts.maxBytes ?? 4 * 1024 ** 3;
  const blobs: Array<Descriptor & { bytes: Buffer }> = [];
  for (const l of man.layers ?? []) {
    if (l.size > max)
      throw new OciError('SIZE_INVALID', `${store.name}: layer ${l.digest} is ${l.size} bytes, over ${max}`);
    const chunks: Buffer[] = [];
    for await (const c of await store.getBlob(l)) chunks.push(c as Buffer);
    blobs.push({ ...l, bytes: Buffer.concat(chunks) });
  }
  return { digest: m.digest, blobs };
}

/** The descriptor of the manifest at `ref` (for use as a subject). */
export async function manifestDescriptor(store: ImageStore, ref: string): Promise<Descriptor> {
  const m = await store.getManifest(ref);
  return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length };
}
