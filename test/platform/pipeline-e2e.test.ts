// The reference flow inside the platform, started by a push: `startPlatform` in this process on a temp data
// dir; an app repo and a config repo on its git server; a commit pushed over smart HTTP with a Dockerfile
// (FROM the busybox test base) and a pipeline lint → build → scan → push → sign → promote. The push alone
// starts the run: a PipelineRun in sekisho-ci Succeeded with every step, a ChangeRequest with the digest
// and a policy result; merging it makes the GitOps controller sync the Deployment to the new digest.
// A commit whose Dockerfile fails lint gives a Failed run with the lint report and no change request; the
// same commit pushed again under another branch, or delivered by a signed webhook, starts no second run;
// a webhook with a bad signature is refused with 401.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../../src/kube/index.ts';
import {
  API_VERSION,
  CI_NAMESPACE,
  KubeChangeRequestStore,
  mergeChangeRequest,
  type PipelineRun,
} from '../../src/pipeline/index.ts';
import { startPlatform, type Platform } from '../../src/platform/index.ts';
import { AdvisoryDb } from '../../src/scan/index.ts';
import { AuthStore, createRepo } from '../../src/server/index.ts';
import { RegistryClient } from '../../src/oci/index.ts';
import { generateKeyPair, loadPublicKey, verifyImage } from '../../src/sign/index.ts';
import { pushFixture } from '../build/fixtures/base-image.ts';

const root = mkdtempSync(join(tmpdir(), 'sekisho-pipeline-e2e-'));
const dataDir = join(root, 'data');
const HOOK_SECRET = 'e2e-hook-secret';
let platform: Platform;
let kube: KubeClient;
let token = '';
let t0 = 0;
let publicKeyPem = '';

// asynchronous: the git server answers from this very process
function git(cwd: string, ...args: string[]): Promise<string> {
  return new Promise((res, rej) => {
    execFile(
      'git',
      args,
      {
        cwd,
        env: {
          PATH: process.env.PATH,
          HOME: root,
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_TERMINAL_PROMPT: '0',
          GIT_AUTHOR_NAME: 'dev',
          GIT_AUTHOR_EMAIL: 'dev@example.test',
          GIT_COMMITTER_NAME: 'dev',
          GIT_COMMITTER_EMAIL: 'dev@example.test',
          // the API token as the Basic password, from the environment (never on a command line)
          SEKISHO_TOKEN: token,
          GIT_CONFIG_COUNT: '1',
          GIT_CONFIG_KEY_0: 'credential.helper',
          GIT_CONFIG_VALUE_0: '!f() { echo username=dev; echo "password=$SEKISHO_TOKEN"; }; f',
        },
      },
      (e, stdout, stderr) => (e ? rej(new Error(`git ${args.join(' ')}: ${stderr}`)) : res(stdout.trim())),
    );
  });
}

function write(dir: string, files: Record<string, string>): void {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
}

const PIPELINE = `apiVersion: ci.sekisho.dev/v1alpha1
kind: Pipeline
metadata:
  name: web
spec:
  params:
    - name: commit
    - name: registry
    - name: configRepo
  secrets:
    - name: key
      secretRef: {env: SEKISHO_SIGNING_KEY}
    - name: key-password
      secretRef: {env: SEKISHO_SIGNING_PASSWORD}
  steps:
    - id: lint
      uses: lint
      with: {dockerfile: Dockerfile, failure-threshold: error}
    - id: build
      uses: build
      needs: lint
      with:
        tags: ["\${{ params.registry }}/team/web:\${{ params.commit }}"]
        source-date-epoch: 0
    - id: scan
      uses: scan
      needs: build
      with: {image: "\${{ steps.build.outputs.layout }}"}
    - id: push
      uses: push
      needs: scan
      with: {from: "\${{ steps.build.outputs.layout }}", to: "\${{ params.registry }}/team/web:\${{ params.commit }}"}
    - id: sign
      uses: sign
      needs: push
      with: {image: "\${{ steps.push.outputs.image }}", key: "\${{ secrets.key }}", password: "\${{ secrets.key-password }}"}
    - id: promote
      uses: promote
      needs: sign
      with: {repo: "\${{ params.configRepo }}", path: app, image: "web=\${{ steps.push.outputs.image }}"}
`;

const dockerfile = (workdir: string) =>
  `FROM ${new URL(platform.registryUrl).host}/base/busybox:latest\nWORKDIR ${workdir}\nCOPY index.html ./\nUSER app\nCMD ["httpd", "-f", "-p", "8080"]\n`;

async function runsOf(commit: string): Promise<PipelineRun[]> {
  const l = await kube.list(API_VERSION, 'PipelineRun', {
    namespace: CI_NAMESPACE,
    labelSelector: `ci.sekisho.dev/commit=${commit}`,
  });
  return l.items as unknown as PipelineRun[];
}

