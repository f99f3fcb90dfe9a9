// The reference flow (the pipeline of flow.test.ts) with every built-in step but promote run as a Kubernetes
// Job in the Sekisho step image, on the sandbox cluster with its pod executor (runc): the checkout and the
// advisory database seeded onto the run's PVC by `sekisho ci seed` from a registry repository that needs
// credentials (a kubernetes.io/dockerconfigjson Secret mounted into the pods), the build privileged (its RUN
// sandboxed inside the pod), the image pushed, scanned, signed and attested from pods, reports and SARIF
// pulled back into the local run folder, promote in the runner's process with the digest a Job produced.
// A failing lint Job stops the run with its report. No secret value in any Job or pod spec. And the same from
// the CLI: `ci run --runner kubernetes --step-image --registry-secret --scan-db`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { KubeClient, type KubeObject } from '../../src/kube/index.ts';
import { RegistryAuth, RegistryClient, staticCredentials } from '../../src/oci/index.ts';
import { builtinSteps } from '../../src/pipeline/index.ts';
import { buildStepImage, jobExecutor, jobStepHandlers, podRuntime } from '../../src/pipeline/runners/index.ts';
import { AdvisoryDb } from '../../src/scan/index.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { loadPublicKey, verifyImage } from '../../src/sign/index.ts';
import { pushFixture } from '../build/fixtures/base-image.ts';
import { startEmbedded } from '../oci/helpers.ts';
import { HEAD, git, runText, sekisho, services, stepOf } from './helpers.ts';
import { referenceFlow } from './reference-flow.ts';

const USER = 'ci';
const PASSWORD = 'ci-registry-password';

interface Env {
  root: string;
  reg: Awaited<ReturnType<typeof startEmbedded>>;
  stepImage: string;
  sb: Awaited<ReturnType<typeof startSandbox>>;
  client: KubeClient;
  /** every Job and Pod object the sandbox stored, as JSON */
  specs: string[];
  /** a Docker config.json folder with the CI user's credentials (what regcred holds) */
  dockerConfigDir: string;
  close(): Promise<void>;
}
let env: Env;

before(async () => {
  if (!existsSync('/usr/sbin/runc') && !existsSync('/usr/bin/runc'))
    throw new Error('runc is required to run Job pods in the sandbox; install the runc package');
  const root = mkdtempSync(join(tmpdir(), 'sekisho-jobs-flow-'));
  // anonymous may pull (and, for the set-up, push) the base and step images; the workspaces and the app's
  // repositories need the CI user
  const auth = new RegistryAuth({
    mode: 'basic',
    users: new Map([[USER, bcrypt.hashSync(PASSWORD, 4)]]),
    rules: [
      { account: 'anonymous', repository: 'base/*', actions: ['pull', 'push'] },
      { account: 'anonymous', repository: 'sekisho/step', actions: ['pull', 'push'] },
      { account: USER, repository: '*', actions: ['pull', 'push', 'delete'] },
    ],
  });
  const reg = await startEmbedded({ auth });
  await pushFixture(reg.host, 'base/busybox', 'latest');
  await buildStepImage({
    sekishoRoot: join(import.meta.dirname, '..', '..'),
    target: { registry: new RegistryClient({ host: reg.host }), repository: 'sekisho/step', tag: 'test' },
  });
  const sb = await startSandbox({ dataDir: join(root, 'cluster'), executePods: { runtime: podRuntime() } });
  const client = await KubeClient.fromKubeconfig({ path: sb.kubeconfigPath });
  const specs: string[] = [];
  const unsub = sb.cluster.store.subscribe((e) => {
    if (e.res === 'batch/jobs' || e.res === '/pods') specs.push(JSON.stringify(e.obj));
  });
  const dockerConfig = JSON.stringify({
    auths: { [reg.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } },
  });
  const dockerConfigDir = join(root, 'docker');
  mkdirSync(dockerConfigDir);
  writeFileSync(join(dockerConfigDir, 'config.json'), dockerConfig);
  await client.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'regcred', namespace: 'default' },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(dockerConfig).toString('base64') },
  } as KubeObject);
  env = {
    root,
    reg,
    stepImage: `${reg.host}/sekisho/step:test`,
    sb,
    client,
    specs,
    dockerConfigDir,
    close: async () => {
      unsub();
      client.close();
      await sb.close();
      await reg.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
});
after(() => env?.close());

