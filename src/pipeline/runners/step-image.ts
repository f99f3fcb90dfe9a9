// The Sekisho step image: the image the Job runner's built-in step pods run (`sekisho ci step ...`), made from
// THIS machine's files with no network access. Three layers, each cached gzipped under a key of its files'
// (paths, sizes, mtimes, modes), so a rebuild after a source edit only re-packs the small app layer:
//   1. runtime: the host's node (at /usr/bin/node) and bwrap (for builds with RUN in a privileged pod), every
//      shared library they and the native addons of node_modules load (ldd), the dynamic loader included, at
//      their real paths (symlinks on the way, e.g. /lib -> usr/lib, kept as symlinks); the CA bundle;
//      /etc/passwd and /etc/group (root, nobody); /tmp (1777), /root, /workspace;
//   2. deps: /opt/sekisho/node_modules, the production dependency closure (`npm ls --omit=dev --all`) plus tsx
//      and its closure, pruned of what does not run (native sources and build trees, *.map, *.md, *.d.ts, test
//      and example folders);
//   3. app: /opt/sekisho/{bin,src,package.json,tsconfig.json} (no *.test.ts).
// Config: Entrypoint node /opt/sekisho/bin/sekisho.js, WorkingDir /workspace, PATH and HOME, and the OCI
// version/revision labels (package.json version, git HEAD when the tree is a checkout). Written to an OCI
// layout and/or pushed to a registry. The tar entries are sorted, owned by 0:0 and carry the files' mtimes,
// so the same files give the same digest.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type Header, type Pack } from 'tar-stream';
import {
  LayoutStore,
  MediaType,
  OciLayout,
  RegistryStore,
  digestOf,
  type Descriptor,
  type RegistryClient,
  type ImageStore,
} from '../../oci/index.ts';
import { writeTarGz, type TarGz } from '../../build/fs/index.ts';
import { PipelineError } from '../errors.ts';

export const STEP_IMAGE_ROOT = '/opt/sekisho';
export const STEP_IMAGE_ENTRYPOINT = ['/usr/bin/node', `${STEP_IMAGE_ROOT}/bin/sekisho.js`];

/** Where the image goes: an OCI image layout directory (created when missing), or a registry repository. */
export type StepImageTarget =
  { layout: string; tag?: string } | { registry: RegistryClient; repository: string; tag: string };

export interface StepImageOptions {
  /** the Sekisho tree to package (default: the one this module belongs to) */
  sekishoRoot?: string;
  /** one target or several (written in order) */
  target: StepImageTarget | StepImageTarget[];
  /** where gzipped layers are cached (default <os tmpdir>/sekisho-step-image-cache) */
  cacheDir?: string;
  /** the node binary (default process.execPath; lands at /usr/bin/node) */
  node?: string;
  /** bubblewrap (default /usr/bin/bwrap) */
  bwrap?: string;
  /** gzip level of the layers (default 6) */
  gzipLevel?: number;
  /** progress lines (`runtime layer: cached`...) */
  progress?: (line: string) => void;
}

export interface StepImageLayer {
  name: 'runtime' | 'deps' | 'app';
  digest: string;
  diffId: string;
  size: number;
  files: number;
  cached: boolean;
}

export interface StepImageResult {
  /** the image manifest's digest */
  digest: string;
  /** `host/repository:tag@digest` of the last registry target, when there is one */
  reference?: string;
  /** bytes of the image: manifest, config and the gzipped layers */
  size: number;
  layers: StepImageLayer[];
}

type Headers = Partial<Header> & Pick<Header, 'name'>;

type Entry =
  | { type: 'directory'; mode: number; mtime: number }
  | { type: 'file'; mode: number; mtime: number; size: number; source: string }
  | { type: 'data'; mode: number; mtime: number; data: Buffer }
  | { type: 'symlink'; mtime: number; target: string };

/** A layer being assembled: image path (absolute) → entry. */
type Tree = Map<string, Entry>;

const ioError = (message: string, cause?: unknown) =>
  new PipelineError('pipeline_io_error', `step image: ${message}`, cause === undefined ? {} : { cause });

