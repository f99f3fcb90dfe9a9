// The web UI end to end in headless Chromium against the real platform (sandbox cluster, git server,
// registry, admission with audit, GitOps controller, API server serving ui/dist), started in-process:
// log in, find the application, open its tree and a diff (Secret values masked), sync it from the dialog
// and watch the status change live, change git and sync again, roll back, open the policy violations and
// follow one to its application, browse an image, make an API token. axe-core checks every view (light and
// dark) for serious or critical violations; screenshots go to test-artifacts/ui/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { KubeObject } from '../../src/kube/index.ts';
import { screenshot, startUi, writeArtifact, type UiFixture, type UiPlatform } from './harness.ts';

const SECRET = 'hunter2-do-not-show';
const APP = 'guestbook';
let ui: UiFixture;
let appNs = '';
let firstSha = '';
const timings: Record<string, number> = {};

const manifests = (greeting: string): Record<string, string> => ({
  'deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: 127.0.0.1/demo/web:v1
          ports: [{containerPort: 8080}]
`,
  'service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`,
  'configmap.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  greeting: ${greeting}
`,
  'secret.yaml': `apiVersion: v1
kind: Secret
metadata:
  name: web-secret
type: Opaque
stringData:
  password: ${SECRET}
`,
});

async function commitAndPush(
  { work, platform, api, git }: UiPlatform,
  greeting: string,
  message: string,
): Promise<string> {
  for (const [f, text] of Object.entries(manifests(greeting))) writeFileSync(path.join(work, 'app', f), text);
  await git(['add', '-A']);
  await git(['commit', '-q', '-m', message]);
  const u = new URL(`${platform.gitUrl}/ui-config.git`);
  u.username = 'admin';
  u.password = api.token;
  await git(['push', '-q', u.toString(), 'HEAD:main']);
  return git(['rev-parse', 'HEAD']);
}

const template = `apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8srequiredowner
spec:
  crd:
    spec:
      names:
        kind: K8sRequiredOwner
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package k8srequiredowner
        violation[{"msg": msg}] {
          not input.review.object.metadata.labels.owner
          msg := sprintf("%v %v has no owner label", [input.review.object.kind, input.review.object.metadata.name])
        }
`;
const constraint: KubeObject = {
  apiVersion: 'constraints.gatekeeper.sh/v1beta1',
  kind: 'K8sRequiredOwner',
  metadata: { name: 'deployments-need-owner' },
  spec: { enforcementAction: 'dryrun', match: { kinds: [{ apiGroups: ['apps'], kinds: ['Deployment'] }] } },
};

async function pushImage(reg: string): Promise<void> {
  const layer = Buffer.from('not really a tarball, but a blob with a digest');
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2026-01-02T03:04:05Z',
      config: { User: 'app', Env: ['PATH=/usr/bin', 'PORT=8080'], Cmd: ['/app/web'], ExposedPorts: { '8080/tcp': {} } },
      rootfs: { type: 'layers', diff_ids: [`sha256:${createHash('sha256').update(layer).digest('hex')}`] },
      history: [{ created_by: 'COPY web /app/web' }, { created_by: 'USER app', empty_layer: true }],
    }),
  );
  const put = async (blob: Buffer): Promise<string> => {
    const d = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    const r = await fetch(`${reg}/v2/demo/web/blobs/uploads/?digest=${d}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(blob),
    });
    assert.equal(r.status, 201, await r.text());
    return d;
  };
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await put(config), size: config.length },
    layers: [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: await put(layer), size: layer.length },
    ],
  });
  const r = await fetch(`${reg}/v2/demo/web/manifests/v1`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  });
  assert.equal(r.status, 201, await r.text());
}

/** Waits for a condition the platform's own loops settle (bounded polling, not a timing sleep). */
async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const check = (view: string) => ui.check(view);
const text = (testId: string) => ui.page.getByTestId(testId).first();

before(async () => {
  ui = await startUi('e2e', { platform: { resyncMs: 1000, auditIntervalMs: 1000 }, seed });
});