test('the reference flow with its built-in steps as Kubernetes Jobs in the step image', async (t) => {
  const { reg, stepImage, sb, client, specs } = env;
  const root = join(env.root, 'flow');
  mkdirSync(root);
  const { app, bare, pair, password, dbDir, text } = referenceFlow(root, reg.host);
  const credentials = staticCredentials({ [reg.host]: { username: USER, password: PASSWORD } });
  const executor = (runName: string) =>
    jobExecutor({
      client,
      namespace: 'default',
      runName,
      workspaceRepo: `${reg.host}/sekisho/workspaces`,
      seedImage: 'unused:latest',
      stepImage,
      registrySecret: 'regcred',
      scanDb: dbDir,
      credentials,
      pollMs: 50,
    });
  const ex = executor('flow');
  const svc = services({
    env: { PATH: process.env.PATH, COSIGN_PASSWORD: password },
    registry: (host) => new RegistryClient({ host, credentials }),
    dataDir: join(root, 'data'),
    executor: ex,
  });
  const r = await runText(app, text, {
    services: svc,
    params: { 'config-repo': bare },
    handlers: jobStepHandlers(builtinSteps(), ex),
  });
  await ex.cleanup();
  const log = (id: string) => readFileSync(stepOf(r, id).logPath, 'utf8');
  for (const s of r.status.steps) assert.equal(s.phase, 'Succeeded', `${s.id}: ${s.message}\n${log(s.id)}`);
  t.diagnostic(r.status.steps.map((s) => `${s.id} ${s.durationMs} ms`).join(', '));

  // every step but promote ran in a step Job; build privileged
  for (const s of r.status.steps)
    if (s.id === 'promote') assert.doesNotMatch(log(s.id), /step Job/);
    else assert.match(log(s.id), new RegExp(`step Job default/\\S+ in ${stepImage.replace(/[.]/g, '\\.')}`), s.id);
  assert.match(log('build'), /\(privileged\)/);
  assert.match(log('build'), /built sha256:[0-9a-f]{64}/, 'the build log streamed from the pod');

  // the image the build Job pushed, signed by the sign Job, with the file its RUN wrote
  const digest = stepOf(r, 'build').outputs.digest!;
  assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  const v = await verifyImage(
    {
      client: new RegistryClient({ host: reg.host, credentials }),
      registry: reg.host,
      repository: 'team/web',
      ref: digest,
    },
    [loadPublicKey(pair.publicKeyPem, 'cosign.pub')],
  );
  assert.equal(v.verified.length, 1);
  // the scan Job read the shipped advisory database; reports and SARIF came back into the local run folder
  assert.equal(stepOf(r, 'scan').outputs.vulnerabilities, '0');
  for (const id of ['lint', 'scan', 'sbom']) {
    const rp = stepOf(r, id).reportPath;
    assert.ok(rp?.startsWith(r.status.runDir) && existsSync(rp), `${id} report ${rp}`);
  }
  assert.ok(stepOf(r, 'lint').sarif?.every((f) => f.startsWith(r.status.runDir) && existsSync(f)));
  assert.equal(stepOf(r, 'provenance').outputs['predicate-type'], 'https://slsa.dev/provenance/v1');
  // promote ran here with the digest the build Job produced
  assert.equal(stepOf(r, 'promote').outputs.policy, 'Passed');
  const branch = stepOf(r, 'promote').outputs.branch!;
  assert.match(git(bare, 'show', `${branch}:apps/web/kustomization.yaml`), new RegExp(`digest: ${digest}`));

  // nothing left running, no secret value in a Job or pod spec
  await sb.controllers!.idle();
  assert.deepEqual((await client.list('batch/v1', 'Job', { namespace: 'default' })).items, []);
  assert.deepEqual((await client.list('v1', 'Pod', { namespace: 'default' })).items, []);
  const keyLine = pair.privateKeyPem.split('\n')[1]!;
  for (const s of specs) {
    assert.doesNotMatch(s, new RegExp(password));
    assert.ok(!s.includes(keyLine) && !s.includes(PASSWORD), 'no key, password or registry password in a spec');
  }

  // a failing lint Job stops the run: its report is here, its dependant skipped
  const ex2 = executor('lint-fails');
  const failed = await runText(
    app,
    HEAD +
      '  steps:\n' +
      '    - id: lint\n      uses: lint\n      with: {dockerfile: Dockerfile, failure-threshold: style}\n' +
      '    - id: sbom\n      uses: sbom\n      needs: lint\n      with: {path: .}\n',
    { services: { ...svc, executor: ex2 }, handlers: jobStepHandlers(builtinSteps(), ex2) },
  );
  await ex2.cleanup();
  assert.equal(failed.status.phase, 'Failed');
  const lint = stepOf(failed, 'lint');
  assert.equal(lint.phase, 'Failed');
  assert.match(lint.message ?? '', /^lint: \d+ finding\(s\) at or above style/);
  assert.ok(lint.reportPath && existsSync(lint.reportPath));
  assert.ok((lint.annotations ?? []).length > 0);
  assert.equal(stepOf(failed, 'sbom').phase, 'Skipped');
});

