// `sekisho build` end to end through the CLI: buildx-style flags, plain progress, the digest line,
// --metadata-file, and errors that name the Dockerfile line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { run } from '../oci/helpers.ts';
import { startBuildEnv, writeTree, readTar, type BuildEnv } from './helpers.ts';

const CLI = join(import.meta.dirname, '../../bin/sekisho.js');
let env: BuildEnv;
before(async () => {
  env = await startBuildEnv();
});
after(async () => {
  await env.close();
});

function sekisho(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [CLI, ...args]).then(
    (r) => ({ code: 0, ...r }),
    (e: Error) => ({ code: Number(/exited (\d+)/.exec(e.message)?.[1] ?? -1), stdout: '', stderr: e.message }),
  );
}

test('sekisho build: flags, plain progress, digest on stdout, metadata file, oci tar output', async () => {
  const ctx = join(env.dir, 'cli-ctx');
  await writeTree(ctx, {
    'build.Dockerfile': `ARG BASE\nFROM \${BASE} AS b\nARG WHO=nobody\nRUN echo "hi $WHO" > /hi\nFROM b\nCMD ["cat", "/hi"]\n`,
    'unused.txt': 'x',
  });
  const cacheDir = join(env.dir, 'cli-cache');
  const meta = join(env.dir, 'meta.json');
  const out = join(env.dir, 'cli-out.tar');
  const r = await sekisho([
    'build',
    '-f',
    join(ctx, 'build.Dockerfile'),
    '--build-arg',
    `BASE=${env.base}`,
    '--build-arg',
    'WHO=world',
    '-t',
    'example/app:1',
    '--progress=plain',
    '--cache-dir',
    cacheDir,
    '--metadata-file',
    meta,
    '-o',
    `type=oci,dest=${out}`,
    ctx,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const digest = r.stdout.trim();
  assert.match(digest, /^sha256:[a-f0-9]{64}$/);
  assert.match(r.stderr, /#\d+ \[b 2\/2\] RUN echo "hi \$WHO" > \/hi/);
  assert.match(r.stderr, /#\d+ DONE \d+\.\ds/);
  const m = JSON.parse(await readFile(meta, 'utf8')) as Record<string, unknown>;
  assert.equal(m['containerimage.digest'], digest);
  const tar = await readTar(await readFile(out));
  const index = JSON.parse(tar.find((e) => e.name === 'index.json')!.content.toString('utf8')) as {
    manifests: Array<{ digest: string; annotations?: Record<string, string> }>;
  };
  assert.equal(index.manifests[0]?.digest, digest);
  assert.equal(index.manifests[0]?.annotations?.['org.opencontainers.image.ref.name'], '1');
  // again: every step cached
  const again = await sekisho([
    'build',
    '-f',
    join(ctx, 'build.Dockerfile'),
    '--build-arg',
    `BASE=${env.base}`,
    '--build-arg',
    'WHO=world',
    '--progress=plain',
    '--cache-dir',
    cacheDir,
    ctx,
  ]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /#(\d+) \[b 2\/2\] RUN [^\n]*\n#\1 CACHED\n/);
  assert.match(again.stderr, /\(3 steps, 1 cached\)/);
});

test('sekisho build: a failing RUN and a bad platform are reported with where they happened', async () => {
  const ctx = join(env.dir, 'cli-fail');
  await writeTree(ctx, { Dockerfile: `FROM ${env.base}\nRUN true\nRUN echo failing >&2; exit 7\n` });
  const r = await sekisho(['build', '--progress=plain', '--cache-dir', join(env.dir, 'cli-cache-2'), ctx]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Dockerfile:3:1: RUN_FAILED: .*exited with code 7/);
  assert.match(r.stderr, /#\d+ failing/);
  const p = await sekisho([
    'build',
    '--platform',
    'linux/s390x-nope',
    '--cache-dir',
    join(env.dir, 'cli-cache-2'),
    ctx,
  ]);
  assert.equal(p.code, 2);
  assert.match(p.stderr, /only the host platform/);
});
