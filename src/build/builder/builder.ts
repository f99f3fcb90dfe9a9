// The builder: walks the stages a target needs (in parallel where they do not depend on each other), runs
// each step or takes it from the cache, and assembles the image.
//
// A stage's state is its image config plus the list of its layers (blobs in the store). Its root filesystem
// is a directory under the build's work dir that is only materialised when a step has to execute: a build
// whose every step hits the cache never unpacks a layer. Cache keys chain: FROM is keyed by the base
// manifest digest; each step by its parent key, the instruction with its arguments expanded, and the hashes
// of what it reads (context files, another stage's key, an image digest).
import { randomBytes } from 'node:crypto';
import { chown, lstat, mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Writable } from 'node:stream';
import { MediaType, formatPlatform, type ImageManifest, type Platform } from '../../oci/index.ts';
import { BuildError, type BuildErrorLocation } from '../errors.ts';
import type { Dockerfile, Instruction, RunInstr, CopyInstr, AddInstr, Stage, RunMount } from '../dockerfile/ast.ts';
import {
  parseDockerfile,
  expandWord,
  expandWords,
  selectStages,
  runCommand,
  platformArgs,
  resolveMetaArgs,
} from '../dockerfile/index.ts';
import { openContext, type BuildContext, type ContextEntry } from '../context/index.ts';
import { applyLayer, diffToLayer, snapshot, resolveInRoot } from '../fs/index.ts';
import { detectExecutor, type Executor, type RunSpec } from '../exec/index.ts';
import { BuildStore, cacheKey, type CacheEntry, type LayerRef } from './store.ts';
import { hostPlatform, pullImage, type BaseImage } from './images.ts';
import { fetchImportedBlob, importCache } from './registry-cache.ts';
import { FileHashCache } from './file-hashes.ts';
import {
  copyInto,
  matchPath,
  matchSources,
  parseChmod,
  resolveChown,
  writeInlineFile,
  type Matched,
  type Owner,
} from './copy.ts';
import { applyMetadata, createdBy, runCreatedBy, type MetaContext } from './metadata.ts';
import type { BuildOptions, BuildStep, HistoryEntry, ImageConfig, ProgressEvent } from './types.ts';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface StageState {
  config: ImageConfig;
  layers: LayerRef[];
  key: string;
}

interface Shared {
  opts: BuildOptions;
  df: Dockerfile;
  store: BuildStore;
  workDir: string;
  platform: Platform;
  created: string;
  metaArgs: Map<string, string>;
  context: () => Promise<BuildContext>;
  fileHashes: FileHashCache;
  executor: () => Promise<Executor>;
  emit: (ev: ProgressEvent) => void;
  nextId: () => number;
  steps: BuildStep[];
  /** Every filesystem step's cache key and result (for --cache-to). */
  records: Array<{ key: string; entry: CacheEntry }>;
  stages: Map<number, StageRun>;
  /** Aborted by the caller's signal or when a stage fails. */
  signal: AbortSignal;
  /** Held cache-mount locks (sharing=locked), by cache id. */
  locks: Map<string, Promise<void>>;
  /** Base images by expanded name, fetched once per build. */
  images: Map<string, Promise<BaseImage>>;
  /** Image-only pseudo stages (COPY --from=<image>, mount from=<image>). */
  imageRoots: Map<string, Promise<{ root: string; key: string }>>;
}

function envMap(env: string[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env ?? []) {
    const i = e.indexOf('=');
    if (i < 0) m.set(e, '');
    else m.set(e.slice(0, i), e.slice(i + 1));
  }
  return m;
}

function stageLabel(stage: Stage): string {
  return stage.name ?? `stage-${stage.index}`;
}

class StageRun {
  readonly stage: Stage;
  readonly shared: Shared;
  readonly label: string;
  state!: StageState;
  readonly rootfs: string;
  /** How many of state.layers are applied in `rootfs`. */
  private applied = 0;
  private materialising: Promise<string> | undefined;
  /** Declared ARGs of the stage: name → value (undefined = declared without a value). */
  readonly args = new Map<string, string | undefined>();
  private readonly meta: MetaContext = { args: this.args };
  /** Final state once the stage finished. */
  done!: Promise<StageState>;
  /** Filesystem steps counted for "[stage n/N]". */
  readonly fsSteps: number;
  private stepNo = 0;

  constructor(stage: Stage, shared: Shared) {
    this.stage = stage;
    this.shared = shared;
    this.label = stageLabel(stage);
    this.rootfs = join(shared.workDir, `stage-${stage.index}`, 'rootfs');
    this.fsSteps = 1 + stage.instructions.filter((i) => isFsInstr(i)).length;
  }

  loc(line: number): BuildErrorLocation {
    return { file: this.shared.df.file, row: line };
  }

  lookup = (name: string): string | undefined => {
    const env = envMap(this.state.config.config.Env);
    if (env.has(name)) return env.get(name);
    return this.args.get(name);
  };

  expand(word: string, line: number): string {
    try {
      return expandWord(word, this.lookup, { escape: this.shared.df.directives.escape });
    } catch (err) {
      throw wrapAt(err, this.loc(line));
    }
  }

  expandList(words: string[], line: number): string[] {
    try {
      return expandWords(words.join(' '), this.lookup, { escape: this.shared.df.directives.escape });
    } catch (err) {
      throw wrapAt(err, this.loc(line));
    }
  }