after(async () => {
  await ui?.close();
  const summary = (ui?.axeResults ?? []).map((r) => ({
    view: r.view,
    violations: r.violations.map((v) => `${v.id} (${v.impact}, ${v.nodes})`),
  }));
  writeArtifact('axe.json', JSON.stringify(summary, null, 2));
  console.log(`# axe per view: ${JSON.stringify(summary)}`);
  console.log(`# ui e2e timings (ms): ${JSON.stringify(timings)}`);
});

/** The config repo at its first revision, a dry-run constraint, an image, and the Application. */
async function seed(up: UiPlatform): Promise<void> {
  const { platform, api, kube, work, git } = up;
  appNs = platform.controller?.namespace ?? 'sekisho-gitops';
  // the config repo with the first revision
  await api.call('POST', '/git/repositories', { name: 'ui-config' });
  mkdirSync(path.join(work, 'app'), { recursive: true });
  await git(['init', '-q', '-b', 'main']);
  firstSha = await commitAndPush(up, 'hello', 'first');
  // policies: a dry-run constraint every Deployment here violates, found by the audit
  const { parse } = await import('yaml');
  await kube.create(parse(template) as KubeObject);
  await until('the constraint kind', async () => {
    try {
      await kube.create(constraint);
      return true;
    } catch (e) {
      if ((e as { status?: number }).status === 409) return true;
      return undefined;
    }
  });
  await pushImage(platform.registryUrl);
  await kube.create({
    apiVersion: 'gitops.sekisho.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: APP, namespace: appNs, labels: { team: 'web' } },
    spec: {
      project: 'default',
      source: { repoURL: `${platform.gitUrl}/ui-config.git`, path: 'app', targetRevision: 'main' },
      destination: { server: 'https://kubernetes.default.svc', namespace: APP },
      syncPolicy: { syncOptions: ['CreateNamespace=true'] },
    },
  });
}

test('login: a wrong password is refused with a message, the right one opens the applications', async () => {
  const { page, password } = ui;
  await page.goto('/applications');
  await page.waitForURL(/\/login\?next=/);
  await check('login');
  await screenshot(page, '01-login');
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Wrong user name or password' }).waitFor();
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/\/applications$/);
  await page.getByRole('heading', { name: 'Applications', level: 1 }).waitFor();
});

test('applications: find the app by search and filters, in list and tiles', async () => {
  const { page } = ui;
  await page.getByLabel('Search').fill('guest');
  await page.waitForURL(/search=guest/);
  const link = page.getByRole('link', { name: APP, exact: true });
  await link.waitFor();
  // the controller compares it with git: nothing is deployed yet
  await page
    .locator('[role="row"]')
    .filter({ has: link })
    .getByTestId('sync-status')
    .filter({ hasText: 'OutOfSync' })
    .waitFor({ timeout: 30_000 });
  await check('applications (list)');
  await screenshot(page, '02-applications-list');
  await page.getByLabel('Labels').fill('team=nobody');
  await page.getByText('No application matches these filters.').waitFor();
  await page.getByLabel('Labels').fill('team=web');
  await link.waitFor();
  await page.getByRole('button', { name: 'Tiles' }).click();
  await page.waitForURL(/view=tiles/);
  await page
    .getByRole('listitem')
    .filter({ has: page.getByRole('link', { name: APP }) })
    .waitFor();
  await check('applications (tiles)');
  await screenshot(page, '03-applications-tiles');
  await page.getByRole('link', { name: APP, exact: true }).click();
  await page.waitForURL(new RegExp(`/applications/${appNs}/${APP}$`));
  await page.getByRole('heading', { name: APP, level: 1 }).waitFor();
});

