// `--cache-to` / `--cache-from`: the step cache as an OCI artifact. The manifest's config blob lists the
// records (cache key → layer descriptor or "no layer"); its layers are the layer blobs themselves, so a
// registry keeps them alive and a builder on another machine can fetch exactly the layers it hits.
// `type=registry,ref=host/repo:tag` stores it in a registry; `type=local,dir=...` in an OCI layout.
import {
  LayoutStore,
  MediaType,
  OciLayout,
  parseReference,
  type Descriptor,
  type ImageManifest,
  type ImageStore,
} from '../../oci/index.ts';
import { BuildError } from '../errors.ts';
import { openImageSource } from './images.ts';
import type { BuildStore, CacheEntry, LayerRef } from './store.ts';
import type { BuildOptions, CacheSpec } from './types.ts';

export const CACHE_ARTIFACT_TYPE = 'application/vnd.sekisho.build.cache.v1';
export const CACHE_CONFIG_TYPE = 'application/vnd.sekisho.build.cache.config.v1+json';

interface CacheConfig {
  version: 1;
  records: Array<{ key: string; layer: LayerRef | null }>;
}

async function openCacheStore(
  spec: CacheSpec,
  opts: BuildOptions,
  create: boolean,
): Promise<{ store: ImageStore; target: string }> {
  if (spec.type === 'local') {
    const layout = await OciLayout.open(spec.dir, { create });
    return { store: new LayoutStore(layout), target: 'latest' };
  }
  const ref = parseReference(spec.ref);
  if (ref.tag === undefined && ref.digest === undefined) ref.tag = 'latest';
  return openImageSource(`${ref.registry}/${ref.repository}:${ref.tag ?? 'latest'}`, opts.registry);
}

function describe(spec: CacheSpec): string {
  return spec.type === 'local' ? `type=local,dir=${spec.dir}` : `type=registry,ref=${spec.ref}`;
}

/** Reads a cache artifact; a missing one is reported through `info` and ignored, as buildx does. */
export async function importCache(
  store: BuildStore,
  opts: BuildOptions,
  spec: CacheSpec,
  info: (message: string) => void,
): Promise<number> {
  let src: { store: ImageStore; target: string };
  let manifest: ImageManifest;
  try {
    src = await openCacheStore(spec, opts, false);
    const m = await src.store.getManifest(src.target);
    manifest = JSON.parse(m.bytes.toString('utf8')) as ImageManifest;
  } catch (err) {
    info(`cache-from ${describe(spec)}: not found (${(err as Error).message})`);
    return 0;
  }
  if (manifest.artifactType !== CACHE_ARTIFACT_TYPE || manifest.config?.mediaType !== CACHE_CONFIG_TYPE)
    throw new BuildError(
      'CACHE',
      `cache-from ${describe(spec)}: not a Sekisho build cache (artifactType ${manifest.artifactType ?? 'none'})`,
    );
  const chunks: Buffer[] = [];
  for await (const c of await src.store.getBlob(manifest.config)) chunks.push(c as Buffer);
  let cfg: CacheConfig;
  try {
    cfg = JSON.parse(Buffer.concat(chunks).toString('utf8')) as CacheConfig;
  } catch (err) {
    throw new BuildError('CACHE', `cache-from ${describe(spec)}: unreadable cache config`, { cause: err });
  }
  if (cfg.version !== 1 || !Array.isArray(cfg.records))
    throw new BuildError('CACHE', `cache-from ${describe(spec)}: unsupported cache version ${String(cfg.version)}`);
  const present = new Set(manifest.layers.map((l) => l.digest));
  let n = 0;
  for (const r of cfg.records) {
    if (r.layer && !present.has(r.layer.digest)) continue;
    const entry: CacheEntry = { layer: r.layer };
    store.imported.set(r.key, entry);
    if (r.layer) store.remoteBlobs.set(r.layer.digest, src.store);
    n++;
  }
  info(`cache-from ${describe(spec)}: ${n} records`);
  return n;
}

/** Fetches a layer named by an imported cache record into the local store. */
export async function fetchImportedBlob(store: BuildStore, layer: LayerRef): Promise<void> {
  if (await store.layout.hasBlob(layer.digest)) return;
  const src = store.remoteBlobs.get(layer.digest);
  if (!src) throw new BuildError('CACHE', `layer ${layer.digest} is neither in the local cache nor in an imported one`);
  const desc: Descriptor = { mediaType: layer.mediaType, digest: layer.digest, size: layer.size };
  await store.layout.writeBlob(layer.digest, await src.getBlob(desc), layer.size);
}

/** Writes the records (and their layers) as a cache artifact. */
export async function exportCache(
  store: BuildStore,
  opts: BuildOptions,
  spec: CacheSpec,
  records: Array<{ key: string; entry: CacheEntry }>,
): Promise<string> {
  const seen = new Set<string>();
  const uniq = records.filter((r) => (seen.has(r.key) ? false : (seen.add(r.key), true)));
  const cfg: CacheConfig = { version: 1, records: uniq.map((r) => ({ key: r.key, layer: r.entry.layer })) };
  const cfgBytes = Buffer.from(JSON.stringify(cfg));
  const cfgDigest = await store.layout.writeBlobBytes(cfgBytes);
  const layers: Descriptor[] = [];
  const added = new Set<string>();
  for (const r of uniq) {
    const l = r.entry.layer;
    if (!l || added.has(l.digest)) continue;
    added.add(l.digest);
    layers.push({ mediaType: l.mediaType, digest: l.digest, size: l.size });
  }
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    artifactType: CACHE_ARTIFACT_TYPE,
    config: { mediaType: CACHE_CONFIG_TYPE, digest: cfgDigest, size: cfgBytes.length },
    layers,
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  try {
    const dst = await openCacheStore(spec, opts, true);
    const local = new LayoutStore(store.layout);
    for (const d of [...layers, manifest.config]) {
      await fetchImportedBlob(store, { ...d, diffId: '' }).catch(() => undefined);
      await dst.store.putBlob(d, local.blobSource(d));
    }
    return await dst.store.putManifest(bytes, MediaType.OciManifest, dst.target);
  } catch (err) {
    if (err instanceof BuildError) throw err;
    throw new BuildError('CACHE', `cache-to ${describe(spec)}: ${(err as Error).message}`, { cause: err });
  }
}
