// One suite for every ChangeRequest store (files under the data dir; ChangeRequest objects in the sandbox
// cluster through its API), and the CRDs accepted by the cluster with a Pipeline and PipelineRun in it.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KubeClient } from '../../src/kube/index.ts';
import {
  API_VERSION,
  FileChangeRequestStore,
  builtinSteps,
  kubeRunRecorder,
  parsePipeline,
  runPipeline,
  KubeChangeRequestStore,
  changeRequestCrd,
  pipelineCrd,
  pipelineRunCrd,
  type ChangeRequest,
  type ChangeRequestStore,
} from '../../src/pipeline/index.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'sekisho-crstore-'));
let sb: Sandbox;
let client: KubeClient;

before(async () => {
  sb = await startSandbox({ dataDir: join(dir, 'cluster'), durability: 'normal' });
  client = await KubeClient.fromKubeconfig({ path: sb.kubeconfigPath });
  for (const crd of [pipelineCrd(), pipelineRunCrd(), changeRequestCrd()]) await client.create(crd);
  await client.discover(true);
});
after(async () => {
  client.close();
  await sb.close();
  rmSync(dir, { recursive: true, force: true });
});

function cr(name: string): ChangeRequest {
  return {
    apiVersion: API_VERSION,
    kind: 'ChangeRequest',
    metadata: { name, creationTimestamp: '2026-01-01T00:00:00Z', labels: { 'ci.sekisho.dev/promote': 'true' } },
    spec: {
      repo: '/srv/config.git',
      base: 'main',
      head: `sekisho/${name}`,
      title: `Promote ${name}`,
      description: 'Image: web',
      images: [{ name: 'web', image: 'reg/web@sha256:' + '0'.repeat(64) }],
      paths: ['apps/web'],
    },
    status: {
      phase: 'Open',
      headCommit: 'a'.repeat(40),
      baseCommit: 'b'.repeat(40),
      changedFiles: ['apps/web/kustomization.yaml'],
      approvals: [],
      policy: {
        result: 'Failed',
        commit: 'a'.repeat(40),
        checkedAt: '2026-01-01T00:00:00Z',
        files: ['apps/web'],
        results: [{ level: 'failure', file: 'apps/web/deploy.yaml', line: 3, message: 'no', namespace: 'main' }],
      },
    },
  };
}

const stores: Array<[string, () => ChangeRequestStore]> = [
  ['file', () => new FileChangeRequestStore(mkdtempSync(join(dir, 'files-')))],
  ['cluster', () => new KubeChangeRequestStore(client, 'default')],
];

for (const [kind, make] of stores) {
  test(`${kind} store: create, get, list, update status, duplicates refused, missing is undefined`, async () => {
    const s = make();
    assert.equal(await s.get('promote-none'), undefined);
    await s.create(cr('promote-a'));
    await s.create(cr('promote-b'));
    await assert.rejects(s.create(cr('promote-a')));
    const got = (await s.get('promote-a'))!;
    assert.equal(got.spec.head, 'sekisho/promote-a');
    assert.equal(got.status?.policy?.results[0]?.line, 3);
    got.status!.approvals.push({ by: 'alice', at: '2026-01-02T00:00:00Z' });
    got.status!.phase = 'Merged';
    await s.update(got);
    const again = (await s.get('promote-a'))!;
    assert.equal(again.status?.phase, 'Merged');
    assert.deepEqual(
      again.status?.approvals.map((a) => a.by),
      ['alice'],
    );
    assert.deepEqual((await s.list()).map((c) => c.metadata.name).sort(), ['promote-a', 'promote-b']);
    await assert.rejects(s.update(cr('promote-zzz')), /no change request promote-zzz/);
  });
}

test('the cluster accepts Pipeline and PipelineRun objects under the CRDs', async () => {
  const example = parse(
    readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'pipeline', 'sekisho-pipeline.yaml'), 'utf8'),
  ) as ChangeRequest;
  const p = await client.create({
    ...example,
    metadata: { ...example.metadata, namespace: 'default' },
  } as unknown as Parameters<KubeClient['create']>[0]);
  assert.equal(p.kind, 'Pipeline');
  const run = await client.create({
    apiVersion: API_VERSION,
    kind: 'PipelineRun',
    metadata: { name: 'web-1', namespace: 'default' },
    spec: { pipelineRef: { name: 'web' }, params: { image: 'x' } },
  });
  await client.replace(
    { ...run, status: { phase: 'Succeeded', steps: [{ id: 'build', phase: 'Succeeded' }] } },
    { subresource: 'status' },
  );
  const back = await client.get(API_VERSION, 'PipelineRun', 'web-1', 'default');
  assert.equal((back.status as { phase: string }).phase, 'Succeeded');
});

test('a run mirrored into the cluster: the PipelineRun object carries the final status', async () => {
  const ws = mkdtempSync(join(dir, 'ws-'));
  const text =
    'apiVersion: ci.sekisho.dev/v1alpha1\nkind: Pipeline\nmetadata:\n  name: mirrored\nspec:\n  steps:\n' +
    '    - id: a\n      run: echo a\n    - id: b\n      needs: a\n      run: exit 2\n';
  const run = await runPipeline({
    loaded: parsePipeline(text, join(ws, 'p.yaml')),
    workspace: ws,
    runId: 'mirrored-1',
    services: {
      registry: () => {
        throw new Error('no registry');
      },
      env: { PATH: process.env.PATH },
      now: () => new Date(),
    },
    handlers: builtinSteps(),
    onRecord: kubeRunRecorder(client, 'default', (e) => assert.fail(String(e))),
  });
  assert.equal(run.status.phase, 'Failed');
  const obj = (await client.get(API_VERSION, 'PipelineRun', 'mirrored-1', 'default')) as unknown as {
    spec: { pipelineRef: { name: string } };
    status: { phase: string; steps: Array<{ id: string; phase: string; exitCode?: number }> };
  };
  assert.equal(obj.spec.pipelineRef.name, 'mirrored');
  assert.equal(obj.status.phase, 'Failed');
  assert.deepEqual(
    obj.status.steps.map((s) => [s.id, s.phase, s.exitCode]),
    [
      ['a', 'Succeeded', 0],
      ['b', 'Failed', 2],
    ],
  );
});
