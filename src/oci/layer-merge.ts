// The merged view of an image's filesystem, read from its layers as tar streams (never extracted to disk):
// later layers replace earlier entries, `.wh.<name>` deletes a path and `.wh..wh..opq` hides everything an
// earlier layer put in its directory (OCI image spec, "Representing Changes"). The caller decides per entry
// whether to keep its body, only its metadata, or nothing, so a scanner can keep package databases and a
// linter can keep modes of every file without holding the image in memory. Entries whose path (or hard-link
// target) escapes the root are refused, and the uncompressed size of a layer is bounded (decompression bombs).
import { posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { OciError } from './errors.ts';

export type LayerEntryType = 'file' | 'directory' | 'symlink' | 'link' | 'other';

export interface LayerEntryHeader {
  /** Root-relative path without a leading slash, e.g. `etc/passwd`. */
  path: string;
  type: LayerEntryType;
  /** Permission bits including setuid (0o4000), setgid (0o2000) and sticky (0o1000). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Target of a symlink or hard link. */
  linkname?: string;
}

export interface MergedEntry {
  header: LayerEntryHeader;
  /** Digest of the layer the entry came from. */
  layer: string;
  /** The body (or what `transform` made of it) when the caller kept it. */
  data?: Buffer;
  kind?: string;
}

export type KeepDecision = 'body' | 'meta' | 'skip';

export interface MergeOptions {
  /** What to keep of an entry. May throw to refuse the layer. */
  keep(header: LayerEntryHeader): KeepDecision;
  /** Turns a kept body into what is stored; `null` drops the entry. */
  transform?(header: LayerEntryHeader, data: Buffer): { data: Buffer; kind?: string } | null;
  /** Maximum uncompressed bytes of one layer (default 32 GiB). */
  maxLayerBytes?: number;
}

/** Normalizes a tar entry name to a root-relative path, refusing names that leave the root. */
export function safeEntryPath(name: string): string {
  let depth = 0;
  // normalize('/..') clamps to '/', so check the raw segments: any '..' that climbs above the root is hostile
  for (const seg of name.split('/')) {
    if (seg === '..') depth--;
    else if (seg !== '' && seg !== '.') depth++;
    if (depth < 0) throw new OciError('LAYER_UNSAFE', `layer entry ${JSON.stringify(name)} escapes the root`);
  }
  return posix
    .normalize('/' + name.replace(/^\.\//, ''))
    .replace(/^\/+/, '')
    .replace(/\/+$/, '');
}

function entryType(t: string | null | undefined): LayerEntryType {
  if (t === 'file' || t === 'contiguous-file') return 'file';
  if (t === 'directory' || t === 'symlink' || t === 'link') return t;
  return 'other';
}

const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** Hands on the layer as an uncompressed tar stream, deciding on gzip from its first bytes. */
async function uncompressed(stream: Readable): Promise<Readable> {
  const out = new PassThrough();
  let first = true;
  let decided: Readable | null = null;
  return await new Promise<Readable>((resolve, reject) => {
    stream.on('error', (e) => (decided ? decided.destroy(e) : reject(e)));
    stream.on('data', (chunk: Buffer) => {
      if (first) {
        first = false;
        if (ZSTD_MAGIC.every((b, i) => chunk[i] === b)) {
          stream.destroy();
          reject(new OciError('LAYER_INVALID', 'zstd-compressed layers are not supported on this Node.js version'));
          return;
        }
        decided = chunk.length >= 2 && chunk[0] === 0x1f && chunk[1] === 0x8b ? out.pipe(createGunzip()) : out;
        resolve(decided);
      }
      if (!out.write(chunk)) {
        stream.pause();
        out.once('drain', () => stream.resume());
      }
    });
    stream.on('end', () => {
      if (first) resolve(out);
      out.end();
    });
  });
}

const under = (dir: string, p: string): boolean => dir === '' || p === dir || p.startsWith(dir + '/');

/** Applies one layer on top of `files` (the merged view of the layers before it). */
export async function mergeLayer(
  files: Map<string, MergedEntry>,
  layer: Readable,
  digest: string,
  opts: MergeOptions,
): Promise<void> {
  const max = opts.maxLayerBytes ?? 32 * 1024 ** 3;
  const tarStream = await uncompressed(layer);
  const ex = extract();
  const added = new Set<string>();
  let total = 0;
  const done = new Promise<void>((resolve, reject) => {
    const fail = (e: unknown): void => {
      reject(e);
      ex.destroy();
      layer.destroy();
    };
    const count = (n: number): boolean => {
      total += n;
      if (total <= max) return true;
      fail(new OciError('LAYER_UNSAFE', `layer ${digest} expands beyond ${max} bytes`));
      return false;
    };
    ex.on('entry', (h, body, next) => {
      body.on('error', () => {}); // failures are reported once, through `fail`
      const skipBody = (): void => {
        body.on('end', () => next());
        body.resume();
      };
      let header: LayerEntryHeader;
      let decision: KeepDecision;
      try {
        const path = safeEntryPath(h.name);
        const type = entryType(h.type);
        header = { path, type, mode: (h.mode ?? 0) & 0o7777, uid: h.uid ?? 0, gid: h.gid ?? 0, size: h.size ?? 0 };
        if (h.linkname) header.linkname = type === 'link' ? safeEntryPath(h.linkname) : h.linkname;
        const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
        const base = posix.basename(path);
        if (base === '.wh..wh..opq') {
          for (const k of [...files.keys()]) if (under(dir, k) && k !== dir && !added.has(k)) files.delete(k);
          decision = 'skip';
        } else if (base.startsWith('.wh.')) {
          const target = dir ? `${dir}/${base.slice(4)}` : base.slice(4);
          for (const k of [...files.keys()]) if (under(target, k)) files.delete(k);
          decision = 'skip';
        } else {
          // a new entry replaces whatever was at its path (a directory replaces a file and vice versa)
          files.delete(path);
          decision = opts.keep(header);
        }
      } catch (e) {
        fail(e);
        return;
      }
      if (decision === 'skip') {
        if (count(header.size)) skipBody();
        return;
      }
      if (header.type === 'link' && header.linkname !== undefined) {
        // a hard link shares the body of its target, when that was kept
        const src = files.get(header.linkname);
        files.set(header.path, {
          header,
          layer: digest,
          ...(src?.data ? { data: src.data } : {}),
          ...(src?.kind ? { kind: src.kind } : {}),
        });
        added.add(header.path);
        skipBody();
        return;
      }
      if (decision === 'meta' || header.type !== 'file') {
        files.set(header.path, { header, layer: digest });
        added.add(header.path);
        if (count(header.size)) skipBody();
        return;
      }
      const chunks: Buffer[] = [];
      body.on('data', (c: unknown) => chunks.push(c as Buffer));
      body.on('end', () => {
        if (!count(header.size)) return;
        try {
          const data = Buffer.concat(chunks);
          const stored = opts.transform ? opts.transform(header, data) : { data };
          if (stored) {
            files.set(header.path, {
              header,
              layer: digest,
              data: stored.data,
              ...(stored.kind ? { kind: stored.kind } : {}),
            });
            added.add(header.path);
          }
        } catch (e) {
          fail(e);
          return;
        }
        next();
      });
    });
    ex.on('finish', resolve);
    ex.on('error', (e) =>
      reject(e instanceof OciError ? e : new OciError('LAYER_INVALID', `layer ${digest}: ${e.message}`, { cause: e })),
    );
    tarStream.on('error', (e) => reject(new OciError('LAYER_INVALID', `layer ${digest}: ${e.message}`, { cause: e })));
  });
  tarStream.pipe(ex);
  await done;
}
