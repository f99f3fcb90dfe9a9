// The Change requests view in headless Chromium against the platform started in-process: a config repo on
// the platform's git server with a promotion branch, ChangeRequest objects in sekisho-ci — one with policy
// findings and a what-if preview that admission denies, one with merge conflicts. Approve then merge from the
// UI: the change request becomes Merged and the repository's main is the merge commit. A viewer sees the
// change requests (conflicts included) and no buttons. axe-core on each view.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { API_VERSION, CI_NAMESPACE, KubeChangeRequestStore, type ChangeRequest } from '../../src/pipeline/index.ts';
import { newContext, screenshot, startUi, type UiFixture, type UiPlatform } from './harness.ts';

const SECRET = 'db-pass-never-on-the-page';
const SECRET2 = 'rotated-db-pass-never-shown';
let ui: UiFixture;
let bare = '';
let base = '';
let head = '';

const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: ${image}
`;
const secret = (v: string) => `apiVersion: v1
kind: Secret
metadata:
  name: db
stringData:
  password: ${v}
`;

function cr(repo: string, name: string, extra: Partial<NonNullable<ChangeRequest['status']>>): ChangeRequest {
  const now = new Date().toISOString();
  return {
    apiVersion: API_VERSION,
    kind: 'ChangeRequest',
    metadata: { name },
    spec: {
      repo,
      base: 'main',
      head: 'sekisho/promote-web',
      title: `Promote web (${name})`,
      description: 'from pipeline run web-7',
      images: [{ name: 'demo/web', image: `demo/web@sha256:${'c'.repeat(64)}` }],
      paths: ['app'],
      pipelineRun: 'web-7',
    },
    status: {
      phase: 'Open',
      headCommit: head,
      baseCommit: base,
      changedFiles: ['app/deployment.yaml', 'app/secret.yaml'],
      approvals: [],
      updatedAt: now,
      policy: {
        result: 'Passed',
        commit: head,
        checkedAt: now,
        files: ['app/deployment.yaml'],
        results: [
          {
            level: 'warning',
            file: 'app/deployment.yaml',
            line: 12,
            message: 'container web has no resource limits',
            namespace: 'main',
          },
        ],
      },
      whatIf: {
        result: 'Denied',
        commit: head,
        checkedAt: now,
        cluster: 'sandbox',
        resources: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            namespace: 'web',
            name: 'web',
            action: 'update',
            diff: `--- live\n+++ dry-run\n@@ -1,2 +1,2 @@\n-image: demo/web:v1\n+image: demo/web@sha256:${'c'.repeat(64)}\n`,
          },
          { apiVersion: 'v1', kind: 'Pod', namespace: 'web', name: 'debug', action: 'create' },
        ],
        denials: [
          {
            apiVersion: 'v1',
            kind: 'Pod',
            namespace: 'web',
            name: 'debug',
            message: 'Privileged container is not allowed: debug',
            webhook: 'validation.gatekeeper.sh',
          },
        ],
      },
      ...extra,
    },
  };
}

before(async () => {
  ui = await startUi('cr', { ciCrds: true, loginAt: '/changes', seed });
});

after(() => ui?.close());

/** Users, the config repo with a promotion branch, team-a's Application and two change requests. */
async function seed({ platform, api, kube, work, git }: UiPlatform): Promise<void> {
  const repo = `${platform.gitUrl}/cr-config.git`;
  await api.call('POST', '/users', { name: 'viewer', password: 'viewer-long-password', role: 'viewer' });
  await api.call('POST', '/users', {
    name: 'dev-b',
    password: 'dev-b-long-password',
    role: 'developer',
    projects: ['team-b'],
  });

  // the config repo: main with the app, a promotion branch with a new digest and a rotated password
  await api.call('POST', '/git/repositories', { name: 'cr-config' });
  bare = path.join(platform.dataDir, 'git', 'cr-config.git');
  const u = new URL(repo);
  u.username = 'admin';
  u.password = api.token;
  mkdirSync(work, { recursive: true });
  await git(['init', '-q', '-b', 'main']);
  mkdirSync(path.join(work, 'app'));
  writeFileSync(path.join(work, 'app', 'deployment.yaml'), deployment('demo/web:v1'));
  writeFileSync(path.join(work, 'app', 'secret.yaml'), secret(SECRET));
  await git(['add', '-A']);
  await git(['commit', '-q', '-m', 'web v1']);
  await git(['push', '-q', u.toString(), 'HEAD:main']);
  base = await git(['rev-parse', 'HEAD']);
  await git(['checkout', '-q', '-b', 'sekisho/promote-web']);
  writeFileSync(path.join(work, 'app', 'deployment.yaml'), deployment(`demo/web@sha256:${'c'.repeat(64)}`));
  writeFileSync(path.join(work, 'app', 'secret.yaml'), secret(SECRET2));
  await git(['commit', '-qam', 'promote web']);
  await git(['push', '-q', u.toString(), 'sekisho/promote-web']);
  head = await git(['rev-parse', 'HEAD']);

  // team-a's Application deploys the config repo's app/ folder
  await kube.create({
    apiVersion: 'gitops.sekisho.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: 'web', namespace: platform.controller?.namespace ?? 'sekisho-gitops' },
    spec: {
      project: 'team-a',
      source: { repoURL: repo, path: 'app', targetRevision: 'main' },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'web' },
    },
  });
  const store = new KubeChangeRequestStore(kube, CI_NAMESPACE);
  await store.create(cr(repo, 'promote-web', {}));
  await store.create(
    cr(repo, 'promote-conflict', {
      conflicts: ['app/deployment.yaml'],
      message: 'merge conflict in app/deployment.yaml; update the branch and retry',
    }),
  );
}

test('change request: repo diff (Secrets masked), policy findings, what-if denial; approve then merge', async () => {
  const { page, kube, git, check } = ui;
  await page.waitForURL(/\/changes$/);
  const table = page.getByTestId('change-requests');
  await table.getByRole('link', { name: 'Promote web (promote-web)' }).waitFor();
  assert.equal(await table.locator('tbody tr').count(), 2);
  await check('change requests');
  await table.getByRole('link', { name: 'Promote web (promote-web)' }).click();
  await page.waitForURL(/\/changes\/promote-web$/);
  const diff = page.getByTestId('repo-diff');
  await diff
    .getByText(`image: demo/web@sha256:${'c'.repeat(64)}`)
    .first()
    .waitFor();
  await diff.getByText('app/secret.yaml').waitFor();
  const body = (await page.locator('main').textContent()) ?? '';
  assert.ok(!body.includes(SECRET) && !body.includes(SECRET2), 'no Secret value on the page');
  assert.match(body, /password: \+{8,}/);
  const finding = page.getByTestId('policy-findings').locator('tbody tr').first();
  assert.match((await finding.textContent()) ?? '', /warning.*app\/deployment\.yaml:12.*no resource limits/);
  assert.equal(await page.getByTestId('whatif-result').textContent(), 'Denied');
  const denial = page.getByTestId('denials').locator('tbody tr').first();
  assert.match((await denial.textContent()) ?? '', /Pod web\/debug.*validation\.gatekeeper\.sh.*Privileged container/);
  // the promoted image links to the Images view
  assert.equal(
    await page.getByRole('link', { name: `demo/web@sha256:${'c'.repeat(64)}` }).getAttribute('href'),
    `/images/demo%2Fweb/sha256%3A${'c'.repeat(64)}`,
  );
  const whatIfDiff = page.getByLabel('What-if diff of Deployment web/web');
  assert.match(
    (await whatIfDiff.textContent()) ?? '',
    /-removed: image: demo\/web:v1\n\+added: image: demo\/web@sha256:c{64}/,
  );
  await check('change request (open)');
  await screenshot(page, 'change-request-open');

  // an approval recorded elsewhere (the CLI, another user) appears live
  const store = new KubeChangeRequestStore(kube, CI_NAMESPACE);
  const current = (await store.get('promote-web'))!;
  current.status!.approvals.push({ by: 'carol', at: new Date().toISOString() });
  await store.update(current);
  await page.getByTestId('approvals').getByText('carol').waitFor({ timeout: 10_000 });
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.getByTestId('approvals').getByText('carol, admin').waitFor();
  await page.getByRole('button', { name: 'Approved' }).waitFor();
  const t0 = Date.now();
  await page.getByRole('button', { name: 'Merge' }).click();
  await page.getByTestId('cr-phase').getByText('Merged').waitFor({ timeout: 20_000 });
  const mergeMs = Date.now() - t0;
  const shown = await page.getByTestId('merge-commit').getAttribute('title');
  assert.equal(await page.getByRole('button', { name: 'Merge' }).count(), 0, 'no actions on a merged request');
  // the git repository: main is the merge commit of base and head
  const main = await git(['rev-parse', 'refs/heads/main'], bare);
  assert.equal(main, shown);
  assert.deepEqual((await git(['rev-list', '--parents', '-n', '1', main], bare)).split(' ').slice(1), [base, head]);
  assert.match(await git(['log', '-1', '--format=%an %s', main], bare), /^admin Merge change request promote-web/);
  const stored = await store.get('promote-web');
  assert.equal(stored?.status?.phase, 'Merged');
  assert.deepEqual(
    stored?.status?.approvals.map((a) => a.by),
    ['carol', 'admin'],
  );
  await check('change request (merged)');
  await screenshot(page, 'change-request-merged');
  console.log(`# merge from the UI: Merged shown ${mergeMs} ms after the click`);
});

