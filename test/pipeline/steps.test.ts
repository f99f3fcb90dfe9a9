// Built-in steps against real areas: lint and policy-test fail the run with their reports; push, sign,
// attest, sbom and scan against the embedded registry on 127.0.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { OciLayout, RegistryClient, digestOf, MediaType, type ImageManifest } from '../../src/oci/index.ts';
import { AdvisoryDb } from '../../src/scan/index.ts';
import { generateKeyPair, loadPublicKey, verifyImage, verifyAttestations } from '../../src/sign/index.ts';
import { makeTar } from '../oci/fixtures.ts';
import { startEmbedded } from '../oci/helpers.ts';
import { HEAD, runText, services, stepOf, tempDir } from './helpers.ts';

test('lint and policy-test failures fail the run with their reports, annotations and SARIF', async (t) => {
  const ws = tempDir(t, 'pipe-checks');
  writeFileSync(join(ws, 'Dockerfile'), 'FROM busybox\nRUN cd /tmp && echo hi\n');
  mkdirSync(join(ws, 'policy'));
  writeFileSync(
    join(ws, 'policy', 'images.rego'),
    'package main\n\ndeny contains msg if {\n  some c in input.spec.template.spec.containers\n  not contains(c.image, "@sha256:")\n  msg := sprintf("container %s: image %s is not pinned by digest", [c.name, c.image])\n}\n',
  );
  mkdirSync(join(ws, 'deploy'));
  writeFileSync(
    join(ws, 'deploy', 'app.yaml'),
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: reg/app:latest\n',
  );
  const r = await runText(
    ws,
    HEAD +
      '  steps:\n' +
      '    - id: lint\n      uses: lint\n      with: {dockerfile: Dockerfile, failure-threshold: warning}\n' +
      '    - id: lint-relaxed\n      uses: lint\n      with: {dockerfile: Dockerfile, ignore: [DL3006, DL3003]}\n' +
      '    - id: policy\n      uses: policy-test\n      with: {files: [deploy/app.yaml]}\n' +
      '    - id: after-lint\n      needs: lint\n      run: echo never\n',
  );
  assert.equal(r.status.phase, 'Failed');
  const lint = stepOf(r, 'lint');
  assert.equal(lint.phase, 'Failed');
  assert.match(lint.message!, /lint: 2 finding\(s\) at or above warning: Dockerfile:1 DL3006, Dockerfile:2 DL3003/);
  const findings = JSON.parse(readFileSync(lint.reportPath!, 'utf8')) as Array<{ code: string }>;
  assert.deepEqual(findings.map((f) => f.code).sort(), ['DL3003', 'DL3006']);
  assert.ok(lint.sarif && existsSync(lint.sarif[0]!));
  assert.equal((JSON.parse(readFileSync(lint.sarif[0]!, 'utf8')) as { version: string }).version, '2.1.0');
  assert.deepEqual(
    lint.annotations?.map((a) => [a.file, a.line, a.rule]),
    [
      ['Dockerfile', 1, 'DL3006'],
      ['Dockerfile', 2, 'DL3003'],
    ],
  );
  assert.equal(stepOf(r, 'lint-relaxed').phase, 'Succeeded');
  assert.equal(stepOf(r, 'after-lint').phase, 'Skipped');
  const policy = stepOf(r, 'policy');
  assert.equal(policy.phase, 'Failed');
  assert.match(
    policy.message!,
    /policy: 1 failure\(s\): deploy\/app\.yaml:1 container app: image reg\/app:latest is not pinned by digest/,
  );
  assert.equal(policy.outputs.failures, '1');
  assert.match(readFileSync(policy.logPath, 'utf8'), /FAIL - .*deploy\/app\.yaml - main - container app/);
});

function imageWithLockfile(): { manifest: Buffer; config: Buffer; layer: Buffer } {
  const lock = JSON.stringify({
    name: 'demo',
    version: '1.0.0',
    lockfileVersion: 3,
    packages: { '': { name: 'demo', version: '1.0.0' }, 'node_modules/lodash': { version: '4.17.20' } },
  });
  // images are inventoried from installed packages (node_modules), as Trivy does; the lockfile rides along
  const tar = makeTar([
    { name: 'app/package-lock.json', data: Buffer.from(lock) },
    {
      name: 'app/node_modules/lodash/package.json',
      data: Buffer.from('{"name":"lodash","version":"4.17.20","license":"MIT"}'),
    },
  ]);
  const layer = gzipSync(tar);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: [digestOf(tar)] },
    }),
  );
  const m: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: digestOf(config), size: config.length },
    layers: [{ mediaType: MediaType.OciLayerGzip, digest: digestOf(layer), size: layer.length }],
  };
  return { manifest: Buffer.from(JSON.stringify(m)), config, layer };
}