before(async () => {
  t0 = Date.now();
  const scanDb = join(root, 'db');
  const db = AdvisoryDb.open(scanDb, { create: true });
  db.importPath(join(import.meta.dirname, '..', 'scan', 'fixtures', 'osv'));
  db.close();
  // a developer token for the pushes, made before the platform reads the token file
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const auth = new AuthStore({ dir: join(dataDir, 'auth') });
  const admin = await auth.ensureAdmin(false);
  token = auth.createToken(admin.user, 'e2e', 'developer', 3600).token;
  platform = await startPlatform({
    dataDir,
    listen: '127.0.0.1:0',
    auditIntervalMs: 0,
    resyncMs: 1000,
    ci: {
      configRepo: 'config',
      scanDb,
      // the key as `cosign generate-key-pair k8s://sekisho-ci/signing` stores it, read at each run
      signingKey: { secret: `${CI_NAMESPACE}/signing` },
      webhook: { github: HOOK_SECRET },
    },
  });
  kube = await KubeClient.fromKubeconfig({ path: platform.kubeconfigPath });
  const pair = generateKeyPair(Buffer.from('e2e-pw'), { scrypt: { N: 1024, r: 8, p: 1 } });
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  await kube.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'signing', namespace: CI_NAMESPACE },
    type: 'Opaque',
    data: {
      'cosign.key': b64(pair.privateKeyPem),
      'cosign.password': b64('e2e-pw'),
      'cosign.pub': b64(pair.publicKeyPem),
    },
  });
  publicKeyPem = pair.publicKeyPem;
  await pushFixture(new URL(platform.registryUrl).host, 'base/busybox', 'latest');
});

after(async () => {
  kube?.close();
  await platform?.close();
  rmSync(root, { recursive: true, force: true });
});

