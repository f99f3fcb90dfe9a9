// Builds every case of the build corpus (test/build/corpus/<name>/: Dockerfile + context, optional
// case.json and expect-stdout) twice — with Sekisho's build() and with
// `buildah bud --isolation chroot --storage-driver vfs` — and compares the two images:
//   filesystem (merged view of the layers): paths, types, modes, uid/gid, content hashes, symlink targets
//     (whiteouts are compared through their effect: a path deleted in one image and present in the other differs)
//   config: Env, Cmd, Entrypoint, User, WorkingDir, Labels, ExposedPorts, Volumes, StopSignal
// apart from the legitimate differences listed in LEGIT below (each with its reason). Cases with an
// `expect-stdout` file are also run under runc (Sekisho's executor) and must print exactly that. Cases
// with `mustNotContain` check that the string (a secret) appears in no layer and not in the config.
// The base image is the busybox-static fixture pushed to an embedded registry on 127.0.0.1; both builders
// pull it from there (buildah with --tls-verify=false). buildah's storage lives in a temp dir.
//
// Usage: node --import tsx test/conformance/build-compare.ts [CORPUS_DIR] [--only=a,b] [--keep]
//          [--debian-base=<image ref for corpus-only Debian cases>] [--no-run] [--repro] [-v]
// --repro also builds each case twice more from clean caches with SOURCE_DATE_EPOCH set and requires one digest.
// Prints per-case results and a closing `N passed, N failed` line (skipped cases are listed with a reason).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { build } from '../../src/build/index.ts';
import { parseDockerfile } from '../../src/build/dockerfile/index.ts';
import { applyLayer } from '../../src/build/fs/index.ts';
import { detectExecutor } from '../../src/build/exec/index.ts';
import { OciLayout } from '../../src/oci/layout.ts';
import { mergeLayer, type MergedEntry } from '../../src/oci/layer-merge.ts';
import { openFsStorage, RegistryServer } from '../../src/oci/index.ts';
import type { ImageManifest } from '../../src/oci/media-types.ts';
import { pushFixture } from '../build/fixtures/base-image.ts';

interface CaseMeta {
  buildArgs?: Record<string, string>;
  target?: string;
  /** Secret id → value (written to a temp file and given to both builders). */
  secrets?: Record<string, string>;
  /** A string that must not appear in any layer or in the config (e.g. the secret's value). */
  mustNotContain?: string;
  /** Not run by default: the reason (e.g. needs a Debian base). Runs when --debian-base is given. */
  corpusOnly?: string;
  network?: 'none' | 'host';
  /** Let Sekisho ADD URLs (off by default); the case's `http/` files are served on 127.0.0.1 as `$SRV/<case>/`. */
  allowNetworkAdd?: boolean;
  /** buildah 1.28 cannot build this case (the reason); it is then judged by its runc output alone. */
  buildahUnsupported?: string;
}

interface FileInfo {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  digest?: string;
  link?: string;
}

interface Image {
  config: Record<string, unknown>;
  files: Map<string, FileInfo>;
  layerBytes: Buffer[];
  configBytes: Buffer;
}

// ---- legitimate differences ------------------------------------------------------------------

interface Legit {
  id: string;
  reason: string;
  /** Returns true when the difference is covered. */
  fs?: (path: string, ours: FileInfo | undefined, theirs: FileInfo | undefined) => boolean;
  config?: (field: string, ours: unknown, theirs: unknown) => boolean;
}