test('push, sign, attest, sbom and scan an image in the embedded registry; outputs flow by digest', async (t) => {
  const ws = tempDir(t, 'pipe-supply');
  const reg = await startEmbedded();
  t.after(() => reg.close());
  // an image in an OCI layout, as a build would leave it
  const layout = await OciLayout.open(join(ws, 'out'), { create: true });
  const img = imageWithLockfile();
  await layout.writeBlobBytes(img.config);
  await layout.writeBlobBytes(img.layer);
  await layout.writeBlobBytes(img.manifest);
  await layout.addManifest(
    { mediaType: MediaType.OciManifest, digest: digestOf(img.manifest), size: img.manifest.length },
    'latest',
  );
  // advisory db from the scan fixtures (lodash 4.17.20 is HIGH)
  const dbDir = join(ws, 'db');
  const db = AdvisoryDb.open(dbDir, { create: true });
  db.importPath(join(import.meta.dirname, '..', 'scan', 'fixtures', 'osv'));
  db.close();
  const pair = generateKeyPair(Buffer.from('pw-1234'), { scrypt: { N: 1024, r: 8, p: 1 } });
  writeFileSync(join(ws, 'cosign.key'), pair.privateKeyPem);
  const svc = services({ env: { PATH: process.env.PATH, COSIGN_PASSWORD: 'pw-1234' }, scanDb: dbDir });
  const r = await runText(
    ws,
    HEAD +
      `  params:\n    - name: repo\n      default: ${reg.host}/team/app\n` +
      '  secrets:\n    - name: key\n      secretRef: {file: cosign.key}\n    - name: pw\n      secretRef: {env: COSIGN_PASSWORD}\n' +
      '  logs:\n    attachTo: "${{ steps.push.outputs.image }}"\n' +
      '  steps:\n' +
      '    - id: push\n      uses: push\n      with: {from: "oci:out:latest", to: "${{ params.repo }}:1.0"}\n' +
      '    - id: sign\n      uses: sign\n      needs: push\n      with: {image: "${{ steps.push.outputs.image }}", key: "${{ secrets.key }}", password: "${{ secrets.pw }}"}\n' +
      '    - id: sbom\n      uses: sbom\n      needs: push\n      with: {image: "${{ steps.push.outputs.image }}"}\n' +
      '    - id: attest\n      uses: attest\n      needs: [push, sbom]\n      with: {image: "${{ steps.push.outputs.image }}", key: "${{ secrets.key }}", password: "${{ secrets.pw }}", type: cyclonedx, predicate: "${{ steps.sbom.outputs.path }}"}\n' +
      '    - id: scan-lenient\n      uses: scan\n      needs: push\n      with: {image: "${{ steps.push.outputs.image }}", fail-on: CRITICAL}\n' +
      '    - id: scan\n      uses: scan\n      needs: push\n      with: {image: "${{ steps.push.outputs.image }}"}\n',
    { services: svc },
  );
  const push = stepOf(r, 'push');
  assert.equal(push.phase, 'Succeeded', push.message);
  assert.equal(push.outputs.digest, digestOf(img.manifest));
  assert.equal(push.outputs.image, `${reg.host}/team/app@${digestOf(img.manifest)}`);
  assert.equal(stepOf(r, 'sign').phase, 'Succeeded', stepOf(r, 'sign').message);
  assert.equal(stepOf(r, 'sbom').phase, 'Succeeded', stepOf(r, 'sbom').message);
  assert.equal(stepOf(r, 'attest').phase, 'Succeeded', stepOf(r, 'attest').message);
  const client = new RegistryClient({ host: reg.host });
  const target = { client, registry: reg.host, repository: 'team/app', ref: digestOf(img.manifest) };
  const key = loadPublicKey(pair.publicKeyPem, 'cosign.pub');
  const v = await verifyImage(target, [key]);
  assert.equal(v.verified.length, 1);
  const att = await verifyAttestations(target, [key]);
  assert.equal(att[0]?.predicateType, 'https://cyclonedx.org/bom');
  const lenient = stepOf(r, 'scan-lenient');
  assert.equal(lenient.phase, 'Succeeded', lenient.message);
  assert.equal(lenient.outputs.vulnerabilities, '1');
  const scan = stepOf(r, 'scan');
  assert.equal(scan.phase, 'Failed');
  assert.match(scan.message!, /scan: 1 vulnerability at HIGH\/CRITICAL: GHSA-35jh-r3h4-6jhm/);
  const report = JSON.parse(readFileSync(scan.reportPath!, 'utf8')) as {
    Results: Array<{ Vulnerabilities?: unknown[] }>;
  };
  assert.equal(report.Results.flatMap((x) => x.Vulnerabilities ?? []).length, 1);
  // the password and key never reached a log
  for (const s of r.status.steps) assert.doesNotMatch(readFileSync(s.logPath, 'utf8'), /pw-1234|PRIVATE KEY/);
  // the run record and logs are attached to the image as an OCI 1.1 referrer
  const logs = r.status.logsArtifact;
  assert.ok(logs?.digest, JSON.stringify(logs));
  const refs = await client.referrers(
    'team/app',
    digestOf(img.manifest),
    'application/vnd.sekisho.pipelinerun.v1+json',
  );
  assert.deepEqual(
    refs.manifests.map((m) => m.digest),
    [logs.digest],
  );
  const art = JSON.parse((await client.getManifest('team/app', logs.digest)).bytes.toString('utf8')) as {
    layers: Array<{ digest: string; annotations: Record<string, string> }>;
  };
  assert.deepEqual(
    art.layers.map((l) => l.annotations['org.opencontainers.image.title']),
    ['status.json', 'push.log', 'sign.log', 'sbom.log', 'attest.log', 'scan-lenient.log', 'scan.log'],
  );
  const record = JSON.parse((await client.getBlobBytes('team/app', art.layers[0]!.digest)).toString('utf8')) as {
    status: { phase: string };
  };
  assert.equal(record.status.phase, 'Failed');
});
