// The Pipelines view in headless Chromium against the platform started in-process: fixture PipelineRun
// objects in sekisho-ci with their logs and reports under <data-dir>/ci — a finished run whose lint step
// failed (its findings and report shown, the steps drawn as a graph by needs level) and a running step whose
// log grows while the page is open (the new line appears without a reload) — and the Images view of what such
// a pipeline leaves in the registry: an image signed by our cosign-compatible signer (.sig tag and Sigstore
// bundle), attested, with a scan report attached as a referrer. axe-core on each view.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { KubeClient, KubeObject } from '../../src/kube/index.ts';
import { MediaType, RegistryClient, RegistryStore, pushArtifact } from '../../src/oci/index.ts';
import { API_VERSION, CI_NAMESPACE } from '../../src/pipeline/index.ts';
import {
  attestImage,
  generateKeyPair,
  keyHint,
  loadPrivateKey,
  signImage,
  signImageBundle,
  type ImageTarget,
} from '../../src/sign/index.ts';
import { screenshot, startUi, type UiFixture, type UiPlatform } from './harness.ts';

let ui: UiFixture;
let runDir = '';

async function putRun(kube: KubeClient, name: string, status: Record<string, unknown>, labels: Record<string, string>) {
  const created = await kube.create({
    apiVersion: API_VERSION,
    kind: 'PipelineRun',
    metadata: { name, namespace: CI_NAMESPACE, labels: { 'ci.sekisho.dev/pipeline': 'web', ...labels } },
    spec: { pipelineRef: { name: 'web' }, pipelineFile: '.sekisho/pipeline.yaml', params: {}, workspace: runDir },
  } as KubeObject);
  await kube.replace({ ...created, status } as KubeObject, { subresource: 'status' });
}

const step = (id: string, extra: Record<string, unknown>) => ({
  id,
  uses: id,
  attempts: 1,
  outputs: {},
  logPath: path.join(runDir, `${id}.log`),
  ...extra,
});

before(async () => {
  ui = await startUi('pipelines', { ciCrds: true, loginAt: '/pipelines', seed });
});

after(() => ui?.close());

/** Three runs of pipeline web (a failed lint, a running build, one that never started) with logs and reports. */
async function seed({ platform, kube }: UiPlatform): Promise<void> {
  runDir = path.join(platform.dataDir, 'ci', 'runs', 'web-1');
  mkdirSync(runDir, { recursive: true });
  writeFileSync(path.join(runDir, 'lint.log'), 'Dockerfile:3 DL3007 error: Using latest is prone to errors\n');
  writeFileSync(
    path.join(runDir, 'lint.report.json'),
    JSON.stringify([{ file: 'Dockerfile', line: 3, code: 'DL3007', level: 'error', message: 'Using latest' }]),
  );
  writeFileSync(path.join(runDir, 'lint.sarif'), JSON.stringify({ version: '2.1.0', runs: [] }));
  writeFileSync(path.join(runDir, 'build.log'), 'building layer 1\n');
  writeFileSync(path.join(runDir, 'scan.log'), 'scanned\n');
  writeFileSync(
    path.join(runDir, 'scan.report.json'),
    JSON.stringify({
      SchemaVersion: 2,
      Results: [
        {
          Target: 'app/package-lock.json',
          Vulnerabilities: [
            {
              VulnerabilityID: 'GHSA-xxxx-yyyy',
              PkgName: 'lodash',
              InstalledVersion: '4.17.20',
              FixedVersion: '4.17.21',
              Severity: 'HIGH',
            },
          ],
        },
      ],
    }),
  );
  await putRun(
    kube,
    'web-1',
    {
      phase: 'Failed',
      startTime: '2026-11-26T10:00:00Z',
      completionTime: '2026-11-26T10:00:04Z',
      message: 'step lint failed',
      runDir,
      steps: [
        step('lint', {
          phase: 'Failed',
          startTime: '2026-11-26T10:00:00Z',
          finishTime: '2026-11-26T10:00:02.500Z',
          reportPath: path.join(runDir, 'lint.report.json'),
          sarif: [path.join(runDir, 'lint.sarif')],
          message: 'lint: 1 finding(s) at or above error: Dockerfile:3 DL3007',
          annotations: [
            { level: 'error', file: 'Dockerfile', line: 3, col: 1, rule: 'DL3007', message: 'DL3007: Using latest' },
          ],
        }),
        step('build', { phase: 'Skipped', needs: ['lint'], message: 'needs lint, which failed' }),
        step('scan', { phase: 'Skipped', needs: ['build'] }),
        step('sbom', { phase: 'Skipped', needs: ['build'] }),
        step('push', { phase: 'Skipped', needs: ['scan', 'sbom'] }),
      ],
    },
    { 'ci.sekisho.dev/commit': 'a'.repeat(40), 'ci.sekisho.dev/branch': 'main', 'ci.sekisho.dev/repo': 'web-app' },
  );
  await putRun(
    kube,
    'web-2',
    {
      phase: 'Running',
      startTime: '2026-11-26T11:00:00Z',
      runDir,
      steps: [
        step('lint', { phase: 'Succeeded', startTime: '2026-11-26T11:00:00Z', finishTime: '2026-11-26T11:00:01Z' }),
        step('scan', {
          phase: 'Succeeded',
          needs: ['lint'],
          startTime: '2026-11-26T11:00:01Z',
          finishTime: '2026-11-26T11:00:02Z',
          reportPath: path.join(runDir, 'scan.report.json'),
        }),
        step('build', { phase: 'Running', needs: ['lint'], startTime: '2026-11-26T11:00:01Z' }),
      ],
    },
    { 'ci.sekisho.dev/commit': 'b'.repeat(40) },
  );
  // a commit whose pipeline could not run at all: a Failed run without steps, saying why
  await putRun(
    kube,
    'web-0',
    {
      phase: 'Failed',
      startTime: '2026-11-26T09:00:00Z',
      completionTime: '2026-11-26T09:00:00Z',
      message: '.sekisho/pipeline.yaml:3:5: steps[0] needs an id',
      runDir,
      steps: [],
    },
    { 'ci.sekisho.dev/commit': 'c'.repeat(40) },
  );
}

