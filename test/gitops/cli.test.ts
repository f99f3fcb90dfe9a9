// The CLI end to end: `sekisho controller` as a process against the sandbox, driven by `sekisho app`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { configMap, Repo, startEnv, type Env } from './helpers.ts';
import { API_VERSION } from '../../src/gitops/index.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sekisho.js');
let env: Env;
let ctl: ChildProcess;
let url = '';

function sekisho(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args, '--kubeconfig', env.sandbox.kubeconfigPath],
      { timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

before(async () => {
  env = await startEnv();
  ctl = spawn(
    process.execPath,
    [
      BIN,
      'controller',
      '--kubeconfig',
      env.sandbox.kubeconfigPath,
      '--resync',
      '30s',
      '--listen',
      '127.0.0.1:0',
      '--data-dir',
      join(env.dir, 'ctl'),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  ctl.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: ctl.stdout! }).once('line', resolve);
    ctl.once('exit', (c) => reject(new Error(`controller exited with ${c}: ${stderr}`)));
  });
  assert.match(first, /^listening on http:\/\/127\.0\.0\.1:\d+$/);
  url = first.slice('listening on '.length);
});
after(async () => {
  ctl?.kill('SIGTERM');
  if (ctl && ctl.exitCode === null) await new Promise((r) => ctl.once('exit', r));
  await env?.close();
});

test('app create, sync, wait, history, diff, webhook refresh, delete', async () => {
  const repo = new Repo(env.dir, 'cli');
  repo.write('k8s/cm.yaml', configMap('cli-cm', { v: '1' }));
  const rev1 = repo.commit('one');
  let r = await sekisho(
    'app',
    'create',
    'cli',
    '--repo',
    repo.url,
    '--path',
    'k8s',
    '--revision',
    'main',
    '--dest-namespace',
    'cli',
    '--sync-option',
    'CreateNamespace=true',
  );
  assert.equal(r.code, 0, r.stderr);
  r = await sekisho('app', 'wait', 'cli', '--operation', '--timeout', '30', '-o', 'json');
  assert.equal(r.code, 0, r.stderr);
  r = await sekisho('app', 'diff', 'cli');
  assert.equal(r.code, 1, 'a diff before the first sync');
  assert.match(r.stdout, /ConfigMap cli\/cli-cm/);
  r = await sekisho('app', 'sync', 'cli', '-o', 'json');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).status.operationState.phase, 'Succeeded');
  r = await sekisho('app', 'diff', 'cli');
  assert.equal(r.code, 0, `no diff after sync: ${r.stdout}`);

  // a push webhook (GitHub payload) triggers a refresh without waiting for the 30 s poll
  repo.write('k8s/cm.yaml', configMap('cli-cm', { v: '2' }));
  const rev2 = repo.commit('two');
  const res = await fetch(url + '/api/webhook', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': 'push' },
    body: JSON.stringify({ ref: 'refs/heads/main', repository: { clone_url: repo.url } }),
  });
  assert.deepEqual(await res.json(), { refreshed: 1 });
  r = await sekisho('app', 'sync', 'cli', '-o', 'json');
  assert.equal(JSON.parse(r.stdout).status.operationState.syncResult.revision, rev2);
  r = await sekisho('app', 'history', 'cli', '-o', 'json');
  assert.deepEqual(
    JSON.parse(r.stdout).map((h: { revision: string }) => h.revision),
    [rev1, rev2],
  );
  r = await sekisho('app', 'rollback', 'cli', '-o', 'json');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).status.operationState.syncResult.revision, rev1);
  r = await sekisho('app', 'get', 'nope');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /gitops_not_found: application "nope" not found/);
  r = await sekisho('app', 'delete', 'cli');
  assert.equal(r.code, 0, r.stderr);
  // cascading delete: the controller removes the ConfigMap, then the finalizer (watched, not polled)
  const deadline = Date.now() + 30_000;
  for (;;) {
    const cur = await env.client.get(API_VERSION, 'Application', 'cli', 'sekisho-gitops').catch(() => undefined);
    if (!cur) break;
    assert.ok(Date.now() < deadline, 'the app is gone within 30 s');
    for await (const ev of env.client.watch(API_VERSION, 'Application', {
      namespace: 'sekisho-gitops',
      resourceVersion: cur.metadata.resourceVersion!,
      timeoutSeconds: 2,
    }))
      if (ev.type === 'DELETED') break;
  }
  await assert.rejects(env.client.get('v1', 'ConfigMap', 'cli-cm', 'cli'));
});