const LEGIT: Legit[] = [
  {
    id: 'buildah-version-label',
    reason: 'buildah stamps every image with the label io.buildah.version',
    config: (field) => field === 'Labels.io.buildah.version',
  },
  {
    id: 'mtimes',
    reason:
      'file mtimes are not compared: they are build-time timestamps that differ between any two builds (buildah 1.28 cannot clamp them to SOURCE_DATE_EPOCH)',
  },
  {
    id: 'run-mountpoint-stubs',
    reason:
      'buildah (chroot isolation) leaves the mount points of RUN steps in the layer (empty /etc/hosts, /etc/resolv.conf, /run/secrets, --mount targets and the directories made for them); BuildKit and Sekisho leave them out',
    fs: (p, ours, theirs) =>
      ours === undefined &&
      theirs !== undefined &&
      ((theirs.type === 'file' && theirs.digest === EMPTY_SHA) || theirs.type === 'directory') &&
      (['etc/hosts', 'etc/resolv.conf', 'run', 'run/secrets', 'proc', 'sys', 'dev'].includes(p) ||
        currentMountPaths.has(p)),
  },
  {
    id: 'shell-form-uses-shell',
    reason:
      'CMD/ENTRYPOINT in shell form run through the current SHELL in Sekisho, as in docker and BuildKit; buildah 1.28 always uses /bin/sh -c',
    config: (field, ours, theirs) => {
      if ((field !== 'Cmd' && field !== 'Entrypoint') || !Array.isArray(ours) || !Array.isArray(theirs)) return false;
      const shell = currentShell;
      if (!shell || theirs[0] !== '/bin/sh' || theirs[1] !== '-c') return false;
      return JSON.stringify(ours) === JSON.stringify([...shell, ...theirs.slice(2)]);
    },
  },
  {
    id: 'env-order',
    reason:
      'a redefined ENV variable keeps its place in Sekisho (as BuildKit: addEnv replaces in place); buildah moves it to the end',
    config: (field, ours, theirs) =>
      field === 'Env' &&
      Array.isArray(ours) &&
      Array.isArray(theirs) &&
      JSON.stringify([...(ours as string[])].sort()) === JSON.stringify([...(theirs as string[])].sort()),
  },
];

const EMPTY_SHA = createHash('sha256').update('').digest('hex');

/** Mount targets of the current case's RUN steps and their parent directories (root-relative). */
let currentMountPaths = new Set<string>();
/** The SHELL of the current case's Sekisho image, if any. */
let currentShell: string[] | undefined;

function mountPaths(dockerfile: string): Set<string> {
  const out = new Set<string>();
  const add = (target: string): void => {
    const parts = target
      .replace(/^\/+/, '')
      .replace(/\/+$/, '')
      .split('/')
      .filter((x) => x !== '');
    for (let i = 1; i <= parts.length; i++) out.add(parts.slice(0, i).join('/'));
  };
  for (const st of parseDockerfile(dockerfile).stages) {
    for (const i of st.instructions) {
      if (i.kind !== 'RUN') continue;
      for (const m of i.mounts) {
        if (m.target) add(m.target);
        else if (m.type === 'secret') add(`/run/secrets/${m.id ?? m.source ?? ''}`);
      }
    }
  }
  return out;
}

// ---- image reading ---------------------------------------------------------------------------

async function readImage(layoutDir: string): Promise<Image> {
  const layout = await OciLayout.open(layoutDir);
  const idx = await layout.readIndex();
  const desc = idx.manifests[0];
  if (!desc) throw new Error(`${layoutDir}: empty index`);
  const manifest = JSON.parse((await layout.readBlobBytes(desc.digest)).toString('utf8')) as ImageManifest;
  const configBytes = await layout.readBlobBytes(manifest.config.digest);
  const config = JSON.parse(configBytes.toString('utf8')) as Record<string, unknown>;
  const merged = new Map<string, MergedEntry>();
  const layerBytes: Buffer[] = [];
  for (const l of manifest.layers) {
    const raw = await layout.readBlobBytes(l.digest);
    layerBytes.push(raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw);
    await mergeLayer(merged, layout.readBlob(l.digest, l.size), l.digest, {
      keep: () => 'body',
      transform: (_h, data) => ({ data: Buffer.from(createHash('sha256').update(data).digest('hex')) }),
    });
  }
  const files = new Map<string, FileInfo>();
  for (const [p, e] of merged) {
    if (p === '') continue;
    const h = e.header;
    const info: FileInfo = { type: h.type, mode: h.mode, uid: h.uid, gid: h.gid };
    if (h.type === 'file' && e.data) info.digest = e.data.toString('utf8');
    if (h.type === 'symlink') info.link = h.linkname ?? '';
    if (h.type === 'link') info.link = h.linkname ?? '';
    files.set(p, info);
  }
  // hard links: compare as the file they point to
  for (const [p, f] of files) {
    if (f.type !== 'link' || f.link === undefined) continue;
    const t = files.get(f.link);
    if (t) files.set(p, { ...t, mode: t.mode, uid: t.uid, gid: t.gid });
  }
  return { config, files, layerBytes, configBytes };
}

// ---- comparison ------------------------------------------------------------------------------

function fmt(f: FileInfo | undefined): string {
  if (!f) return 'absent';
  const parts = [f.type, '0' + f.mode.toString(8), `${f.uid}:${f.gid}`];
  if (f.digest) parts.push(f.digest.slice(0, 12));
  if (f.link !== undefined) parts.push('-> ' + f.link);
  return parts.join(' ');
}