test('pipelines: runs newest first, a failed lint step with its findings and report, the graph by needs', async () => {
  const { page, check } = ui;
  await page.waitForURL(/\/pipelines$/);
  const rows = page.getByTestId('runs').locator('tbody tr');
  await rows.first().getByRole('link', { name: 'web-2' }).waitFor();
  assert.equal(await rows.count(), 3);
  assert.match((await rows.nth(1).textContent()) ?? '', /web-1.*Failed/);
  assert.match((await rows.nth(2).textContent()) ?? '', /web-0.*Failed/);
  await check('pipelines');
  // the app-repo filter (kept in the URL)
  await page.getByLabel('App repo').selectOption('web-app');
  await page.waitForURL(/\/pipelines\?repo=web-app$/);
  await rows.nth(1).waitFor({ state: 'detached' });
  assert.match((await rows.first().textContent()) ?? '', /web-1/);
  await page.getByLabel('App repo').selectOption('');
  await rows.nth(2).waitFor();
  // the run that never started its steps says why
  await rows.nth(2).getByRole('link', { name: 'web-0' }).click();
  await page.getByText('.sekisho/pipeline.yaml:3:5: steps[0] needs an id').waitFor();
  await page.getByText('No step ran.').waitFor();
  await page.getByRole('link', { name: 'Pipelines' }).first().click();
  await page.waitForURL(/\/pipelines$/);
  await rows.nth(2).waitFor();
  await rows.nth(1).getByRole('link', { name: 'web-1' }).click();
  await page.waitForURL(/\/pipelines\/web-1\/lint$/);
  // the failed step is selected, with its message, findings at file:line and its report
  const panel = page.getByTestId('step-panel');
  await panel.getByRole('heading', { name: /Step lint/ }).waitFor();
  await page.getByTestId('step-message').getByText('Dockerfile:3 DL3007').waitFor();
  const finding = page.getByTestId('findings').locator('tbody tr').first();
  assert.match((await finding.textContent()) ?? '', /Dockerfile:3:1.*DL3007.*Using latest/);
  await panel.getByText(/^Report lint\.report\.json/).click();
  const reportRow = page.getByTestId('report-table').locator('tbody tr').first();
  await reportRow.waitFor();
  assert.match((await reportRow.textContent()) ?? '', /error.*Dockerfile:3.*DL3007.*Using latest/);
  await panel.getByText('As recorded (JSON)').click();
  await page.getByTestId('step-report').getByText('"DL3007"').waitFor();
  await page.getByTestId('step-log').getByText('Using latest is prone to errors').waitFor();
  const artifacts = page.getByTestId('artifacts');
  assert.equal(await artifacts.getByRole('link').count(), 2, 'the report and the SARIF file');
  // the graph: one column per needs level; scan and sbom side by side on level 2
  const box = async (id: string) => (await page.getByTestId(`step-${id}`).boundingBox())!;
  const [lint, build, scan, sbom, push] = await Promise.all(['lint', 'build', 'scan', 'sbom', 'push'].map(box));
  assert.ok(lint!.x < build!.x && build!.x < scan!.x && scan!.x < push!.x, 'levels left to right');
  assert.equal(scan!.x, sbom!.x);
  assert.notEqual(scan!.y, sbom!.y);
  assert.match((await page.getByTestId('step-lint').textContent()) ?? '', /Failed · 2\.5 s/);
  assert.match((await page.getByTestId('step-build').getAttribute('class')) ?? '', /phase-Skipped/);
  assert.equal(await page.locator('.dag-edge').count(), 5);
  await check('pipeline run (failed lint)');
  await screenshot(page, 'pipelines-run-failed');
  // another step by clicking its box
  await page.getByTestId('step-build').click();
  await page.waitForURL(/\/pipelines\/web-1\/build$/);
  await page.getByTestId('step-message').getByText('needs lint, which failed').waitFor();
});

