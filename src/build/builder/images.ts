// Base images: `scratch`, `oci-layout://dir[:tag|@digest]`, or a registry reference pulled with the OCI
// client (plain HTTP for loopback registries and those listed as insecure). Manifests, configs and layers
// land in the builder's store, so a second build only asks the registry which digest a tag names.
import {
  LayoutStore,
  OciLayout,
  RegistryClient,
  RegistryStore,
  parseManifest,
  parseReference,
  referenceTarget,
  registryApiHost,
  selectPlatform,
  type ImageManifest,
  type ImageStore,
  type Platform,
} from '../../oci/index.ts';
import { BuildError } from '../errors.ts';
import type { BuildStore, LayerRef } from './store.ts';
import type { ImageConfig, RegistryOptions } from './types.ts';

export interface BaseImage {
  /** The name as written after expansion (for history and messages). */
  name: string;
  /** Manifest digest (undefined for scratch). */
  digest?: string;
  config: ImageConfig;
  layers: LayerRef[];
}

export function hostPlatform(): Platform {
  const arch: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm',
    ia32: '386',
    s390x: 's390x',
    ppc64: 'ppc64le',
  };
  return { os: 'linux', architecture: arch[process.arch] ?? process.arch };
}

/** The host platform as `os/arch` (what --platform and provenance name). */
export function hostPlatformString(): string {
  const p = hostPlatform();
  return `${p.os}/${p.architecture}`;
}

export function scratchConfig(platform: Platform): ImageConfig {
  return {
    architecture: platform.architecture,
    os: platform.os,
    config: {},
    rootfs: { type: 'layers', diff_ids: [] },
    history: [],
  };
}

/** Opens the image store a base reference names, and the tag/digest within it. */
export async function openImageSource(
  name: string,
  registry: RegistryOptions | undefined,
): Promise<{ store: ImageStore; target: string }> {
  if (name.startsWith('oci-layout://')) {
    const rest = name.slice('oci-layout://'.length);
    const at = rest.lastIndexOf('@');
    let dir = rest;
    let target = '';
    if (at > 0) {
      dir = rest.slice(0, at);
      target = rest.slice(at + 1);
    } else {
      const colon = rest.lastIndexOf(':');
      if (colon > rest.lastIndexOf('/')) {
        dir = rest.slice(0, colon);
        target = rest.slice(colon + 1);
      }
    }
    const layout = await OciLayout.open(dir);
    return { store: new LayoutStore(layout), target };
  }
  const ref = parseReference(name);
  const host = registryApiHost(ref.registry);
  const client = new RegistryClient({
    host,
    ...(registry?.insecure?.includes(host) ? { scheme: 'http' as const } : {}),
    ...(registry?.credentials ? { credentials: registry.credentials } : {}),
  });
  return { store: new RegistryStore(client, ref.repository), target: referenceTarget(ref) };
}

/** Resolves and fetches a base image into the store (blobs it already has are not fetched again). */
export async function pullImage(
  name: string,
  store: BuildStore,
  platform: Platform,
  registry: RegistryOptions | undefined,
): Promise<BaseImage> {
  if (name === 'scratch') return { name, config: scratchConfig(platform), layers: [] };
  try {
    const { store: src, target } = await openImageSource(name, registry);
    let m = await src.getManifest(target);
    let parsed = parseManifest(m.bytes, m.mediaType);
    if (parsed.isIndex) {
      const d = selectPlatform(m, platform);
      m = await src.getManifest(d.digest);
      parsed = parseManifest(m.bytes, m.mediaType);
    }
    const manifest = parsed.manifest as ImageManifest;
    await store.layout.writeBlobBytes(m.bytes);
    if (!(await store.layout.hasBlob(manifest.config.digest)))
      await store.layout.writeBlob(manifest.config.digest, await src.getBlob(manifest.config), manifest.config.size);
    const config = JSON.parse(
      (await store.layout.readBlobBytes(manifest.config.digest)).toString('utf8'),
    ) as ImageConfig;
    if (config.os && config.os !== platform.os)
      throw new BuildError(
        'BASE_IMAGE',
        `${name} is for ${config.os}/${config.architecture}, not ${platform.os}/${platform.architecture}`,
      );
    config.config ??= {};
    config.history ??= [];
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== manifest.layers.length)
      throw new BuildError(
        'BASE_IMAGE',
        `${name}: config lists ${diffIds.length} diff_ids for ${manifest.layers.length} layers`,
      );
    const layers: LayerRef[] = [];
    for (const [i, l] of manifest.layers.entries()) {
      if (!(await store.layout.hasBlob(l.digest))) await store.layout.writeBlob(l.digest, await src.getBlob(l), l.size);
      layers.push({ mediaType: l.mediaType, digest: l.digest, size: l.size, diffId: diffIds[i]! });
    }
    return { name, digest: m.digest, config, layers };
  } catch (err) {
    if (err instanceof BuildError) throw err;
    throw new BuildError('BASE_IMAGE', `cannot get base image ${name}: ${(err as Error).message}`, { cause: err });
  }
}
