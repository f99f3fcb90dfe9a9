// Signed manifest bundles: a directory of Kubernetes manifests pushed as one OCI artifact and signed the
// way cosign signs images, so a GitOps source can be a registry reference instead of a git repository.
//
// Layout (docs/sign.md): an OCI image manifest with artifactType `application/vnd.sekisho.manifests.v1`,
// the empty config (`application/vnd.oci.empty.v1+json`, `{}`), and ONE layer
// `application/vnd.oci.image.layer.v1.tar+gzip` holding the directory's regular files (dotfiles and
// dot-directories left out) as a reproducible tar: sorted paths, mode 0644, uid/gid 0, mtime 0, no
// directories, so the same directory always gives the same digest. The artifact's digest is signed with
// cosign's simple-signing payload under `sha256-<hex>.sig`, or as a Sigstore bundle referrer.
//
// Reading back verifies in this order: the signature over the artifact digest, the manifest bytes against
// that digest, the artifactType, the layer's digest while it streams, then every tar entry: regular files
// only, relative paths without `..`, `.`, empty or absolute segments, backslashes or NUL, no duplicates,
// within entry-count and size limits. Anything else is refused before a byte is written.
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import type { KeyObject } from 'node:crypto';
import { MediaType, digestOf, type ImageManifest } from '../oci/index.ts';
import { SignError } from './errors.ts';
import type { Signer } from './keys.ts';
import { requireSigned, signImage, verifyImage, type ImageTarget } from './image-signatures.ts';
import { signImageBundle } from './bundle.ts';

export const MANIFEST_BUNDLE_ARTIFACT_TYPE = 'application/vnd.sekisho.manifests.v1';
export const MANIFEST_BUNDLE_LAYER_TYPE = MediaType.OciLayerGzip;
/** Limits on what a pulled bundle may hold (a gzip bomb or a flood of entries is refused). */
export const MANIFEST_BUNDLE_LIMITS = { maxEntries: 10_000, maxBytes: 64 << 20, maxCompressedBytes: 16 << 20 };

export interface ManifestFile {
  /** Path relative to the bundle's root, `/`-separated. */
  path: string;
  content: Buffer;
}

/** Why a path may not be in a bundle, or undefined when it may. */
export function hostilePath(path: string): string | undefined {
  if (path === '') return 'empty path';
  if (path.includes('\0')) return 'contains NUL';
  if (path.includes('\\')) return 'contains a backslash';
  if (path.startsWith('/')) return 'absolute path';
  if (/^[A-Za-z]:/.test(path)) return 'drive-letter path';
  for (const seg of path.split('/')) {
    if (seg === '..') return 'climbs out with ..';
    if (seg === '.' || seg === '') return 'has an empty or . segment';
  }
  return undefined;
}

/** The reproducible tar+gzip layer of a set of files. */
export async function packManifests(files: ManifestFile[]): Promise<Buffer> {
  const seen = new Set<string>();
  for (const f of files) {
    const why = hostilePath(f.path);
    if (why) throw new SignError('MANIFEST_INVALID', `${JSON.stringify(f.path)}: ${why}`);
    if (seen.has(f.path)) throw new SignError('MANIFEST_INVALID', `${f.path}: listed twice`);
    seen.add(f.path);
  }
  const p = tarStream.pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', () => resolve());
    p.on('error', reject);
  });
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)))
    p.entry(
      { name: f.path, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), size: f.content.length },
      f.content,
    );
  p.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks), { level: 9 });
}

