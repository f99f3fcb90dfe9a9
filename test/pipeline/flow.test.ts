// The secure CI flow end to end on one machine: an app repo's pipeline builds an image from the busybox
// test base (RUN under runc/bwrap), lints, scans, writes an SBOM, signs and attests the image in the embedded
// registry, and promotes the digest into a bare config repo with a change request whose policy check passes.
// Run twice: the second run hits the build cache and finds the same branch and change request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from '../../src/build/index.ts';
import { RegistryClient } from '../../src/oci/index.ts';
import { FileChangeRequestStore, formatMs, mergeChangeRequest, type PipelineRun } from '../../src/pipeline/index.ts';
import { AdvisoryDb } from '../../src/scan/index.ts';
import { generateKeyPair, loadPublicKey, verifyImage } from '../../src/sign/index.ts';
import { pushFixture } from '../build/fixtures/base-image.ts';
import { startEmbedded } from '../oci/helpers.ts';
import { git, tempDir, runText, services, stepOf } from './helpers.ts';

function write(dir: string, files: Record<string, string>): void {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
}

test('build → lint → scan → sbom → sign → attest → promote, cold and warm', async (t) => {
  const root = tempDir(t, 'flow');
  const reg = await startEmbedded();
  t.after(() => reg.close());
  await pushFixture(reg.host, 'base/busybox', 'latest');

  const app = join(root, 'app');
  write(app, {
    Dockerfile: `FROM ${reg.host}/base/busybox:latest\nWORKDIR /app\nCOPY package.json package-lock.json ./\nCOPY server.js ./\nRUN echo "built" > /app/BUILD && chown -R app /app\nUSER app\nCMD ["/bin/sh", "-c", "cat /app/BUILD"]\n`,
    'package.json': '{"name":"web","version":"1.0.0","dependencies":{"lodash":"^4.17.21"}}\n',
    'package-lock.json': JSON.stringify({
      name: 'web',
      version: '1.0.0',
      lockfileVersion: 3,
      packages: { '': { name: 'web', version: '1.0.0' }, 'node_modules/lodash': { version: '4.17.21' } },
    }),
    'server.js': 'console.log("hello")\n',
    'sekisho-pipeline.yaml':
      'apiVersion: ci.sekisho.dev/v1alpha1\nkind: Pipeline\nmetadata:\n  name: web\nspec:\n' +
      `  params:\n    - name: image\n      default: ${reg.host}/team/web\n    - name: config-repo\n` +
      '  secrets:\n    - name: key\n      secretRef: {file: ../cosign.key}\n    - name: key-password\n      secretRef: {env: COSIGN_PASSWORD}\n' +
      '  steps:\n' +
      '    - id: lint\n      uses: lint\n      with: {dockerfile: Dockerfile, failure-threshold: error}\n' +
      '    - id: build\n      uses: build\n      with:\n        tags: ["${{ params.image }}:${{ run.id }}"]\n        push: true\n        source-date-epoch: 0\n' +
      '    - id: scan\n      uses: scan\n      needs: build\n      with: {image: "${{ steps.build.outputs.image }}"}\n' +
      '    - id: sbom\n      uses: sbom\n      needs: build\n      with: {image: "${{ steps.build.outputs.image }}"}\n' +
      '    - id: sign\n      uses: sign\n      needs: [build, scan, lint]\n      with: {image: "${{ steps.build.outputs.image }}", key: "${{ secrets.key }}", password: "${{ secrets.key-password }}"}\n' +
      '    - id: attest\n      uses: attest\n      needs: [build, sbom, sign]\n      with: {image: "${{ steps.build.outputs.image }}", key: "${{ secrets.key }}", password: "${{ secrets.key-password }}", type: cyclonedx, predicate: "${{ steps.sbom.outputs.path }}"}\n' +
      '    - id: provenance\n      uses: attest\n      needs: [build, sign]\n      with: {image: "${{ steps.build.outputs.image }}", key: "${{ secrets.key }}", password: "${{ secrets.key-password }}", type: slsaprovenance1, predicate: "${{ steps.build.outputs.provenance }}"}\n' +
      '    - id: promote\n      uses: promote\n      needs: [build, sign]\n      with:\n        repo: "${{ params.config-repo }}"\n        path: apps/web\n        image: "reg.local/web=${{ steps.build.outputs.image }}"\n',
  });
  git(root, 'init', '-q', '-b', 'main', app);
  git(app, 'add', '-A');
  git(app, 'commit', '-q', '-m', 'app');

  const cfg = join(root, 'config');
  write(cfg, {
    'apps/web/kustomization.yaml': 'resources:\n  - deploy.yaml\nimages:\n  - name: reg.local/web\n    newTag: "0.1"\n',
    'apps/web/deploy.yaml':
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: reg.local/web\n',
    'policy/pinned.rego':
      'package main\n\ndeny contains msg if {\n  some c in input.spec.template.spec.containers\n  not contains(c.image, "@sha256:")\n  msg := sprintf("%s is not pinned by digest", [c.image])\n}\n',
  });
  git(root, 'init', '-q', '-b', 'main', cfg);
  git(cfg, 'add', '-A');
  git(cfg, 'commit', '-q', '-m', 'config');
  const bare = join(root, 'config.git');
  git(root, 'clone', '-q', '--bare', cfg, bare);

  const pair = generateKeyPair(Buffer.from('flow-pw'), { scrypt: { N: 1024, r: 8, p: 1 } });
  writeFileSync(join(root, 'cosign.key'), pair.privateKeyPem);
  const dbDir = join(root, 'db');
  const db = AdvisoryDb.open(dbDir, { create: true });
  db.importPath(join(import.meta.dirname, '..', 'scan', 'fixtures', 'osv'));
  db.close();
  const dataDir = join(root, 'data');
  const svc = services({
    env: { PATH: process.env.PATH, COSIGN_PASSWORD: 'flow-pw' },
    scanDb: dbDir,
    dataDir,
    build,
  });

  const times = (r: PipelineRun) => r.status.steps.map((s) => `${s.id} ${formatMs(s.durationMs ?? 0)}`).join(', ');
  const total = (r: PipelineRun) => Date.parse(r.status.completionTime!) - Date.parse(r.status.startTime!);
  const text = readFileSync(join(app, 'sekisho-pipeline.yaml'), 'utf8');
  const cold = await runText(app, text, { services: svc, params: { 'config-repo': bare } });
  for (const s of cold.status.steps) assert.equal(s.phase, 'Succeeded', `${s.id}: ${s.message}`);
  t.diagnostic(`cold: ${formatMs(total(cold))} (${times(cold)})`);
  const digest = stepOf(cold, 'build').outputs.digest!;
  assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  assert.equal(stepOf(cold, 'scan').outputs.vulnerabilities, '0');
  // the build's SLSA provenance names the base image by digest and is attested as slsaprovenance1
  const prov = JSON.parse(readFileSync(stepOf(cold, 'build').outputs.provenance!, 'utf8')) as {
    buildDefinition: { buildType: string; resolvedDependencies: Array<{ digest: Record<string, string> }> };
  };
  assert.equal(prov.buildDefinition.buildType, 'https://sekisho.dev/build/dockerfile/v1');
  assert.ok(prov.buildDefinition.resolvedDependencies.some((d) => /^[0-9a-f]{64}$/.test(d.digest.sha256 ?? '')));
  assert.equal(stepOf(cold, 'provenance').outputs['predicate-type'], 'https://slsa.dev/provenance/v1');
  assert.equal(stepOf(cold, 'promote').outputs.outcome, 'created');
  assert.equal(stepOf(cold, 'promote').outputs.policy, 'Passed');
  const branch = stepOf(cold, 'promote').outputs.branch!;
  assert.match(git(bare, 'show', `${branch}:apps/web/kustomization.yaml`), new RegExp(`digest: ${digest}`));
  assert.match(git(bare, 'log', '-1', '--format=%B', branch), new RegExp(`Pipeline-Run: ${cold.metadata.name}`));
  const v = await verifyImage(
    { client: new RegistryClient({ host: reg.host }), registry: reg.host, repository: 'team/web', ref: digest },
    [loadPublicKey(pair.publicKeyPem, 'cosign.pub')],
  );
  assert.equal(v.verified.length, 1);

  const warm = await runText(app, text, { services: svc, params: { 'config-repo': bare } });
  for (const s of warm.status.steps) assert.equal(s.phase, 'Succeeded', `${s.id}: ${s.message}`);
  t.diagnostic(`warm: ${formatMs(total(warm))} (${times(warm)})`);
  const b = stepOf(warm, 'build').outputs;
  // every step after FROM (which is resolved, not cached) comes from the cache on the second run
  assert.ok(Number(b['cached-steps']) >= Number(b.steps) - 1, readFileSync(stepOf(warm, 'build').logPath, 'utf8'));
  assert.equal(b.digest, digest, 'reproducible: the same digest');
  // same branch, same change request: nothing duplicated
  assert.equal(stepOf(warm, 'promote').outputs.outcome, 'unchanged');
  const store = new FileChangeRequestStore(join(dataDir, 'changerequests'));
  assert.equal((await store.list()).length, 1);
  const merged = await mergeChangeRequest(stepOf(warm, 'promote').outputs['change-request']!, { store, dataDir });
  assert.equal(merged.status?.phase, 'Merged');
  assert.match(git(bare, 'show', 'main:apps/web/kustomization.yaml'), new RegExp(digest));
});