function sameFile(a: FileInfo, b: FileInfo): boolean {
  return (
    a.type === b.type &&
    a.mode === b.mode &&
    a.uid === b.uid &&
    a.gid === b.gid &&
    a.digest === b.digest &&
    a.link === b.link
  );
}

const CONFIG_FIELDS = [
  'Env',
  'Cmd',
  'Entrypoint',
  'User',
  'WorkingDir',
  'Labels',
  'ExposedPorts',
  'Volumes',
  'StopSignal',
  'Healthcheck',
  'OnBuild',
  'Shell',
];

function norm(v: unknown): unknown {
  if (v === null || v === undefined || v === '') return undefined;
  if (Array.isArray(v)) return v.length === 0 ? undefined : v;
  if (typeof v === 'object') {
    const keys = Object.keys(v).sort();
    if (keys.length === 0) return undefined;
    const o: Record<string, unknown> = {};
    for (const k of keys) o[k] = norm((v as Record<string, unknown>)[k]) ?? null;
    return o;
  }
  return v;
}

interface Diff {
  what: string;
  ours: string;
  theirs: string;
  legit?: string;
}

function compare(ours: Image, theirs: Image): Diff[] {
  const diffs: Diff[] = [];
  const paths = new Set([...ours.files.keys(), ...theirs.files.keys()]);
  for (const p of [...paths].sort()) {
    const a = ours.files.get(p);
    const b = theirs.files.get(p);
    if (a && b && sameFile(a, b)) continue;
    const legit = LEGIT.find((l) => l.fs?.(p, a, b));
    diffs.push({ what: '/' + p, ours: fmt(a), theirs: fmt(b), ...(legit ? { legit: legit.id } : {}) });
  }
  const ca = (ours.config.config ?? {}) as Record<string, unknown>;
  const cb = (theirs.config.config ?? {}) as Record<string, unknown>;
  for (const f of CONFIG_FIELDS) {
    if (f === 'Labels') {
      const la = (ca.Labels ?? {}) as Record<string, string>;
      const lb = (cb.Labels ?? {}) as Record<string, string>;
      for (const k of new Set([...Object.keys(la), ...Object.keys(lb)])) {
        if (la[k] === lb[k]) continue;
        const field = `Labels.${k}`;
        const legit = LEGIT.find((l) => l.config?.(field, la[k], lb[k]));
        diffs.push({
          what: `config ${field}`,
          ours: JSON.stringify(la[k]),
          theirs: JSON.stringify(lb[k]),
          ...(legit ? { legit: legit.id } : {}),
        });
      }
      continue;
    }
    const va = norm(ca[f]);
    const vb = norm(cb[f]);
    if (JSON.stringify(va) === JSON.stringify(vb)) continue;
    const legit = LEGIT.find((l) => l.config?.(f, va, vb));
    diffs.push({
      what: `config ${f}`,
      ours: JSON.stringify(va),
      theirs: JSON.stringify(vb),
      ...(legit ? { legit: legit.id } : {}),
    });
  }
  const aa = norm(ours.config.author);
  const ab = norm(theirs.config.author);
  if (JSON.stringify(aa) !== JSON.stringify(ab))
    diffs.push({ what: 'config author', ours: JSON.stringify(aa), theirs: JSON.stringify(ab) });
  return diffs;
}

// ---- running ---------------------------------------------------------------------------------

function sh(
  cmd: string,
  args: string[],
  opts: { cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((res) => {
    const p = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    p.on('error', (e) => {
      clearTimeout(t);
      res({ code: 127, out, err: err + String(e) });
    });
    p.on('close', (code) => {
      clearTimeout(t);
      res({ code: code ?? 1, out, err });
    });
  });
}

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

async function runImage(layoutDir: string, work: string): Promise<string> {
  const layout = await OciLayout.open(layoutDir);
  const idx = await layout.readIndex();
  const desc = idx.manifests[0];
  if (!desc) throw new Error('empty index');
  const manifest = JSON.parse((await layout.readBlobBytes(desc.digest)).toString('utf8')) as ImageManifest;
  const config = JSON.parse((await layout.readBlobBytes(manifest.config.digest)).toString('utf8')) as {
    config?: {
      Env?: string[];
      Cmd?: string[] | null;
      Entrypoint?: string[] | null;
      User?: string;
      WorkingDir?: string;
    };
  };
  const rootfs = join(work, 'rootfs');
  await mkdir(rootfs, { recursive: true });
  for (const l of manifest.layers) await applyLayer(rootfs, layout.readBlob(l.digest, l.size), { name: l.digest });
  const c = config.config ?? {};
  const argv = [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])];
  const exec = await detectExecutor();
  const stdout = new Collect();
  const stderr = new Collect();
  const r = await exec.run({
    rootfs,
    argv,
    env: c.Env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    cwd: c.WorkingDir || '/',
    user: c.User || '0:0',
    mounts: [],
    network: 'none',
    stdout,
    stderr,
  });
  if (r.exitCode !== 0) throw new Error(`exit ${r.exitCode}: ${stderr.text.trim()}`);
  return stdout.text;
}