function stat(path: string, follow = false): Stats {
  try {
    return follow ? statSync(path) : lstatSync(path);
  } catch (e) {
    throw ioError(`cannot read ${path}: ${(e as Error).message}`, e);
  }
}

const mtimeOf = (st: Stats) => Math.floor(st.mtimeMs / 1000);

/** Adds the directories above `path` (not the path itself) that the tree lacks, 0755. */
function addParents(tree: Tree, path: string): void {
  for (let d = dirname(path); d !== '/' && !tree.has(d); d = dirname(d))
    tree.set(d, { type: 'directory', mode: 0o755, mtime: 0 });
}

/**
 * Adds a host file at its own path, keeping the symlinks on the way (a symlinked directory such as /lib or
 * the final link such as libstdc++.so.6 -> libstdc++.so.6.0.30) as symlinks and adding what they point to.
 */
function addHostPath(tree: Tree, path: string, depth = 0): void {
  if (depth > 40) throw ioError(`too many symlinks resolving ${path}`);
  const parts = resolve(path).split('/').filter(Boolean);
  let cur = '';
  for (let i = 0; i < parts.length; i++) {
    cur += `/${parts[i]!}`;
    const st = stat(cur);
    const last = i === parts.length - 1;
    if (st.isSymbolicLink()) {
      const target = readlinkSync(cur);
      tree.set(cur, { type: 'symlink', mtime: mtimeOf(st), target });
      const rest = parts.slice(i + 1).join('/');
      const resolved = resolve(dirname(cur), target);
      addHostPath(tree, rest ? join(resolved, rest) : resolved, depth + 1);
      return;
    }
    if (st.isDirectory()) {
      if (!tree.has(cur) || tree.get(cur)!.type !== 'directory')
        tree.set(cur, { type: 'directory', mode: st.mode & 0o7777, mtime: mtimeOf(st) });
      continue;
    }
    if (!last) throw ioError(`${cur} is not a directory (on the way to ${path})`);
    if (!st.isFile()) throw ioError(`${cur} is not a regular file`);
    tree.set(cur, { type: 'file', mode: st.mode & 0o7777, mtime: mtimeOf(st), size: st.size, source: cur });
  }
}

/** The shared libraries `bin` loads (the dynamic loader included), from ldd. */
export function sharedLibraries(bin: string): string[] {
  const r = spawnSync('ldd', [bin], { encoding: 'utf8' });
  if (r.error) throw ioError(`cannot run ldd on ${bin}: ${r.error.message}`, r.error);
  const text = `${r.stdout}${r.stderr}`;
  if (/statically linked|not a dynamic executable/.test(text)) return [];
  if (r.status !== 0) throw ioError(`ldd ${bin} failed: ${text.trim()}`);
  const missing = /^\s*(\S+) => not found/m.exec(text);
  if (missing) throw ioError(`${bin} needs ${missing[1]!}, which is not installed`);
  return [...text.matchAll(/(\/\S+)\s+\(0x/g)].map((m) => m[1]!);
}

/** A directory's files (recursively) into the tree under `to`, skipping what `skip` says. */
function addDir(tree: Tree, from: string, to: string, skip: (rel: string, isDir: boolean) => boolean, rel = ''): void {
  const here = rel ? join(from, rel) : from;
  const st = stat(here);
  tree.set(rel ? join(to, rel) : to, { type: 'directory', mode: st.mode & 0o7777, mtime: mtimeOf(st) });
  for (const name of readdirSync(here).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const host = join(from, r);
    const s = stat(host);
    if (skip(r, s.isDirectory())) continue;
    const dest = join(to, r);
    if (s.isDirectory()) addDir(tree, from, to, skip, r);
    else if (s.isSymbolicLink()) tree.set(dest, { type: 'symlink', mtime: mtimeOf(s), target: readlinkSync(host) });
    else if (s.isFile())
      tree.set(dest, { type: 'file', mode: s.mode & 0o7777, mtime: mtimeOf(s), size: s.size, source: host });
  }
}

// ---- node_modules: which packages, and what of them runs ----

/** The package folders of the production closure (npm ls) plus tsx and what it needs. */
export function packageDirs(root: string): string[] {
  const r = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.error) throw ioError(`cannot run npm ls in ${root}: ${r.error.message}`, r.error);
  const dirs = new Set(
    r.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && resolve(l) !== resolve(root) && existsSync(join(l, 'package.json'))),
  );
  if (dirs.size === 0) throw ioError(`npm ls --omit=dev found no packages in ${root}: ${r.stderr.trim()}`);
  // tsx and its closure (npm ls tsx lists only tsx itself): follow dependencies and the installed optional ones
  const walk = (name: string, from: string, optional: boolean): void => {
    for (let d = from; ; d = dirname(d)) {
      const cand = join(d, 'node_modules', name);
      if (existsSync(join(cand, 'package.json'))) {
        if (dirs.has(cand) && name !== 'tsx') return;
        dirs.add(cand);
        const pj = JSON.parse(readFileSync(join(cand, 'package.json'), 'utf8')) as {
          dependencies?: Record<string, string>;
          optionalDependencies?: Record<string, string>;
        };
        for (const dep of Object.keys(pj.dependencies ?? {})) walk(dep, cand, false);
        for (const dep of Object.keys(pj.optionalDependencies ?? {})) walk(dep, cand, true);
        return;
      }
      if (d === dirname(d) || !`${d}${sep}`.startsWith(`${root}${sep}`)) break;
    }
    if (!optional) throw ioError(`package ${name} (needed by ${from}) is not installed`);
  };
  walk('tsx', root, false);
  return [...dirs].sort();
}

