// The secure CI flow end to end on one machine: an app repo's pipeline builds an image from the busybox
// test base (RUN under runc/bwrap), lints, scans, writes an SBOM, signs and attests the image in the embedded
// registry, and promotes the digest into a bare config repo with a change request whose policy check passes.
// Run twice: the second run hits the build cache and finds the same branch and change request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from '../../src/build/index.ts';
import { RegistryClient } from '../../src/oci/index.ts';
import { FileChangeRequestStore, formatMs, mergeChangeRequest, type PipelineRun } from '../../src/pipeline/index.ts';
import { loadPublicKey, verifyImage } from '../../src/sign/index.ts';
import { pushFixture } from '../build/fixtures/base-image.ts';
import { startEmbedded } from '../oci/helpers.ts';
import { git, tempDir, runText, services, stepOf } from './helpers.ts';
import { referenceFlow } from './reference-flow.ts';

test('build → lint → scan → sbom → sign → attest → promote, cold and warm', async (t) => {
  const root = tempDir(t, 'flow');
  const reg = await startEmbedded();
  t.after(() => reg.close());
  await pushFixture(reg.host, 'base/busybox', 'latest');

  const { app, bare, pair, dbDir, text } = referenceFlow(root, reg.host);
  const dataDir = join(root, 'data');
  const svc = services({
    env: { PATH: process.env.PATH, COSIGN_PASSWORD: 'flow-pw' },
    scanDb: dbDir,
    dataDir,
    build,
  });

  const times = (r: PipelineRun) => r.status.steps.map((s) => `${s.id} ${formatMs(s.durationMs ?? 0)}`).join(', ');
  const total = (r: PipelineRun) => Date.parse(r.status.completionTime!) - Date.parse(r.status.startTime!);
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
