// bench/build: `sekisho build` against `buildah bud` (vfs storage, chroot isolation, --layers) in the same
// run, on three Dockerfiles — a small busybox app, a multi-stage build, a COPY of many files — each
// measured cold (empty cache / storage), warm with no change, and after one source file changed.
// Both tools read the same busybox base image from an OCI layout made here (no network).
//
//   npm run bench:build [-- --runs 5] [-- --only small] [-- --no-buildah] [-- --dir ../corpora/bench-build]
//
// Prints per-case medians (wall time of the whole CLI, process start included) and the ratio
// buildah/sekisho (>1: sekisho faster); also the in-process time of sekisho's no-change rebuild
// (build() alone, without Node/tsx start-up), the figure for the "< 0.5 s" goal.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from '../../src/build/index.ts';
import { writeFixtureLayout } from '../../test/build/fixtures/base-image.ts';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const RUNS = Number(flag('--runs') ?? 3);
const ONLY = flag('--only');
const WITH_BUILDAH = !args.includes('--no-buildah');
const ROOT = flag('--dir') ?? '/tmp/sekisho-bench-build';
const CLI = join(import.meta.dirname, '../../bin/sekisho.js');

interface Case {
  name: string;
  files: (base: string) => Record<string, string>;
  /** File rewritten for the one-change rebuild. */
  change: string;
}

const cases: Case[] = [
  {
    name: 'small',
    change: 'app/main.sh',
    files: (base) => ({
      Dockerfile: [
        `FROM ${base}`,
        'ENV APP_HOME=/app',
        'WORKDIR /app',
        'COPY app/ /app/',
        'RUN chmod +x /app/main.sh && /app/main.sh > /app/built.txt',
        'USER app',
        'CMD ["/app/main.sh"]',
        '',
      ].join('\n'),
      'app/main.sh': '#!/bin/sh\necho "hello from the app"\n',
      'app/config.txt': 'key=value\n',
    }),
  },
  {
    name: 'multi-stage',
    change: 'src/input.txt',
    files: (base) => ({
      Dockerfile: [
        `FROM ${base} AS deps`,
        'RUN mkdir -p /deps && for i in $(seq 1 200); do echo "dep $i" > /deps/dep-$i.txt; done',
        `FROM ${base} AS assets`,
        'RUN mkdir -p /assets && for i in $(seq 1 200); do echo "asset $i" > /assets/a-$i.txt; done',
        `FROM ${base} AS build`,
        'COPY --from=deps /deps /deps',
        'COPY src/ /src/',
        'RUN cat /deps/*.txt /src/input.txt | sort | md5sum > /result.txt',
        `FROM ${base}`,
        'COPY --from=assets /assets /srv/assets',
        'COPY --from=build /result.txt /srv/result.txt',
        'CMD ["cat", "/srv/result.txt"]',
        '',
      ].join('\n'),
      'src/input.txt': 'input\n',
      'src/other.txt': 'other\n',
    }),
  },
  {
    name: 'many-files',
    change: 'tree/d07/f042.txt',
    files: (base) => {
      const files: Record<string, string> = {
        Dockerfile: [`FROM ${base}`, 'COPY tree/ /data/', 'RUN find /data -type f | wc -l > /count', ''].join('\n'),
      };
      for (let d = 0; d < 20; d++)
        for (let f = 0; f < 100; f++)
          files[`tree/d${String(d).padStart(2, '0')}/f${String(f).padStart(3, '0')}.txt`] =
            `file ${d}/${f}\n${'x'.repeat(200 + ((d * 100 + f) % 300))}\n`;
      return files;
    },
  },
];