const PRUNED_DIRS = new Set(['node_modules', 'test', 'tests', '__tests__', '.github', 'example', 'examples']);
const PRUNED_FILES = /\.(map|md|markdown|tsbuildinfo|d\.ts|d\.mts|d\.cts|c|cc|cpp|h|hpp|gyp|gypi|o|a|mk)$/i;

/** What of a package does not run: tests, docs, maps, typings, and a native addon's sources and build tree. */
export function prunedInPackage(pkgDir: string): (rel: string, isDir: boolean) => boolean {
  const native = existsSync(join(pkgDir, 'binding.gyp'));
  return (rel, isDir) => {
    const parts = rel.split('/');
    const name = parts[parts.length - 1]!;
    if (isDir) {
      if (PRUNED_DIRS.has(name)) return true;
      if (native && parts.length === 1 && (name === 'deps' || name === 'src')) return true;
      // build/Release/obj.target and the like: only build/Release/*.node runs
      if (native && parts[0] === 'build' && !(parts.length === 1 || (parts.length === 2 && name === 'Release')))
        return true;
      return false;
    }
    if (PRUNED_FILES.test(name)) return true;
    if (
      native &&
      parts[0] === 'build' &&
      !(parts.length === 3 && parts[1] === 'Release' && name.endsWith('.node') && !name.startsWith('test_'))
    )
      return true;
    return false;
  };
}

// ---- the layers ----