test('change request: a viewer sees conflicts and no buttons; a developer of another project does not see it', async () => {
  const { browser, platform, check } = ui;
  for (const [user, pw] of [
    ['viewer', 'viewer-long-password'],
    ['dev-b', 'dev-b-long-password'],
  ] as const) {
    const ctx = await newContext(browser, platform.apiUrl);
    const v = await ctx.newPage();
    await v.goto('/changes/promote-conflict');
    await v.waitForURL(/\/login/);
    await v.getByLabel('User name').fill(user);
    await v.getByLabel('Password').fill(pw);
    await v.getByRole('button', { name: 'Log in' }).click();
    await v.waitForURL(/\/changes\/promote-conflict$/);
    if (user === 'dev-b') {
      // reads are project-scoped too: team-a's change request is "not found" for a developer of team-b
      await v.getByRole('alert').getByText('change request promote-conflict not found').waitFor();
    } else {
      await v.getByTestId('conflicts').getByText('app/deployment.yaml').waitFor();
      await v.getByTestId('policy-findings').waitFor();
    }
    for (const name of ['Approve', 'Merge', 'Close'])
      assert.equal(await v.getByRole('button', { name }).count(), 0, `${user} has no ${name} button`);
    // the API refuses them too (with the session's CSRF token: the role or the project decides)
    const r = await v.evaluate(async () => {
      const s = (await (await fetch('/api/v1/session')).json()) as { csrfToken?: string };
      const x = await fetch('/api/v1/changerequests/promote-conflict/approve', {
        method: 'POST',
        headers: { 'x-csrf-token': s.csrfToken ?? '' },
      });
      return { status: x.status, text: await x.text() };
    });
    assert.equal(r.status, 403, r.text);
    assert.match(r.text, user === 'viewer' ? /needs role developer/ : /project team-a/);
    await check(`change request (${user}, conflicts)`, v);
    await screenshot(v, `change-request-${user}`);
    await ctx.close();
  }
});
