// Build outputs, as buildx's `--output`: `type=oci` (an OCI layout as a tar, or a directory with tar=false),
// `type=docker` (a `docker load`-able tar), `type=registry` (push the tags), `type=local` (the root
// filesystem). Files appear whole or not at all: tars are written beside the target and renamed.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import {
  LayoutStore,
  MediaType,
  OciLayout,
  REF_NAME_ANNOTATION,
  copyImage,
  parseReference,
  writeDockerArchive,
  type Descriptor,
} from '../../oci/index.ts';
import { BuildError } from '../errors.ts';
import { openImageSource } from './images.ts';
import type { BuildStore } from './store.ts';
import type { BuildOptions, OutputSpec } from './types.ts';

export interface OutputImage {
  store: BuildStore;
  manifestDigest: string;
  manifestBytes: Buffer;
  blobs: Descriptor[];
  exportRootfs: (dir: string) => Promise<void>;
}

function tagOf(name: string | undefined): string | undefined {
  if (!name) return undefined;
  try {
    return parseReference(name).tag;
  } catch {
    return name;
  }
}

/** An OCI layout as a tar: entries sorted, fixed mtimes, so the same image gives the same bytes. */
async function writeOciTar(img: OutputImage, dest: string, name: string | undefined): Promise<void> {
  const desc: Descriptor = {
    mediaType: MediaType.OciManifest,
    digest: img.manifestDigest,
    size: img.manifestBytes.length,
  };
  const tag = tagOf(name);
  if (name) desc.annotations = { 'io.containerd.image.name': name, ...(tag ? { [REF_NAME_ANNOTATION]: tag } : {}) };
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [desc] }));
  const layoutFile = Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const blobs = [...new Map([...img.blobs, desc].map((d) => [d.digest, d])).values()].sort((a, b) =>
    a.digest < b.digest ? -1 : 1,
  );
  const tmp = `${dest}.tmp-${process.pid}`;
  const pack = tarStream.pack();
  const mtime = new Date(0);
  const writing = pipeline(pack, createWriteStream(tmp));
  try {
    const add = (nameIn: string, data: Buffer): Promise<void> =>
      new Promise((resolve, reject) =>
        pack.entry({ name: nameIn, size: data.length, mode: 0o644, mtime, uid: 0, gid: 0 }, data, (e) =>
          e ? reject(e) : resolve(),
        ),
      );
    const dirs = new Set<string>(['blobs/']);
    for (const b of blobs) dirs.add(`blobs/${b.digest.split(':')[0]}/`);
    for (const d of [...dirs].sort())
      await new Promise<void>((resolve, reject) =>
        pack.entry({ name: d, type: 'directory', mode: 0o755, mtime, uid: 0, gid: 0 }, (e) =>
          e ? reject(e) : resolve(),
        ),
      );
    for (const b of blobs) {
      const name2 = `blobs/${b.digest.replace(':', '/')}`;
      await new Promise<void>((resolve, reject) => {
        const entry = pack.entry({ name: name2, size: b.size, mode: 0o644, mtime, uid: 0, gid: 0 }, (e) =>
          e ? reject(e) : resolve(),
        );
        const src = img.store.layout.readBlob(b.digest, b.size);
        src.on('error', reject);
        src.pipe(entry);
      });
    }
    await add('index.json', index);
    await add('oci-layout', layoutFile);
    pack.finalize();
    await writing;
    await rename(tmp, dest);
  } catch (err) {
    pack.destroy();
    await writing.catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
}

export async function writeOutputs(img: OutputImage, opts: BuildOptions): Promise<string[]> {
  const outputs: OutputSpec[] = [...opts.outputs];
  if (opts.push && !outputs.some((o) => o.type === 'registry')) outputs.push({ type: 'registry' });
  const done: string[] = [];
  const local = new LayoutStore(img.store.layout);
  for (const o of outputs) {
    try {
      if (o.type === 'oci') {
        const name = o.name ?? opts.tags[0];
        if (o.tar === false) {
          const layout = await OciLayout.open(o.dest, { create: true });
          await copyImage(local, img.manifestDigest, new LayoutStore(layout), tagOf(name) ?? 'latest');
        } else await writeOciTar(img, o.dest, name);
        done.push(`oci:${o.dest}`);
      } else if (o.type === 'docker') {
        await writeDockerArchive(local, img.manifestDigest, o.dest, o.name ?? opts.tags[0]);
        done.push(`docker:${o.dest}`);
      } else if (o.type === 'local') {
        await img.exportRootfs(o.dest);
        done.push(`local:${o.dest}`);
      } else {
        const names = o.name ? o.name.split(',') : opts.tags;
        if (names.length === 0)
          throw new BuildError('OUTPUT', 'type=registry needs a name: give -t/--tag or name=<ref>');
        for (const n of names) {
          const ref = parseReference(n);
          const tag = ref.tag ?? 'latest';
          const { store } = await openImageSource(`${ref.registry}/${ref.repository}:${tag}`, opts.registry);
          await copyImage(local, img.manifestDigest, store, tag);
          done.push(`${ref.registry}/${ref.repository}:${tag}`);
        }
      }
    } catch (err) {
      if (err instanceof BuildError) throw err;
      throw new BuildError('OUTPUT', `output type=${o.type}: ${(err as Error).message}`, { cause: err });
    }
  }
  return done;
}
