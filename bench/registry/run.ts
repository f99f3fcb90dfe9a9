// Benchmark (outside CI): skopeo push and pull of a large multi-layer image against the embedded registry
// (`sekisho registry serve`, its own process) and Debian's docker-registry, in the same run. Prints the
// median of each and the ratio embedded / docker-registry (below 1 = embedded faster).
//
//   node --import tsx bench/registry/run.ts [--size-mb 300] [--layers 20] [--runs 3] [--work DIR]
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OciLayout } from '../../src/oci/layout.ts';
import { digestOf } from '../../src/oci/digest.ts';
import { MediaType } from '../../src/oci/media-types.ts';
import { makeTar } from '../../test/oci/fixtures.ts';
import { requireBinary, run, startCli, startDistribution } from '../../test/oci/helpers.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}

const sizeMb = Number(arg('size-mb', '300'));
const layers = Number(arg('layers', '20'));
const runs = Number(arg('runs', '3'));
const work = arg('work', join(tmpdir(), 'sekisho-bench-registry'));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function makeImage(dir: string): Promise<string> {
  const layout = await OciLayout.open(dir, { create: true });
  try {
    return (await layout.resolve('bench')).digest;
  } catch {
    // build it
  }
  const per = Math.floor((sizeMb * 1024 * 1024) / layers);
  const descs = [];
  const diffIds = [];
  for (let i = 0; i < layers; i++) {
    // gzip layers, as registries carry them (skopeo would otherwise compress on push and change digests)
    const tar = makeTar([{ name: `layer-${i}.bin`, data: randomBytes(per) }]);
    const gz = gzipSync(tar, { level: 1 });
    const d = await layout.writeBlobBytes(gz);
    descs.push({ mediaType: MediaType.OciLayerGzip, digest: d, size: gz.length });
    diffIds.push(digestOf(tar));
  }
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds }, config: {} }),
  );
  await layout.writeBlobBytes(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: digestOf(config), size: config.length },
      layers: descs,
    }),
  );
  const md = await layout.writeBlobBytes(manifest);
  await layout.addManifest({ mediaType: MediaType.OciManifest, digest: md, size: manifest.length }, 'bench');
  return md;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

requireBinary('skopeo', 'skopeo');
await mkdir(work, { recursive: true });
const src = join(work, 'image');
process.stderr.write(`building a ${sizeMb} MB, ${layers}-layer image in ${src}\n`);
const digest = await makeImage(src);

// Each run gets fresh registries, so every push really uploads (skopeo's blob-info cache would otherwise
// turn later pushes into cross-repository mounts).
const results: Record<string, { push: number[]; pull: number[] }> = {};
for (let i = 0; i < runs; i++) {
  await rm(join(work, 'embedded-data'), { recursive: true, force: true });
  const embedded = await startCli([
    'registry',
    'serve',
    '--listen',
    '127.0.0.1:0',
    '--data-dir',
    join(work, 'embedded-data'),
  ]);
  const distribution = await startDistribution();
  const targets = [
    { name: 'embedded', host: embedded.url.replace('http://', '') },
    { name: 'docker-registry', host: distribution.host },
  ];
  try {
    // alternate the order so neither side always runs with a warmer page cache
    const order = i % 2 === 0 ? targets : [...targets].reverse();
    for (const t of order) {
      const r = (results[t.name] ??= { push: [], pull: [] });
      const ref = `docker://${t.host}/bench/img:v1`;
      r.push.push(
        await time(() => run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${src}:bench`, ref])),
      );
      const out = join(work, `pull-${t.name}`);
      await rm(out, { recursive: true, force: true });
      r.pull.push(await time(() => run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', ref, `oci:${out}:v1`])));
      const got = (await (await OciLayout.open(out)).resolve('v1')).digest;
      if (got !== digest) throw new Error(`${t.name}: pulled digest ${got} differs from ${digest}`);
      process.stderr.write(
        `run ${i + 1}/${runs} ${t.name}: push ${r.push.at(-1)!.toFixed(2)}s pull ${r.pull.at(-1)!.toFixed(2)}s\n`,
      );
    }
  } finally {
    await embedded.stop();
    await distribution.close();
  }
}
const e = results.embedded!;
const d = results['docker-registry']!;
const lines = [
  `image: ${sizeMb} MB, ${layers} layers, ${runs} runs (median)`,
  `push  embedded ${median(e.push).toFixed(2)}s  docker-registry ${median(d.push).toFixed(2)}s  ratio ${(median(e.push) / median(d.push)).toFixed(2)}`,
  `pull  embedded ${median(e.pull).toFixed(2)}s  docker-registry ${median(d.pull).toFixed(2)}s  ratio ${(median(e.pull) / median(d.pull)).toFixed(2)}`,
];
process.stdout.write(lines.join('\n') + '\n');