test('a push runs the pipeline in the platform; its change request, once merged, is synced', async (t) => {
  const gitRoot = join(dataDir, 'git');
  await createRepo(gitRoot, 'app');
  await createRepo(gitRoot, 'config');
  const cfg = join(root, 'work', 'config');
  await git(root, 'clone', '-q', `${platform.gitUrl}/config.git`, cfg);
  write(cfg, {
    'app/kustomization.yaml':
      'resources:\n  - deployment.yaml\nimages:\n  - name: web\n    newName: registry.invalid/web\n    newTag: "0.1"\n',
    'app/deployment.yaml':
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: web\n',
    'policy/pinned.rego':
      'package main\n\ndeny contains msg if {\n  some c in input.spec.template.spec.containers\n  not contains(c.image, "@sha256:")\n  msg := sprintf("%s is not pinned by digest", [c.image])\n}\n',
  });
  await git(cfg, 'add', '-A');
  await git(cfg, 'commit', '-q', '-m', 'config');
  await git(cfg, 'push', '-q', 'origin', 'HEAD:refs/heads/main');
  // the Application follows the config repo's main over the git server
  const appNs = platform.controller!.namespace;
  await kube.apply(
    {
      apiVersion: 'gitops.sekisho.dev/v1alpha1',
      kind: 'Application',
      metadata: { name: 'web', namespace: appNs },
      spec: {
        project: 'default',
        source: { repoURL: `${platform.gitUrl}/config.git`, path: 'app', targetRevision: 'main' },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'web' },
        syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
      },
    },
    { fieldManager: 'e2e', force: true },
  );

  const app = join(root, 'work', 'app');
  await git(root, 'clone', '-q', `${platform.gitUrl}/app.git`, app);
  write(app, {
    Dockerfile: dockerfile('/www'),
    'index.html': '<h1>hello</h1>\n',
    '.sekisho/pipeline.yaml': PIPELINE,
  });
  await git(app, 'add', '-A');
  await git(app, 'commit', '-q', '-m', 'web v1');
  const good = await git(app, 'rev-parse', 'HEAD');
  const pushed = Date.now();
  await git(app, 'push', '-q', 'origin', 'HEAD:refs/heads/main');
  // the git server told the runner before the push answered: the run is queued or running now
  assert.equal(platform.pipelines!.pending, 1, 'the push queued one run');
  await platform.pipelines!.idle();
  const runMs = Date.now() - pushed;

  const [run, ...others] = await runsOf(good);
  assert.equal(others.length, 0);
  assert.ok(run, 'a PipelineRun for the pushed commit');
  assert.equal(run.metadata.labels?.['ci.sekisho.dev/trigger'], 'push');
  assert.equal(run.metadata.labels?.['ci.sekisho.dev/repo'], 'app');
  const steps = Object.fromEntries(run.status.steps.map((s) => [s.id, s]));
  for (const s of run.status.steps) assert.equal(s.phase, 'Succeeded', `${s.id}: ${s.message}`);
  assert.deepEqual(Object.keys(steps), ['lint', 'build', 'scan', 'push', 'sign', 'promote']);
  assert.equal(run.status.phase, 'Succeeded');
  const digest = steps.push!.outputs.digest!;
  assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  assert.equal(run.spec.params.commit, good);
  assert.ok(run.status.runDir.startsWith(join(dataDir, 'ci', 'runs')), run.status.runDir);
  assert.ok(existsSync(steps.build!.logPath), 'logs kept under <dataDir>/ci/runs');
  // signed with the key from the Secret
  const registryHost = new URL(platform.registryUrl).host;
  const verified = await verifyImage(
    { client: new RegistryClient({ host: registryHost }), registry: registryHost, repository: 'team/web', ref: digest },
    [loadPublicKey(publicKeyPem, 'cosign.pub')],
  );
  assert.equal(verified.verified.length, 1, 'the image verifies with the public key of the Secret');
  assert.doesNotMatch(readFileSync(steps.sign!.logPath, 'utf8'), /PRIVATE KEY|e2e-pw/, 'no key material in the log');

  const store = new KubeChangeRequestStore(kube, CI_NAMESPACE);
  const crs = await store.list();
  assert.equal(crs.length, 1);
  const cr = crs[0]!;
  assert.match(cr.spec.images[0]!.image, new RegExp(`@${digest}$`));
  assert.equal(cr.spec.pipelineRun, run.metadata.name);
  assert.equal(cr.status?.policy?.result, 'Passed', JSON.stringify(cr.status?.policy));

  // merged: the controller syncs the new digest into the Deployment
  const merged = await mergeChangeRequest(cr.metadata.name, { store, dataDir: join(root, 'merge') });
  assert.equal(merged.status?.phase, 'Merged');
  await kube.patch(
    'gitops.sekisho.dev/v1alpha1',
    'Application',
    'web',
    appNs,
    { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } },
    'merge',
  );
  const deadline = Date.now() + 45_000;
  let image = '';
  for (;;) {
    try {
      const dep = (await kube.get('apps/v1', 'Deployment', 'web', 'web')) as {
        spec?: { template?: { spec?: { containers?: Array<{ image?: string }> } } };
      };
      image = dep.spec?.template?.spec?.containers?.[0]?.image ?? '';
    } catch {
      // not there yet
    }
    if (image.endsWith(`@${digest}`)) break;
    assert.ok(Date.now() < deadline, `the Deployment never got ${digest} (image ${image || 'none'})`);
    await new Promise((r) => setTimeout(r, 200));
  }
  t.diagnostic(
    `push → run Succeeded: ${runMs} ms (${run.status.steps.map((s) => `${s.id} ${s.durationMs} ms`).join(', ')}); ` +
      `push → Deployment at the new digest: ${Date.now() - pushed} ms`,
  );

  // a Dockerfile that fails lint (relative WORKDIR, DL3000): a Failed run with the lint report, no change request
  write(app, { Dockerfile: dockerfile('www') });
  await git(app, 'commit', '-q', '-am', 'relative workdir');
  const bad = await git(app, 'rev-parse', 'HEAD');
  await git(app, 'push', '-q', 'origin', 'HEAD:refs/heads/main');
  await platform.pipelines!.idle();
  const [failed] = await runsOf(bad);
  assert.equal(failed?.status.phase, 'Failed');
  const lint = failed!.status.steps.find((s) => s.id === 'lint')!;
  assert.equal(lint.phase, 'Failed');
  assert.ok(lint.reportPath && existsSync(lint.reportPath), 'the lint report is kept');
  assert.match(readFileSync(lint.reportPath!, 'utf8'), /DL3000/);
  assert.ok(
    failed!.status.steps.filter((s) => s.id !== 'lint').every((s) => s.phase === 'Skipped'),
    'nothing after lint ran',
  );
  assert.equal((await store.list()).length, 1, 'no change request for the failed run');

  // the good commit again, under another branch; and delivered by a signed GitHub webhook: no second run
  await git(app, 'push', '-q', 'origin', `${good}:refs/heads/release`);
  const body = Buffer.from(
    JSON.stringify({
      ref: 'refs/heads/main',
      before: '0'.repeat(40),
      after: good,
      repository: { clone_url: `${platform.gitUrl}/app.git`, full_name: 'dev/app' },
      pusher: { name: 'dev' },
    }),
  );
  const hook = (signature: string) =>
    fetch(`${platform.apiUrl}/api/v1/webhooks/git`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': signature },
      body,
    });
  const refused = await hook(`sha256=${createHmac('sha256', 'wrong').update(body).digest('hex')}`);
  assert.equal(refused.status, 401);
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'trigger_unauthorized');
  const delivered = await hook(`sha256=${createHmac('sha256', HOOK_SECRET).update(body).digest('hex')}`);
  assert.equal(delivered.status, 200);
  const answer = (await delivered.json()) as { results: Array<{ outcome: string }> };
  assert.deepEqual(
    answer.results.map((r) => r.outcome),
    ['duplicate'],
  );
  await platform.pipelines!.idle();
  assert.equal((await runsOf(good)).length, 1, 'one run for the commit');
  assert.equal((await store.list()).length, 1, 'one change request');
  t.diagnostic(`whole test (platform start included): ${Date.now() - t0} ms`);
});
