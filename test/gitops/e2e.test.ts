// End-to-end: the controller against the sandbox cluster with real git repositories in temp dirs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  startController,
  spawnRunner,
  API_VERSION,
  type Application,
  type Controller,
} from '../../src/gitops/index.ts';
import { application, configMap, deployment, getOrUndefined, Repo, startEnv, waitApp, type Env } from './helpers.ts';

const RESYNC_MS = 1500;
const IN_CLUSTER = 'https://kubernetes.default.svc';

describe('gitops controller against the sandbox', () => {
  let env: Env;
  let ctl: Controller;
  const figures: Record<string, number> = {};

  before(async () => {
    env = await startEnv();
    // Argo CD's documented example repository, served from a local repo by git's own URL rewriting
    const examples = new Repo(env.dir, 'argocd-example-apps');
    examples.write(
      'guestbook/guestbook-ui-deployment.yaml',
      deployment('guestbook-ui', 'gcr.io/heptio-images/ks-guestbook-demo:0.2'),
    );
    examples.write(
      'guestbook/guestbook-ui-svc.yaml',
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: guestbook-ui\nspec:\n  ports:\n  - port: 80\n    targetPort: 80\n  selector:\n    app: guestbook-ui\n',
    );
    examples.commit('guestbook');
    ctl = await startController({
      client: env.client,
      dataDir: join(env.dir, 'controller'),
      resync: RESYNC_MS,
      waitTimeoutMs: 20_000,
      run: (cmd, args, o = {}) =>
        spawnRunner(cmd, args, {
          ...o,
          env: {
            ...(o.env ?? {}),
            GIT_CONFIG_COUNT: '1',
            GIT_CONFIG_KEY_0: `url.${examples.url}.insteadOf`,
            GIT_CONFIG_VALUE_0: 'https://github.com/argoproj/argocd-example-apps.git',
          },
        }),
    });
  });
  after(async () => {
    await ctl?.close();
    await env?.close();
    process.stdout.write(`# gitops e2e figures (ms): ${JSON.stringify(figures)}\n`);
  });

  it('syncs a new commit within one refresh, reverts drift (self-heal) and prunes a removed manifest', async () => {
    const repo = new Repo(env.dir, 'auto');
    repo.write('app/cm.yaml', configMap('settings', { color: 'blue' }));
    repo.write('app/extra.yaml', configMap('extra', { x: '1' }));
    repo.write('app/web.yaml', deployment('web', 'nginx:1.25'));
    const rev1 = repo.commit('first');
    const ns = ctl.namespace;
    let t = Date.now();
    await env.client.create(
      application('auto', ns, {
        project: 'default',
        source: { repoURL: repo.url, path: 'app', targetRevision: 'main' },
        destination: { server: IN_CLUSTER, namespace: 'auto' },
        syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
      }),
    );
    let app = await waitApp(
      env.client,
      ns,
      'auto',
      (a) =>
        a.status?.sync?.revision === rev1 && a.status.sync.status === 'Synced' && a.status.health?.status === 'Healthy',
      'first sync',
    );
    figures.firstSyncHealthy = Date.now() - t;
    assert.equal(app.status?.operationState?.phase, 'Succeeded');
    const cm = await env.client.get('v1', 'ConfigMap', 'settings', 'auto');
    assert.equal((cm.data as Record<string, string>).color, 'blue');
    assert.equal(cm.metadata.annotations?.['argocd.argoproj.io/tracking-id'], 'auto:/ConfigMap:auto/settings');
    assert.ok(cm.metadata.managedFields?.some((m) => m.manager === 'sekisho-controller' && m.operation === 'Apply'));

    // a new commit: picked up by polling (no refresh asked for)
    repo.write('app/cm.yaml', configMap('settings', { color: 'green' }));
    const rev2 = repo.commit('green');
    t = Date.now();
    app = await waitApp(
      env.client,
      ns,
      'auto',
      (a) =>
        a.status?.sync?.revision === rev2 &&
        a.status.operationState?.syncResult?.revision === rev2 &&
        a.status.operationState.phase === 'Succeeded',
      'second commit synced',
    );
    figures.commitToSynced = Date.now() - t;
    assert.ok(
      figures.commitToSynced < RESYNC_MS * 1.1 + 3000,
      `synced within one refresh period (took ${figures.commitToSynced} ms)`,
    );
    assert.equal(
      ((await env.client.get('v1', 'ConfigMap', 'settings', 'auto')).data as Record<string, string>).color,
      'green',
    );

    // drift, as `kubectl edit` makes it (an Update by another manager)
    t = Date.now();
    await env.client.patch('v1', 'ConfigMap', 'settings', 'auto', { data: { color: 'red' } }, 'merge', {
      fieldManager: 'kubectl-edit',
    });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const live = await env.client.get('v1', 'ConfigMap', 'settings', 'auto');
      if ((live.data as Record<string, string>).color === 'green') break;
      assert.ok(Date.now() < deadline, 'self-heal reverted the drift within 20 s');
      await waitApp(env.client, ns, 'auto', () => true, 'any change', 5000).catch(() => undefined);
      for await (const _ of env.client.watch('v1', 'ConfigMap', {
        namespace: 'auto',
        fieldSelector: 'metadata.name=settings',
        resourceVersion: live.metadata.resourceVersion!,
        timeoutSeconds: 2,
      }))
        break;
    }
    figures.driftReverted = Date.now() - t;

    // a removed manifest is pruned
    repo.remove('app/extra.yaml');
    const rev3 = repo.commit('remove extra');
    ctl.refresh(ns, 'auto');
    app = await waitApp(
      env.client,
      ns,
      'auto',
      (a) =>
        a.status?.operationState?.syncResult?.revision === rev3 &&
        a.status.operationState.phase === 'Succeeded' &&
        a.status.sync?.status === 'Synced',
      'prune',
    );
    assert.ok(
      app.status?.operationState?.syncResult?.resources?.some((r) => r.name === 'extra' && r.status === 'Pruned'),
    );
    assert.equal(await getOrUndefined(env.client, 'v1', 'ConfigMap', 'extra', 'auto'), undefined);
    assert.ok(!app.status?.resources?.some((r) => r.name === 'extra'));
  });

  it('runs hooks and waves in order and deletes succeeded hooks', async () => {
    const repo = new Repo(env.dir, 'waves');
    const job = (name: string, hook: string, policy?: string) =>
      `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: ${name}\n  annotations:\n    argocd.argoproj.io/hook: ${hook}\n${policy ? `    argocd.argoproj.io/hook-delete-policy: ${policy}\n` : ''}spec:\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: run\n        image: busybox\n        command: [sh, -c, "true"]\n`;
    repo.write('m/pre.yaml', job('migrate', 'PreSync', 'HookSucceeded'));
    repo.write('m/post.yaml', job('smoke', 'PostSync'));
    repo.write('m/a.yaml', configMap('first', { w: '-1' }, { 'argocd.argoproj.io/sync-wave': '-1' }));
    repo.write('m/b.yaml', deployment('middle', 'nginx:1', { wave: 0 }));
    repo.write('m/c.yaml', configMap('last', { w: '5' }, { 'argocd.argoproj.io/sync-wave': '5' }));
    repo.write('m/ns.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: waves\n');
    const rev = repo.commit('waves');
    const ns = ctl.namespace;
    await env.client.create(
      application('waves', ns, {
        project: 'default',
        source: { repoURL: repo.url, path: 'm' },
        destination: { server: IN_CLUSTER, namespace: 'waves' },
        // the PreSync hook runs before the Namespace manifest (Sync phase) is applied
        syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] },
      }),
    );
    const app = await waitApp(
      env.client,
      ns,
      'waves',
      (a) => a.status?.operationState?.syncResult?.revision === rev && a.status.operationState.phase !== 'Running',
      'sync with hooks',
    );
    assert.equal(app.status?.operationState?.phase, 'Succeeded', app.status?.operationState?.message);
    const order = app.status!.operationState!.syncResult!.resources!.map((r) => r.name);
    assert.deepEqual(order, ['migrate', 'first', 'waves', 'middle', 'last', 'smoke']);
    const hooks = app.status!.operationState!.syncResult!.resources!.filter((r) => r.hookType);
    assert.deepEqual(
      hooks.map((r) => [r.name, r.hookType, r.hookPhase]),
      [
        ['migrate', 'PreSync', 'Succeeded'],
        ['smoke', 'PostSync', 'Succeeded'],
      ],
    );
    assert.equal(
      await getOrUndefined(env.client, 'batch/v1', 'Job', 'migrate', 'waves'),
      undefined,
      'HookSucceeded deleted the PreSync job',
    );
    assert.ok(
      await getOrUndefined(env.client, 'batch/v1', 'Job', 'smoke', 'waves'),
      'the PostSync job without policy is kept',
    );
  });

  it('fails the sync on a bad manifest with a clear message and keeps earlier waves applied', async () => {
    const repo = new Repo(env.dir, 'bad');
    repo.write('m/ok.yaml', configMap('early', { ok: 'yes' }, { 'argocd.argoproj.io/sync-wave': '0' }));
    repo.write(
      'm/bad.yaml',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: broken\n  annotations:\n    argocd.argoproj.io/sync-wave: "1"\nspec:\n  replicas: 1\n  replicaz: 2\n  selector:\n    matchLabels: {app: broken}\n  template:\n    metadata:\n      labels: {app: broken}\n    spec:\n      containers:\n      - name: c\n        image: nginx\n',
    );
    repo.write('m/later.yaml', configMap('later', { ok: 'no' }, { 'argocd.argoproj.io/sync-wave': '2' }));
    repo.commit('bad');
    const ns = ctl.namespace;
    await env.client.create(
      application('bad', ns, {
        project: 'default',
        source: { repoURL: repo.url, path: 'm' },
        destination: { server: IN_CLUSTER, namespace: 'bad' },
        syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] },
      }),
    );
    const app = await waitApp(
      env.client,
      ns,
      'bad',
      (a) => !!a.status?.operationState && a.status.operationState.phase !== 'Running',
      'failed sync',
    );
    const st = app.status!.operationState!;
    assert.equal(st.phase, 'Failed');
    assert.match(st.message ?? '', /one or more objects failed to apply, reason: .*replicaz/);
    const failed = st.syncResult!.resources!.find((r) => r.name === 'broken');
    assert.equal(failed?.status, 'SyncFailed');
    assert.ok(await getOrUndefined(env.client, 'v1', 'ConfigMap', 'early', 'bad'), 'wave 0 stays applied');
    assert.equal(await getOrUndefined(env.client, 'v1', 'ConfigMap', 'later', 'bad'), undefined, 'wave 2 never ran');
    assert.ok(app.status?.conditions?.some((c) => c.type === 'SyncError'));
  });

  it('keeps history and rolls back to an earlier revision', async () => {
    const repo = new Repo(env.dir, 'manual');
    repo.write('cm.yaml', configMap('version', { v: '1' }));
    const rev1 = repo.commit('v1');
    const ns = ctl.namespace;
    await env.client.create(
      application('manual', ns, {
        project: 'default',
        source: { repoURL: repo.url, targetRevision: 'main', path: '.' },
        destination: { server: IN_CLUSTER, namespace: 'manual' },
        syncPolicy: { syncOptions: ['CreateNamespace=true'] },
      }),
    );
    await waitApp(
      env.client,
      ns,
      'manual',
      (a) => a.status?.sync?.status === 'OutOfSync',
      'compared, not synced (no automation)',
    );
    const sync = async (revision?: string) => {
      await env.client.patch(
        API_VERSION,
        'Application',
        'manual',
        ns,
        { operation: { sync: { ...(revision ? { revision } : {}) }, initiatedBy: { username: 'test' } } },
        'merge',
      );
      return waitApp(
        env.client,
        ns,
        'manual',
        (a) =>
          !a.operation &&
          a.status?.operationState?.phase === 'Succeeded' &&
          (!revision || a.status.operationState.syncResult?.revision === revision),
        'manual sync',
      );
    };
    await sync();
    repo.write('cm.yaml', configMap('version', { v: '2' }));
    const rev2 = repo.commit('v2');
    ctl.refresh(ns, 'manual');
    await waitApp(env.client, ns, 'manual', (a) => a.status?.sync?.revision === rev2, 'sees v2');
    let app = await sync(rev2);
    assert.deepEqual(
      app.status!.history!.map((h) => h.revision),
      [rev1, rev2],
    );
    assert.equal(
      ((await env.client.get('v1', 'ConfigMap', 'version', 'manual')).data as Record<string, string>).v,
      '2',
    );
    // rollback: sync the revision of history id 0
    app = await sync(app.status!.history![0]!.revision);
    assert.equal(
      ((await env.client.get('v1', 'ConfigMap', 'version', 'manual')).data as Record<string, string>).v,
      '1',
    );
    assert.deepEqual(
      app.status!.history!.map((h) => [h.id, h.revision]),
      [
        [0, rev1],
        [1, rev2],
        [2, rev1],
      ],
    );
    app = await waitApp(
      env.client,
      ns,
      'manual',
      (a) => a.status?.sync?.status === 'OutOfSync' && a.status.sync.revision === rev2,
      'rolled-back app is OutOfSync with HEAD',
    );
    assert.equal(app.status?.sync?.revision, rev2);
  });

  it("syncs an Application from Argo CD's documentation imported unchanged", async () => {
    const { importArgoApplication } = await import('../../src/gitops/index.ts');
    // https://argo-cd.readthedocs.io/en/stable/operator-manual/declarative-setup/#applications
    const doc = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/argoproj/argocd-example-apps.git
    targetRevision: HEAD
    path: guestbook
  destination:
    server: https://kubernetes.default.svc
    namespace: guestbook
  syncPolicy:
    automated: {}
    syncOptions:
    - CreateNamespace=true
`;
    const [obj] = importArgoApplication(doc, 'guestbook.yaml', { controllerNamespace: ctl.namespace });
    assert.ok(obj);
    await env.client.create(obj);
    const app = await waitApp(
      env.client,
      ctl.namespace,
      'guestbook',
      (a: Application) => a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy',
      'guestbook synced',
    );
    assert.deepEqual(
      app.status!.resources!.map((r) => `${r.kind}/${r.name}`),
      ['Deployment/guestbook-ui', 'Service/guestbook-ui'],
    );
  });

  it('marks an unreachable git remote as a ComparisonError and keeps the last synced state', async () => {
    const { renameSync } = await import('node:fs');
    const repo = new Repo(env.dir, 'flaky');
    repo.write('cm.yaml', configMap('kept', { v: '1' }));
    const rev = repo.commit('one');
    const ns = ctl.namespace;
    await env.client.create(
      application('flaky', ns, {
        project: 'default',
        source: { repoURL: repo.url, path: '.' },
        destination: { server: IN_CLUSTER, namespace: 'flaky' },
        syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
      }),
    );
    await waitApp(
      env.client,
      ns,
      'flaky',
      (a) => a.status?.sync?.status === 'Synced' && a.status.sync.revision === rev,
      'synced',
    );
    renameSync(repo.dir, repo.dir + '.gone');
    try {
      await env.client.patch(
        API_VERSION,
        'Application',
        'flaky',
        ns,
        { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'hard' } } },
        'merge',
      );
      const app = await waitApp(
        env.client,
        ns,
        'flaky',
        (a) => !!a.status?.conditions?.some((c) => c.type === 'ComparisonError'),
        'ComparisonError',
      );
      assert.match(
        app.status!.conditions!.find((c) => c.type === 'ComparisonError')!.message,
        /git ls-remote .*flaky.* failed/,
      );
      assert.equal(
        app.metadata.annotations?.['argocd.argoproj.io/refresh'],
        undefined,
        'the refresh annotation is consumed',
      );
      assert.ok(await getOrUndefined(env.client, 'v1', 'ConfigMap', 'kept', 'flaky'), 'the synced state stays');
    } finally {
      renameSync(repo.dir + '.gone', repo.dir);
    }
  });
});