// ---- main ------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const opt = (n: string): string | undefined => args.find((a) => a.startsWith(`--${n}=`))?.slice(n.length + 3);
  const flag = (n: string): boolean => args.includes(`--${n}`);
  const corpus = resolve(args.find((a) => !a.startsWith('-')) ?? 'test/build/corpus');
  const only = opt('only')?.split(',');
  const verbose = flag('v') || args.includes('-v');
  const debianBase = opt('debian-base');
  const buildah = opt('buildah') ?? 'buildah';

  const probe = await sh(buildah, ['--version']);
  if (probe.code !== 0) {
    console.error(`buildah is required (apt-get install buildah): ${probe.err.trim()}`);
    return 2;
  }
  const tmp = await mkdtemp(join(tmpdir(), 'sekisho-build-compare-'));
  const storage = await openFsStorage(join(tmp, 'registry'));
  const server = new RegistryServer({ storage });
  const url = await server.listen({ host: '127.0.0.1', port: 0 });
  const host = url.replace(/^https?:\/\//, '');
  await pushFixture(host, 'base/busybox', 'latest');
  const base = `${host}/base/busybox:latest`;
  // a base image with ONBUILD triggers, for the cases that build FROM $ONBUILD_BASE
  await pushFixture(host, 'base/onbuild', 'latest', {
    config: { OnBuild: ['RUN echo triggered > /triggered.txt', 'COPY trigger.txt /from-trigger/'] },
  });
  const onbuildBase = `${host}/base/onbuild:latest`;
  // files for ADD <url>: GET /<case>/<file> serves <corpus>/<case>/http/<file>
  const files = createServer((req, res) => {
    const parts =
      (req.url ?? '/')
        .split('?')[0]
        ?.split('/')
        .filter((x) => x !== '' && x !== '..' && x !== '.') ?? [];
    const [c, ...rest] = parts;
    const f = c ? join(corpus, c, 'http', ...rest) : '';
    readFile(f).then(
      (b) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': b.length });
        res.end(b);
      },
      () => {
        res.writeHead(404);
        res.end();
      },
    );
  });
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', () => r()));
  const srv = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  const bah = [
    '--root',
    join(tmp, 'buildah-root'),
    '--runroot',
    join(tmp, 'buildah-runroot'),
    '--storage-driver',
    'vfs',
  ];

  let passed = 0;
  let failed = 0;
  const skipped: string[] = [];
  const runOnly: string[] = [];
  let sekishoMs = 0;
  let buildahMs = 0;
  let comparedBoth = 0;
  let reproOk = 0;
  const legitSeen = new Map<string, number>();
  try {
    const names = (await readdir(corpus, { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    for (const name of names) {
      if (only && !only.includes(name)) continue;
      const dir = join(corpus, name);
      const meta: CaseMeta = existsSync(join(dir, 'case.json'))
        ? (JSON.parse(await readFile(join(dir, 'case.json'), 'utf8')) as CaseMeta)
        : {};
      if (meta.corpusOnly && !debianBase) {
        skipped.push(`${name}: ${meta.corpusOnly}`);
        console.log(`SKIP ${name}: corpus-only — ${meta.corpusOnly}`);
        continue;
      }
      const work = join(tmp, name);
      await mkdir(work, { recursive: true });
      const dfText = await readFile(join(dir, 'Dockerfile'), 'utf8');
      const buildArgs: Record<string, string> = { BASE: meta.corpusOnly && debianBase ? debianBase : base };
      if (dfText.includes('ONBUILD_BASE')) buildArgs.ONBUILD_BASE = onbuildBase;
      if (dfText.includes('SRV')) buildArgs.SRV = srv;
      Object.assign(buildArgs, meta.buildArgs ?? {});
      const secretFiles: Record<string, string> = {};
      for (const [id, value] of Object.entries(meta.secrets ?? {})) {
        const f = join(work, `secret-${id}`);
        await writeFile(f, value, { mode: 0o600 });
        secretFiles[id] = f;
      }
      const problems: string[] = [];
      const t0 = Date.now();
      // Sekisho
      const ourDir = join(work, 'sekisho');
      try {
        await build({
          contextDir: dir,
          dockerfile: join(dir, 'Dockerfile'),
          tags: [`corpus/${name}:latest`],
          buildArgs,
          ...(meta.target ? { target: meta.target } : {}),
          secrets: Object.fromEntries(Object.entries(secretFiles).map(([id, src]) => [id, { src }])),
          cacheDir: join(tmp, 'sekisho-cache'),
          outputs: [{ type: 'oci', dest: ourDir, tar: false }],
          ...(meta.network ? { network: meta.network } : {}),
          ...(meta.allowNetworkAdd ? { allowNetworkAdd: true } : {}),
        });
      } catch (e) {
        problems.push(`sekisho build failed: ${(e as Error).message}`);
      }
      const t1 = Date.now();
      // --repro: two more clean builds (fresh caches) with one SOURCE_DATE_EPOCH must give one manifest digest
      if (flag('repro') && problems.length === 0) {
        const digests: string[] = [];
        for (const k of [1, 2]) {
          try {
            const r = await build({
              contextDir: dir,
              dockerfile: join(dir, 'Dockerfile'),
              tags: [`corpus/${name}:repro`],
              buildArgs,
              ...(meta.target ? { target: meta.target } : {}),
              secrets: Object.fromEntries(Object.entries(secretFiles).map(([id, src]) => [id, { src }])),
              cacheDir: join(work, `repro-cache-${k}`),
              outputs: [{ type: 'oci', dest: join(work, `repro-${k}`), tar: false }],
              sourceDateEpoch: 1700000000,
              ...(meta.network ? { network: meta.network } : {}),
              ...(meta.allowNetworkAdd ? { allowNetworkAdd: true } : {}),
            });
            digests.push(r.manifestDigest);
          } catch (e) {
            problems.push(`reproducibility build ${k} failed: ${(e as Error).message}`);
          }
        }
        if (digests.length === 2 && digests[0] !== digests[1]) {
          problems.push(`not reproducible: ${digests[0]} vs ${digests[1]} with SOURCE_DATE_EPOCH=1700000000`);
        } else if (digests.length === 2) reproOk++;
      }
      const tb = Date.now();
      // buildah
      const theirDir = join(work, 'buildah');
      const budArgs = [
        ...bah,
        'bud',
        '--isolation',
        'chroot',
        '--tls-verify=false',
        '--format',
        'docker',
        '-f',
        join(dir, 'Dockerfile'),
        '-t',
        `corpus-${name}`,
      ];
      for (const [k, v] of Object.entries(buildArgs)) budArgs.push('--build-arg', `${k}=${v}`);
      if (meta.target) budArgs.push('--target', meta.target);
      for (const [id, src] of Object.entries(secretFiles)) budArgs.push('--secret', `id=${id},src=${src}`);
      if (meta.network) budArgs.push('--network', meta.network);
      budArgs.push(dir);
      const unsupported = meta.buildahUnsupported;
      if (unsupported && !existsSync(join(dir, 'expect-stdout')))
        throw new Error(`${name}: buildahUnsupported needs an expect-stdout`);
      const b = unsupported ? { code: 1, out: '', err: '' } : await sh(buildah, budArgs);
      let buildahOk = b.code === 0;
      if (unsupported) {
        /* judged by the runc output below */
      } else if (buildahOk) {
        const p = await sh(buildah, [...bah, 'push', `corpus-${name}`, `oci:${theirDir}:latest`]);
        if (p.code !== 0) {
          buildahOk = false;
          problems.push(`buildah push failed: ${p.err.trim().split('\n').slice(-2).join(' ')}`);
        }
      } else problems.push(`buildah bud failed: ${b.err.trim().split('\n').slice(-3).join(' | ')}`);
      const t2 = Date.now();
      let diffs: Diff[] = [];
      if (problems.length === 0 && buildahOk) {
        const ours = await readImage(ourDir);
        const theirs = await readImage(theirDir);
        // buildah's docker-format config (Healthcheck, OnBuild, Shell are dropped on the way to an OCI layout)
        const insp = await sh(buildah, [...bah, 'inspect', '--type', 'image', `corpus-${name}`]);
        if (insp.code !== 0) throw new Error(`buildah inspect failed: ${insp.err}`);
        theirs.config = (JSON.parse(insp.out) as { Docker: Record<string, unknown> }).Docker;
        currentMountPaths = mountPaths(await readFile(join(dir, 'Dockerfile'), 'utf8'));
        currentShell = ((ours.config.config ?? {}) as { Shell?: string[] }).Shell;
        diffs = compare(ours, theirs);
        if (meta.mustNotContain) {
          const needle = Buffer.from(meta.mustNotContain);
          if (ours.layerBytes.some((l) => l.includes(needle)) || ours.configBytes.includes(needle)) {
            problems.push(`secret value found in the Sekisho image`);
          }
        }
      }
      if (!flag('no-run') && existsSync(join(dir, 'expect-stdout')) && existsSync(ourDir)) {
        const want = await readFile(join(dir, 'expect-stdout'), 'utf8');
        try {
          const got = await runImage(ourDir, join(work, 'run'));
          if (got !== want) problems.push(`runc output ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
        } catch (e) {
          problems.push(`runc run failed: ${(e as Error).message}`);
        }
      }
      const real = diffs.filter((d) => !d.legit);
      for (const d of diffs) if (d.legit) legitSeen.set(d.legit, (legitSeen.get(d.legit) ?? 0) + 1);
      const ok = problems.length === 0 && real.length === 0;
      if (ok) passed++;
      else failed++;
      if (ok && unsupported) runOnly.push(`${name}: ${unsupported}`);
      if (!unsupported && buildahOk) {
        sekishoMs += t1 - t0;
        buildahMs += t2 - tb;
        comparedBoth++;
      }
      console.log(
        `${ok ? 'PASS' : 'FAIL'} ${name} (sekisho ${t1 - t0} ms, ${unsupported ? `not built by buildah: ${unsupported}; checked by its runc output` : `buildah ${t2 - tb} ms`}${diffs.length - real.length ? `, ${diffs.length - real.length} legit diffs` : ''})`,
      );
      for (const p of problems) console.log(`    ${p}`);
      for (const d of real.slice(0, 25)) console.log(`    ${d.what}: sekisho ${d.ours} | buildah ${d.theirs}`);
      if (real.length > 25) console.log(`    ... ${real.length - 25} more differences`);
      if (verbose)
        for (const d of diffs.filter((x) => x.legit))
          console.log(`    (legit ${d.legit}) ${d.what}: sekisho ${d.ours} | buildah ${d.theirs}`);
      await sh(buildah, [...bah, 'rmi', '-f', `corpus-${name}`]);
    }
  } finally {
    await server.close();
    await new Promise<void>((r) => files.close(() => r()));
    if (!flag('keep')) {
      await sh(buildah, [...bah, 'rmi', '-a', '-f']);
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    } else console.log(`kept ${tmp}`);
  }
  if (legitSeen.size > 0) {
    console.log('legitimate differences seen:');
    for (const [id, n] of legitSeen) console.log(`  ${id} (${n}): ${LEGIT.find((l) => l.id === id)?.reason ?? ''}`);
  }
  console.log(
    `legitimate differences accepted (always): ${LEGIT.filter((l) => !l.fs && !l.config)
      .map((l) => `${l.id} — ${l.reason}`)
      .join('; ')}`,
  );
  if (comparedBoth > 0) {
    console.log(
      `build time over the ${comparedBoth} cases both built (each built once; base image cached after the first case for both): sekisho ${sekishoMs} ms, buildah ${buildahMs} ms (buildah/sekisho ${(buildahMs / Math.max(1, sekishoMs)).toFixed(2)}x; buildah's includes its push to an OCI layout)`,
    );
  }
  if (flag('repro'))
    console.log(`reproducible (two clean builds, same SOURCE_DATE_EPOCH, same manifest digest): ${reproOk} cases`);
  if (skipped.length > 0) console.log(`${skipped.length} skipped (corpus-only)`);
  if (runOnly.length > 0)
    console.log(
      `${runOnly.length} of the passed cases were checked by runc output only (buildah 1.28 cannot build them)`,
    );
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