function runtimeTree(o: { node: string; bwrap: string; addons: string[] }): Tree {
  const tree: Tree = new Map();
  const node = stat(o.node, true);
  tree.set('/usr/bin/node', {
    type: 'file',
    mode: node.mode & 0o7777,
    mtime: mtimeOf(node),
    size: node.size,
    source: resolve(o.node),
  });
  addParents(tree, '/usr/bin/node');
  if (!existsSync(o.bwrap))
    throw ioError(`${o.bwrap} is missing: install bubblewrap (builds with RUN in a step pod need it)`);
  addHostPath(tree, o.bwrap);
  for (const bin of [o.node, o.bwrap, ...o.addons]) for (const lib of sharedLibraries(bin)) addHostPath(tree, lib);
  const ca = '/etc/ssl/certs/ca-certificates.crt';
  if (existsSync(ca)) {
    const st = stat(ca, true);
    addParents(tree, ca);
    tree.set(ca, { type: 'file', mode: 0o644, mtime: mtimeOf(st), size: st.size, source: resolve(ca) });
  }
  const data = (path: string, text: string) => {
    addParents(tree, path);
    tree.set(path, { type: 'data', mode: 0o644, mtime: 0, data: Buffer.from(text) });
  };
  data('/etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
  data('/etc/group', 'root:x:0:\nnobody:x:65534:\n');
  tree.set('/tmp', { type: 'directory', mode: 0o1777, mtime: 0 });
  tree.set('/root', { type: 'directory', mode: 0o700, mtime: 0 });
  tree.set('/workspace', { type: 'directory', mode: 0o755, mtime: 0 });
  return tree;
}

function depsTree(root: string, pkgs: string[]): Tree {
  const tree: Tree = new Map();
  const nm = join(root, 'node_modules');
  for (const dir of pkgs) {
    const rel = relative(nm, dir);
    if (rel.startsWith('..') || isAbsolute(rel)) throw ioError(`package ${dir} is outside ${nm}`);
    const dest = `${STEP_IMAGE_ROOT}/node_modules/${rel.split(sep).join('/')}`;
    addParents(tree, dest);
    addDir(tree, dir, dest, prunedInPackage(dir));
  }
  return tree;
}

function appTree(root: string): Tree {
  const tree: Tree = new Map();
  tree.set(STEP_IMAGE_ROOT, { type: 'directory', mode: 0o755, mtime: 0 });
  addParents(tree, STEP_IMAGE_ROOT);
  for (const f of ['package.json', 'tsconfig.json']) {
    const p = join(root, f);
    if (!existsSync(p)) continue;
    const st = stat(p, true);
    tree.set(`${STEP_IMAGE_ROOT}/${f}`, { type: 'file', mode: 0o644, mtime: mtimeOf(st), size: st.size, source: p });
  }
  addDir(tree, join(root, 'bin'), `${STEP_IMAGE_ROOT}/bin`, () => false);
  addDir(tree, join(root, 'src'), `${STEP_IMAGE_ROOT}/src`, (rel, isDir) => !isDir && rel.endsWith('.test.ts'));
  return tree;
}

/** The cache key of a tree: every path with its type, mode, mtime, size and source (or data hash). */
function treeKey(name: string, tree: Tree, level: number): string {
  const h = createHash('sha256').update(`sekisho-step-image-layer v1 ${name} gzip${level}\n`);
  for (const [p, e] of [...tree].sort(([a], [b]) => byteOrder(a, b))) {
    const extra =
      e.type === 'file'
        ? `${e.size} ${e.source} ${e.mode}`
        : e.type === 'data'
          ? `${digestOf(e.data)} ${e.mode}`
          : e.type === 'symlink'
            ? e.target
            : String(e.mode);
    h.update(`${p}\0${e.type}\0${e.mtime}\0${extra}\n`);
  }
  return h.digest('hex');
}

const byteOrder = (x: string, y: string): number => Buffer.compare(Buffer.from(x), Buffer.from(y));

function addEntry(p: Pack, header: Headers, source?: { path: string; size: number }): Promise<void> {
  return new Promise<void>((res, rej) => {
    if (!source) {
      p.entry(header, Buffer.alloc(0), (err) => (err ? rej(err) : res()));
      return;
    }
    const sink = p.entry(header, (err) => (err ? rej(err) : res()));
    void (async () => {
      try {
        let n = 0;
        for await (const chunk of createReadStream(source.path)) {
          n += (chunk as Buffer).length;
          if (n > source.size) throw ioError(`${source.path} grew while it was being archived`);
          if (!sink.write(chunk)) await new Promise<void>((r) => sink.once('drain', () => r()));
        }
        if (n !== source.size) throw ioError(`${source.path} shrank while it was being archived`);
        sink.end(undefined);
      } catch (e) {
        sink.destroy(e as Error);
        rej(e);
      }
    })();
  });
}

async function writeTree(tree: Tree, p: Pack): Promise<void> {
  for (const [path, e] of [...tree].sort(([a], [b]) => byteOrder(a, b))) {
    const name = path.slice(1);
    const base = { uid: 0, gid: 0, uname: '', gname: '', mtime: new Date(e.mtime * 1000) };
    if (e.type === 'directory') await addEntry(p, { ...base, name: `${name}/`, type: 'directory', mode: e.mode });
    else if (e.type === 'symlink')
      await addEntry(p, { ...base, name, type: 'symlink', linkname: e.target, mode: 0o777 });
    else if (e.type === 'data')
      await new Promise<void>((res, rej) =>
        p.entry({ ...base, name, type: 'file', mode: e.mode, size: e.data.length }, e.data, (err) =>
          err ? rej(err) : res(),
        ),
      );
    else
      await addEntry(p, { ...base, name, type: 'file', mode: e.mode, size: e.size }, { path: e.source, size: e.size });
  }
  p.finalize();
}

interface CachedLayer extends TarGz {
  files: number;
}

/** The layer of a tree from the cache, or packed (tar → sha256 diff id → gzip → sha256) into it. */
async function layerOf(
  name: StepImageLayer['name'],
  tree: Tree,
  cacheDir: string,
  level: number,
): Promise<StepImageLayer & { path: string }> {
  const key = treeKey(name, tree, level);
  const meta = join(cacheDir, `${name}-${key}.json`);
  const blob = join(cacheDir, `${name}-${key}.tar.gz`);
  if (existsSync(meta) && existsSync(blob)) {
    try {
      const c = JSON.parse(readFileSync(meta, 'utf8')) as CachedLayer;
      if (statSync(blob).size === c.size) return { name, ...c, cached: true, path: blob };
    } catch {
      // a broken cache entry: pack again
    }
  }
  mkdirSync(cacheDir, { recursive: true });
  const tmp = join(cacheDir, `.${key}-${randomBytes(6).toString('hex')}.tmp`);
  let c: CachedLayer;
  try {
    c = { ...(await writeTarGz(tmp, (p) => writeTree(tree, p), { level })), files: tree.size };
  } catch (e) {
    if (e instanceof PipelineError) throw e;
    throw ioError(`writing the ${name} layer failed: ${(e as Error).message}`, e);
  }
  renameSync(tmp, blob);
  writeFileSync(meta, JSON.stringify(c));
  pruneCache(cacheDir, name, key);
  return { name, ...c, cached: false, path: blob };
}

/** Keeps the cache small: of a layer's entries, only the one just made and the newest other one stay. */
function pruneCache(cacheDir: string, name: string, keep: string): void {
  const others = readdirSync(cacheDir)
    .filter((f) => f.startsWith(`${name}-`) && f.endsWith('.json') && f !== `${name}-${keep}.json`)
    .map((f) => ({ f, t: statSync(join(cacheDir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { f } of others.slice(1)) {
    rmSync(join(cacheDir, f), { force: true });
    rmSync(join(cacheDir, f.replace(/\.json$/, '.tar.gz')), { force: true });
  }
}

function gitHead(root: string): string | undefined {
  if (!existsSync(join(root, '.git'))) return undefined;
  const r = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' });
  const out = r.status === 0 ? r.stdout.trim() : '';
  return /^[0-9a-f]{40,64}$/.test(out) ? out : undefined;
}

const defaultRoot = () => resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

async function putImage(
  store: ImageStore,
  blobs: Array<{ desc: Descriptor; path?: string; bytes?: Buffer }>,
  manifest: Buffer,
  tag: string | undefined,
): Promise<string> {
  for (const b of blobs)
    await store.putBlob(b.desc, (offset) =>
      b.bytes ? Readable.from([b.bytes.subarray(offset)]) : createReadStream(b.path!, { start: offset }),
    );
  return store.putManifest(manifest, MediaType.OciManifest, tag);
}

/** Builds the Sekisho step image from this machine's files into a layout and/or a registry. */
export async function buildStepImage(o: StepImageOptions): Promise<StepImageResult> {
  const targets = Array.isArray(o.target) ? o.target : [o.target];
  if (targets.length === 0) throw new PipelineError('pipeline_invalid', 'step image: no target (layout or registry)');
  const root = resolve(o.sekishoRoot ?? defaultRoot());
  const say = o.progress ?? (() => {});
  const level = o.gzipLevel ?? 6;
  const cacheDir = o.cacheDir ?? join(tmpdir(), 'sekisho-step-image-cache');
  let pkg: { version?: string };
  try {
    pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string };
  } catch (e) {
    throw ioError(`${join(root, 'package.json')}: ${(e as Error).message}`, e);
  }
  if (!existsSync(join(root, 'bin', 'sekisho.js'))) throw ioError(`${root} is not a Sekisho tree (no bin/sekisho.js)`);
  const pkgs = packageDirs(root);
  const addons: string[] = [];
  for (const dir of pkgs) {
    const prune = prunedInPackage(dir);
    const find = (rel: string): void => {
      for (const name of readdirSync(rel ? join(dir, rel) : dir)) {
        const r = rel ? `${rel}/${name}` : name;
        const st = lstatSync(join(dir, r));
        if (prune(r, st.isDirectory())) continue;
        if (st.isDirectory()) find(r);
        else if (st.isFile() && name.endsWith('.node')) addons.push(join(dir, r));
      }
    };
    find('');
  }
  say(`packages: ${pkgs.length}, native addons: ${addons.map((a) => relative(root, a)).join(', ') || 'none'}`);
  const trees: Array<[StepImageLayer['name'], Tree]> = [
    ['runtime', runtimeTree({ node: o.node ?? process.execPath, bwrap: o.bwrap ?? '/usr/bin/bwrap', addons })],
    ['deps', depsTree(root, pkgs)],
    ['app', appTree(root)],
  ];
  // packed side by side: gzip runs on libuv's threads
  const layers = await Promise.all(
    trees.map(async ([name, tree]) => {
      const l = await layerOf(name, tree, cacheDir, level);
      say(`${name} layer: ${l.files} entries, ${l.size} bytes ${l.cached ? '(cached)' : '(packed)'}`);
      return l;
    }),
  );
  const revision = gitHead(root);
  const arch = process.arch === 'arm64' ? 'arm64' : process.arch === 'x64' ? 'amd64' : process.arch;
  const labels: Record<string, string> = {
    'org.opencontainers.image.title': 'sekisho-step',
    ...(pkg.version ? { 'org.opencontainers.image.version': pkg.version } : {}),
    ...(revision ? { 'org.opencontainers.image.revision': revision } : {}),
  };
  const config = Buffer.from(
    JSON.stringify({
      architecture: arch,
      os: 'linux',
      config: {
        Entrypoint: STEP_IMAGE_ENTRYPOINT,
        WorkingDir: '/workspace',
        Env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'HOME=/root'],
        Labels: labels,
      },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((l) => ({ created_by: `sekisho ci step-image: ${l.name}` })),
    }),
  );
  const configDesc: Descriptor = { mediaType: MediaType.OciConfig, digest: digestOf(config), size: config.length };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: configDesc,
      layers: layers.map((l) => ({ mediaType: MediaType.OciLayerGzip, digest: l.digest, size: l.size })),
      annotations: labels,
    }),
  );
  const digest = digestOf(manifest);
  const blobs = [
    ...layers.map((l) => ({
      desc: { mediaType: MediaType.OciLayerGzip, digest: l.digest, size: l.size } as Descriptor,
      path: l.path,
    })),
    { desc: configDesc, bytes: config },
  ];
  const size = manifest.length + config.length + layers.reduce((n, l) => n + l.size, 0);
  let reference: string | undefined;
  for (const t of targets) {
    if ('layout' in t) {
      const layout = await OciLayout.open(resolve(t.layout), { create: true });
      await putImage(new LayoutStore(layout), blobs, manifest, t.tag);
      say(`wrote oci:${t.layout}${t.tag ? `:${t.tag}` : ''}@${digest}`);
    } else {
      await putImage(new RegistryStore(t.registry, t.repository), blobs, manifest, t.tag);
      reference = `${t.registry.host}/${t.repository}:${t.tag}@${digest}`;
      say(`pushed ${reference}`);
    }
  }
  return { digest, ...(reference ? { reference } : {}), size, layers: layers.map(({ path: _p, ...l }) => l) };
}
