// Media types and the manifest shapes of the OCI image spec (v1.1) and Docker image manifest v2 schema 2,
// with validation that names what is wrong.
import { OciError } from './errors.ts';
import { parseDigest } from './digest.ts';

export const MediaType = {
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciLayer: 'application/vnd.oci.image.layer.v1.tar',
  OciLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OciLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  OciLayerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  OciLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  OciLayerNondistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  OciEmpty: 'application/vnd.oci.empty.v1+json',
  OciLayoutHeader: 'application/vnd.oci.layout.header.v1+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  DockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  DockerPluginConfig: 'application/vnd.docker.plugin.v1+json',
} as const;

/** The empty JSON descriptor's digest (`{}`), used by artifacts without a config. */
export const EMPTY_JSON_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MediaType.OciManifest,
  MediaType.OciIndex,
  MediaType.DockerManifest,
  MediaType.DockerManifestList,
];

/** The Accept header a client sends to get any manifest type. */
export const MANIFEST_ACCEPT = MANIFEST_MEDIA_TYPES.join(', ');

export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  features?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  data?: string;
  platform?: Platform;
  artifactType?: string;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export type Manifest = ImageManifest | ImageIndex;

export function isIndexMediaType(mt: string): boolean {
  return mt === MediaType.OciIndex || mt === MediaType.DockerManifestList;
}

export function isManifestMediaType(mt: string): boolean {
  return MANIFEST_MEDIA_TYPES.includes(mt);
}

/** Layers a registry need not hold (nondistributable / foreign layers). */
export function isNondistributable(mt: string): boolean {
  return mt.startsWith('application/vnd.oci.image.layer.nondistributable.') || mt === MediaType.DockerForeignLayer;
}

function checkDescriptor(d: unknown, where: string): Descriptor {
  if (!d || typeof d !== 'object' || Array.isArray(d))
    throw new OciError('MANIFEST_INVALID', `${where}: descriptor must be an object`);
  const o = d as Record<string, unknown>;
  if (typeof o.mediaType !== 'string' || o.mediaType === '')
    throw new OciError('MANIFEST_INVALID', `${where}: mediaType missing`);
  if (typeof o.digest !== 'string') throw new OciError('MANIFEST_INVALID', `${where}: digest missing`);
  try {
    parseDigest(o.digest);
  } catch (err) {
    throw new OciError('MANIFEST_INVALID', `${where}: ${(err as Error).message}`, { cause: err });
  }
  if (typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0) {
    throw new OciError('MANIFEST_INVALID', `${where}: size must be a non-negative integer`);
  }
  return o as unknown as Descriptor;
}

export interface ParsedManifest {
  manifest: Manifest;
  /** The effective media type (the `mediaType` field, else the one given by the caller). */
  mediaType: string;
  isIndex: boolean;
  /** Blobs (config and layers) an image manifest needs. */
  blobs: Descriptor[];
  /** Manifests an index points at. */
  children: Descriptor[];
  subject?: Descriptor;
  /** The artifact type for the referrers API: `artifactType`, else the config media type of an image. */
  artifactType?: string;
}

/** Parses and validates manifest bytes. `contentType` is the media type a client declared. */
export function parseManifest(bytes: Uint8Array, contentType?: string): ParsedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new OciError('MANIFEST_INVALID', `manifest is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new OciError('MANIFEST_INVALID', 'manifest must be a JSON object');
  const o = doc as Record<string, unknown>;
  if (o.schemaVersion !== 2)
    throw new OciError('MANIFEST_INVALID', `unsupported manifest schemaVersion ${JSON.stringify(o.schemaVersion)}`);
  const declared = typeof o.mediaType === 'string' ? o.mediaType : undefined;
  const ct = contentType?.split(';')[0]?.trim();
  if (declared !== undefined && ct && isManifestMediaType(ct) && declared !== ct) {
    throw new OciError('MANIFEST_INVALID', `manifest mediaType ${declared} does not match Content-Type ${ct}`);
  }
  let mediaType = declared ?? (ct && ct !== 'application/json' && ct !== 'application/octet-stream' ? ct : undefined);
  if (mediaType === undefined) mediaType = Array.isArray(o.manifests) ? MediaType.OciIndex : MediaType.OciManifest;
  const isIndex = isIndexMediaType(mediaType);
  if (!isIndex && !isManifestMediaType(mediaType)) {
    throw new OciError('MANIFEST_INVALID', `unsupported manifest media type ${mediaType}`);
  }
  const out: ParsedManifest = { manifest: o as unknown as Manifest, mediaType, isIndex, blobs: [], children: [] };
  if (isIndex) {
    if (!Array.isArray(o.manifests)) throw new OciError('MANIFEST_INVALID', 'index has no manifests array');
    out.children = o.manifests.map((d, i) => checkDescriptor(d, `manifests[${i}]`));
  } else {
    out.blobs.push(checkDescriptor(o.config, 'config'));
    if (!Array.isArray(o.layers)) throw new OciError('MANIFEST_INVALID', 'manifest has no layers array');
    out.blobs.push(...o.layers.map((d, i) => checkDescriptor(d, `layers[${i}]`)));
  }
  if (o.subject !== undefined) out.subject = checkDescriptor(o.subject, 'subject');
  if (typeof o.artifactType === 'string') out.artifactType = o.artifactType;
  else if (!isIndex) {
    const cfg = (o.config as Descriptor).mediaType;
    out.artifactType = cfg;
  }
  return out;
}

/** Whether a platform matches a wanted one (`os/arch[/variant]`). */
export function platformMatches(p: Platform | undefined, want: Platform): boolean {
  if (!p) return false;
  if (p.os !== want.os || p.architecture !== want.architecture) return false;
  if (want.variant !== undefined && (p.variant ?? defaultVariant(p.architecture)) !== want.variant) return false;
  return true;
}

function defaultVariant(arch: string): string | undefined {
  if (arch === 'arm64') return 'v8';
  if (arch === 'arm') return 'v7';
  return undefined;
}

/** Parses `os/arch[/variant]`. */
export function parsePlatform(s: string): Platform {
  const parts = s.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new OciError('PLATFORM_NOT_FOUND', `invalid platform ${JSON.stringify(s)}; expected os/arch[/variant]`);
  }
  const p: Platform = { os: parts[0]!, architecture: parts[1]! };
  if (parts[2] !== undefined) p.variant = parts[2];
  return p;
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? '/' + p.variant : ''}`;
}
