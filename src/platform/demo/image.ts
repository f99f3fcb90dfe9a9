// The demo app's image without a build daemon: a base layer from Debian's busybox-static binary (the
// binary, one symlink per applet, /etc/passwd with root and `app` uid 1000) and an app layer with the
// app repo's www/ folder, assembled as reproducible tars (sorted entries, fixed mtimes) and pushed to a
// registry with the OCI client. This is the fallback of the `image` step while src/build is not there.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { digestOf, MediaType, type Descriptor, type ImageManifest, type RegistryClient } from '../../oci/index.ts';
import { DemoError } from './errors.ts';

export const BUSYBOX = '/bin/busybox';

interface Entry {
  path: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  uid?: number;
  gid?: number;
  content?: Buffer;
  linkname?: string;
}

export interface Layer {
  gz: Buffer;
  desc: Descriptor;
  diffId: string;
}

export interface AssembledImage {
  manifestBytes: Buffer;
  manifestDigest: string;
  configBytes: Buffer;
  layers: Layer[];
}

function arch(): string {
  const m: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', s390x: 's390x', ppc64: 'ppc64le' };
  return m[process.arch] ?? process.arch;
}

function busyboxApplets(): string[] {
  const r = spawnSync(BUSYBOX, ['--list-full'], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    throw new DemoError(
      'demo_tool_missing',
      `${BUSYBOX} is missing or does not run; install Debian's busybox-static (the demo image is made from it)`,
      ...(r.error ? [{ cause: r.error }] : []),
    );
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && l !== 'bin/busybox');
}

function sortEntries(list: Entry[]): Entry[] {
  return list.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function baseEntries(): Entry[] {
  const m = new Map<string, Entry>();
  const dir = (path: string, mode = 0o755, uid = 0, gid = 0): void => {
    if (!m.has(path)) m.set(path, { path, type: 'directory', mode, uid, gid });
  };
  for (const d of ['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'etc', 'home', 'var', 'dev', 'proc', 'sys']) dir(d);
  dir('root', 0o700);
  dir('tmp', 0o1777);
  dir('home/app', 0o755, 1000, 1000);
  m.set('bin/busybox', { path: 'bin/busybox', type: 'file', mode: 0o755, content: readFileSync(BUSYBOX) });
  for (const a of busyboxApplets()) {
    const parts = a.split('/');
    for (let i = 1; i < parts.length; i++) dir(parts.slice(0, i).join('/'));
    m.set(a, { path: a, type: 'symlink', mode: 0o777, linkname: '/bin/busybox' });
  }
  const file = (path: string, text: string): void => {
    m.set(path, { path, type: 'file', mode: 0o644, content: Buffer.from(text) });
  };
  file(
    'etc/passwd',
    'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  );
  file('etc/group', 'root:x:0:\napp:x:1000:\nnogroup:x:65534:\n');
  return sortEntries([...m.values()]);
}

/** The files of `dir` placed under `prefix` in the image (modes kept, owned by root, sorted). */
function folderEntries(dir: string, prefix: string): Entry[] {
  const out: Entry[] = [{ path: prefix, type: 'directory', mode: 0o755 }];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      const path = `${prefix}/${relative(dir, full).split(sep).join('/')}`;
      const st = statSync(full);
      if (e.isDirectory()) {
        out.push({ path, type: 'directory', mode: 0o755 });
        walk(full);
      } else if (e.isFile())
        out.push({ path, type: 'file', mode: st.mode & 0o111 ? 0o755 : 0o644, content: readFileSync(full) });
    }
  };
  walk(dir);
  return sortEntries(out);
}

async function tar(list: Entry[], epoch: number): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  const mtime = new Date(epoch * 1000);
  for (const e of list) {
    const header = {
      name: e.type === 'directory' ? `${e.path}/` : e.path,
      mode: e.mode,
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime,
      uname: '',
      gname: '',
    };
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (e.type === 'file')
        pack.entry({ ...header, type: 'file', size: e.content?.length ?? 0 }, e.content ?? Buffer.alloc(0), cb);
      else if (e.type === 'symlink') pack.entry({ ...header, type: 'symlink', linkname: e.linkname ?? '' }, cb);
      else pack.entry({ ...header, type: 'directory' }, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function layer(list: Entry[], epoch: number): Promise<Layer> {
  const t = await tar(list, epoch);
  const gz = gzipSync(t, { level: 6 });
  return {
    gz,
    diffId: digestOf(t),
    desc: { mediaType: MediaType.OciLayerGzip, digest: digestOf(gz), size: gz.length },
  };
}

function image(layers: Layer[], config: Record<string, unknown>, history: string[], epoch: number): AssembledImage {
  const created = new Date(epoch * 1000).toISOString().replace(/\.000Z$/, 'Z');
  const configBytes = Buffer.from(
    JSON.stringify({
      created,
      architecture: arch(),
      os: 'linux',
      config,
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: history.map((h) => ({ created, created_by: h })),
    }),
  );
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: digestOf(configBytes), size: configBytes.length },
    layers: layers.map((l) => l.desc),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  return { manifestBytes, manifestDigest: digestOf(manifestBytes), configBytes, layers };
}

const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The busybox base image (the demo Dockerfile's BASE). */
export async function baseImage(epoch = 0): Promise<AssembledImage> {
  return image(
    [await layer(baseEntries(), epoch)],
    { Env: [PATH_ENV], Cmd: ['sh'] },
    ['sekisho demo: busybox-static rootfs'],
    epoch,
  );
}

/** The app image as the demo Dockerfile describes it: BASE + COPY www /www, USER 1000:1000, EXPOSE 8080, CMD httpd. */
export async function appImage(appDir: string, labels: Record<string, string>, epoch = 0): Promise<AssembledImage> {
  const base = await baseImage(epoch);
  const app = await layer(folderEntries(join(appDir, 'www'), 'www'), epoch);
  return image(
    [...base.layers, app],
    {
      Env: [PATH_ENV],
      User: '1000:1000',
      ExposedPorts: { '8080/tcp': {} },
      Cmd: ['httpd', '-f', '-p', '8080', '-h', '/www'],
      Labels: { 'org.opencontainers.image.title': 'sekisho-demo-app', ...labels },
    },
    ['sekisho demo: busybox-static rootfs', 'COPY www /www'],
    epoch,
  );
}

/** Pushes the blobs, then the manifest under each tag; returns the manifest digest. */
export async function pushImage(
  client: RegistryClient,
  repo: string,
  img: AssembledImage,
  tags: string[],
): Promise<string> {
  const source = (b: Buffer) => (offset: number) => Readable.from([b.subarray(offset)]);
  for (const l of img.layers) await client.pushBlob(repo, { digest: l.desc.digest, size: l.desc.size }, source(l.gz));
  const cfg = img.configBytes;
  await client.pushBlob(repo, { digest: digestOf(cfg), size: cfg.length }, source(cfg));
  let digest = img.manifestDigest;
  for (const t of tags) digest = await client.putManifest(repo, t, img.manifestBytes, MediaType.OciManifest);
  return digest;
}