test('pipelines: a new run appears in the list, and the log of a running step grows, without a reload', async () => {
  const { page, kube, check } = ui;
  await page.goto('/pipelines');
  const rows = page.getByTestId('runs').locator('tbody tr');
  await rows.nth(2).waitFor();
  await page.evaluate('window.__sameDocument = true');
  const created = Date.now();
  await putRun(kube, 'web-3', { phase: 'Running', startTime: '2026-11-26T12:00:00Z', runDir, steps: [] }, {});
  await rows.first().getByRole('link', { name: 'web-3' }).waitFor({ timeout: 10_000 });
  const listMs = Date.now() - created;
  assert.equal(await page.evaluate('window.__sameDocument'), true, 'the document was not reloaded');
  await kube.delete(API_VERSION, 'PipelineRun', 'web-3', CI_NAMESPACE);
  await rows.first().getByRole('link', { name: 'web-2' }).waitFor({ timeout: 10_000 });
  console.log(`# a new run appeared in the list ${listMs} ms after it was created`);
  await page.goto('/pipelines/web-2');
  const panel = page.getByTestId('step-panel');
  await panel.getByRole('heading', { name: /Step build/ }).waitFor();
  const log = page.getByTestId('step-log');
  await log.getByText('building layer 1').waitFor();
  await panel.getByText('(live)').waitFor();
  const t0 = Date.now();
  appendFileSync(path.join(runDir, 'build.log'), 'pushing layer 2\n');
  await log.getByText('pushing layer 2').waitFor({ timeout: 10_000 });
  const shownMs = Date.now() - t0;
  // the step ends: the stream ends and the page stops following
  const o = await kube.get(API_VERSION, 'PipelineRun', 'web-2', CI_NAMESPACE);
  const st = o.status as { phase: string; steps: { id: string; phase: string; finishTime?: string }[] };
  const build = st.steps.find((x) => x.id === 'build')!;
  build.phase = 'Succeeded';
  build.finishTime = '2026-11-26T11:00:09Z';
  st.phase = 'Succeeded';
  await kube.replace(o, { subresource: 'status' });
  appendFileSync(path.join(runDir, 'build.log'), 'done\n');
  await log.getByText('done').waitFor();
  await panel.getByText('(live)').waitFor({ state: 'detached' });
  // the run's change arrives over the CI event stream: the box turns Succeeded without a reload
  await page
    .getByTestId('step-build')
    .getByText(/Succeeded/)
    .waitFor({ timeout: 10_000 });
  assert.equal(((await log.textContent()) ?? '').match(/building layer 1/g)?.length, 1, 'no line twice');
  // the scan step's report as a table of vulnerabilities
  await page.getByTestId('step-scan').click();
  await page
    .getByTestId('step-panel')
    .getByText(/^Report scan\.report\.json/)
    .click();
  const vuln = page.getByTestId('report-table').locator('tbody tr').first();
  await vuln.waitFor();
  assert.match((await vuln.textContent()) ?? '', /HIGH.*GHSA-xxxx-yyyy.*lodash.*4\.17\.20.*4\.17\.21.*package-lock/);
  await check('pipeline run (live log)');
  await screenshot(page, 'pipelines-run-live');
  console.log(`# a new log line appeared on the page ${shownMs} ms after it was written`);
});