test('application: OutOfSync with its reason, the tree of managed resources, a diff with the Secret masked', async () => {
  const { page } = ui;
  await text('outofsync-reason').filter({ hasText: 'Deployment' }).waitFor();
  await page.getByTestId('resource-tree').waitFor();
  for (const name of ['web', 'web-config', 'web-secret'])
    await page.locator(`[data-testid="resource-tree"] li[data-name="${name}"]`).first().waitFor();
  await check('application: resources');
  await screenshot(page, '04-app-tree-outofsync');
  await page.getByRole('link', { name: 'Diff', exact: true }).click();
  await page.waitForURL(/\/diff/);
  await page.getByRole('link', { name: /Secret web-secret/ }).click();
  await page.getByTestId('diff').waitFor();
  await text('diff-reason').filter({ hasText: 'not in the cluster' }).waitFor();
  const diffText = await page.getByTestId('diff').textContent();
  assert.match(diffText ?? '', /\+{8}/, 'the Secret value is shown masked');
  assert.ok(!(await page.content()).includes(SECRET), 'the Secret value never reaches the page');
  await check('application: diff');
  await screenshot(page, '05-app-diff-secret');
});

test('sync from the dialog: the status changes live, without a reload', async () => {
  const { page } = ui;
  await page.evaluate('window.__sameDocument = true');
  await page.getByRole('button', { name: 'Sync…' }).click();
  const dialog = page.getByRole('dialog', { name: `Sync ${APP}` });
  await dialog.waitFor();
  const deploymentBox = dialog.getByRole('checkbox', { name: /Deployment guestbook\/web/ });
  assert.equal(await deploymentBox.isChecked(), true, 'every resource is selected by default');
  await check('application: sync dialog');
  await screenshot(page, '06-sync-dialog');
  const t0 = Date.now();
  await dialog.getByRole('button', { name: 'Synchronize' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await text('app-sync').filter({ hasText: 'Synced' }).waitFor({ timeout: 30_000 });
  timings.syncToSyncedOnScreen = Date.now() - t0;
  await text('app-health').filter({ hasText: 'Healthy' }).waitFor({ timeout: 30_000 });
  timings.syncToHealthyOnScreen = Date.now() - t0;
  assert.equal(await page.evaluate('window.__sameDocument === true'), true, 'the page was not reloaded');
  await text('app-operation').filter({ hasText: 'Succeeded' }).waitFor();
  // the diff view follows: nothing differs any more
  await page.getByTestId('diff-reason').waitFor({ state: 'detached' });
  await page.getByText('Live and desired state are the same.').waitFor();
  await page.getByRole('link', { name: 'Resources', exact: true }).click();
  // the Deployment's ReplicaSet and Pods hang under it (ownerReferences)
  const deployment = page.locator('[data-testid="resource-tree"] li[data-kind="Deployment"]');
  await deployment.locator('li[data-kind="ReplicaSet"]').first().waitFor({ timeout: 30_000 });
  await deployment.locator('li[data-kind="Pod"]').first().waitFor({ timeout: 30_000 });
  await check('application: resources (synced)');
  await screenshot(page, '07-app-tree-synced');
  // the live Secret: data masked by the server, neither the value nor its base64 on the page
  await page.getByRole('button', { name: 'Live state of Secret guestbook/web-secret' }).click();
  const live = page.getByRole('dialog', { name: 'Secret guestbook/web-secret' });
  await live.getByTestId('live-manifest').waitFor();
  assert.match((await live.getByTestId('live-manifest').textContent()) ?? '', /password: "?\+{8}/);
  const html = await page.content();
  assert.ok(!html.includes(SECRET) && !html.includes(Buffer.from(SECRET).toString('base64')));
  await check('application: live resource dialog');
  await screenshot(page, '07b-live-secret');
  await live.getByRole('button', { name: 'Close' }).click();
  await live.waitFor({ state: 'hidden' });
});

test('a new commit makes the app OutOfSync with a field-level reason; sync again, then roll back', async () => {
  const { page, kube } = ui;
  await commitAndPush(ui, 'bonjour', 'second');
  await text('app-sync').filter({ hasText: 'OutOfSync' }).waitFor({ timeout: 30_000 });
  await page.getByRole('link', { name: 'Diff', exact: true }).click();
  await page.getByRole('link', { name: /ConfigMap web-config/ }).click();
  await text('diff-reason').filter({ hasText: 'data.greeting' }).waitFor();
  const diffText = (await page.getByTestId('diff').textContent()) ?? '';
  assert.match(diffText, /greeting: hello/);
  assert.match(diffText, /greeting: bonjour/);
  await screenshot(page, '08-app-diff-configmap');
  // a dry run of the ConfigMap alone reports success and changes nothing
  await page.getByRole('button', { name: 'Sync…' }).click();
  const dry = page.getByRole('dialog', { name: `Sync ${APP}` });
  await dry.getByRole('checkbox', { name: 'Dry run' }).check();
  await dry.getByRole('checkbox', { name: /^All/ }).uncheck();
  await dry.getByRole('checkbox', { name: /ConfigMap guestbook\/web-config/ }).check();
  await dry.getByRole('button', { name: 'Dry run' }).click();
  await text('app-operation')
    .filter({ hasText: /dry run\s*Succeeded/ })
    .waitFor({ timeout: 30_000 });
  await text('app-sync').filter({ hasText: 'OutOfSync' }).waitFor();
  const cm = await kube.get('v1', 'ConfigMap', 'web-config', APP);
  assert.equal((cm.data as Record<string, string>).greeting, 'hello', 'a dry run changes nothing');
  await page.getByRole('button', { name: 'Sync…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Synchronize' }).click();
  await text('app-sync').filter({ hasText: 'Synced' }).waitFor({ timeout: 30_000 });
  await page.getByRole('link', { name: 'History', exact: true }).click();
  await until('two deployments in the history', async () =>
    (await page.getByTestId('history-row').count()) >= 2 ? true : undefined,
  );
  await check('application: history');
  await screenshot(page, '09-app-history');
  const first = page.getByTestId('history-row').filter({ hasText: firstSha.slice(0, 8) });
  await first.getByRole('button', { name: /Roll back/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Roll back' });
  await check('application: rollback dialog');
  await dialog.getByRole('button', { name: 'Roll back' }).click();
  await page.getByRole('status').filter({ hasText: 'Rollback to revision' }).waitFor();
  // the first revision is live again: the app is behind git (OutOfSync) and the ConfigMap says hello
  await text('app-sync').filter({ hasText: 'OutOfSync' }).waitFor({ timeout: 30_000 });
  await until('the ConfigMap back at the first revision', async () => {
    const cm = await kube.get('v1', 'ConfigMap', 'web-config', APP).catch(() => undefined);
    return (cm?.data as Record<string, string> | undefined)?.greeting === 'hello' ? true : undefined;
  });
  await until('three deployments in the history', async () =>
    (await page.getByTestId('history-row').count()) >= 3 ? true : undefined,
  );
  await screenshot(page, '10-app-rolled-back');
  await page.getByRole('link', { name: 'Events', exact: true }).click();
  await page.getByRole('heading', { name: 'Conditions' }).waitFor();
  await page.getByRole('heading', { name: 'Events' }).waitFor();
  await page.locator('table').or(page.getByText('No events.')).first().waitFor();
  await check('application: events');
  await screenshot(page, '11-app-events');
});

test('policies: the audit violation names the object and links to its application', async () => {
  const { page } = ui;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Policies' }).click();
  await page.waitForURL(/\/policies$/);
  const row = page
    .getByTestId('violations')
    .locator('tr')
    .filter({ hasText: 'Deployment web has no owner label' })
    .first();
  await until('an audit violation in the table', async () => {
    if (await row.isVisible()) return true;
    await page.reload();
    await page.getByRole('heading', { name: 'Policies', level: 1 }).waitFor();
    return undefined;
  });
  assert.equal(await page.getByRole('region', { name: 'Policy violations' }).getByTestId('violations').count(), 1);
  await check('policies: violations');
  await screenshot(page, '12-policies-violations');
  await page.getByRole('link', { name: 'Constraints', exact: true }).click();
  await page.getByRole('cell', { name: 'deployments-need-owner' }).waitFor();
  await check('policies: constraints');
  await page.getByRole('link', { name: 'Templates', exact: true }).click();
  await page.getByRole('cell', { name: 'k8srequiredowner', exact: true }).waitFor();
  await check('policies: templates');
  await page.getByRole('link', { name: 'Violations', exact: true }).click();
  await row.getByRole('link', { name: APP }).click();
  await page.waitForURL(new RegExp(`/applications/${appNs}/${APP}$`));
});

test('images: repository, tag, manifest, config and attachments', async () => {
  const { page } = ui;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Images' }).click();
  await page.getByRole('link', { name: 'demo/web' }).click();
  await page.waitForURL(/\/images\/demo%2Fweb$/);
  await page.getByTestId('tags').getByRole('link', { name: 'v1' }).click();
  await page.getByTestId('manifest').waitFor();
  const cfg = page.getByTestId('image-config');
  await cfg.getByText('linux/amd64').waitFor();
  await cfg.getByText('app', { exact: true }).waitFor();
  await page.getByText('COPY web /app/web').waitFor();
  await page.getByText('Nothing attached').waitFor();
  await check('images: manifest');
  await screenshot(page, '13-images');
});

test('user menu: API tokens, dark theme, logout', async () => {
  const { page } = ui;
  await page.getByRole('button', { name: /admin/ }).click();
  await page.getByRole('menuitem', { name: 'API tokens' }).click();
  await page.waitForURL(/\/tokens$/);
  await page.getByLabel('Name').fill('ci pipeline');
  await page.getByRole('button', { name: 'Create token' }).click();
  assert.match((await text('new-token').textContent()) ?? '', /^skt_/);
  await page.getByRole('cell', { name: 'ci pipeline', exact: true }).waitFor();
  // the shared table: a scrollable region named after it, a row per token with its revoke button
  await page
    .getByRole('region', { name: 'Your tokens' })
    .getByRole('row')
    .filter({ hasText: 'ci pipeline' })
    .getByRole('button', { name: 'Revoke ci pipeline' })
    .waitFor();
  await check('tokens');
  await screenshot(page, '14-tokens');
  // dark theme: the same views keep their contrast
  await page.getByRole('button', { name: /admin/ }).click();
  await page.getByRole('menuitem', { name: 'Dark theme' }).click();
  await page.keyboard.press('Escape');
  assert.equal(await page.evaluate('document.documentElement.dataset.theme'), 'dark');
  await check('tokens (dark)');
  await page.goto('/applications');
  await page.getByRole('link', { name: APP, exact: true }).waitFor();
  await check('applications (dark)');
  await screenshot(page, '15-applications-dark');
  await page.goto(`/applications/${appNs}/${APP}/diff`);
  await page.getByTestId('diff').waitFor();
  await check('application: diff (dark)');
  await screenshot(page, '16-app-diff-dark');
  await page.goto('/policies');
  await page.getByTestId('violations').waitFor();
  await check('policies (dark)');
  await page.goto('/pipelines');
  await page.getByText('No pipeline runs').waitFor();
  await check('pipelines (dark)');
  await page.goto('/nowhere');
  await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  // keyboard: the skip link comes first and lands on the content; the user menu works with keys alone
  await page.goto('/applications');
  await page.getByRole('link', { name: APP, exact: true }).waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate('document.activeElement.textContent'), 'Skip to content');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate('document.activeElement.id'), 'main');
  const menuButton = page.getByRole('button', { name: /admin/ });
  await menuButton.focus();
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate('document.activeElement.textContent'), 'API tokens');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate('document.activeElement.textContent'), 'Light theme');
  await page.keyboard.press('Escape');
  await page.getByRole('menu').waitFor({ state: 'detached' });
  assert.equal(await menuButton.getAttribute('aria-expanded'), 'false');
  assert.equal(await page.evaluate('document.activeElement.getAttribute("aria-haspopup")'), 'menu');
  // a phone-sized screen: the navigation becomes a bar, the application view stacks
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`/applications/${appNs}/${APP}`);
  await page.getByTestId('resource-tree').waitFor();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Images' }).waitFor();
  await check('application (phone, dark)');
  await screenshot(page, '17-app-phone-dark');
  await page.setViewportSize({ width: 1280, height: 800 });
  // log out: back to the login view, and the API refuses the old session
  await page.getByRole('button', { name: /admin/ }).click();
  await page.getByRole('menuitem', { name: 'Log out' }).click();
  await page.waitForURL(/\/login/);
  const r = await page.evaluate('fetch("/api/v1/session").then((r) => r.status)');
  assert.equal(r, 401);
});
