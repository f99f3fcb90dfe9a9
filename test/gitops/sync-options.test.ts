// End-to-end: the sync options RespectIgnoreDifferences and FailOnSharedResource, and custom health
// checks in Rego from the ConfigMap sekisho-cm, against the sandbox.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startController, type Controller } from '../../src/gitops/index.ts';
import { application, configMap, Repo, startEnv, waitApp, type Env } from './helpers.ts';

const IN_CLUSTER = 'https://kubernetes.default.svc';

describe('gitops sync options against the sandbox', () => {
  let env: Env;
  let ctl: Controller;

  before(async () => {
    env = await startEnv();
    ctl = await startController({
      client: env.client,
      dataDir: join(env.dir, 'controller'),
      resync: 1000,
      waitTimeoutMs: 20_000,
    });
  });
  after(async () => {
    await ctl?.close();
    await env?.close();
  });

  it('RespectIgnoreDifferences=true keeps the live value of ignored fields on sync', async () => {
    const repo = new Repo(env.dir, 'respect');
    repo.write('cm.yaml', configMap('settings', { color: 'blue', size: 's' }));
    const rev1 = repo.commit('first');
    const ns = ctl.namespace;
    await env.client.create(
      application('respect', ns, {
        project: 'default',
        source: { repoURL: repo.url, path: '.', targetRevision: 'main' },
        destination: { server: IN_CLUSTER, namespace: 'respect' },
        ignoreDifferences: [{ kind: 'ConfigMap', jsonPointers: ['/data/size'], jqPathExpressions: ['.data.extra'] }],
        syncPolicy: {
          automated: {},
          syncOptions: ['CreateNamespace=true', 'RespectIgnoreDifferences=true'],
        },
      }),
    );
    await waitApp(
      env.client,
      ns,
      'respect',
      (a) => a.status?.operationState?.phase === 'Succeeded' && a.status.sync?.revision === rev1,
      'first sync',
    );
    // someone else changes the ignored fields (as an HPA would change replicas)
    await env.client.patch('v1', 'ConfigMap', 'settings', 'respect', { data: { size: 'xl', extra: 'e' } }, 'merge', {
      fieldManager: 'kubectl-edit',
    });
    repo.write('cm.yaml', configMap('settings', { color: 'green', size: 's', extra: 'from-git' }));
    const rev2 = repo.commit('second');
    ctl.refresh(ns, 'respect');
    await waitApp(
      env.client,
      ns,
      'respect',
      (a) => a.status?.operationState?.phase === 'Succeeded' && a.status.operationState.syncResult?.revision === rev2,
      'second sync',
    );
    const cm = await env.client.get('v1', 'ConfigMap', 'settings', 'respect');
    assert.deepEqual(cm.data, { color: 'green', size: 'xl', extra: 'e' });
    // the ignored fields differ from git, and the app is still in sync
    await waitApp(
      env.client,
      ns,
      'respect',
      (a) => a.status?.sync?.status === 'Synced' && a.status.sync.revision === rev2,
      'synced after the second sync',
    );
  });

  it('RespectIgnoreDifferences=true keeps live values selected by jq iteration/select and owned by managedFieldsManagers', async () => {
    const ns = ctl.namespace;
    const repo = new Repo(env.dir, 'respect-jq');
    const manifest = (main: string, sidecar: string, team: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    example.com/team: ${team}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: main
        image: ${main}
      - name: sidecar
        image: ${sidecar}
`;
    repo.write('web.yaml', manifest('nginx:1.25', 'envoy:1.0', 'blue', 1));
    const rev1 = repo.commit('first');
    await env.client.create(
      application('respect-jq', ns, {
        project: 'default',
        source: { repoURL: repo.url, path: '.', targetRevision: 'main' },
        destination: { server: IN_CLUSTER, namespace: 'respect-jq' },
        ignoreDifferences: [
          {
            group: 'apps',
            kind: 'Deployment',
            jqPathExpressions: [
              '.spec.template.spec.containers[] | select(.name == "sidecar") | .image',
              '.metadata.annotations["example.com/team"]',
            ],
            managedFieldsManagers: ['autoscaler'],
          },
        ],
        syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true', 'RespectIgnoreDifferences=true'] },
      }),
    );
    await waitApp(
      env.client,
      ns,
      'respect-jq',
      (a) => a.status?.operationState?.phase === 'Succeeded' && a.status.sync?.revision === rev1,
      'first sync',
    );
    // an injector changes the sidecar image and the team annotation; an autoscaler owns replicas
    await env.client.patch(
      'apps/v1',
      'Deployment',
      'web',
      'respect-jq',
      {
        metadata: { annotations: { 'example.com/team': 'green' } },
        spec: {
          template: {
            spec: {
              containers: [
                { name: 'main', image: 'nginx:1.25' },
                { name: 'sidecar', image: 'envoy:2.0' },
              ],
            },
          },
        },
      },
      'merge',
      { fieldManager: 'injector' },
    );
    await env.client.apply(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'respect-jq' },
        spec: { replicas: 3 },
      },
      { fieldManager: 'autoscaler', force: true },
    );
    repo.write('web.yaml', manifest('nginx:1.26', 'envoy:1.1', 'red', 2));
    const rev2 = repo.commit('second');
    ctl.refresh(ns, 'respect-jq');
    await waitApp(
      env.client,
      ns,
      'respect-jq',
      (a) => a.status?.operationState?.phase === 'Succeeded' && a.status.operationState.syncResult?.revision === rev2,
      'second sync',
    );
    const d = await env.client.get('apps/v1', 'Deployment', 'web', 'respect-jq');
    const spec = d.spec as { replicas: number; template: { spec: { containers: { name: string; image: string }[] } } };
    assert.deepEqual(
      spec.template.spec.containers.map((c) => [c.name, c.image]),
      [
        ['main', 'nginx:1.26'],
        ['sidecar', 'envoy:2.0'],
      ],
    );
    assert.equal(d.metadata.annotations?.['example.com/team'], 'green');
    assert.equal(spec.replicas, 3);
    await waitApp(
      env.client,
      ns,
      'respect-jq',
      (a) => a.status?.sync?.status === 'Synced' && a.status.sync.revision === rev2,
      'synced after the second sync',
    );
  });

  it('FailOnSharedResource=true fails the sync when another app tracks a resource', async () => {
    const ns = ctl.namespace;
    const a = new Repo(env.dir, 'owner');
    a.write('cm.yaml', configMap('common', { from: 'owner' }));
    a.commit('owner');
    await env.client.create(
      application('owner', ns, {
        project: 'default',
        source: { repoURL: a.url, path: '.', targetRevision: 'main' },
        destination: { server: IN_CLUSTER, namespace: 'shared' },
        syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] },
      }),
    );
    await waitApp(env.client, ns, 'owner', (x) => x.status?.operationState?.phase === 'Succeeded', 'owner synced');

    const b = new Repo(env.dir, 'intruder');
    b.write('cm.yaml', configMap('common', { from: 'intruder' }));
    b.write('own.yaml', configMap('own', { x: '1' }));
    b.commit('intruder');
    await env.client.create(
      application('intruder', ns, {
        project: 'default',
        source: { repoURL: b.url, path: '.', targetRevision: 'main' },
        destination: { server: IN_CLUSTER, namespace: 'shared' },
        syncPolicy: { automated: {}, syncOptions: ['FailOnSharedResource=true'] },
      }),
    );
    const app = await waitApp(
      env.client,
      ns,
      'intruder',
      (x) => x.status?.operationState?.phase === 'Failed',
      'intruder sync fails',
    );
    assert.match(
      app.status!.operationState!.message!,
      /shared resource found \(FailOnSharedResource=true\): \/ConfigMap shared\/common is already managed by application owner/,
    );
    const cm = await env.client.get('v1', 'ConfigMap', 'common', 'shared');
    assert.deepEqual(cm.data, { from: 'owner' });
    assert.equal(cm.metadata.annotations?.['argocd.argoproj.io/tracking-id'], 'owner:/ConfigMap:shared/common');
    // nothing of the failed operation was written
    await assert.rejects(env.client.get('v1', 'ConfigMap', 'own', 'shared'));
  });

  it('takes custom health checks in Rego from the ConfigMap sekisho-cm', async () => {
    const ns = ctl.namespace;
    await env.client.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'sekisho-cm', namespace: ns },
      data: {
        'resource.customizations.health._ConfigMap': [
          'package health',
          'status := "Degraded" if input.data.state == "broken"',
          'status := "Healthy" if input.data.state == "ok"',
          'message := sprintf("probe %s says %s", [input.metadata.name, input.data.state]) if status == "Degraded"',
        ].join('\n'),
      },
    });
    const repo = new Repo(env.dir, 'custom-health');
    repo.write('cm.yaml', configMap('probe', { state: 'broken' }));
    repo.commit('broken');
    await env.client.create(
      application('custom-health', ns, {
        project: 'default',
        source: { repoURL: repo.url, path: '.', targetRevision: 'main' },
        destination: { server: IN_CLUSTER, namespace: 'custom-health' },
        syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] },
      }),
    );
    let app = await waitApp(
      env.client,
      ns,
      'custom-health',
      (a) => a.status?.health?.status === 'Degraded',
      'Degraded by the custom check',
    );
    assert.equal(app.status?.health?.message, 'probe probe says broken');
    assert.deepEqual(app.status?.resources?.find((r) => r.name === 'probe')?.health, {
      status: 'Degraded',
      message: 'probe probe says broken',
    });
    repo.write('cm.yaml', configMap('probe', { state: 'ok' }));
    const rev2 = repo.commit('ok');
    ctl.refresh(ns, 'custom-health');
    app = await waitApp(
      env.client,
      ns,
      'custom-health',
      (a) =>
        a.status?.sync?.revision === rev2 && a.status.sync.status === 'Synced' && a.status.health?.status === 'Healthy',
      'Healthy by the custom check',
    );
    assert.equal(app.status?.resources?.find((r) => r.name === 'probe')?.health?.status, 'Healthy');
  });
});