function writeContext(dir: string, files: Record<string, string>): void {
  for (const [p, content] of Object.entries(files)) {
    const full = join(dir, p);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, content);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function timed(cmd: string, argv: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return ms;
}

function sekisho(ctx: string, cacheDir: string): number {
  return timed(process.execPath, [CLI, 'build', '--progress', 'quiet', '--cache-dir', cacheDir, ctx], {
    ...process.env,
    SOURCE_DATE_EPOCH: '1700000000',
  });
}

export function buildah(ctx: string, store: string, tag: string): number {
  return timed('buildah', [
    '--root',
    join(store, 'root'),
    '--runroot',
    join(store, 'run'),
    '--storage-driver',
    'vfs',
    'bud',
    '--isolation',
    'chroot',
    '--layers',
    '--quiet',
    '-t',
    tag,
    ctx,
  ]);
}

export function buildahClean(store: string): void {
  if (!existsSync(join(store, 'root'))) return;
  // vfs layers can hold read-only dirs; buildah's own reset removes its storage cleanly
  spawnSync('buildah', [
    '--root',
    join(store, 'root'),
    '--runroot',
    join(store, 'run'),
    '--storage-driver',
    'vfs',
    'rm',
    '--all',
  ]);
  spawnSync('buildah', [
    '--root',
    join(store, 'root'),
    '--runroot',
    join(store, 'run'),
    '--storage-driver',
    'vfs',
    'rmi',
    '--all',
    '--force',
  ]);
  rmSync(store, { recursive: true, force: true });
}

interface Row {
  tool: string;
  cold: number[];
  warm: number[];
  change: number[];
}

async function main(): Promise<void> {
  if (WITH_BUILDAH && spawnSync('buildah', ['--version']).status !== 0)
    throw new Error('buildah not found (Debian package buildah); pass --no-buildah to measure sekisho alone');
  rmSync(ROOT, { recursive: true, force: true });
  mkdirSync(ROOT, { recursive: true });
  const layoutDir = join(ROOT, 'base');
  await writeFixtureLayout(layoutDir, 'latest');
  console.log(`bench/build: ${RUNS} runs per measurement, base = busybox-static fixture in ${layoutDir}`);
  const summary: string[] = [];
  for (const c of cases) {
    if (ONLY && c.name !== ONLY) continue;
    const rows: Row[] = [];
    for (const tool of WITH_BUILDAH ? ['sekisho', 'buildah'] : ['sekisho']) {
      const row: Row = { tool, cold: [], warm: [], change: [] };
      const base = tool === 'sekisho' ? `oci-layout://${layoutDir}:latest` : `oci:${layoutDir}:latest`;
      for (let i = 0; i < RUNS; i++) {
        const ctx = join(ROOT, `${c.name}-${tool}-ctx`);
        rmSync(ctx, { recursive: true, force: true });
        const files = c.files(base);
        writeContext(ctx, files);
        const state = join(ROOT, `${c.name}-${tool}-state`);
        if (tool === 'sekisho') rmSync(state, { recursive: true, force: true });
        else buildahClean(state);
        const go = (): number => (tool === 'sekisho' ? sekisho(ctx, state) : buildah(ctx, state, `bench-${c.name}`));
        row.cold.push(go());
        row.warm.push(go());
        writeContext(ctx, { [c.change]: `${files[c.change] ?? ''}# changed ${i}\n` });
        row.change.push(go());
      }
      rows.push(row);
    }
    console.log(`\n${c.name}`);
    console.log('  tool      cold ms   no-change ms   one-change ms');
    for (const r of rows)
      console.log(
        `  ${r.tool.padEnd(8)} ${median(r.cold).toFixed(0).padStart(8)} ${median(r.warm).toFixed(0).padStart(14)} ${median(r.change).toFixed(0).padStart(15)}`,
      );
    const s = rows.find((r) => r.tool === 'sekisho')!;
    const b = rows.find((r) => r.tool === 'buildah');
    if (b) {
      const ratio = (x: number[], y: number[]): string => (median(y) / median(x)).toFixed(2);
      const line = `  ratio buildah/sekisho: cold ${ratio(s.cold, b.cold)}x, no-change ${ratio(s.warm, b.warm)}x, one-change ${ratio(s.change, b.change)}x`;
      console.log(line);
      summary.push(`${c.name}: ${line.trim()}`);
    }
    // the no-change rebuild inside one process: build() alone, as the pipeline calls it
    const ctx = join(ROOT, `${c.name}-sekisho-ctx`);
    const state = join(ROOT, `${c.name}-sekisho-state`);
    const inProc: number[] = [];
    for (let i = 0; i < Math.max(RUNS, 5); i++) {
      const t0 = performance.now();
      const r = await build({
        contextDir: ctx,
        cacheDir: state,
        tags: [],
        buildArgs: {},
        secrets: {},
        outputs: [],
        sourceDateEpoch: 1700000000,
      });
      inProc.push(performance.now() - t0);
      if (!r.steps.filter((st) => !st.text.startsWith('FROM')).every((st) => st.cached))
        throw new Error(`${c.name}: in-process rebuild was not fully cached`);
    }
    console.log(`  sekisho no-change rebuild in-process (build() only): median ${median(inProc).toFixed(1)} ms`);
    summary.push(`${c.name}: in-process no-change ${median(inProc).toFixed(1)} ms`);
  }
  const startup = [0, 1, 2].map(() => timed(process.execPath, [CLI, 'build', '--help']));
  console.log(`\nCLI start-up (sekisho build --help): median ${median(startup).toFixed(0)} ms`);
  console.log(`\nsummary\n${summary.map((l) => `  ${l}`).join('\n')}`);
  if (WITH_BUILDAH)
    for (const c of cases) if (!ONLY || c.name === ONLY) buildahClean(join(ROOT, `${c.name}-buildah-state`));
}

// run as a script; bench/pipeline imports buildah() and buildahClean() from here
if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) await main();
