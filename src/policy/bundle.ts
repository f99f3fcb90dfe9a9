// `policy push` / `policy pull`: policies and data as OCI artifacts in Conftest's format — an OCI image
// manifest whose config is `{}` (application/vnd.unknown.config.v1+json) and whose layers are the .rego files
// (application/vnd.cncf.openpolicyagent.policy.layer.v1+rego) and data files
// (application/vnd.cncf.openpolicyagent.data.layer.v1+json), each titled with its path
// (org.opencontainers.image.title). Pull writes each layer back under the destination by its title.
import { Readable } from 'node:stream';
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative, sep } from 'node:path';
import { digestOf, parseReference, RegistryClient, type CredentialProvider, type FetchLike } from '../oci/index.ts';
import { PolicyEngine } from './engine.ts';
import { PolicyError } from './errors.ts';
import { loadPolicyFiles } from './loader.ts';

export const POLICY_LAYER_MEDIA_TYPE = 'application/vnd.cncf.openpolicyagent.policy.layer.v1+rego';
export const DATA_LAYER_MEDIA_TYPE = 'application/vnd.cncf.openpolicyagent.data.layer.v1+json';
export const CONFIG_MEDIA_TYPE = 'application/vnd.unknown.config.v1+json';
export const MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const TITLE = 'org.opencontainers.image.title';

export interface RegistryAccess {
  credentials?: CredentialProvider;
  fetch?: FetchLike;
  scheme?: 'http' | 'https';
}

interface Layer {
  mediaType: string;
  digest: string;
  size: number;
  annotations: Record<string, string>;
}

function stripScheme(ref: string): string {
  return ref.replace(/^oci:\/\//, '');
}

function client(registry: string, access: RegistryAccess): RegistryClient {
  return new RegistryClient({
    host: registry,
    ...(access.credentials ? { credentials: access.credentials } : {}),
    ...(access.fetch ? { fetch: access.fetch } : {}),
    ...(access.scheme ? { scheme: access.scheme } : {}),
  });
}

function dataFiles(path: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = statSync(p);
    if (st.isFile()) {
      if (/\.(json|ya?ml)$/.test(p)) out.push(p);
      return;
    }
    for (const e of readdirSync(p).sort()) walk(join(p, e));
  };
  walk(path);
  return out.sort();
}

/** Pushes the policies under `policyPath` (and data under `dataPath`) to `ref`; returns the manifest digest. */
export async function pushBundle(
  ref: string,
  policyPath: string,
  dataPath: string | undefined,
  opts: RegistryAccess & { regoVersion?: 0 | 1 } = {},
): Promise<{ digest: string; reference: string }> {
  const r = parseReference(stripScheme(ref), { defaultTag: 'latest' });
  // Like Conftest: the bundle must load (and compile) before it is pushed.
  PolicyEngine.load({ policyPaths: [policyPath], dataPaths: dataPath ? [dataPath] : [], regoVersion: opts.regoVersion ?? 1 });
  const c = client(r.registry, opts);
  const layers: Layer[] = [];
  const push = async (bytes: Buffer, mediaType: string, title: string) => {
    const desc = { digest: digestOf(bytes), size: bytes.length };
    await c.pushBlob(r.repository, desc, () => Readable.from([bytes]));
    layers.push({ mediaType, ...desc, annotations: { [TITLE]: title } });
  };
  for (const f of loadPolicyFiles([policyPath])) await push(Buffer.from(f.text), POLICY_LAYER_MEDIA_TYPE, normalize(f.file).split(sep).join('/'));
  if (dataPath) for (const f of dataFiles(dataPath)) await push(readFileSync(f), DATA_LAYER_MEDIA_TYPE, normalize(f).split(sep).join('/'));
  const config = Buffer.from('{}');
  const configDesc = { mediaType: CONFIG_MEDIA_TYPE, digest: digestOf(config), size: config.length };
  await c.pushBlob(r.repository, configDesc, () => Readable.from([config]));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST_MEDIA_TYPE, config: configDesc, layers }));
  const tag = r.tag ?? 'latest';
  const digest = await c.putManifest(r.repository, tag, manifest, MANIFEST_MEDIA_TYPE);
  return { digest, reference: `${r.registry}/${r.repository}:${tag}` };
}

/** A layer title as a safe relative path (no absolute paths, no `..`). */
function safeTitle(title: string): string {
  const parts = title.split(/[\\/]+/).filter((p) => p !== '' && p !== '.' && p !== '..');
  if (parts.length === 0) throw new PolicyError('policy_load_error', `layer title ${JSON.stringify(title)} is not a usable path`);
  return parts.join('/');
}

/**
 * Pulls `source` into `dest`: an OCI reference (`oci://host/repo:tag` or `host/repo:tag`) or a local
 * directory/file (copied). Returns the files written.
 */
export async function pullBundle(source: string, dest: string, opts: RegistryAccess = {}): Promise<string[]> {
  const local = source.replace(/^file:\/\//, '');
  if (!source.startsWith('oci://') && (source.startsWith('file://') || isAbsolute(local) || local.startsWith('.'))) {
    const st = statSync(local);
    const target = st.isDirectory() ? dest : join(dest, local.split(/[\\/]/).pop() ?? 'policy.rego');
    mkdirSync(st.isDirectory() ? dest : dirname(target), { recursive: true });
    cpSync(local, target, { recursive: true });
    return [target];
  }
  const r = parseReference(stripScheme(source), { defaultTag: 'latest' });
  const c = client(r.registry, opts);
  const m = await c.getManifest(r.repository, r.digest ?? r.tag ?? 'latest');
  const manifest = JSON.parse(m.bytes.toString('utf8')) as { layers?: Layer[] };
  const written: string[] = [];
  for (const layer of manifest.layers ?? []) {
    if (layer.mediaType !== POLICY_LAYER_MEDIA_TYPE && layer.mediaType !== DATA_LAYER_MEDIA_TYPE) continue;
    const title = layer.annotations?.[TITLE];
    if (!title) continue;
    const bytes = await c.getBlobBytes(r.repository, layer.digest, layer.size);
    const path = join(dest, safeTitle(title));
    if (relative(dest, path).startsWith('..')) throw new PolicyError('policy_load_error', `layer title ${title} escapes ${dest}`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
    written.push(path);
  }
  return written;
}