/** Pushes a small image (config + one layer) to the embedded registry with the registry client. */
async function pushImage(client: RegistryClient, repo: string, tag: string): Promise<string> {
  const put = async (bytes: Buffer) => {
    const d = { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length };
    await client.pushBlob(repo, d, () => Readable.from([bytes]));
    return d;
  };
  const layer = await put(Buffer.from('a layer for the images view'));
  const config = await put(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { User: 'app' },
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
      }),
    ),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, ...config },
      layers: [{ mediaType: MediaType.OciLayerGzip, ...layer }],
    }),
  );
  return client.putManifest(repo, tag, manifest, MediaType.OciManifest);
}

test('images: signatures (signer key ids), attestations and vulnerabilities of a pipeline-made image', async () => {
  const { page, kube, platform, check } = ui;
  const host = new URL(platform.registryUrl).host;
  const client = new RegistryClient({ host, scheme: 'http' });
  const repo = 'demo/api';
  const digest = await pushImage(client, repo, 'v2');
  const password = Buffer.from('test-password');
  const pair = generateKeyPair(password, { scrypt: { N: 1024, r: 8, p: 1 } });
  const signer = loadPrivateKey(pair.privateKeyPem, password);
  // the platform knows the key from an AppProject's image verification rule (a k8s:// Secret reference)
  const ns = platform.controller?.namespace ?? 'sekisho-gitops';
  await kube.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'release-key', namespace: ns },
    stringData: { 'cosign.pub': pair.publicKeyPem },
  } as KubeObject);
  await kube.create({
    apiVersion: 'gitops.sekisho.dev/v1alpha1',
    kind: 'AppProject',
    metadata: { name: 'release', namespace: ns },
    spec: {
      sourceRepos: ['*'],
      destinations: [{ server: '*', namespace: '*' }],
      imageVerification: [{ glob: '**', keys: [`k8s://${ns}/release-key`] }],
    },
  } as KubeObject);
  const t: ImageTarget = { client, registry: host, repository: repo, ref: digest };
  await signImage(t, signer);
  await signImageBundle(t, signer);
  await attestImage(t, signer, 'https://slsa.dev/provenance/v1', { builder: { id: 'sekisho' } });
  const report = {
    SchemaVersion: 2,
    ArtifactName: `${host}/${repo}@${digest}`,
    Results: [
      {
        Target: 'app (npm)',
        Vulnerabilities: [
          { VulnerabilityID: 'CVE-2026-0001', Severity: 'CRITICAL', FixedVersion: '2.0.1' },
          { VulnerabilityID: 'CVE-2026-0002', Severity: 'MEDIUM' },
        ],
      },
    ],
  };
  await pushArtifact(new RegistryStore(client, repo), {
    artifactType: 'application/vnd.sekisho.scan-report.v1+json',
    blobs: [{ bytes: Buffer.from(JSON.stringify(report)), mediaType: 'application/vnd.sekisho.scan-report.v1+json' }],
    subject: { mediaType: MediaType.OciManifest, digest, size: 0 },
    annotations: { 'org.opencontainers.image.created': '2026-11-26T12:00:00Z' },
  });

  await page.goto(`/images/${encodeURIComponent(repo)}/v2`);
  const sec = page.getByTestId('supply-chain');
  const sigs = sec.getByTestId('signatures').locator('tbody tr');
  await sigs.first().waitFor();
  assert.equal(await sigs.count(), 2);
  const rows = (await sigs.allTextContents()).join('\n');
  assert.match(rows, /^cosign.*AppProject release.*yes.*cosign \.sig tag$/m);
  assert.match(rows, /^Sigstore bundle.*AppProject release.*yes/m);
  assert.equal(
    await sec
      .getByTestId('signatures')
      .locator(`[data-key-id="${keyHint(signer.publicKey)}"]`)
      .count(),
    1,
    'the bundle shows the key id (public key hint)',
  );
  const att = (await sec.getByTestId('attestations').locator('tbody tr').allTextContents()).join('\n');
  assert.match(att, /https:\/\/slsa\.dev\/provenance\/v1.*cosign \.att tag/);
  const vulns = (await sec.getByTestId('vulnerabilities').textContent()) ?? '';
  assert.match(vulns, /2 vulnerabilities, 1 with a fix/);
  assert.match(vulns, /CRITICAL 1/);
  assert.match(vulns, /MEDIUM 1/);
  await check('images (signed, attested, scanned)');
  await sec.scrollIntoViewIfNeeded();
  await screenshot(page, 'images-supply-chain');
});
