// Unit tests of the engine pieces that need no cluster: task order, globs, rendering, import.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../kube/index.ts';
import { importArgoApplication, planTasks, Renderer, spawnRunner, GitOpsError } from './index.ts';
import { matchGlob } from './render/glob.ts';

const obj = (kind: string, name: string, anns: Record<string, string> = {}, apiVersion = 'v1'): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name, annotations: anns },
});

test('tasks run by phase, then wave, then Argo CD kind order, then name', () => {
  const tasks = planTasks([
    obj('Deployment', 'web', {}, 'apps/v1'),
    obj('Widget', 'w', {}, 'example.com/v1'),
    obj('ConfigMap', 'b'),
    obj('ConfigMap', 'a'),
    obj('Namespace', 'ns'),
    obj('CustomResourceDefinition', 'widgets.example.com', {}, 'apiextensions.k8s.io/v1'),
    obj('Job', 'post', { 'argocd.argoproj.io/hook': 'PostSync' }, 'batch/v1'),
    obj('Job', 'pre', { 'argocd.argoproj.io/hook': 'PreSync' }, 'batch/v1'),
    obj('Service', 'early', { 'argocd.argoproj.io/sync-wave': '-2' }),
    obj('Pod', 'skipped', { 'argocd.argoproj.io/hook': 'Skip' }),
  ]);
  assert.deepEqual(
    tasks.map((t) => `${t.phase}:${t.wave}:${t.obj.kind}/${t.obj.metadata.name}`),
    [
      'PreSync:0:Job/pre',
      'Sync:-2:Service/early',
      'Sync:0:Namespace/ns',
      'Sync:0:ConfigMap/a',
      'Sync:0:ConfigMap/b',
      'Sync:0:CustomResourceDefinition/widgets.example.com',
      'Sync:0:Deployment/web',
      'Sync:0:Widget/w',
      'PostSync:0:Job/post',
    ],
  );
});

test('directory globs: *, **, braces', () => {
  assert.ok(matchGlob('*.yaml', 'a.yaml'));
  assert.ok(matchGlob('*.yaml', 'sub/a.yaml'), 'a pattern without a slash matches base names');
  assert.ok(!matchGlob('*.yaml', 'a.json'));
  assert.ok(matchGlob('{a.yaml,b.yaml}', 'b.yaml'));
  assert.ok(matchGlob('prod/**', 'prod/x/y.yaml'));
  assert.ok(!matchGlob('prod/*', 'dev/x.yaml'));
});

test('directory rendering: recurse, include, exclude, lists, and errors with file:line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-render-'));
  try {
    mkdirSync(join(dir, 'app', 'sub'), { recursive: true });
    writeFileSync(
      join(dir, 'app', 'a.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n',
    );
    writeFileSync(
      join(dir, 'app', 'sub', 'c.json'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'c' } }],
      }),
    );
    writeFileSync(join(dir, 'app', 'skip.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: skip}\n');
    writeFileSync(join(dir, 'app', 'README.md'), '# not a manifest');
    const r = new Renderer({ run: spawnRunner });
    const names = async (directory?: Record<string, unknown>) =>
      (
        await r.render(dir, 'x' + JSON.stringify(directory), {
          repoURL: 'u',
          path: 'app',
          ...(directory ? { directory } : {}),
        })
      ).objects.map((o) => o.metadata.name);
    assert.deepEqual(await names(), ['a', 'b', 'skip']);
    assert.deepEqual(await names({ recurse: true }), ['a', 'b', 'skip', 'c']);
    assert.deepEqual(await names({ recurse: true, exclude: 'skip.yaml' }), ['a', 'b', 'c']);
    assert.deepEqual(await names({ recurse: true, include: '*.json' }), ['c']);
    writeFileSync(join(dir, 'app', 'bad.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n');
    await assert.rejects(
      r.render(dir, 'bad', { repoURL: 'u', path: 'app' }),
      (e: GitOpsError) => e.code === 'gitops_manifest_invalid' && /^app\/bad\.yaml:\d+:\d+: /.test(e.message),
    );
    await assert.rejects(
      r.render(dir, 'y', { repoURL: 'u', path: '../..' }),
      (e: GitOpsError) => e.code === 'gitops_invalid_spec',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('helm charts without helm installed give a clear error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-render-'));
  try {
    writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: c\nversion: 0.1.0\n');
    const r = new Renderer({ run: spawnRunner, helm: join(dir, 'no-such-helm') });
    await assert.rejects(
      r.render(dir, 'h', { repoURL: 'u', path: '.' }),
      (e: GitOpsError) =>
        e.code === 'gitops_helm_not_installed' && /helm binary, which is not installed/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('import keeps the Argo CD spec and moves argocd to the control-plane namespace', () => {
  const [app] = importArgoApplication(
    'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: g\n  namespace: argocd\n  finalizers: [resources-finalizer.argocd.argoproj.io]\nspec:\n  project: default\n  source: {repoURL: r, path: p}\n  destination: {server: https://kubernetes.default.svc, namespace: g}\nstatus: {sync: {status: Synced}}\n',
    'a.yaml',
    { controllerNamespace: 'sekisho-gitops' },
  );
  assert.equal(app!.apiVersion, 'gitops.sekisho.dev/v1alpha1');
  assert.equal(app!.metadata.namespace, 'sekisho-gitops');
  assert.deepEqual(app!.spec, {
    project: 'default',
    source: { repoURL: 'r', path: 'p' },
    destination: { server: 'https://kubernetes.default.svc', namespace: 'g' },
  });
  assert.equal(app!.status, undefined);
  assert.throws(
    () => importArgoApplication('apiVersion: v1\nkind: ConfigMap\n', 'b.yaml', { controllerNamespace: 'x' }),
    /expected an argoproj.io\/v1alpha1 Application/,
  );
});
