// The container runtime the sandbox's pod executor uses (src/sandbox/pod-executor.ts takes it as an
// interface): images are pulled from a registry (plain HTTP for loopback hosts) or read from an OCI layout
// (`oci:DIR[:TAG|@DIGEST]`), their layers unpacked with src/build's layer code, and each container process runs
// under src/build's sandbox (runc, else bubblewrap) on the host network; a privileged container runs privileged.
//
// Image cache (as a kubelet with containerd's snapshotter): every pull resolves the reference to a manifest
// digest (a moved tag gets the new image), and the image is unpacked once per digest into
// `<cacheDir>/<alg>-<hex>/{rootfs,config.json,complete}` — unpacked in a temporary folder and renamed into
// place when complete, two pulls of one digest at once sharing one unpack; an entry without its `complete`
// marker is ignored and replaced. A container's rootfs is then an overlay mount (lowerdir = the cached rootfs,
// upper/work beside the mount point; src/build's overlay snapshots) under `runDir` (the OS temp dir), the pod's
// rootfs folder a symlink to it (containerd too mounts rootfs under /run: removing a pod's folder never meets a
// mount); else a copy (`cp -a --reflink=auto`) where overlayfs cannot be mounted. Writes never reach the
// cache; release(rootfs) unmounts.
// The cache keeps the `maxImages` most recently used images; others, unused, go on the next pull.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { Executor } from '../../build/exec/index.ts';
import type { Snapshot } from '../../build/fs/index.ts';
import {
  LayoutStore,
  OciLayout,
  RegistryClient,
  RegistryStore,
  parseLayoutSpec,
  parseManifest,
  parseReference,
  referenceTarget,
  registryApiHost,
  selectPlatform,
  type FetchedManifest,
  type ImageStore,
} from '../../oci/index.ts';
import type { PodImageConfig, PodRuntime } from '../../sandbox/index.ts';

export interface PodRuntimeOptions {
  /** the sandbox (default: src/build's detectExecutor()) */
  executor?: () => Promise<Executor>;
  /** registry hosts reached over plain HTTP besides loopback ones */
  insecureHosts?: string[];
  /** registry credentials (e.g. from Docker's config.json) */
  credentials?: ConstructorParameters<typeof RegistryClient>[0]['credentials'];
  /**
   * Where unpacked images are cached (default: `<pods dir>/images`, the folder the pod executor names through
   * init()); `false`: no cache, every container's rootfs is unpacked afresh from the registry.
   */
  cacheDir?: string | false;
  /** how many images the cache keeps (most recently used first; default 8) */
  maxImages?: number;
  /** `overlay` or `copy` (default: overlay where overlayfs can be mounted, else copy) */
  rootfsMode?: 'overlay' | 'copy';
  /**
   * Where overlay mount points live (default: the OS temp dir), outside the pods directory so that removing a
   * pod's folder never meets a mount; the container's rootfs in the pod folder is a symlink to its mount.
   */
  runDir?: string;
}