/** The files of a bundle layer, every entry checked; throws MANIFEST_INVALID naming the first bad one. */
export async function unpackManifests(
  gz: Buffer,
  limits: typeof MANIFEST_BUNDLE_LIMITS = MANIFEST_BUNDLE_LIMITS,
): Promise<ManifestFile[]> {
  if (gz.length > limits.maxCompressedBytes)
    throw new SignError('MANIFEST_INVALID', `bundle layer is ${gz.length} bytes, over ${limits.maxCompressedBytes}`);
  let tar: Buffer;
  try {
    tar = gunzipSync(gz, { maxOutputLength: limits.maxBytes + 1024 * 1024 });
  } catch (err) {
    throw new SignError(
      'MANIFEST_INVALID',
      `bundle layer is not gzip within ${limits.maxBytes} bytes: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const out: ManifestFile[] = [];
  const seen = new Set<string>();
  let total = 0;
  const ex = tarStream.extract();
  let failure: SignError | undefined;
  const finished = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      const skip = (): void => {
        stream.on('end', () => next());
        stream.resume();
      };
      // after the first bad entry the rest are drained unread; the error is raised at the end
      if (failure) return skip();
      const fail = (m: string): void => {
        failure = new SignError('MANIFEST_INVALID', `bundle entry ${JSON.stringify(h.name)}: ${m}`);
        skip();
      };
      if (h.type !== 'file') return fail(`is a ${h.type ?? 'special entry'}; only regular files are allowed`);
      const why = hostilePath(h.name);
      if (why) return fail(why);
      if (seen.has(h.name)) return fail('appears twice');
      seen.add(h.name);
      if (seen.size > limits.maxEntries) return fail(`more than ${limits.maxEntries} entries`);
      const parts: Buffer[] = [];
      let over = false;
      stream.on('data', (c: unknown) => {
        const b = c as Buffer;
        total += b.length;
        if (total > limits.maxBytes) over = true;
        else parts.push(b);
      });
      stream.on('end', () => {
        if (over) failure ??= new SignError('MANIFEST_INVALID', `bundle holds more than ${limits.maxBytes} bytes`);
        else out.push({ path: h.name, content: Buffer.concat(parts) });
        next();
      });
    });
    ex.on('finish', () => (failure ? reject(failure) : resolve()));
    ex.on('error', (err) =>
      reject(
        failure ??
          new SignError('MANIFEST_INVALID', `bundle layer is not a tar: ${err.message}`, {
            cause: err,
          }),
      ),
    );
  });
  Readable.from([tar]).pipe(ex);
  await finished;
  // a file and a directory of the same name cannot both be written
  for (const f of out)
    for (let i = f.path.indexOf('/'); i > 0; i = f.path.indexOf('/', i + 1))
      if (seen.has(f.path.slice(0, i)))
        throw new SignError(
          'MANIFEST_INVALID',
          `bundle entry ${JSON.stringify(f.path)}: ${f.path.slice(0, i)} is also a file`,
        );
  return out;
}

async function pushBytes(t: ImageTarget, bytes: Buffer): Promise<{ digest: string; size: number }> {
  const d = { digest: digestOf(bytes), size: bytes.length };
  await t.client.pushBlob(t.repository, d, () => Readable.from([bytes]));
  return d;
}

export interface PushManifestBundleResult {
  /** The artifact's manifest digest (what was signed). */
  digest: string;
  layer: { digest: string; size: number };
  files: number;
  /** Where the signature went. */
  signature: string;
}

/** Pushes `files` as a manifest bundle tagged `t.ref` and signs its digest. */
export async function pushManifestBundle(
  t: ImageTarget,
  files: ManifestFile[],
  signer: Signer,
  opts: { bundleFormat?: boolean; annotations?: Record<string, string> } = {},
): Promise<PushManifestBundleResult> {
  if (files.length === 0) throw new SignError('MANIFEST_INVALID', 'no files to push');
  const layerBytes = await packManifests(files);
  const layer = await pushBytes(t, layerBytes);
  const config = await pushBytes(t, Buffer.from('{}'));
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    artifactType: MANIFEST_BUNDLE_ARTIFACT_TYPE,
    config: { mediaType: MediaType.OciEmpty, ...config },
    layers: [{ mediaType: MANIFEST_BUNDLE_LAYER_TYPE, ...layer }],
    ...(opts.annotations && Object.keys(opts.annotations).length ? { annotations: opts.annotations } : {}),
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = await t.client.putManifest(t.repository, t.ref, bytes, MediaType.OciManifest);
  const byDigest: ImageTarget = { ...t, ref: digest };
  let signature: string;
  if (opts.bundleFormat) {
    const b = await signImageBundle(byDigest, signer);
    signature = `${t.registry}/${t.repository}@${b.referrer} (Sigstore bundle referrer)`;
  } else {
    const s = await signImage(byDigest, signer);
    signature = `${t.registry}/${t.repository}:${s.signatureTag}`;
  }
  return { digest, layer, files: files.length, signature };
}

export interface VerifiedManifestBundle {
  digest: string;
  files: ManifestFile[];
  /** Signatures that verified. */
  signatures: number;
}

/**
 * Verifies a manifest bundle: signed by one of `keys` (cosign `.sig` tag or bundle referrer), an artifact of
 * our type whose layer matches its digest, with only safe entries. Throws SignError with the reason.
 */
export async function verifyManifestBundle(t: ImageTarget, keys: KeyObject[]): Promise<VerifiedManifestBundle> {
  const display = `${t.registry}/${t.repository}${t.ref.includes(':') ? '@' : ':'}${t.ref}`;
  const r = await verifyImage(t, keys);
  const sigs = requireSigned(r, display);
  const fetched = await t.client.getManifest(t.repository, r.digest);
  if (fetched.digest !== r.digest || digestOf(fetched.bytes) !== r.digest)
    throw new SignError('DIGEST_MISMATCH', `${display}: the manifest read is not the signed ${r.digest}`);
  let m: ImageManifest;
  try {
    m = JSON.parse(fetched.bytes.toString('utf8')) as ImageManifest;
  } catch (err) {
    throw new SignError('MANIFEST_INVALID', `${display}: manifest is not JSON`, { cause: err });
  }
  if (m.artifactType !== MANIFEST_BUNDLE_ARTIFACT_TYPE)
    throw new SignError(
      'MANIFEST_INVALID',
      `${display}: artifactType is ${JSON.stringify(m.artifactType)}, not a manifest bundle (${MANIFEST_BUNDLE_ARTIFACT_TYPE})`,
    );
  const layer = m.layers?.[0];
  if (m.layers?.length !== 1 || !layer || layer.mediaType !== MANIFEST_BUNDLE_LAYER_TYPE)
    throw new SignError(
      'MANIFEST_INVALID',
      `${display}: a manifest bundle has exactly one ${MANIFEST_BUNDLE_LAYER_TYPE} layer`,
    );
  if (layer.size > MANIFEST_BUNDLE_LIMITS.maxCompressedBytes)
    throw new SignError('MANIFEST_INVALID', `${display}: bundle layer of ${layer.size} bytes is over the limit`);
  let gz: Buffer;
  try {
    gz = await t.client.getBlobBytes(t.repository, layer.digest, layer.size);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'DIGEST_INVALID' || code === 'SIZE_INVALID')
      throw new SignError(
        'PAYLOAD_INVALID',
        `${display}: bundle layer ${layer.digest} is corrupted: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    throw err;
  }
  if (digestOf(gz) !== layer.digest)
    throw new SignError('PAYLOAD_INVALID', `${display}: bundle layer does not match its digest ${layer.digest}`);
  return { digest: r.digest, files: await unpackManifests(gz), signatures: sigs.length };
}