test('sekisho ci run --runner kubernetes --step-image --registry-secret: built-in steps as Jobs from the CLI', async () => {
  const { reg, stepImage, sb } = env;
  const ws = join(env.root, 'cli');
  mkdirSync(ws);
  writeFileSync(join(ws, 'Dockerfile'), `FROM ${reg.host}/base/busybox:1.36\nCOPY app.sh /app.sh\n`);
  writeFileSync(join(ws, 'app.sh'), 'echo hi\n');
  writeFileSync(
    join(ws, 'package-lock.json'),
    JSON.stringify({
      name: 'a',
      lockfileVersion: 3,
      packages: { '': { name: 'a' }, 'node_modules/lodash': { version: '4.17.20' } },
    }),
  );
  const db = join(env.root, 'cli-db');
  const adb = AdvisoryDb.open(db, { create: true });
  adb.importPath(join(import.meta.dirname, '..', 'scan', 'fixtures', 'osv'));
  adb.close();
  writeFileSync(
    join(ws, 'sekisho-pipeline.yaml'),
    HEAD +
      '  steps:\n' +
      '    - id: lint\n      uses: lint\n      with: {failure-threshold: error}\n' +
      '    - id: scan\n      uses: scan\n      with: {path: ., fail-on: none}\n' +
      '    - id: show\n      needs: [lint]\n      run: echo "lint said ${{ steps.lint.outputs.findings }}"\n',
  );
  const r = await sekisho(
    [
      'ci',
      'run',
      '--runner',
      'kubernetes',
      '--kubeconfig',
      sb.kubeconfigPath,
      '--workspace-repo',
      `${reg.host}/sekisho/workspaces`,
      '--step-image',
      stepImage,
      '--registry-secret',
      'regcred',
      '--scan-db',
      db,
      '--runs-dir',
      join(env.root, 'cli-runs'),
      '-o',
      'json',
    ],
    { cwd: ws, env: { DOCKER_CONFIG: env.dockerConfigDir } },
  );
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const run = JSON.parse(r.stdout) as {
    status: {
      steps: Array<{
        id: string;
        phase: string;
        logPath: string;
        outputs: Record<string, string>;
        reportPath?: string;
      }>;
    };
  };
  const step = (id: string) => run.status.steps.find((s) => s.id === id)!;
  const log = (id: string) => readFileSync(step(id).logPath, 'utf8');
  for (const id of ['lint', 'scan']) {
    assert.equal(step(id).phase, 'Succeeded', log(id));
    assert.match(log(id), /step Job default\/\S+ in /);
    assert.ok(step(id).reportPath && existsSync(step(id).reportPath!));
  }
  // the runner's advisory database went with the seed: lodash 4.17.20 has a fixture advisory
  assert.ok(Number(step('scan').outputs.vulnerabilities) > 0, log('scan'));
  // a run step without image stays in the runner, with the output of the lint Job
  assert.equal(step('show').phase, 'Succeeded');
  assert.doesNotMatch(log('show'), /step Job/);
  assert.match(log('show'), new RegExp(`lint said ${step('lint').outputs.findings}`));
});