  /** Makes `rootfs` hold every layer of the current state (incrementally). */
  async materialise(): Promise<string> {
    while (this.materialising) await this.materialising;
    if (this.applied === this.state.layers.length) {
      // a stage FROM scratch has no layer to apply, but its root still has to exist
      if (this.applied === 0) await mkdir(this.rootfs, { recursive: true });
      return this.rootfs;
    }
    const p = (async () => {
      if (this.applied === 0) {
        await rm(this.rootfs, { recursive: true, force: true });
        await mkdir(this.rootfs, { recursive: true });
      }
      // imported cache entries may name blobs we do not have yet
      for (const l of this.state.layers.slice(this.applied)) await ensureBlob(this.shared, l);
      for (const l of this.state.layers.slice(this.applied)) {
        await applyLayer(this.rootfs, this.shared.store.layout.readBlob(l.digest, l.size), {
          name: l.digest,
          onWarning: (message) => this.shared.emit({ kind: 'info', message }),
        });
        this.applied++;
      }
      return this.rootfs;
    })();
    this.materialising = p;
    try {
      return await p;
    } finally {
      this.materialising = undefined;
    }
  }

  /** Root of the finished stage (for COPY --from / mounts). */
  async finalRoot(): Promise<string> {
    await this.done;
    return this.materialise();
  }

  private history(createdByText: string, empty: boolean): HistoryEntry {
    const h: HistoryEntry = {
      created: this.shared.created,
      created_by: createdByText,
      comment: 'buildkit.dockerfile.v0',
    };
    if (empty) h.empty_layer = true;
    return h;
  }

  async run(): Promise<StageState> {
    const { shared, stage } = this;
    const fromName = substituteMeta(shared, stage.from.image, stage.from.line);
    if (stage.from.platform !== undefined) {
      const p = substituteMeta(shared, stage.from.platform, stage.from.line);
      if (p !== formatPlatform(shared.platform) && p !== `${shared.platform.os}/${shared.platform.architecture}`)
        throw new BuildError(
          'DOCKERFILE_INVALID',
          `FROM --platform=${p}: only the host platform ${formatPlatform(shared.platform)} can be built`,
          {
            location: this.loc(stage.from.line),
          },
        );
    }
    const dep = findStage(shared.df, fromName, stage.index);
    const id = shared.nextId();
    const t0 = Date.now();
    shared.emit({
      kind: 'step-start',
      id,
      stage: this.label,
      step: ++this.stepNo,
      steps: this.fsSteps,
      text: `FROM ${fromName}`,
    });
    let onbuild: string[] = [];
    try {
      if (dep !== undefined) {
        const parent = shared.stages.get(dep);
        if (!parent) throw new BuildError('INTERNAL', `stage ${dep} was not scheduled`);
        const st = await parent.done;
        this.state = { config: structuredClone(st.config), layers: [...st.layers], key: st.key };
      } else {
        const img = await getImage(shared, fromName, this.loc(stage.from.line));
        const config = structuredClone(img.config);
        this.state = {
          config,
          layers: [...img.layers],
          key: cacheKey('FROM', img.digest ?? 'scratch', formatPlatform(shared.platform)),
        };
      }
      onbuild = this.state.config.config.OnBuild ?? [];
      // the built image does not inherit its base's triggers (they run now, once)
      delete this.state.config.config.OnBuild;
      if (this.state.config.config.Env === undefined && this.state.layers.length === 0)
        this.state.config.config.Env = [`PATH=${DEFAULT_PATH}`];
      this.state.config.architecture = shared.platform.architecture;
      this.state.config.os = shared.platform.os;
      shared.emit({ kind: 'step-done', id, cached: false, ms: Date.now() - t0 });
    } catch (err) {
      shared.emit({ kind: 'step-error', id, ms: Date.now() - t0, message: (err as Error).message });
      throw err;
    }
    shared.steps.push({
      stage: this.label,
      line: stage.from.line,
      text: `FROM ${fromName}`,
      cached: false,
      ms: Date.now() - t0,
    });

    const triggers: Instruction[] = [];
    for (const t of onbuild) {
      let parsed: Dockerfile;
      try {
        parsed = parseDockerfile(`FROM scratch\n${t}\n`, { file: `${fromName} ONBUILD` });
      } catch (err) {
        throw wrapAt(err, this.loc(stage.from.line));
      }
      for (const i of parsed.stages[0]?.instructions ?? [])
        triggers.push({ ...i, line: stage.from.line, endLine: stage.from.line });
    }
    for (const instr of [...triggers, ...stage.instructions]) {
      shared.signal.throwIfAborted();
      await this.step(instr);
    }
    return this.state;
  }

