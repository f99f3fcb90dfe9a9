// bench/pipeline: wall time of the full secure flow for a small Node app — lint → build → scan ∥ sbom →
// push → sign ∥ attest → promote, one runPipeline() — cold (empty build cache, new config repo, new data
// dir) and warm (the same cache and repo again: the build is all cached, the promotion finds its branch).
// Medians of N rounds, per step and in total; a table, or JSON with -o json.
//
//   npm run bench:pipeline [-- --runs 5] [-- -o json] [-- --no-buildah] [-- --dir /tmp/sekisho-bench-pipeline]
//                          [-- --runner jobs]
//
// --runner jobs: every step but promote as a Kubernetes Job in the Sekisho step image (built here first, not
// counted) on a sandbox cluster that runs pods (runc), the workspace seeded onto a PVC from the registry; the
// advisory database shipped with the seed; the same pipeline otherwise. buildah is not run in this mode.
//
// The app needs a Node runtime in its image: the base is made here, without network, from the host's node
// binary and the shared libraries ldd lists, put on the busybox test base by `build()` (Sekisho's own image
// tooling) and pushed to an embedded registry; the app's Dockerfile RUNs node in it. Should that fail, the
// busybox base is used and the output says why. The build step is compared with `buildah bud
// --storage-driver vfs --isolation chroot --layers` of the same Dockerfile and context (bench/build's
// helpers), cold (new storage) and warm (same storage): the ratio buildah/sekisho (>1: sekisho faster).
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from '../../src/build/index.ts';
import { builtinSteps, parsePipeline, runPipeline, type PipelineRun } from '../../src/pipeline/index.ts';
import { buildStepImage, jobExecutor, jobStepHandlers, podRuntime } from '../../src/pipeline/runners/index.ts';
import { sharedLibraries } from '../../src/pipeline/runners/step-image.ts';
import { KubeClient } from '../../src/kube/index.ts';
import { RegistryClient } from '../../src/oci/index.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { AdvisoryDb } from '../../src/scan/index.ts';
import { generateKeyPair } from '../../src/sign/index.ts';
import { pushFixture } from '../../test/build/fixtures/base-image.ts';
import { services } from '../../test/pipeline/helpers.ts';
import { buildah, buildahClean } from '../build/run.ts';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const RUNS = Number(flag('--runs') ?? 3);
const JSON_OUT = flag('-o') === 'json' || flag('--output') === 'json';
const RUNNER = flag('--runner') ?? 'local';
if (RUNNER !== 'local' && RUNNER !== 'jobs') throw new Error(`--runner must be local or jobs, not ${RUNNER}`);
const JOBS = RUNNER === 'jobs';
const WITH_BUILDAH = !args.includes('--no-buildah') && !JOBS;
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs must be a positive integer, not ${flag('--runs')}`);
const STEPS = ['lint', 'build', 'scan', 'sbom', 'push', 'sign', 'attest', 'promote'];

const log = (s: string) => {
  if (!JSON_OUT) console.log(s);
  else process.stderr.write(`${s}\n`);
};

function git(cwd: string, ...a: string[]): string {
  const r = spawnSync('git', a, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'b',
      GIT_AUTHOR_EMAIL: 'b@x',
      GIT_COMMITTER_NAME: 'b',
      GIT_COMMITTER_EMAIL: 'b@x',
    },
  });
  if (r.status !== 0) throw new Error(`git ${a.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

function write(dir: string, files: Record<string, string>): void {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The host's node binary and the libraries `ldd` lists, copied (dereferenced) under `rootfs` at their paths. */
function nodeRootfs(rootfs: string): { files: string[]; bytes: number } {
  const node = realpathSync(process.execPath);
  const files: string[] = [];
  let bytes = 0;
  const put = (src: string, dst: string) => {
    mkdirSync(join(rootfs, dirname(dst)), { recursive: true });
    copyFileSync(realpathSync(src), join(rootfs, dst));
    bytes += statSync(join(rootfs, dst)).size;
    files.push(dst);
  };
  put(node, '/usr/local/bin/node');
  for (const l of sharedLibraries(node)) put(l, l);
  return { files, bytes };
}

const root = flag('--dir') ?? mkdtempSync('/tmp/sekisho-bench-pipeline-');
mkdirSync(root, { recursive: true });
if (readdirSync(root).length > 0) throw new Error(`--dir ${root} is not empty`);
/** The registry runs as its own process (`sekisho registry serve`): buildah is run with spawnSync, which would
 * block a registry served from this process. */
async function startRegistry(dir: string): Promise<{ host: string; close: () => Promise<void> }> {
  const cli = join(import.meta.dirname, '..', '..', 'bin', 'sekisho.js');
  const child = spawn(process.execPath, [cli, 'registry', 'serve', '--listen', '127.0.0.1:0', '--data-dir', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const url = await new Promise<string>((res, rej) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (l) => {
      const m = /^listening on (\S+)/.exec(l);
      if (m) res(m[1]!);
    });
    child.once('exit', (code) => rej(new Error(`sekisho registry serve exited (${code}) before listening`)));
  });
  return {
    host: new URL(url).host,
    close: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const reg = await startRegistry(join(root, 'registry'));
const baseCache = join(root, 'base-cache');
// the Job runner's sandbox and step image (--runner jobs)
let jobs: { cluster: { close(): Promise<void> }; client: KubeClient; stepImage: string } | undefined;
try {
  await pushFixture(reg.host, 'base/busybox', 'latest');
  // the node base: busybox test base + the host's node and its libraries, built and pushed by build()
  let base = `${reg.host}/base/busybox:latest`;
  let baseNote: string;
  try {
    const ctx = join(root, 'node-base');
    const made = nodeRootfs(join(ctx, 'rootfs'));
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${reg.host}/base/busybox:latest\nCOPY rootfs/ /\n`);
    const t0 = Date.now();
    const r = await build({
      contextDir: ctx,
      tags: [`${reg.host}/base/node:host`],
      buildArgs: {},
      secrets: {},
      cacheDir: baseCache,
      outputs: [],
      push: true,
      sourceDateEpoch: 0,
      network: 'none',
    });
    base = `${reg.host}/base/node:host`;
    baseNote = `base/node:host ${r.manifestDigest.slice(0, 19)}: busybox test base + host node ${process.version} and ${made.files.length - 1} libraries from ldd (${(made.bytes / 1e6).toFixed(1)} MB, made with build() in ${Date.now() - t0} ms)`;
  } catch (e) {
    baseNote = `busybox test base WITHOUT node (making the node base failed: ${(e as Error).message.split('\n')[0]}); the app's RUN node step is left out`;
  }
  const withNode = base.endsWith('/base/node:host');
  log(`base image: ${baseNote}`);

  const app = join(root, 'app');
  const dockerfile = [
    `FROM ${base}`,
    'WORKDIR /app',
    'COPY package.json package-lock.json ./',
    ...(withNode ? ["RUN node -e \"require('fs').writeFileSync('/app/runtime.txt', process.version + '\\n')\""] : []),
    'COPY server.js ./',
    'USER app',
    `CMD [${withNode ? '"node", ' : '"/bin/cat", '}"/app/server.js"]`,
    '',
  ].join('\n');
  write(app, {
    Dockerfile: dockerfile,
    'package.json': '{"name":"web","version":"1.0.0","dependencies":{"lodash":"^4.17.21"}}\n',
    'package-lock.json': JSON.stringify({
      name: 'web',
      lockfileVersion: 3,
      packages: { '': { name: 'web' }, 'node_modules/lodash': { version: '4.17.21' } },
    }),
    'server.js': 'require("http").createServer((q, s) => s.end("ok")).listen(8080)\n',
  });
  const e = (s: string) => '${{ ' + s + ' }}';
  const pipeline = [
    'apiVersion: ci.sekisho.dev/v1alpha1',
    'kind: Pipeline',
    'metadata: {name: web}',
    'spec:',
    '  params:',
    `    - {name: image, default: "${reg.host}/team/web"}`,
    '    - {name: config-repo}',
    '  secrets:',
    `    - {name: key, secretRef: {file: ${join(root, 'cosign.key')}}}`,
    '    - {name: pw, secretRef: {env: COSIGN_PASSWORD}}',
    '  steps:',
    '    - {id: lint, uses: lint, with: {failure-threshold: error}}',
    `    - {id: build, uses: build, needs: [lint], with: {tags: ["${e('params.image')}:latest"], source-date-epoch: 0, network: none}}`,
    // under the Job runner the runner's database is shipped with the seed (a host path is not in the pod)
    `    - {id: scan, uses: scan, needs: [build], with: {image: "${e('steps.build.outputs.layout')}",${JOBS ? '' : ` db: ${join(root, 'db')},`} fail-on: none}}`,
    `    - {id: sbom, uses: sbom, needs: [build], with: {image: "${e('steps.build.outputs.layout')}"}}`,
    `    - {id: push, uses: push, needs: [scan, sbom], with: {from: "${e('steps.build.outputs.layout')}", to: "${e('params.image')}:latest"}}`,
    `    - {id: sign, uses: sign, needs: [push], with: {image: "${e('steps.push.outputs.image')}", key: "${e('secrets.key')}", password: "${e('secrets.pw')}"}}`,
    `    - {id: attest, uses: attest, needs: [push], with: {image: "${e('steps.push.outputs.image')}", key: "${e('secrets.key')}", password: "${e('secrets.pw')}", type: cyclonedx, predicate: "${e('steps.sbom.outputs.path')}"}}`,
    `    - {id: promote, uses: promote, needs: [sign, attest], with: {repo: "${e('params.config-repo')}", path: apps/web, image: "reg.local/web=${e('steps.push.outputs.image')}"}}`,
    '',
  ].join('\n');
  writeFileSync(
    join(root, 'cosign.key'),
    generateKeyPair(Buffer.from('bench'), { scrypt: { N: 1024, r: 8, p: 1 } }).privateKeyPem,
  );
  const db = AdvisoryDb.open(join(root, 'db'), { create: true });
  const advisories = db.importPath(join(import.meta.dirname, '..', '..', 'test', 'scan', 'fixtures', 'osv'));
  db.close();
  log(`advisory db: test/scan/fixtures/osv (${JSON.stringify(advisories).slice(0, 120)})`);

  // the Job runner: a sandbox cluster that runs pods, and the step image in the registry
  if (JOBS) {
    const t0 = Date.now();
    const img = await buildStepImage({
      target: { registry: new RegistryClient({ host: reg.host }), repository: 'sekisho/step', tag: 'bench' },
    });
    const cluster = await startSandbox({ dataDir: join(root, 'cluster'), executePods: { runtime: podRuntime() } });
    const client = await KubeClient.fromKubeconfig({ path: cluster.kubeconfigPath });
    jobs = { cluster, client, stepImage: `${reg.host}/sekisho/step:bench` };
    log(
      `step image ${img.digest.slice(0, 19)} (${(img.size / 1e6).toFixed(1)} MB) and sandbox in ${Date.now() - t0} ms`,
    );
  }
  let round = 0;
  const runOnce = async (cacheDir: string, dataDir: string, configRepo: string): Promise<PipelineRun> => {
    const ex = jobs
      ? jobExecutor({
          client: jobs.client,
          namespace: 'default',
          runName: `bench-${++round}`,
          workspaceRepo: `${reg.host}/sekisho/workspaces`,
          seedImage: 'unused',
          stepImage: jobs.stepImage,
          scanDb: join(root, 'db'),
        })
      : undefined;
    const r = await runPipeline({
      loaded: parsePipeline(pipeline, join(app, 'sekisho-pipeline.yaml')),
      workspace: app,
      runsDir: join(root, 'runs'),
      params: { 'config-repo': configRepo },
      services: services({
        env: { PATH: process.env.PATH, COSIGN_PASSWORD: 'bench' },
        scanDb: join(root, 'db'),
        dataDir,
        build,
        buildCacheDir: cacheDir,
        ...(ex ? { executor: ex } : {}),
      }),
      handlers: ex ? jobStepHandlers(builtinSteps(), ex) : builtinSteps(),
    }).finally(() => ex?.cleanup());
    if (r.status.phase !== 'Succeeded')
      throw new Error(`run failed: ${JSON.stringify(r.status.steps.map((s) => [s.id, s.phase, s.message]))}`);
    return r;
  };
  type Kind = 'cold' | 'warm';
  const samples: Record<Kind, Record<string, number[]>> = { cold: {}, warm: {} };
  let last: PipelineRun | undefined;
  const add = (kind: Kind, r: PipelineRun, wallMs: number) => {
    (samples[kind].total ??= []).push(wallMs);
    for (const s of r.status.steps) (samples[kind][s.id] ??= []).push(s.durationMs ?? 0);
    last = r;
  };
  for (let i = 0; i < RUNS; i++) {
    const cfg = join(root, `config-${i}`);
    write(cfg, {
      'apps/web/kustomization.yaml': 'resources: [deploy.yaml]\nimages:\n  - name: reg.local/web\n    newTag: "0"\n',
      'apps/web/deploy.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: reg.local/web}]\n',
      'policy/p.rego':
        'package main\n\ndeny contains "not pinned" if {\n  some c in input.spec.template.spec.containers\n  not contains(c.image, "@sha256:")\n}\n',
    });
    git(cfg, 'init', '-q', '-b', 'main');
    git(cfg, 'add', '-A');
    git(cfg, 'commit', '-q', '-m', 'c');
    git(root, 'clone', '-q', '--bare', cfg, `${cfg}.git`);
    const cache = join(root, `cache-${i}`);
    const data = join(root, `data-${i}`);
    for (const kind of ['cold', 'warm'] as const) {
      const t0 = Date.now();
      const r = await runOnce(cache, data, `${cfg}.git`);
      add(kind, r, Date.now() - t0);
      log(
        `round ${i + 1}/${RUNS} ${kind}: ${Date.now() - t0} ms (${r.status.steps.map((s) => `${s.id} ${s.durationMs}`).join(', ')})`,
      );
    }
    rmSync(cache, { recursive: true, force: true });
  }
  const scan = last?.status.steps.find((s) => s.id === 'scan')?.message;
  const sbom = last?.status.steps.find((s) => s.id === 'sbom')?.message;

  // buildah bud of the same Dockerfile and context (the base from the same registry, plain HTTP allowed)
  let buildahResult:
    { cold: number; warm: number; ratioCold: number; ratioWarm: number } | { error: string } | undefined;
  if (WITH_BUILDAH) {
    try {
      if (spawnSync('buildah', ['--version']).status !== 0)
        throw new Error('buildah not found (Debian package buildah)');
      const conf = join(root, 'registries.conf');
      writeFileSync(conf, `[[registry]]\nlocation = "${reg.host}"\ninsecure = true\n`);
      process.env.CONTAINERS_REGISTRIES_CONF = conf;
      const cold: number[] = [];
      const warm: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const store = join(root, `buildah-${i}`);
        cold.push(buildah(app, store, 'bench-pipeline'));
        warm.push(buildah(app, store, 'bench-pipeline'));
        buildahClean(store);
        log(`buildah round ${i + 1}/${RUNS}: cold ${cold.at(-1)!.toFixed(0)} ms, warm ${warm.at(-1)!.toFixed(0)} ms`);
      }
      const c = median(cold);
      const w = median(warm);
      buildahResult = {
        cold: c,
        warm: w,
        ratioCold: c / median(samples.cold.build!),
        ratioWarm: w / median(samples.warm.build!),
      };
    } catch (err) {
      buildahResult = { error: (err as Error).message.split('\n').slice(0, 3).join(' ') };
    }
  }

  const ids = ['total', ...STEPS];
  const medians = (kind: Kind) => Object.fromEntries(ids.map((id) => [id, median(samples[kind][id] ?? [0])]));
  const report = {
    runs: RUNS,
    runner: JOBS ? 'jobs: every step but promote a Job in the step image on the sandbox (runc)' : 'local',
    base: baseNote,
    node: withNode,
    app: 'package.json, package-lock.json (lodash 4.17.21), server.js; Dockerfile with WORKDIR, COPY, RUN node, USER',
    scan,
    sbom,
    cold: medians('cold'),
    warm: medians('warm'),
    buildah: buildahResult ?? 'not run (--no-buildah)',
    notes: [
      'total: wall time of runPipeline() in this process (steps run in parallel where the graph allows: scan ∥ sbom, sign ∥ attest)',
      'cold: new build cache, new config repo and data dir; warm: the same again (build fully cached, promote finds its branch up to date)',
      'buildah: wall time of the `buildah bud` process (vfs, chroot, --layers); sekisho: the build step in process (no CLI start-up)',
      ...(JOBS
        ? [
            'jobs: each run has its own workspace PVC, whose build cache starts empty: "warm" differs from cold only in the config repo and data dir',
          ]
        : []),
    ],
  };
  if (JSON_OUT) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(`\nmedians of ${RUNS} run(s), ms`);
    console.log(['', ...ids].map((s) => s.padStart(8)).join(''));
    for (const kind of ['cold', 'warm'] as const)
      console.log([kind, ...ids.map((id) => String(Math.round(report[kind][id]!)))].map((s) => s.padStart(8)).join(''));
    console.log(`warm/cold total: ${(report.warm.total! / report.cold.total!).toFixed(2)}`);
    console.log(`scan: ${scan}; sbom: ${sbom}`);
    if (buildahResult && 'error' in buildahResult) console.log(`buildah: not measured: ${buildahResult.error}`);
    else if (buildahResult)
      console.log(
        `build step vs buildah bud (same Dockerfile): buildah cold ${buildahResult.cold.toFixed(0)} ms, warm ${buildahResult.warm.toFixed(0)} ms; ratio buildah/sekisho cold ${buildahResult.ratioCold.toFixed(2)}x, warm ${buildahResult.ratioWarm.toFixed(2)}x`,
      );
    for (const n of report.notes) console.log(`note: ${n}`);
  }
} finally {
  if (jobs) {
    jobs.client.close();
    await jobs.cluster.close();
  }
  await reg.close();
  rmSync(baseCache, { recursive: true, force: true });
  if (!flag('--dir')) rmSync(root, { recursive: true, force: true });
}
