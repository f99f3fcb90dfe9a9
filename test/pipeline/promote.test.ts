// Promotion against a real (bare) config repo with the git CLI: branch + ChangeRequest + policy check on the
// kustomize render, idempotent re-runs, approve/merge (a real merge), conflicts reported with nothing
// half-merged, policy failures with file and line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  FileChangeRequestStore,
  approveChangeRequest,
  mergeChangeRequest,
  parseImageUpdate,
  promote,
  PipelineError,
} from '../../src/pipeline/index.ts';
import { git, tempDir } from './helpers.ts';

const D1 = 'sha256:' + '1a'.repeat(32);
const D2 = 'sha256:' + '2b'.repeat(32);

/** A bare config repo with a kustomize app, plain manifests, a values file and a policy. */
function configRepo(root: string): { bare: string; edit: string } {
  const edit = join(root, 'edit');
  mkdirSync(join(edit, 'apps', 'web'), { recursive: true });
  mkdirSync(join(edit, 'apps', 'plain'), { recursive: true });
  mkdirSync(join(edit, 'charts', 'web'), { recursive: true });
  mkdirSync(join(edit, 'policy'), { recursive: true });
  const deploy = (replicas: number, image: string) =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: ${replicas}\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: ${image}\n`;
  writeFileSync(join(edit, 'apps', 'web', 'deploy.yaml'), deploy(2, 'reg.local/web'));
  writeFileSync(
    join(edit, 'apps', 'web', 'kustomization.yaml'),
    'resources:\n  - deploy.yaml\nimages:\n  - name: reg.local/web\n    newTag: "1.0"\n',
  );
  writeFileSync(join(edit, 'apps', 'plain', 'deploy.yaml'), deploy(9, 'reg.local/web:1.0'));
  writeFileSync(join(edit, 'charts', 'web', 'values.yaml'), 'image:\n  repository: reg.local/web\n  tag: "1.0"\n');
  writeFileSync(
    join(edit, 'policy', 'deploy.rego'),
    'package main\n\ndeny contains msg if {\n  input.kind == "Deployment"\n  some c in input.spec.template.spec.containers\n  not contains(c.image, "@sha256:")\n  msg := sprintf("%s: image %s is not pinned by digest", [c.name, c.image])\n}\n\ndeny contains msg if {\n  input.kind == "Deployment"\n  input.spec.replicas > 5\n  msg := sprintf("%s: %d replicas is more than 5", [input.metadata.name, input.spec.replicas])\n}\n',
  );
  git(root, 'init', '-q', '-b', 'main', edit);
  git(edit, 'add', '-A');
  git(edit, 'commit', '-q', '-m', 'initial');
  const bare = join(root, 'config.git');
  git(root, 'clone', '-q', '--bare', edit, bare);
  git(edit, 'remote', 'add', 'up', bare);
  return { bare, edit };
}

test('promote: branch + change request with a passing policy check; idempotent; approve and merge', async (t) => {
  const root = tempDir(t, 'promote');
  const { bare } = configRepo(root);
  const dataDir = join(root, 'data');
  const store = new FileChangeRequestStore(join(dataDir, 'changerequests'));
  const opts = {
    repo: bare,
    path: 'apps/web',
    images: [parseImageUpdate(`reg.local/web=127.0.0.1:5000/team/web@${D1}`)],
    dataDir,
    store,
    run: 'web-20260101-000000-abc123',
  };
  const first = await promote(opts);
  assert.equal(first.outcome, 'created');
  assert.equal(first.branch, `sekisho/promote-web-${D1.slice(7, 19)}`);
  assert.deepEqual(first.files, ['apps/web/kustomization.yaml']);
  const cr = first.changeRequest!;
  assert.equal(cr.kind, 'ChangeRequest');
  assert.equal(cr.status?.phase, 'Open');
  assert.equal(cr.status?.policy?.result, 'Passed', JSON.stringify(cr.status?.policy));
  assert.deepEqual(cr.status?.policy?.files, ['apps/web (kustomize render)']);
  // the branch is in the config repo, with the digest and a message linking the run
  const onBranch = git(bare, 'show', `${first.branch}:apps/web/kustomization.yaml`);
  assert.match(onBranch, new RegExp(`digest: ${D1}`));
  assert.match(onBranch, /newName: 127\.0\.0\.1:5000\/team\/web/);
  assert.doesNotMatch(onBranch, /newTag/);
  assert.match(git(bare, 'log', '-1', '--format=%B', first.branch), /Pipeline-Run: web-20260101-000000-abc123/);

  // re-running changes nothing: same branch commit, one change request
  const again = await promote(opts);
  assert.equal(again.outcome, 'unchanged');
  assert.equal(again.commit, first.commit);
  assert.equal((await store.list()).length, 1);
  assert.equal(git(bare, 'for-each-ref', '--format=%(refname)', 'refs/heads/sekisho').split('\n').length, 1);

  await approveChangeRequest(store, cr.metadata.name, 'alice');
  const merged = await mergeChangeRequest(cr.metadata.name, { store, dataDir, requiredApprovals: 1 });
  assert.equal(merged.status?.phase, 'Merged');
  assert.equal(git(bare, 'rev-parse', 'main'), merged.status?.mergeCommit);
  assert.match(git(bare, 'show', 'main:apps/web/kustomization.yaml'), new RegExp(D1));
  assert.equal(git(bare, 'rev-list', '--count', 'main'), '3'); // initial, promote, merge commit
  // promoting the same digest again: already there
  const done = await promote(opts);
  assert.equal(done.outcome, 'up-to-date');
});

test('promote: a policy failure is recorded with file and line, and merge refuses it', async (t) => {
  const root = tempDir(t, 'promote-policy');
  const { bare } = configRepo(root);
  const dataDir = join(root, 'data');
  const store = new FileChangeRequestStore(join(dataDir, 'changerequests'));
  const r = await promote({
    repo: bare,
    path: 'apps/plain',
    images: [parseImageUpdate(`reg.local/web=reg.local/web@${D1}`)],
    dataDir,
    store,
  });
  const p = r.changeRequest!.status!.policy!;
  assert.equal(p.result, 'Failed');
  assert.deepEqual(
    p.results.map((x) => [x.level, x.file, x.line, x.message]),
    [['failure', 'apps/plain/deploy.yaml', 1, 'web: 9 replicas is more than 5']],
  );
  await assert.rejects(
    mergeChangeRequest(r.changeRequest!.metadata.name, { store, dataDir }),
    /policy check Failed: apps\/plain\/deploy\.yaml:1: web: 9 replicas/,
  );
  assert.equal((await store.get(r.changeRequest!.metadata.name))!.status!.phase, 'Open');
  // a values file promotion
  const h = await promote({
    repo: bare,
    path: 'charts/web',
    valuesFile: 'values.yaml',
    images: [parseImageUpdate(`reg.local/web=reg.local/web@${D2}`)],
    dataDir,
    store,
  });
  const values = git(bare, 'show', `${h.branch}:charts/web/values.yaml`);
  assert.match(values, new RegExp(`digest: ${D2}`));
  assert.match(values, /repository: reg.local\/web/);
  await assert.rejects(
    promote({
      repo: bare,
      path: 'apps/plain',
      images: [parseImageUpdate(`reg.local/nothere=x@${D2}`)],
      dataDir,
      store,
    }),
    (e: unknown) => e instanceof PipelineError && e.code === 'promote_no_target',
  );
});

test('merge conflict: reported with the files, the CR stays open, the base is untouched', async (t) => {
  const root = tempDir(t, 'promote-conflict');
  const { bare, edit } = configRepo(root);
  const dataDir = join(root, 'data');
  const store = new FileChangeRequestStore(join(dataDir, 'changerequests'));
  const r = await promote({
    repo: bare,
    path: 'apps/web',
    images: [parseImageUpdate(`reg.local/web=reg.local/web@${D1}`)],
    dataDir,
    store,
  });
  // someone else changes the same lines on main meanwhile
  writeFileSync(
    join(edit, 'apps', 'web', 'kustomization.yaml'),
    'resources:\n  - deploy.yaml\nimages:\n  - name: reg.local/web\n    newTag: "2.0"\n',
  );
  git(edit, 'commit', '-q', '-am', 'bump tag by hand');
  git(edit, 'push', '-q', 'up', 'main');
  const mainBefore = git(bare, 'rev-parse', 'main');
  await assert.rejects(
    mergeChangeRequest(r.changeRequest!.metadata.name, { store, dataDir }),
    (e: unknown) =>
      e instanceof PipelineError && e.code === 'cr_merge_conflict' && /apps\/web\/kustomization\.yaml/.test(e.message),
  );
  assert.equal(git(bare, 'rev-parse', 'main'), mainBefore);
  const cr = (await store.get(r.changeRequest!.metadata.name))!;
  assert.equal(cr.status!.phase, 'Open');
  assert.deepEqual(cr.status!.conflicts, ['apps/web/kustomization.yaml']);
  // the work clone is left clean, not mid-merge
  const work = join(dataDir, 'promote', 'repos');
  const dirs = readdirSync(work);
  const status = git(join(work, dirs[0]!), 'status', '--porcelain');
  assert.equal(status, '');
  // re-promoting rebases the branch on the new main; then the merge goes through
  const again = await promote({
    repo: bare,
    path: 'apps/web',
    images: [parseImageUpdate(`reg.local/web=reg.local/web@${D1}`)],
    dataDir,
    store,
  });
  assert.equal(again.outcome, 'updated');
  const merged = await mergeChangeRequest(r.changeRequest!.metadata.name, { store, dataDir });
  assert.equal(merged.status!.phase, 'Merged');
  assert.equal(merged.status!.conflicts, undefined);
});

test('two paths of one promotion at once: one branch and one change request with both changes', async (t) => {
  const root = tempDir(t, 'promote-parallel');
  const { bare } = configRepo(root);
  const dataDir = join(root, 'data');
  const store = new FileChangeRequestStore(join(dataDir, 'changerequests'));
  const image = parseImageUpdate(`reg.local/web=reg.local/web@${D2}`);
  const [a, b] = await Promise.all([
    promote({ repo: bare, path: 'apps/web', images: [image], dataDir, store }),
    promote({ repo: bare, path: 'charts/web', valuesFile: 'values.yaml', images: [image], dataDir, store }),
  ]);
  assert.equal(a.branch, b.branch);
  const crs = await store.list();
  assert.equal(crs.length, 1);
  assert.deepEqual([...crs[0]!.spec.paths].sort(), ['apps/web', 'charts/web']);
  assert.deepEqual([...crs[0]!.status!.changedFiles].sort(), ['apps/web/kustomization.yaml', 'charts/web/values.yaml']);
  assert.match(git(bare, 'show', `${a.branch}:apps/web/kustomization.yaml`), new RegExp(D2));
  assert.match(git(bare, 'show', `${a.branch}:charts/web/values.yaml`), new RegExp(D2));
});

test('promote: the policy check reads data files (conftest --data), on the change request and at merge', async (t) => {
  const root = tempDir(t, 'promote-data');
  const { bare } = configRepo(root);
  const dataDir = join(root, 'data');
  const store = new FileChangeRequestStore(join(dataDir, 'changerequests'));
  const policy = join(root, 'registries');
  mkdirSync(policy);
  writeFileSync(
    join(policy, 'registries.rego'),
    'package main\n\ndeny contains msg if {\n  input.kind == "Deployment"\n  some c in input.spec.template.spec.containers\n  not startswith(c.image, data.registries.allowed)\n  msg := sprintf("%s: %s is not from %s", [c.name, c.image, data.registries.allowed])\n}\n',
  );
  const allowed = join(root, 'allowed.yaml');
  writeFileSync(allowed, 'registries:\n  allowed: "127.0.0.1:5000/"\n');
  const other = join(root, 'other.yaml');
  writeFileSync(other, 'registries:\n  allowed: "ghcr.io/"\n');
  const opts = {
    repo: bare,
    path: 'apps/web',
    images: [parseImageUpdate(`reg.local/web=127.0.0.1:5000/team/web@${D1}`)],
    dataDir,
    store,
    policy: [policy],
  };
  const ok = await promote({ ...opts, data: [allowed] });
  assert.equal(ok.changeRequest!.status!.policy!.result, 'Passed', JSON.stringify(ok.changeRequest!.status!.policy));
  assert.deepEqual(ok.changeRequest!.spec.policy!.data, [allowed]);
  const bad = await promote({
    ...opts,
    images: [parseImageUpdate(`reg.local/web=127.0.0.1:5000/team/web@${D2}`)],
    data: [other],
  });
  const p = bad.changeRequest!.status!.policy!;
  assert.equal(p.result, 'Failed');
  assert.match(p.results[0]!.message, /web: 127\.0\.0\.1:5000\/team\/web@sha256:(2b)+ is not from ghcr\.io\//);
  await assert.rejects(mergeChangeRequest(bad.changeRequest!.metadata.name, { store, dataDir }), /policy check Failed/);
  const merged = await mergeChangeRequest(ok.changeRequest!.metadata.name, { store, dataDir });
  assert.equal(merged.status?.phase, 'Merged');
});