  private async step(instr: Instruction): Promise<void> {
    const { shared } = this;
    const loc = this.loc(instr.line);
    if (!isFsInstr(instr)) {
      if (instr.kind === 'ARG') {
        for (const a of instr.args) {
          let v: string | undefined = shared.opts.buildArgs[a.key];
          if (v === undefined && a.value !== undefined) v = this.expand(a.value, instr.line);
          if (v === undefined) v = shared.metaArgs.get(a.key) ?? platformArgs(shared.platform)[a.key];
          this.args.set(a.key, v);
        }
      }
      const text = applyMetadata(
        this.state.config,
        instr,
        (w) => this.expand(w, instr.line),
        (ws) => this.expandList(ws, instr.line),
        this.meta,
      );
      this.state.config.history.push(this.history(text, true));
      this.state.key = cacheKey(this.state.key, 'META', text);
      return;
    }
    const id = shared.nextId();
    const t0 = Date.now();
    const displayText = instr.original.split('\n')[0] ?? instr.kind;
    shared.emit({
      kind: 'step-start',
      id,
      stage: this.label,
      step: ++this.stepNo,
      steps: this.fsSteps,
      text: displayText,
    });
    try {
      const planned = await this.plan(instr, loc);
      const key = cacheKey(this.state.key, planned.keyParts);
      let cached = false;
      let entry: CacheEntry | undefined;
      if (!shared.opts.noCache) {
        const hit = await shared.store.get(key);
        if (hit) {
          entry = hit.entry;
          cached = true;
        }
      }
      if (!entry) {
        const root = await this.materialise();
        const before = await snapshot(root);
        await planned.execute(root, id);
        const blob = await diffToLayer(root, before, {
          outDir: join(shared.workDir, 'layers'),
          ...(shared.opts.sourceDateEpoch !== undefined ? { sourceDateEpoch: shared.opts.sourceDateEpoch } : {}),
        });
        if (blob.empty) {
          await rm(blob.path, { force: true });
          entry = { layer: null };
        } else {
          const target = shared.store.layout.blobPath(blob.digest);
          await mkdir(join(target, '..'), { recursive: true });
          await rename(blob.path, target);
          entry = {
            layer: { mediaType: MediaType.OciLayerGzip, digest: blob.digest, diffId: blob.diffId, size: blob.size },
          };
        }
        await shared.store.put(key, entry);
        // what is in the rootfs now is what the new state describes
        if (entry.layer) this.applied = this.state.layers.length + 1;
      }
      if (entry.layer) this.state.layers.push(entry.layer);
      this.state.key = key;
      shared.records.push({ key, entry });
      this.state.config.history.push(this.history(planned.createdBy, entry.layer === null));
      planned.after?.();
      const ms = Date.now() - t0;
      shared.emit({ kind: 'step-done', id, cached, ms });
      shared.steps.push({ stage: this.label, line: instr.line, text: displayText, cached, ms });
    } catch (err) {
      shared.emit({ kind: 'step-error', id, ms: Date.now() - t0, message: (err as Error).message });
      throw wrapAt(err, loc);
    }
  }

  private async plan(
    instr: RunInstr | CopyInstr | AddInstr | { kind: 'WORKDIR'; path: string; line: number; original: string },
    loc: BuildErrorLocation,
  ): Promise<{
    keyParts: unknown;
    createdBy: string;
    execute: (root: string, id: number) => Promise<void>;
    after?: () => void;
  }> {
    if (instr.kind === 'WORKDIR') {
      const wd = this.resolveWorkdir(this.expand(instr.path, instr.line));
      const user = this.state.config.config.User || '';
      return {
        keyParts: ['WORKDIR', wd, user],
        createdBy: `WORKDIR ${wd}`,
        execute: async (root) => {
          // missing directories are made as the current USER, as BuildKit does
          const owner = user !== '' ? await resolveChown(root, user, loc) : undefined;
          await mkdirp(root, wd, owner);
        },
        after: () => {
          this.state.config.config.WorkingDir = wd;
        },
      };
    }
    if (instr.kind === 'RUN') return this.planRun(instr, loc);
    return this.planCopy(instr, loc);
  }

  resolveWorkdir(p: string): string {
    const cur = this.state.config.config.WorkingDir || '/';
    return posix.resolve(cur, p);
  }