async function openStore(image: string, o: PodRuntimeOptions): Promise<{ store: ImageStore; ref: string }> {
  if (image.startsWith('oci:')) {
    const { dir, ref } = parseLayoutSpec(image);
    const layout = await OciLayout.open(isAbsolute(dir) ? dir : resolve(dir));
    return { store: new LayoutStore(layout), ref: ref ?? (await layout.resolve()).digest };
  }
  const r = parseReference(image.replace(/^docker:\/\//, ''));
  const host = registryApiHost(r.registry);
  const client = new RegistryClient({
    host,
    ...(o.credentials ? { credentials: o.credentials } : {}),
    ...(o.insecureHosts?.includes(host) ? { scheme: 'http' as const } : {}),
  });
  return { store: new RegistryStore(client, r.repository), ref: referenceTarget(r) };
}

interface ImageManifest {
  config: { digest: string; size: number; mediaType: string };
  layers?: Array<{ digest: string; size: number; mediaType: string }>;
}

/** The image's manifest for this machine's platform (an index is resolved to its linux/<arch> child). */
async function resolveManifest(store: ImageStore, ref: string): Promise<FetchedManifest> {
  const m = await store.getManifest(ref);
  if (!parseManifest(m.bytes, m.mediaType).isIndex) return m;
  return store.getManifest(
    selectPlatform(m, { os: 'linux', architecture: process.arch === 'arm64' ? 'arm64' : 'amd64' }).digest,
  );
}

/** Unpacks the image's layers into `rootfs`; returns its config. */
async function unpack(
  store: ImageStore,
  m: FetchedManifest,
  rootfs: string,
  signal?: AbortSignal,
): Promise<PodImageConfig> {
  const { applyLayer } = await import('../../build/fs/index.ts');
  const manifest = parseManifest(m.bytes, m.mediaType).manifest as ImageManifest;
  const chunks: Buffer[] = [];
  for await (const c of await store.getBlob(manifest.config)) chunks.push(c as Buffer);
  const cfg = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { config?: Record<string, unknown> }).config ?? {};
  for (const l of manifest.layers ?? []) {
    signal?.throwIfAborted();
    await applyLayer(rootfs, await store.getBlob(l));
  }
  const strs = (v: unknown) => (Array.isArray(v) ? v.map(String) : undefined);
  const entrypoint = strs(cfg.Entrypoint);
  const cmd = strs(cfg.Cmd);
  return {
    env: strs(cfg.Env) ?? [],
    ...(entrypoint ? { entrypoint } : {}),
    ...(cmd ? { cmd } : {}),
    ...(typeof cfg.WorkingDir === 'string' && cfg.WorkingDir ? { workingDir: cfg.WorkingDir } : {}),
    ...(typeof cfg.User === 'string' && cfg.User ? { user: cfg.User } : {}),
  };
}

/** Waits for `p`, or rejects when `signal` aborts first (the shared work goes on for other waiters). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((res, rej) => {
    const onAbort = () => rej(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        res(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        rej(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

const COMPLETE = 'complete';

interface CacheEntry {
  key: string;
  rootfs: string;
  config: PodImageConfig;
}

/** Unpacked images by manifest digest, on disk; see the top of this file. */
class ImageCache {
  private readonly inflight = new Map<string, Promise<CacheEntry>>();
  /** entry key → containers using it (not evicted while > 0) */
  private readonly users = new Map<string, number>();

  constructor(
    readonly dir: string,
    private readonly maxImages: number,
  ) {}

  static keyOf(digest: string): string {
    const m = /^([a-z0-9]+)[+._-]?[a-z0-9]*:([a-f0-9]{32,})$/.exec(digest);
    if (!m) throw new Error(`image cache: unusable manifest digest "${digest}"`);
    return `${m[1]}-${m[2]}`;
  }

  /** The complete entry for `digest`, unpacking it (once, however many ask) when missing. */
  get(digest: string, fill: (rootfs: string) => Promise<PodImageConfig>): Promise<CacheEntry> {
    const key = ImageCache.keyOf(digest);
    const running = this.inflight.get(key);
    if (running) return running;
    const p = this.load(key, fill).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private async load(key: string, fill: (rootfs: string) => Promise<PodImageConfig>): Promise<CacheEntry> {
    const dir = join(this.dir, key);
    const done = join(dir, COMPLETE);
    if (existsSync(done)) {
      try {
        const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as PodImageConfig;
        const now = new Date();
        utimesSync(done, now, now);
        return { key, rootfs: join(dir, 'rootfs'), config };
      } catch {
        // a damaged entry: replaced below
      }
    }
    mkdirSync(this.dir, { recursive: true });
    const tmp = join(this.dir, `.tmp-${key}-${randomBytes(4).toString('hex')}`);
    try {
      mkdirSync(join(tmp, 'rootfs'), { recursive: true });
      const config = await fill(join(tmp, 'rootfs'));
      writeFileSync(join(tmp, 'config.json'), JSON.stringify(config));
      writeFileSync(join(tmp, COMPLETE), '');
      if (existsSync(dir)) this.remove(key); // partial (no marker) or damaged
      renameSync(tmp, dir);
      return { key, rootfs: join(dir, 'rootfs'), config };
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  acquire(key: string): void {
    this.users.set(key, (this.users.get(key) ?? 0) + 1);
  }

  releaseKey(key: string): void {
    const n = (this.users.get(key) ?? 1) - 1;
    if (n > 0) this.users.set(key, n);
    else this.users.delete(key);
  }

  /** Renamed away first, so a half-removed entry never looks complete. */
  private remove(name: string): void {
    const trash = join(this.dir, `.trash-${name}-${randomBytes(4).toString('hex')}`);
    try {
      renameSync(join(this.dir, name), trash);
    } catch {
      return;
    }
    rmSync(trash, { recursive: true, force: true });
  }

  /** Drops leftovers and every unused entry beyond the `maxImages` most recently used. */
  evict(): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    const busy = new Set([...this.users.keys(), ...this.inflight.keys()]);
    const entries: Array<{ name: string; used: number }> = [];
    for (const name of names) {
      if (name.startsWith('.trash-')) {
        rmSync(join(this.dir, name), { recursive: true, force: true });
        continue;
      }
      if (name.startsWith('.tmp-')) {
        const key = name.slice(5, name.lastIndexOf('-'));
        if (!this.inflight.has(key)) rmSync(join(this.dir, name), { recursive: true, force: true });
        continue;
      }
      let used: number;
      try {
        used = statSync(join(this.dir, name, COMPLETE)).mtimeMs;
      } catch {
        if (!busy.has(name)) this.remove(name); // no completion marker: a partial entry
        continue;
      }
      entries.push({ name, used });
    }
    entries.sort((a, b) => b.used - a.used);
    for (const e of entries.slice(this.maxImages)) if (!busy.has(e.name)) this.remove(e.name);
  }
}

export function podRuntime(o: PodRuntimeOptions = {}): PodRuntime {
  let sandbox: Promise<Executor> | undefined;
  const executor = () =>
    (sandbox ??= o.executor ? o.executor() : import('../../build/exec/index.ts').then((m) => m.detectExecutor()));
  let cache: ImageCache | undefined =
    typeof o.cacheDir === 'string' ? new ImageCache(o.cacheDir, o.maxImages ?? 8) : undefined;
  let overlay: boolean | undefined;
  /** container rootfs → its overlay snapshot (or none for a copy) and the cache entry it holds */
  const held = new Map<string, { snap?: Snapshot; base?: string; key: string }>();

  const release = (rootfs: string): void => {
    const h = held.get(rootfs);
    if (!h) return;
    held.delete(rootfs);
    try {
      if (h.snap) releaseSnap(h.snap);
      if (h.base) rmSync(h.base, { recursive: true, force: true });
    } finally {
      cache?.releaseKey(h.key);
    }
  };
  let releaseSnap: (s: Snapshot) => void = () => {
    throw new Error('pod runtime: overlay code not loaded');
  };

  return {
    init(podsDir) {
      if (!cache && o.cacheDir === undefined) cache = new ImageCache(join(podsDir, 'images'), o.maxImages ?? 8);
    },

    async pull(image, rootfs, signal): Promise<PodImageConfig> {
      const { store, ref } = await openStore(image, o);
      const m = await resolveManifest(store, ref);
      if (!cache) return unpack(store, m, rootfs, signal);
      const fs = await import('../../build/fs/index.ts');
      releaseSnap = fs.releaseSnapshot;
      const c = cache;
      const entry = await untilAborted(
        c.get(m.digest, (dir) => unpack(store, m, dir)),
        signal,
      );
      signal.throwIfAborted();
      release(rootfs);
      c.acquire(entry.key);
      try {
        overlay ??= o.rootfsMode ? o.rootfsMode === 'overlay' : fs.overlayAvailable(c.dir);
        if (overlay) {
          const runDir = o.runDir ?? tmpdir();
          mkdirSync(runDir, { recursive: true });
          const base = mkdtempSync(join(runDir, 'sekisho-rootfs-'));
          const mountPoint = join(base, 'rootfs');
          mkdirSync(mountPoint);
          let snap: Snapshot;
          try {
            snap = fs.overlaySnapshot(mountPoint, entry.rootfs);
          } catch (err) {
            rmSync(base, { recursive: true, force: true });
            throw err;
          }
          held.set(rootfs, { snap, base, key: entry.key });
          rmSync(rootfs, { recursive: true, force: true });
          symlinkSync(mountPoint, rootfs);
        } else {
          const r = spawnSync('cp', ['-a', '--reflink=auto', `${entry.rootfs}/.`, `${rootfs}/`], { encoding: 'utf8' });
          if (r.status !== 0)
            throw new Error(
              `cannot copy the cached image into ${rootfs}: ${(r.stderr || r.error?.message || '').trim()}`,
            );
          held.set(rootfs, { key: entry.key });
        }
      } catch (err) {
        c.releaseKey(entry.key);
        throw err;
      }
      c.evict();
      return entry.config;
    },

    async run(spec) {
      const ex = await executor();
      return ex.run({
        rootfs: held.get(spec.rootfs)?.snap?.root ?? spec.rootfs,
        argv: spec.argv,
        env: spec.env,
        cwd: spec.cwd,
        user: spec.user,
        mounts: spec.mounts.map((m) => ({
          type: 'bind' as const,
          source: m.source,
          target: m.target,
          ...(m.readonly ? { readonly: true } : {}),
        })),
        network: 'host',
        ...(spec.privileged ? { privileged: true } : {}),
        stdout: spec.stdout,
        stderr: spec.stderr,
        signal: spec.signal,
      });
    },

    release,

    async close() {
      const errors: unknown[] = [];
      for (const rootfs of [...held.keys()]) {
        try {
          release(rootfs);
        } catch (err) {
          errors.push(err);
        }
      }
      if (errors.length)
        throw new AggregateError(errors, 'pod runtime: some container root filesystems could not be released');
    },
  };
}
