// Project scoping of reads: image repositories, pipeline runs and change requests, for callers bound to one
// project (viewer-a: team-a, dev-b: team-b), to every project (viewer) and admins. The rules
// (src/server/routes/scope.ts, docs/platform.md): a change request is in the projects of the Applications
// deploying the repo paths it changes; a run in those of the change requests it opened; a repository in
// those of the Applications whose status.summary.images name an image from it and of the change requests
// promoting one; an object of no project is visible to every authenticated user. Another project's object
// is "not found" (404) and left out of lists and of the CI event stream.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { KubeObject } from '../../src/kube/index.ts';
import { API_VERSION, CI_NAMESPACE } from '../../src/pipeline/index.ts';
import { installCiCrds } from '../support/ci-crds.ts';
import { app, startFixture, type Fixture, type Who } from './api-fixture.ts';

let f: Fixture;
let ci = '';
const CONFIG = 'http://127.0.0.1:9/git/config.git';
const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function image(repo: string, tag: string): Promise<string> {
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
  );
  const cd = sha(config);
  await f.storage.putBlob(repo, cd, Readable.from([config]), config.length);
  const m = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cd, size: config.length },
      layers: [],
    }),
  );
  const digest = sha(m);
  await f.storage.putManifest(repo, { digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', bytes: m }, tag);
  return digest;
}

async function putApp(name: string, project: string, path: string, images: string[]) {
  const a = app(name, project);
  (a.spec as { source: { repoURL: string; path: string } }).source = { repoURL: CONFIG, path };
  a.status = { summary: { images } };
  await f.kube.create(a);
}

async function putRun(name: string, startTime: string) {
  const created = await f.kube.create({
    apiVersion: API_VERSION,
    kind: 'PipelineRun',
    metadata: { name, namespace: CI_NAMESPACE, labels: { 'ci.sekisho.dev/pipeline': 'app' } },
    spec: { pipelineRef: { name: 'app' }, pipelineFile: join(ci, 'none.yaml'), params: {}, workspace: ci },
  } as KubeObject);
  await f.kube.replace({ ...created, status: { phase: 'Running', startTime, steps: [] } } as KubeObject, {
    subresource: 'status',
  });
}

async function putCr(name: string, paths: string[], images: string[], run?: string) {
  await f.kube.create({
    apiVersion: API_VERSION,
    kind: 'ChangeRequest',
    metadata: { name, namespace: CI_NAMESPACE },
    spec: {
      repo: CONFIG,
      base: 'main',
      head: `promote/${name}`,
      title: name,
      description: '',
      images: images.map((image) => ({ name: 'app', image })),
      paths,
      ...(run ? { pipelineRun: run } : {}),
    },
  } as KubeObject);
}

before(async () => {
  ci = mkdtempSync(join(tmpdir(), 'sekisho-api-scope-ci-'));
  f = await startFixture({ ciDir: ci });
  await installCiCrds(f.kube);
  await image('team-a/web', 'v1');
  await image('team-b/api', 'v1');
  await image('free/tool', 'v1');
  // team-a deploys team-a/web (reported by its Application); team-b's image is known only from a promotion
  await putApp('web-a', 'team-a', 'apps/a', ['127.0.0.1:5000/team-a/web:v1']);
  await putApp('api-b', 'team-b', 'apps/b/', []);
  // the API server's Application cache follows a watch: wait until it holds both
  for (let end = Date.now() + 15_000; ;) {
    const r = await f.call('GET', '/api/v1/applications', { as: 'admin' });
    if (r.body.total === 2) break;
    if (Date.now() > end) throw new Error(`the Application cache did not fill: ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
  await putRun('run-a', '2026-11-26T10:00:00Z');
  await putRun('run-b', '2026-11-26T11:00:00Z');
  await putRun('run-free', '2026-11-26T12:00:00Z');
  await putCr('cr-a', ['apps/a/deployment.yaml'], ['127.0.0.1:5000/team-a/web@sha256:' + 'a'.repeat(64)], 'run-a');
  await putCr('cr-b', ['apps/b'], ['127.0.0.1:5000/team-b/api:v2'], 'run-b');
  await putCr('cr-free', ['docs'], []);
});

after(async () => {
  await f?.close();
  rmSync(ci, { recursive: true, force: true });
});

async function names(path: string, as: Who, key = 'name'): Promise<string[]> {
  const r = await f.call('GET', path, { as });
  assert.equal(r.status, 200, `${path} as ${as}: ${JSON.stringify(r.body)}`);
  await f.validate('GET', path, r);
  return (r.body.items as Record<string, string>[]).map((x) => x[key]!).sort();
}

test('change requests: a viewer of team-a lists and reads team-a and project-less ones; team-b is not found', async () => {
  assert.deepEqual(await names('/api/v1/changerequests', 'viewerA'), ['cr-a', 'cr-free']);
  assert.deepEqual(await names('/api/v1/changerequests', 'devB'), ['cr-b', 'cr-free']);
  assert.deepEqual(await names('/api/v1/changerequests', 'viewer'), ['cr-a', 'cr-b', 'cr-free']);
  assert.deepEqual(await names('/api/v1/changerequests', 'admin'), ['cr-a', 'cr-b', 'cr-free']);
  const hidden = await f.call('GET', '/api/v1/changerequests/cr-b', { as: 'viewerA' });
  assert.equal(hidden.status, 404);
  assert.equal(hidden.body.error.code, 'server_not_found');
  assert.equal(hidden.body.error.message, 'change request cr-b not found', 'the same answer as a missing one');
  assert.equal(
    (await f.call('GET', '/api/v1/changerequests/nope', { as: 'viewerA' })).body.error.message,
    'change request nope not found',
  );
  for (const [who, name, projects] of [
    ['viewerA', 'cr-a', ['team-a']],
    ['viewerA', 'cr-free', []],
    ['devB', 'cr-b', ['team-b']],
    ['viewer', 'cr-b', ['team-b']],
  ] as const) {
    const r = await f.call('GET', `/api/v1/changerequests/${name}`, { as: who });
    assert.equal(r.status, 200, `${who} ${name}: ${JSON.stringify(r.body)}`);
    assert.deepEqual(r.body.projects, projects);
    await f.validate('GET', `/api/v1/changerequests/${name}`, r);
  }
  // the actions keep their own rule: every project the change touches (403 naming it)
  const act = await f.call('POST', '/api/v1/changerequests/cr-b/approve', { as: 'devA' });
  assert.equal(act.status, 403);
  assert.match(act.body.error.message, /team-b/);
});

test('pipeline runs: visible through the change requests they opened; a run that opened none is visible to all', async () => {
  assert.deepEqual(await names('/api/v1/pipelineruns', 'viewerA'), ['run-a', 'run-free']);
  assert.deepEqual(await names('/api/v1/pipelineruns', 'devB'), ['run-b', 'run-free']);
  assert.deepEqual(await names('/api/v1/pipelineruns', 'admin'), ['run-a', 'run-b', 'run-free']);
  const list = await f.call('GET', '/api/v1/pipelineruns', { as: 'viewerA' });
  assert.equal(list.body.total, 2, 'the total counts only visible runs');
  for (const path of ['/api/v1/pipelineruns/run-b', '/api/v1/pipelineruns/run-b/steps/build/log']) {
    const r = await f.call('GET', path, { as: 'viewerA' });
    assert.equal(r.status, 404, path);
    assert.equal(r.body.error.message, 'pipeline run run-b not found');
  }
  const a = await f.call('GET', '/api/v1/pipelineruns/run-a', { as: 'viewerA' });
  assert.equal(a.status, 200);
  assert.deepEqual(a.body.changeRequests, ['cr-a']);
  assert.equal((await f.call('GET', '/api/v1/pipelineruns/run-b', { as: 'viewer' })).status, 200);
  assert.equal((await f.call('GET', '/api/v1/pipelineruns/run-free', { as: 'devB' })).status, 200);
});

test('image repositories: in the projects deploying or promoting their images; others not found', async () => {
  const all = ['demo/app', 'free/tool', 'team-a/web', 'team-b/api'];
  assert.deepEqual(await names('/api/v1/registry/repositories', 'admin'), all);
  assert.deepEqual(await names('/api/v1/registry/repositories', 'viewer'), all);
  assert.deepEqual(await names('/api/v1/registry/repositories', 'viewerA'), ['demo/app', 'free/tool', 'team-a/web']);
  assert.deepEqual(await names('/api/v1/registry/repositories', 'devB'), ['demo/app', 'free/tool', 'team-b/api']);
  const b = '/api/v1/registry/repositories/team-b%2Fapi';
  for (const path of [`${b}/tags`, `${b}/manifests/v1`, `${b}/manifests/v1/config`, `${b}/manifests/v1/referrers`]) {
    const r = await f.call('GET', path, { as: 'viewerA' });
    assert.equal(r.status, 404, `${path}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.message, 'repository team-b/api not found');
    assert.equal((await f.call('GET', path, { as: 'devB' })).status, 200, path);
  }
  const tags = await f.call('GET', '/api/v1/registry/repositories/team-a%2Fweb/tags', { as: 'viewerA' });
  assert.deepEqual(
    tags.body.items.map((t: { tag: string }) => t.tag),
    ['v1'],
  );
  assert.equal((await f.call('GET', '/api/v1/registry/repositories/team-a%2Fweb/tags', { as: 'devB' })).status, 404);
  assert.equal((await f.call('GET', '/api/v1/registry/repositories/free%2Ftool/tags', { as: 'devB' })).status, 200);
});

test('ci stream: a viewer of team-a gets the changes of its runs and change requests, not team-b’s', async () => {
  const ac = new AbortController();
  const r = await fetch(`${f.url}/api/v1/ci/stream`, {
    headers: { authorization: `Bearer ${f.tokens.viewerA}` },
    signal: ac.signal,
  });
  assert.equal(r.status, 200);
  const reader = r.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  const until = async (re: RegExp) => {
    while (!re.test(buf)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before ${re}:\n${buf}`);
      buf += dec.decode(value, { stream: true });
    }
  };
  try {
    await until(/event: ready/);
    const touch = async (kind: string, name: string) => {
      const o = await f.kube.get(API_VERSION, kind, name, CI_NAMESPACE);
      o.metadata.labels = { ...(o.metadata.labels ?? {}), touched: 'yes' };
      await f.kube.replace(o);
    };
    // team-b's first, then team-a's: when team-a's arrive, team-b's would have been sent before them
    await touch('PipelineRun', 'run-b');
    await touch('ChangeRequest', 'cr-b');
    await touch('PipelineRun', 'run-a');
    await touch('ChangeRequest', 'cr-a');
    await until(/"name":"run-a"[\s\S]*"name":"cr-a"|"name":"cr-a"[\s\S]*"name":"run-a"/);
    assert.doesNotMatch(buf, /run-b|cr-b/);
  } finally {
    ac.abort();
    await reader.cancel().catch(() => undefined);
  }
});
