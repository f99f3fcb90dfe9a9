// Shared plumbing for the build tests: a loopback registry holding the busybox fixture, temp build
// contexts, a counting executor, and readers for the layers of a built image.
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Writable } from 'node:stream';
import tarStream from 'tar-stream';
import { detectExecutor, type Executor, type RunSpec } from '../../src/build/exec/index.ts';
import type { BuildOptions } from '../../src/build/index.ts';
import { OciLayout } from '../../src/oci/index.ts';
import { startEmbedded, tempDir, type EmbeddedRegistry } from '../oci/helpers.ts';
import { pushFixture, type FixtureOptions } from './fixtures/base-image.ts';

export interface BuildEnv {
  reg: EmbeddedRegistry;
  /** `127.0.0.1:port/base/busybox:latest` */
  base: string;
  dir: string;
  close(): Promise<void>;
}

export async function startBuildEnv(fixture: FixtureOptions = {}): Promise<BuildEnv> {
  const reg = await startEmbedded();
  const t = await tempDir('build');
  await pushFixture(reg.host, 'base/busybox', 'latest', fixture);
  return {
    reg,
    base: `${reg.host}/base/busybox:latest`,
    dir: t.dir,
    close: async () => {
      await reg.close();
      await t.cleanup();
    },
  };
}

export interface BuildTestEnv extends BuildEnv {
  /** the host's executor (runc or bwrap), counting the RUN steps it is given */
  exec: CountingExecutor;
  /** writes files (as writeTree does) into a new build context folder under dir and returns its path */
  context(files: Record<string, string>): Promise<string>;
}

/** What a build test file starts in its before hook (and closes in its after hook). */
export async function startBuildTestEnv(fixture: FixtureOptions = {}): Promise<BuildTestEnv> {
  const env = await startBuildEnv(fixture);
  let exec: CountingExecutor;
  try {
    exec = await CountingExecutor.create();
  } catch (e) {
    await env.close();
    throw e;
  }
  let n = 0;
  return {
    ...env,
    exec,
    async context(files) {
      const dir = join(env.dir, `ctx-${++n}`);
      await writeTree(dir, files);
      return dir;
    },
  };
}

/** Writes files (path → content; content starting with `->` makes a symlink) under dir. */
export async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  for (const [p, content] of Object.entries(files)) {
    const full = join(dir, p);
    await mkdir(dirname(full), { recursive: true });
    if (content.startsWith('->')) await symlink(content.slice(2), full);
    else await writeFile(full, content);
  }
}

export class CountingExecutor implements Executor {
  readonly name: 'runc' | 'bwrap';
  runs: RunSpec[] = [];
  private constructor(private readonly inner: Executor) {
    this.name = inner.name;
  }
  static async create(): Promise<CountingExecutor> {
    return new CountingExecutor(await detectExecutor());
  }
  run(spec: RunSpec): ReturnType<Executor['run']> {
    this.runs.push(spec);
    return this.inner.run(spec);
  }
}

export function baseOptions(contextDir: string, cacheDir: string, over: Partial<BuildOptions> = {}): BuildOptions {
  return { contextDir, cacheDir, tags: [], buildArgs: {}, secrets: {}, outputs: [], ...over };
}

export interface TarFile {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkname?: string;
  content: Buffer;
}

/** Reads an uncompressed or gzipped tar into memory (test-sized). */
export async function readTar(bytes: Buffer): Promise<TarFile[]> {
  const data = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  const out: TarFile[] = [];
  const ex = tarStream.extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => {
        chunks.push(c as Buffer);
      });
      stream.on('end', () => {
        out.push({
          name: h.name,
          type: h.type ?? 'file',
          mode: h.mode ?? 0,
          uid: h.uid ?? 0,
          gid: h.gid ?? 0,
          mtime: (h.mtime?.getTime() ?? 0) / 1000,
          ...(h.linkname ? { linkname: h.linkname } : {}),
          content: Buffer.concat(chunks),
        });
        next();
      });
      stream.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(data);
  await done;
  return out;
}

/** Every layer of a built image (from the builder's store under cacheDir) as tar entries. */
export async function imageLayers(cacheDir: string, layerDigests: string[]): Promise<TarFile[][]> {
  const layout = await OciLayout.open(join(cacheDir, 'blobs'));
  const out: TarFile[][] = [];
  for (const d of layerDigests) out.push(await readTar(await layout.readBlobBytes(d)));
  return out;
}

export function sink(): Writable & { text: () => string } {
  const chunks: Buffer[] = [];
  const w = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c);
      cb();
    },
  }) as Writable & { text: () => string };
  w.text = () => Buffer.concat(chunks).toString('utf8');
  return w;
}

export { readFile };
