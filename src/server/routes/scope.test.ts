import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../kube/index.ts';
import type { ChangeRequest } from '../../pipeline/index.ts';
import { ProjectScope, imageRepository, projectsOf, scopeFilter, visibleTo } from './scope.ts';

const admin = { role: 'admin' as const, projects: ['team-a'] };
const all = { role: 'viewer' as const, projects: ['*'] };
const a = { role: 'viewer' as const, projects: ['team-a'] };
const ab = { role: 'developer' as const, projects: ['team-a', 'team-b'] };

const app = (name: string, project: string, path: string, images: string[] = []): KubeObject => ({
  apiVersion: 'gitops.sekisho.dev/v1alpha1',
  kind: 'Application',
  metadata: { name, namespace: 'sekisho-gitops' },
  spec: { project, source: { repoURL: 'http://127.0.0.1:9/git/config.git', path } },
  status: { summary: { images } },
});
const cr = (name: string, paths: string[], images: string[] = [], pipelineRun?: string): ChangeRequest =>
  ({
    apiVersion: 'ci.sekisho.dev/v1alpha1',
    kind: 'ChangeRequest',
    metadata: { name, namespace: 'sekisho-ci' },
    spec: {
      title: name,
      repo: 'http://127.0.0.1:9/git/config',
      base: 'main',
      head: `promote/${name}`,
      images: images.map((image) => ({ name: 'app', image })),
      paths,
      ...(pipelineRun ? { pipelineRun } : {}),
    },
  }) as unknown as ChangeRequest;

test('visibleTo: admins and "*" see everything; a scoped binding sees its projects and objects of none', () => {
  assert.equal(visibleTo(admin, 'team-b'), true);
  assert.equal(visibleTo(all, ['team-b']), true);
  assert.equal(visibleTo(a, 'team-a'), true);
  assert.equal(visibleTo(a, 'team-b'), false);
  // an object of several projects: one covered project is enough to see it
  assert.equal(visibleTo(a, ['team-b', 'team-a']), true);
  assert.equal(visibleTo(a, ['team-b', 'team-c']), false);
  // project-less: visible by default, hidden when asked
  assert.equal(visibleTo(a, []), true);
  assert.equal(visibleTo(a, null), true);
  assert.equal(visibleTo(a, null, { unowned: 'hidden' }), false);
  assert.equal(visibleTo(admin, null, { unowned: 'hidden' }), true);
});

test('scopeFilter keeps the order and only what the binding covers', () => {
  const items = [
    { n: 1, p: 'team-b' },
    { n: 2, p: 'team-a' },
    { n: 3, p: null },
    { n: 4, p: 'team-c' },
  ];
  assert.deepEqual(
    scopeFilter(a, items, (i) => i.p).map((i) => i.n),
    [2, 3],
  );
  assert.deepEqual(
    scopeFilter(ab, items, (i) => i.p, { unowned: 'hidden' }).map((i) => i.n),
    [1, 2],
  );
  assert.deepEqual(
    scopeFilter(all, items, (i) => i.p, { unowned: 'hidden' }).map((i) => i.n),
    [1, 2, 3, 4],
  );
});

test('imageRepository drops the registry host, the tag and the digest', () => {
  const d = `sha256:${'a'.repeat(64)}`;
  assert.equal(imageRepository(`127.0.0.1:5000/demo/app:v1@${d}`), 'demo/app');
  assert.equal(imageRepository(`127.0.0.1:5000/demo/app@${d}`), 'demo/app');
  assert.equal(imageRepository('registry.example.com/team/web:1.2'), 'team/web');
  assert.equal(imageRepository('localhost/x'), 'x');
  assert.equal(imageRepository('demo/app:v2'), 'demo/app');
  assert.equal(imageRepository('nginx'), 'nginx');
});

test('projectsOf: the projects of the Applications deploying the changed repo paths', () => {
  const apps = [app('web', 'team-a', 'apps/web'), app('api', 'team-b', 'apps/api/'), app('all', 'team-c', '.')];
  assert.deepEqual(projectsOf(cr('x', ['apps/web/deployment.yaml']), apps), ['team-a', 'team-c']);
  assert.deepEqual(projectsOf(cr('y', ['apps/api']), apps), ['team-b', 'team-c']);
  // another repo: no project
  const other = { ...cr('z', ['apps/web']), spec: { ...cr('z', ['apps/web']).spec, repo: 'http://h/other.git' } };
  assert.deepEqual(projectsOf(other as ChangeRequest, apps), []);
});

test('ProjectScope ties runs to the change requests they opened and repositories to deploys and promotions', () => {
  const apps = [
    app('web', 'team-a', 'apps/web', ['127.0.0.1:5000/team-a/web@sha256:' + '1'.repeat(64)]),
    app('api', 'team-b', 'apps/api'),
  ];
  const crs = [
    cr('cr-a', ['apps/web'], [], 'run-a'),
    cr('cr-b', ['apps/api'], ['127.0.0.1:5000/team-b/api:v2'], 'run-b'),
    cr('cr-none', ['elsewhere'], [], 'run-none'),
  ];
  const s = new ProjectScope(a, apps, crs);
  assert.deepEqual(s.runProjectsOf('run-a'), ['team-a']);
  assert.deepEqual(s.runProjectsOf('run-b'), ['team-b']);
  assert.deepEqual(s.runProjectsOf('run-none'), []);
  assert.equal(s.canSeeRun('run-a'), true);
  assert.equal(s.canSeeRun('run-b'), false);
  assert.equal(s.canSeeRun('run-none'), true, 'a run tied to no project is visible');
  assert.equal(s.canSeeRun('never-opened-a-cr'), true);
  assert.equal(s.canSeeChangeRequest(crs[0]!), true);
  assert.equal(s.canSeeChangeRequest(crs[1]!), false);
  assert.equal(s.canSeeChangeRequest(crs[2]!), true);
  assert.deepEqual(s.repositoryProjects('team-a/web'), ['team-a']);
  assert.deepEqual(s.repositoryProjects('team-b/api'), ['team-b']);
  assert.equal(s.canSeeRepository('team-a/web'), true);
  assert.equal(s.canSeeRepository('team-b/api'), false);
  assert.equal(s.canSeeRepository('nobody/uses'), true);
  // the same data, a binding covering both teams or everything
  assert.equal(new ProjectScope(ab, apps, crs).canSeeRepository('team-b/api'), true);
  assert.equal(new ProjectScope(admin, apps, crs).canSeeRun('run-b'), true);
});
