// Wall time of the full secure flow for a small Node app (outside CI): lint → build (busybox base, RUN
// under runc/bwrap) → scan → sbom → sign → attest → promote, cold (empty build cache, new config repo)
// and warm (same cache, same promotion). Prints per-step medians over N rounds.
//   node --import tsx test/pipeline/bench-flow.ts [rounds]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../../src/build/index.ts';
import { builtinSteps, parsePipeline, runPipeline, type PipelineRun } from '../../src/pipeline/index.ts';
import { AdvisoryDb } from '../../src/scan/index.ts';
import { generateKeyPair } from '../../src/sign/index.ts';
import { pushFixture } from '../build/fixtures/base-image.ts';
import { startEmbedded } from '../oci/helpers.ts';
import { services } from './helpers.ts';

const rounds = Number(process.argv[2] ?? 3);

function git(cwd: string, ...args: string[]): void {
  const r = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'b',
      GIT_AUTHOR_EMAIL: 'b@x',
      GIT_COMMITTER_NAME: 'b',
      GIT_COMMITTER_EMAIL: 'b@x',
    },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
}

function write(dir: string, files: Record<string, string>): void {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const root = mkdtempSync(join(tmpdir(), 'sekisho-bench-flow-'));
const reg = await startEmbedded();
try {
  await pushFixture(reg.host, 'base/busybox', 'latest');
  const app = join(root, 'app');
  write(app, {
    Dockerfile: `FROM ${reg.host}/base/busybox:latest\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN mkdir -p node_modules/lodash && echo '{"name":"lodash","version":"4.17.21"}' > node_modules/lodash/package.json\nCOPY server.js ./\nUSER app\nCMD ["/bin/sh", "-c", "cat /app/server.js"]\n`,
    'package.json': '{"name":"web","version":"1.0.0","dependencies":{"lodash":"^4.17.21"}}\n',
    'package-lock.json': JSON.stringify({
      name: 'web',
      lockfileVersion: 3,
      packages: { '': { name: 'web' }, 'node_modules/lodash': { version: '4.17.21' } },
    }),
    'server.js': 'require("http").createServer((q, s) => s.end("ok")).listen(8080)\n',
  });
  const text =
    'apiVersion: ci.sekisho.dev/v1alpha1\nkind: Pipeline\nmetadata:\n  name: web\nspec:\n' +
    `  params:\n    - name: image\n      default: ${reg.host}/team/web\n    - name: config-repo\n` +
    '  secrets:\n    - name: key\n      secretRef: {file: ../cosign.key}\n    - name: pw\n      secretRef: {env: COSIGN_PASSWORD}\n' +
    '  steps:\n' +
    '    - id: lint\n      uses: lint\n      with: {failure-threshold: error}\n' +
    '    - id: build\n      uses: build\n      with: {tags: ["${{ params.image }}:latest"], push: true, source-date-epoch: 0}\n' +
    '    - id: scan\n      uses: scan\n      needs: build\n      with: {image: "${{ steps.build.outputs.image }}"}\n' +
    '    - id: sbom\n      uses: sbom\n      needs: build\n      with: {image: "${{ steps.build.outputs.image }}"}\n' +
    '    - id: sign\n      uses: sign\n      needs: [build, scan, lint]\n      with: {image: "${{ steps.build.outputs.image }}", key: "${{ secrets.key }}", password: "${{ secrets.pw }}"}\n' +
    '    - id: attest\n      uses: attest\n      needs: [build, sbom, sign]\n      with: {image: "${{ steps.build.outputs.image }}", key: "${{ secrets.key }}", password: "${{ secrets.pw }}", type: cyclonedx, predicate: "${{ steps.sbom.outputs.path }}"}\n' +
    '    - id: promote\n      uses: promote\n      needs: [build, sign]\n      with: {repo: "${{ params.config-repo }}", path: apps/web, image: "reg.local/web=${{ steps.build.outputs.image }}"}\n';
  writeFileSync(
    join(root, 'cosign.key'),
    generateKeyPair(Buffer.from('bench'), { scrypt: { N: 1024, r: 8, p: 1 } }).privateKeyPem,
  );
  const dbDir = join(root, 'db');
  const db = AdvisoryDb.open(dbDir, { create: true });
  db.importPath(join(import.meta.dirname, '..', 'scan', 'fixtures', 'osv'));
  db.close();

  const runOnce = async (cacheDir: string, dataDir: string, configRepo: string): Promise<PipelineRun> => {
    const r = await runPipeline({
      loaded: parsePipeline(text, join(app, 'sekisho-pipeline.yaml')),
      workspace: app,
      runsDir: join(root, 'runs'),
      params: { 'config-repo': configRepo },
      services: services({
        env: { PATH: process.env.PATH, COSIGN_PASSWORD: 'bench' },
        scanDb: dbDir,
        dataDir,
        build,
        buildCacheDir: cacheDir,
      }),
      handlers: builtinSteps(),
    });
    if (r.status.phase !== 'Succeeded')
      throw new Error(`run failed: ${JSON.stringify(r.status.steps.map((s) => [s.id, s.phase, s.message]))}`);
    return r;
  };
  const samples: Record<'cold' | 'warm', Record<string, number[]>> = { cold: {}, warm: {} };
  const add = (kind: 'cold' | 'warm', r: PipelineRun) => {
    const total = Date.parse(r.status.completionTime!) - Date.parse(r.status.startTime!);
    (samples[kind].total ??= []).push(total);
    for (const s of r.status.steps) (samples[kind][s.id] ??= []).push(s.durationMs ?? 0);
  };
  for (let i = 0; i < rounds; i++) {
    const cfg = join(root, `config-${i}`);
    write(cfg, {
      'apps/web/kustomization.yaml': 'resources: [deploy.yaml]\nimages:\n  - name: reg.local/web\n    newTag: "0"\n',
      'apps/web/deploy.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: reg.local/web}]\n',
      'policy/p.rego':
        'package main\n\ndeny contains "not pinned" if {\n  some c in input.spec.template.spec.containers\n  not contains(c.image, "@sha256:")\n}\n',
    });
    git(root, 'init', '-q', '-b', 'main', cfg);
    git(cfg, 'add', '-A');
    git(cfg, 'commit', '-q', '-m', 'c');
    git(root, 'clone', '-q', '--bare', cfg, `${cfg}.git`);
    const cache = join(root, `cache-${i}`);
    const data = join(root, `data-${i}`);
    add('cold', await runOnce(cache, data, `${cfg}.git`));
    add('warm', await runOnce(cache, data, `${cfg}.git`));
  }
  const ids = Object.keys(samples.cold);
  console.log(`rounds: ${rounds} (medians, ms)`);
  console.log(['', ...ids].join('\t'));
  for (const kind of ['cold', 'warm'] as const)
    console.log([kind, ...ids.map((id) => String(Math.round(median(samples[kind][id]!))))].join('\t'));
  console.log(`warm/cold total: ${(median(samples.warm.total!) / median(samples.cold.total!)).toFixed(2)}`);
} finally {
  await reg.close();
  rmSync(root, { recursive: true, force: true });
}