  private runEnv(): { env: string[]; argPairs: string[] } {
    const env = envMap(this.state.config.config.Env);
    const argPairs: string[] = [];
    for (const [k, v] of [...this.args.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (v === undefined || env.has(k)) continue;
      argPairs.push(`${k}=${v}`);
    }
    if (!env.has('PATH')) env.set('PATH', DEFAULT_PATH);
    const list = [...env.entries()].map(([k, v]) => `${k}=${v}`);
    return { env: [...list, ...argPairs], argPairs };
  }

  private commandArgv(instr: RunInstr): {
    argv: string[];
    script?: { dir: string; name: string; data: string; mode: number };
  } {
    const r = runCommand(instr);
    const shell = this.state.config.config.Shell ?? ['/bin/sh', '-c'];
    const argv = r.prependShell && !r.scriptFile ? [...shell, ...r.argv] : r.argv;
    return { argv, ...(r.scriptFile ? { script: r.scriptFile } : {}) };
  }

  private async planRun(instr: RunInstr, loc: BuildErrorLocation) {
    const { shared } = this;
    const { argv, script } = this.commandArgv(instr);
    const { env, argPairs } = this.runEnv();
    const network = instr.network === 'default' ? (shared.opts.network ?? 'none') : instr.network;
    if (instr.security === 'insecure')
      throw new BuildError('DOCKERFILE_INVALID', 'RUN --security=insecure is not allowed', { location: loc });
    const user = this.state.config.config.User || '0';
    const cwd = this.state.config.config.WorkingDir || '/';
    const mounts: Array<{ m: RunMount; keyPart: unknown }> = [];
    for (const raw of instr.mounts) {
      const m: RunMount = {
        ...raw,
        ...(raw.target !== undefined ? { target: this.expand(raw.target, instr.line) } : {}),
        ...(raw.source !== undefined ? { source: this.expand(raw.source, instr.line) } : {}),
        ...(raw.from !== undefined ? { from: this.expand(raw.from, instr.line) } : {}),
        ...(raw.id !== undefined ? { id: this.expand(raw.id, instr.line) } : {}),
      };
      if (m.type === 'ssh')
        throw new BuildError('DOCKERFILE_INVALID', 'RUN --mount=type=ssh is not supported', { location: loc });
      if (m.type === 'secret') {
        const id = m.id ?? (m.target ? posix.basename(m.target) : undefined);
        if (!id) throw new BuildError('DOCKERFILE_INVALID', 'secret mount needs id= or target=', { location: loc });
        m.id = id;
        // only the id and where it goes enter the key: never the value
        mounts.push({ m, keyPart: ['secret', id, m.target ?? null, m.env ?? null] });
      } else if (m.type === 'cache') {
        if (!m.target) throw new BuildError('DOCKERFILE_INVALID', 'cache mount needs target=', { location: loc });
        mounts.push({ m, keyPart: ['cache', m.target, m.id ?? m.target] });
      } else if (m.type === 'tmpfs') {
        if (!m.target) throw new BuildError('DOCKERFILE_INVALID', 'tmpfs mount needs target=', { location: loc });
        mounts.push({ m, keyPart: ['tmpfs', m.target, m.size ?? null] });
      } else {
        if (!m.target) throw new BuildError('DOCKERFILE_INVALID', 'bind mount needs target=', { location: loc });
        const src = await this.sourceFor(m.from, loc);
        const rel = (m.source ?? '/').replace(/^\/+/, '');
        let hash: string;
        if (src.isContext) {
          const ctx = await shared.context();
          hash = await shared.fileHashes.hash(await ctx.walk([rel === '' ? '.' : rel]));
        } else hash = src.key;
        mounts.push({ m, keyPart: ['bind', m.target, m.from ?? null, rel, m.readonly, hash] });
      }
    }
    const createdByText = runCreatedBy(argv, argPairs, instr.command.prependShell);
    return {
      keyParts: ['RUN', argv, script ?? null, env, network, user, cwd, mounts.map((x) => x.keyPart)],
      createdBy: createdByText,
      execute: async (root: string, id: number) => {
        await this.execRun(
          root,
          id,
          argv,
          script,
          env,
          user,
          cwd,
          network,
          mounts.map((x) => x.m),
          loc,
        );
      },
    };
  }

  private async execRun(
    root: string,
    id: number,
    argv: string[],
    script: { dir: string; name: string; data: string; mode: number } | undefined,
    env: string[],
    user: string,
    cwd: string,
    network: 'none' | 'host',
    mounts: RunMount[],
    loc: BuildErrorLocation,
  ): Promise<void> {
    const { shared } = this;
    const specMounts: RunSpec['mounts'] = [];
    const cleanups: Array<() => Promise<void>> = [];
    const created: string[] = [];
    const runEnv = [...env];
    try {
      await mkdirp(root, cwd);
      if (script) {
        // a `#!` heredoc script is a file mounted read-only beside the rootfs, never in the layer
        const dir = join(shared.workDir, 'scripts', randomBytes(8).toString('hex'));
        await mkdir(dir, { recursive: true });
        cleanups.push(() => rm(dir, { recursive: true, force: true }));
        const { writeFile } = await import('node:fs/promises');
        await writeFile(join(dir, script.name), script.data, { mode: script.mode });
        const first = await firstMissing(root, script.dir);
        if (first) created.push(first);
        specMounts.push({ type: 'bind', source: dir, target: script.dir, readonly: true });
      }
      for (const m of mounts) {
        const target = m.type === 'secret' ? (m.target ?? `/run/secrets/${m.id!}`) : m.target!;
        if (m.type === 'secret' && m.env && !m.target) {
          runEnv.push(`${m.env}=${await readSecret(shared.opts, m.id!, m.required, loc)}`);
          continue;
        }
        const first = await firstMissing(root, target);
        if (first) created.push(first);
        if (m.type === 'cache') {
          const dir = join(shared.store.dir, 'mounts', cacheKey('cache', m.id ?? target));
          let fresh = false;
          try {
            await lstat(dir);
          } catch {
            fresh = true;
          }
          if (fresh) {
            await mkdir(dir, { recursive: true, mode: m.mode ?? 0o755 });
            await chown(dir, m.uid ?? 0, m.gid ?? 0);
          }
          specMounts.push({ type: 'bind', source: dir, target });
        } else if (m.type === 'tmpfs') specMounts.push({ type: 'tmpfs', target });
        else if (m.type === 'secret') {
          const value = await readSecretOptional(shared.opts, m.id!, m.required, loc);
          if (value === undefined) continue;
          // staged in memory (tmpfs /dev/shm) where there is one, never in the cache dir on disk
          const dir = await secretDir(shared.workDir);
          cleanups.push(() => rm(dir, { recursive: true, force: true }));
          const file = join(dir, 'secret');
          const { writeFile, chmod } = await import('node:fs/promises');
          await writeFile(file, value, { mode: 0o400 });
          await chmod(file, m.mode ?? 0o400);
          await chown(file, m.uid ?? 0, m.gid ?? 0);
          specMounts.push({ type: 'bind', source: file, target, readonly: true });
          if (m.env) runEnv.push(`${m.env}=${value.toString('utf8')}`);
        } else {
          const src = await this.sourceFor(m.from, loc);
          const srcRoot = await src.root();
          const host = src.isContext
            ? await (await shared.context()).resolve((m.source ?? '/').replace(/^\/+/, '') || '.')
            : resolveInRoot(srcRoot, m.source ?? '/', true);
          if (m.readonly) specMounts.push({ type: 'bind', source: host, target, readonly: true });
          else {
            // a writable bind mount sees a copy: writes are thrown away, as BuildKit does
            const copy = join(shared.workDir, 'bind', randomBytes(8).toString('hex'));
            await mkdir(join(copy, '..'), { recursive: true });
            const { cp } = await import('node:fs/promises');
            await cp(host, copy, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
            cleanups.push(() => rm(copy, { recursive: true, force: true }));
            specMounts.push({ type: 'bind', source: copy, target });
          }
        }
      }
      const exec = await shared.executor();
      const out = logStream(shared, id, 'stdout');
      const err = logStream(shared, id, 'stderr');
      const spec: RunSpec = {
        rootfs: root,
        argv,
        env: runEnv,
        cwd,
        user,
        mounts: specMounts,
        network,
        hostname: 'buildkitsandbox',
        stdout: out,
        stderr: err,
        signal: shared.signal,
      };
      // sharing=locked cache mounts: one RUN at a time per cache id within this build
      const lockIds = [
        ...new Set(mounts.filter((m) => m.type === 'cache' && m.sharing === 'locked').map((m) => m.id ?? m.target!)),
      ].sort();
      const release = await acquireLocks(shared.locks, lockIds);
      let r: { exitCode: number };
      try {
        r = await exec.run(spec);
      } finally {
        release();
      }
      if (r.exitCode !== 0)
        throw new BuildError('RUN_FAILED', `RUN ${argv.join(' ')} exited with code ${r.exitCode}`, { location: loc });
    } finally {
      for (const c of cleanups) await c().catch(() => undefined);
      // mount points the runtime created must not end up in the layer
      for (const p of created.reverse()) await removeEmptyChain(root, p);
    }
  }

  /**
   * Source for COPY --from / RUN --mount from= (a stage, an image) or the context. Its key names its content
   * (a stage's final cache key, an image digest) so a cache hit never needs the source's files; `root()`
   * materialises them when a step runs.
   */
  private async sourceFor(
    from: string | undefined,
    loc: BuildErrorLocation,
  ): Promise<{ isContext: boolean; key: string; root: () => Promise<string> }> {
    const { shared } = this;
    if (from === undefined || from === '') {
      const ctx = await shared.context();
      return { isContext: true, key: '', root: () => Promise.resolve(ctx.dir) };
    }
    const idx = findStage(shared.df, from, this.stage.index);
    if (idx !== undefined) {
      const run = shared.stages.get(idx);
      if (!run) throw new BuildError('INTERNAL', `stage ${from} was not scheduled`, { location: loc });
      const st = await run.done;
      return { isContext: false, key: `stage:${st.key}`, root: () => run.finalRoot() };
    }
    const img = await getImage(shared, from, loc);
    return {
      isContext: false,
      key: `image:${img.digest ?? 'scratch'}`,
      root: () => {
        let p = shared.imageRoots.get(from);
        if (!p) {
          p = (async () => {
            const root = join(shared.workDir, 'images', cacheKey(from).slice(0, 16));
            await mkdir(root, { recursive: true });
            for (const l of img.layers)
              await applyLayer(root, shared.store.layout.readBlob(l.digest, l.size), {
                name: l.digest,
                onWarning: (message) => shared.emit({ kind: 'info', message }),
              });
            return { root, key: img.digest ?? 'scratch' };
          })();
          shared.imageRoots.set(from, p);
        }
        return p.then((r) => r.root);
      },
    };
  }

  private async planCopy(instr: CopyInstr | AddInstr, loc: BuildErrorLocation) {
    const { shared } = this;
    const from = instr.kind === 'COPY' && instr.from !== undefined ? this.expand(instr.from, instr.line) : undefined;
    const sources = instr.sources.map((s) => this.expand(s, instr.line));
    const rawDest = this.expand(instr.dest, instr.line);
    const destIsDir = rawDest.endsWith('/') || rawDest === '.' || rawDest.endsWith('/.');
    const dest = this.resolveWorkdir(rawDest);
    const chown = instr.chown !== undefined ? this.expand(instr.chown, instr.line) : undefined;
    const chmodSpec = instr.chmod !== undefined ? this.expand(instr.chmod, instr.line) : undefined;
    const mode = chmodSpec !== undefined ? parseChmod(chmodSpec, loc) : undefined;
    const exclude = instr.exclude.map((e) => this.expand(e, instr.line));
    const parents = instr.kind === 'COPY' && instr.parents;
    const urls =
      instr.kind === 'ADD' ? sources.filter((s) => /^(https?|git):\/\//.test(s) || s.startsWith('git@')) : [];
    if (urls.length > 0 && !shared.opts.allowNetworkAdd)
      throw new BuildError(
        'DOCKERFILE_INVALID',
        `ADD ${urls[0]}: remote sources are off (builds are offline); pass --allow-network-add to fetch them`,
        { location: loc },
      );
    const fetched: Array<{ url: string; file: string; name: string; sha: string; mtime: Date }> = [];
    for (const u of urls) {
      if (!/^https?:\/\//.test(u))
        throw new BuildError('DOCKERFILE_INVALID', `ADD ${u}: git sources are not supported`, { location: loc });
      fetched.push(await fetchUrl(u, join(shared.workDir, 'downloads'), loc));
    }
    const src = await this.sourceFor(from, loc);
    let matched: Matched[] = [];
    let hash: string;
    const local = sources.filter((s) => !/^(https?|git):\/\//.test(s));
    if (src.isContext) {
      const ctx = await shared.context();
      // --exclude patterns match below the copied source (and, as a fallback, from the context root)
      const entries = excludeEntries(local.length > 0 ? await ctx.walk(local) : [], exclude);
      matched = toMatched(entries);
      if (parents) matched = withParents(matched);
      hash = await shared.fileHashes.hash(entries);
    } else hash = cacheKey(src.key, local, exclude);
    const inline = instr.sourceContents.map((c) => ({
      path: c.path,
      data: c.expand ? this.expand(c.data, instr.line) : c.data,
    }));
    const mtime = new Date((shared.opts.sourceDateEpoch ?? 0) * 1000);
    const shownSources = [...instr.sources, ...instr.sourceContents.map((c) => `<<${c.path}`)];
    const flags = [
      from !== undefined ? `--from=${from}` : '',
      chown ? `--chown=${chown}` : '',
      chmodSpec ? `--chmod=${chmodSpec}` : '',
      instr.link ? '--link' : '',
    ]
      .filter((f) => f !== '')
      .join(' ');
    const createdByText = createdBy(instr.kind, `${flags ? `${flags} ` : ''}${shownSources.join(' ')} ${rawDest}`);
    return {
      keyParts: [
        instr.kind,
        from ?? null,
        sources,
        rawDest,
        dest,
        chown ?? null,
        mode ?? null,
        exclude,
        inline,
        hash,
        fetched.map((f) => [f.url, f.sha, f.mtime.getTime()]),
      ],
      createdBy: createdByText,
      execute: async (root: string) => {
        const owner: Owner | undefined = chown !== undefined ? await resolveChown(root, chown, loc) : undefined;
        const opts = {
          ...(owner ? { owner } : {}),
          ...(mode !== undefined ? { mode } : {}),
          onWarning: (message: string) => shared.emit({ kind: 'info', message }),
        };
        if (!src.isContext && local.length > 0) {
          matched = await matchSources({ root: await src.root(), isContext: false }, local, exclude, loc);
          if (parents) matched = withParents(matched);
        }
        const multi = matched.length + inline.length + fetched.length > 1;
        if (instr.kind === 'ADD') {
          const archives: typeof matched = [];
          const plain: typeof matched = [];
          for (const m of matched) (!m.isDir && (await isArchive(m.host)) ? archives : plain).push(m);
          if (plain.length > 0) await copyInto(root, plain, dest, destIsDir || multi, opts);
          for (const a of archives) {
            const dir = await mkdirp(root, dest);
            const { createReadStream } = await import('node:fs');
            await applyLayer(dir, createReadStream(a.host), {
              name: a.rel,
              onWarning: (message) => shared.emit({ kind: 'info', message }),
            });
          }
        } else if (matched.length > 0) await copyInto(root, matched, dest, destIsDir || multi, opts);
        for (const c of inline) await writeInlineFile(root, dest, c.path, c.data, destIsDir || multi, opts, mtime);
        // a downloaded file is not unpacked; it gets mode 0600 and the server's Last-Modified, as in docker
        for (const f of fetched) {
          const data = await readFile(f.file);
          await writeInlineFile(root, dest, f.name, data, destIsDir || multi, { mode: 0o600, ...opts }, f.mtime);
        }
      },
    };
  }
}

async function secretDir(workDir: string): Promise<string> {
  const { mkdtemp, stat } = await import('node:fs/promises');
  try {
    if ((await stat('/dev/shm')).isDirectory()) return await mkdtemp('/dev/shm/sekisho-secret-');
  } catch {
    // no /dev/shm: fall back to the work dir (removed after the step)
  }
  const dir = join(workDir, 'secrets', randomBytes(8).toString('hex'));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** Takes the named locks in order (ids sorted by the caller); returns the release function. */
async function acquireLocks(locks: Map<string, Promise<void>>, ids: string[]): Promise<() => void> {
  const releases: Array<() => void> = [];
  for (const id of ids) {
    while (locks.has(id)) await locks.get(id);
    let release!: () => void;
    locks.set(
      id,
      new Promise<void>((r) => {
        release = () => {
          locks.delete(id);
          r();
        };
      }),
    );
    releases.push(release);
  }
  return () => {
    for (const r of releases.reverse()) r();
  };
}

/** Downloads an `ADD <url>` source (only with --allow-network-add). */
async function fetchUrl(
  url: string,
  dir: string,
  loc: BuildErrorLocation,
): Promise<{ url: string; file: string; name: string; sha: string; mtime: Date }> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow' });
  } catch (err) {
    throw new BuildError('CONTEXT_MISSING', `ADD ${url}: ${(err as Error).message}`, { location: loc, cause: err });
  }
  if (!res.ok) throw new BuildError('CONTEXT_MISSING', `ADD ${url}: HTTP ${res.status}`, { location: loc });
  const data = Buffer.from(await res.arrayBuffer());
  await mkdir(dir, { recursive: true });
  const file = join(dir, randomBytes(8).toString('hex'));
  const { writeFile } = await import('node:fs/promises');
  await writeFile(file, data);
  const lm = res.headers.get('last-modified');
  const mtime = lm && !Number.isNaN(Date.parse(lm)) ? new Date(Date.parse(lm)) : new Date(0);
  const name = posix.basename(new URL(url).pathname) || 'index.html';
  return { url, file, name, sha: cacheKey(data.toString('base64')), mtime };
}

/** Drops entries an `--exclude` pattern matches (with everything below an excluded directory). */
function excludeEntries(entries: ContextEntry[], exclude: string[]): ContextEntry[] {
  if (exclude.length === 0) return entries;
  return entries.filter((e) => !exclude.some((p) => (e.under !== '' && matchPath(p, e.under)) || matchPath(p, e.rel)));
}

/** `COPY --parents`: every source lands at its full relative path under the destination. */
function withParents(matched: Matched[]): Matched[] {
  const files = matched.flatMap((m) =>
    m.isDir
      ? [{ rel: m.rel, host: m.host, under: m.rel }, ...m.files.map((f) => ({ ...f, under: f.rel }))]
      : m.files.map((f) => ({ ...f, under: f.rel })),
  );
  return [{ rel: '', host: '', isDir: true, files: files.filter((f) => f.under !== '' && f.under !== '.') }];
}

/** The context walk's entries grouped per matched source (a source entry has `under === ''`). */
function toMatched(entries: ContextEntry[]): Matched[] {
  const out: Matched[] = [];
  for (const e of entries) {
    if (e.under === '') {
      const isDir = e.type === 'dir';
      out.push({
        rel: e.rel,
        host: e.path,
        isDir,
        files: isDir ? [] : [{ rel: e.rel, host: e.path, under: basenameOf(e.rel) }],
      });
      continue;
    }
    const cur = out[out.length - 1];
    if (!cur || !cur.isDir) throw new BuildError('INTERNAL', `context walk gave ${e.rel} outside a directory source`);
    cur.files.push({ rel: e.rel, host: e.path, under: e.under });
  }
  return out;
}

function basenameOf(rel: string): string {
  return rel.split('/').pop() ?? rel;
}

function isFsInstr(i: Instruction): i is RunInstr | CopyInstr | AddInstr | Extract<Instruction, { kind: 'WORKDIR' }> {
  return i.kind === 'RUN' || i.kind === 'COPY' || i.kind === 'ADD' || i.kind === 'WORKDIR';
}

async function isArchive(path: string): Promise<boolean> {
  const fh = await import('node:fs/promises').then((m) => m.open(path, 'r'));
  try {
    const buf = Buffer.alloc(512);
    const { bytesRead } = await fh.read(buf, 0, 512, 0);
    if (bytesRead >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) return true; // gzip
    if (bytesRead >= 3 && buf.subarray(0, 3).toString('latin1') === 'BZh') return true;
    if (bytesRead >= 6 && buf.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return true;
    if (bytesRead >= 4 && buf.readUInt32LE(0) === 0xfd2fb528) return true; // zstd
    return bytesRead >= 262 && buf.subarray(257, 262).toString('latin1') === 'ustar';
  } finally {
    await fh.close();
  }
}

async function mkdirp(root: string, p: string, owner?: Owner): Promise<string> {
  const parts = p.split('/').filter((s) => s !== '');
  let cur = '';
  for (const part of parts) {
    cur = cur === '' ? part : `${cur}/${part}`;
    const host = resolveInRoot(root, cur, true);
    try {
      const st = await lstat(host);
      if (!st.isDirectory()) throw new BuildError('DOCKERFILE_INVALID', `/${cur} exists and is not a directory`);
    } catch (err) {
      if (err instanceof BuildError) throw err;
      await mkdir(host, { mode: 0o755 });
      if (owner) await chown(host, owner.uid, owner.gid);
    }
  }
  return resolveInRoot(root, p, true);
}

/** The first component of `p` that does not exist in the root (what a runtime would create). */
async function firstMissing(root: string, p: string): Promise<string | undefined> {
  const parts = p.split('/').filter((s) => s !== '');
  let cur = '';
  for (const part of parts) {
    cur = cur === '' ? part : `${cur}/${part}`;
    try {
      await lstat(resolveInRoot(root, cur, true));
    } catch {
      return cur;
    }
  }
  return undefined;
}

/** Removes an empty file or a tree of empty directories left by a mount point. */
async function removeEmptyChain(root: string, rel: string): Promise<void> {
  const host = resolveInRoot(root, rel, false);
  let st;
  try {
    st = await lstat(host);
  } catch {
    return;
  }
  if (st.isDirectory()) {
    for (const n of await readdir(host)) await removeEmptyChain(root, `${rel}/${n}`);
    if ((await readdir(host)).length === 0) await rmdir(host);
  } else if (st.isFile() && st.size === 0) await rm(host, { force: true });
}

async function readSecretOptional(
  opts: BuildOptions,
  id: string,
  required: boolean,
  loc: BuildErrorLocation,
): Promise<Buffer | undefined> {
  const s = opts.secrets[id];
  if (!s) {
    if (required)
      throw new BuildError(
        'SECRET_MISSING',
        `secret ${JSON.stringify(id)} is required but was not given (--secret id=${id},...)`,
        { location: loc },
      );
    return undefined;
  }
  if (s.src !== undefined) {
    try {
      return await readFile(s.src);
    } catch (err) {
      throw new BuildError('SECRET_MISSING', `secret ${JSON.stringify(id)}: cannot read ${s.src}`, {
        location: loc,
        cause: err,
      });
    }
  }
  const name = s.env ?? id;
  const v = opts.secretEnv?.[name];
  if (v === undefined) {
    if (required)
      throw new BuildError('SECRET_MISSING', `secret ${JSON.stringify(id)}: environment variable ${name} is not set`, {
        location: loc,
      });
    return undefined;
  }
  return Buffer.from(v);
}

async function readSecret(opts: BuildOptions, id: string, required: boolean, loc: BuildErrorLocation): Promise<string> {
  return ((await readSecretOptional(opts, id, required, loc)) ?? Buffer.alloc(0)).toString('utf8');
}

function logStream(shared: Shared, id: number, stream: 'stdout' | 'stderr'): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      shared.emit({ kind: 'log', id, stream, data: chunk.toString('utf8') });
      cb();
    },
  });
}

async function ensureBlob(shared: Shared, l: LayerRef): Promise<void> {
  if (await shared.store.layout.hasBlob(l.digest)) return;
  await fetchImportedBlob(shared.store, l);
}

function getImage(shared: Shared, name: string, loc: BuildErrorLocation): Promise<BaseImage> {
  let p = shared.images.get(name);
  if (!p) {
    p = pullImage(name, shared.store, shared.platform, shared.opts.registry).catch((err: unknown) => {
      throw wrapAt(err, loc);
    });
    shared.images.set(name, p);
  }
  return p;
}

/** The stage a FROM / --from names (by name or index), if it names an earlier stage. */
export function findStage(df: Dockerfile, name: string, before: number): number | undefined {
  const lower = name.toLowerCase();
  for (const s of df.stages) {
    if (s.index >= before) break;
    if (s.name === lower) return s.index;
  }
  if (/^\d+$/.test(name)) {
    const i = Number(name);
    if (i < before) return i;
    throw new BuildError('DOCKERFILE_INVALID', `stage ${i} is not an earlier stage`);
  }
  return undefined;
}

function substituteMeta(shared: Shared, word: string, line: number): string {
  try {
    return expandWord(word, (n) => shared.metaArgs.get(n), { escape: shared.df.directives.escape });
  } catch (err) {
    throw wrapAt(err, { file: shared.df.file, row: line });
  }
}

function wrapAt(err: unknown, loc: BuildErrorLocation): BuildError {
  if (err instanceof BuildError) {
    if (err.location) return err;
    return new BuildError(err.code, err.message, { location: loc, cause: err.cause });
  }
  return new BuildError('INTERNAL', (err as Error)?.message ?? String(err), { location: loc, cause: err });
}

export interface BuiltImage {
  state: StageState;
  manifest: ImageManifest;
  manifestBytes: Buffer;
  manifestDigest: string;
  config: ImageConfig;
  configDigest: string;
  steps: BuildStep[];
  stagesBuilt: string[];
  baseImages: Array<{ name: string; digest: string }>;
  store: BuildStore;
  /** Materialises the final root filesystem into `dir` (type=local output). */
  exportRootfs: (dir: string) => Promise<void>;
  /** Every step's cache key → entry, for --cache-to. */
  cacheRecords: Array<{ key: string; entry: CacheEntry }>;
  cleanup: () => Promise<void>;
}

/** Runs the build up to the image (outputs are written by the caller). */
export async function runBuild(opts: BuildOptions): Promise<BuiltImage> {
  const dockerfilePath = opts.dockerfile ?? join(opts.contextDir, 'Dockerfile');
  let text = opts.dockerfileText;
  if (text === undefined) {
    try {
      text = await readFile(dockerfilePath, 'utf8');
    } catch (err) {
      throw new BuildError('CONTEXT_MISSING', `cannot read Dockerfile ${dockerfilePath}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  const df = parseDockerfile(text, { file: dockerfilePath });
  const platform = hostPlatform();
  const store = await BuildStore.open(opts.cacheDir);
  const workDir = join(opts.cacheDir, 'work', `${process.pid}-${randomBytes(6).toString('hex')}`);
  await mkdir(workDir, { recursive: true });
  const cleanup = (): Promise<void> => rm(workDir, { recursive: true, force: true });
  try {
    if (opts.cacheFrom && opts.cacheFrom.length > 0) {
      for (const c of opts.cacheFrom)
        await importCache(store, opts, c, (m) => opts.progress?.({ kind: 'info', message: m }));
    }
    const metaArgs = resolveMetaArgs(df, opts.buildArgs, platformArgs(platform));
    const stop = new AbortController();
    if (opts.signal) {
      if (opts.signal.aborted) stop.abort(opts.signal.reason);
      else opts.signal.addEventListener('abort', () => stop.abort(opts.signal!.reason), { once: true });
    }
    let ctxPromise: Promise<BuildContext> | undefined;
    let execPromise: Promise<Executor> | undefined;
    let id = 0;
    const shared: Shared = {
      opts,
      df,
      store,
      workDir,
      platform,
      created: opts.sourceDateEpoch !== undefined ? isoSeconds(opts.sourceDateEpoch) : new Date().toISOString(),
      metaArgs,
      fileHashes: new FileHashCache(opts.cacheDir),
      context: () => (ctxPromise ??= openContext(opts.contextDir, { dockerfile: dockerfilePath })),
      executor: () => (execPromise ??= opts.executor ? Promise.resolve(opts.executor) : detectExecutor()),
      emit: (ev) => opts.progress?.(ev),
      nextId: () => ++id,
      steps: [],
      records: [],
      signal: stop.signal,
      locks: new Map(),
      stages: new Map(),
      images: new Map(),
      imageRoots: new Map(),
    };
    const needed = selectStages(df, opts.target, opts.buildArgs, platformArgs(platform));
    for (const i of needed) shared.stages.set(i, new StageRun(df.stages[i]!, shared));
    for (const i of needed) {
      const r = shared.stages.get(i)!;
      r.done = r.run();
      r.done.catch(() => undefined);
    }
    // the first failing stage stops the others (their RUN steps are killed) before the work dir goes
    const settled = await Promise.allSettled(
      [...shared.stages.values()].map((r) =>
        r.done.catch((err: unknown) => {
          stop.abort(err);
          throw err;
        }),
      ),
    );
    const failed = settled.find((x): x is PromiseRejectedResult => x.status === 'rejected');
    if (failed) throw failed.reason;
    await shared.fileHashes.save();
    const lastIdx = needed[needed.length - 1]!;
    const last = shared.stages.get(lastIdx)!;
    const state = await last.done;
    const config: ImageConfig = {
      ...state.config,
      created: shared.created,
      rootfs: { type: 'layers', diff_ids: state.layers.map((l) => l.diffId) },
    };
    const ordered = orderConfig(config);
    const cfg = await store.putJson(ordered);
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: cfg.digest, size: cfg.size },
      layers: state.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    };
    const man = await store.putJson(manifest);
    for (const l of state.layers) await ensureBlob(shared, l);
    const cacheRecords = shared.records;
    return {
      state,
      manifest,
      manifestBytes: man.bytes,
      manifestDigest: man.digest,
      config: ordered,
      configDigest: cfg.digest,
      steps: shared.steps,
      stagesBuilt: needed.map((i) => stageLabel(df.stages[i]!)),
      baseImages: (await Promise.all(shared.images.values())).flatMap((b) =>
        b.digest !== undefined ? [{ name: b.name, digest: b.digest }] : [],
      ),
      store,
      exportRootfs: async (dir: string) => {
        await mkdir(dir, { recursive: true });
        for (const l of state.layers)
          await applyLayer(dir, store.layout.readBlob(l.digest, l.size), { name: l.digest });
      },
      cacheRecords,
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

function isoSeconds(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

/** Config fields in a fixed order (JSON key order is part of the digest). */
function orderConfig(c: ImageConfig): ImageConfig {
  const out: ImageConfig = {
    ...(c.created !== undefined ? { created: c.created } : {}),
    ...(c.author !== undefined ? { author: c.author } : {}),
    architecture: c.architecture,
    os: c.os,
    ...(c.variant !== undefined ? { variant: c.variant } : {}),
    config: c.config,
    rootfs: c.rootfs,
    history: c.history,
  };
  return out;
}
