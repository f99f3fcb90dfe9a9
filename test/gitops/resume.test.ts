// Fault: the controller process is killed (SIGKILL) in the middle of a sync with waves and a hook,
// restarted on the same state, and the operation resumes and finishes without duplicating anything.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import type { KubeObject } from '../../src/kube/index.ts';
import { application, configMap, Repo, startEnv, waitApp, type Env } from './helpers.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sekisho.js');
const NS = 'sekisho-gitops';
let env: Env;
let ctl: ChildProcess | undefined;

async function startCtl(): Promise<ChildProcess> {
  const c = spawn(
    process.execPath,
    [
      BIN,
      'controller',
      '--kubeconfig',
      env.sandbox.kubeconfigPath,
      '--resync',
      '1s',
      '--listen',
      '127.0.0.1:0',
      '--data-dir',
      join(env.dir, 'ctl'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: c.stdout! }).once('line', resolve);
    c.once('exit', (code) => reject(new Error(`controller exited with ${code}: ${stderr}`)));
  });
  assert.match(first, /^listening on /);
  return c;
}

/** Polls the cluster until `pred` holds (a condition wait; fails after `ms`). */
async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(100);
  }
}

const configMaps = async (ns: string): Promise<KubeObject[]> =>
  (await env.client.list('v1', 'ConfigMap', { namespace: ns })).items;

before(async () => {
  env = await startEnv();
  // wave 1's "gate" stays Progressing until it carries the label ready=yes (set by the test, not git)
  await env.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await env.client.create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'sekisho-cm', namespace: NS },
    data: {
      'resource.customizations.health._ConfigMap': [
        'package health',
        'status := "Healthy" if { input.metadata.name == "gate"; input.metadata.labels.ready == "yes" }',
        'status := "Progressing" if { input.metadata.name == "gate"; not input.metadata.labels.ready }',
        'message := "waiting for the ready label" if status == "Progressing"',
      ].join('\n'),
    },
  });
});
after(async () => {
  if (ctl && ctl.exitCode === null) {
    ctl.kill('SIGTERM');
    await new Promise((r) => ctl!.once('exit', r));
  }
  await env?.close();
});

test('a controller killed during a sync resumes the operation on restart', async () => {
  const repo = new Repo(env.dir, 'resume');
  repo.write(
    'hook.yaml',
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: pre-\n  annotations:\n' +
      '    argocd.argoproj.io/hook: PreSync\n    argocd.argoproj.io/hook-delete-policy: HookFailed\ndata:\n  x: "1"\n',
  );
  repo.write('first.yaml', configMap('first', { wave: '0' }, { 'argocd.argoproj.io/sync-wave': '0' }));
  repo.write('gate.yaml', configMap('gate', { wave: '1' }, { 'argocd.argoproj.io/sync-wave': '1' }));
  repo.write('last.yaml', configMap('last', { wave: '2' }, { 'argocd.argoproj.io/sync-wave': '2' }));
  const rev = repo.commit('waves');
  ctl = await startCtl();
  await env.client.create(
    application('resume', NS, {
      project: 'default',
      source: { repoURL: repo.url, path: '.', targetRevision: 'main' },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'resume' },
      syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] },
    }),
  );
  // mid-sync: wave 1 applied and waited on, wave 2 not yet applied
  await until('wave 1 applied', async () =>
    (await configMaps('resume')).some((c) => c.metadata.name === 'gate') ? true : undefined,
  );
  const running = await waitApp(
    env.client,
    NS,
    'resume',
    (a) => a.status?.operationState?.phase === 'Running',
    'running',
  );
  assert.ok(!(await configMaps('resume')).some((c) => c.metadata.name === 'last'), 'wave 2 waits for wave 1');
  ctl.kill('SIGKILL');
  await new Promise((r) => ctl!.once('exit', r));

  ctl = await startCtl();
  await env.client.patch('v1', 'ConfigMap', 'gate', 'resume', { metadata: { labels: { ready: 'yes' } } }, 'merge', {
    fieldManager: 'test',
  });
  const app = await waitApp(
    env.client,
    NS,
    'resume',
    (a) =>
      a.status?.operationState?.phase === 'Succeeded' &&
      a.status.sync?.status === 'Synced' &&
      a.status.sync.revision === rev &&
      a.status.health?.status === 'Healthy',
    'resumed sync finishes',
  );
  // the same operation, resumed: started before the kill, one history entry
  assert.equal(app.status!.operationState!.startedAt, running.status!.operationState!.startedAt);
  assert.equal(app.status!.history?.length, 1);
  // no duplicates, nothing half-applied
  const cms = (await configMaps('resume')).filter((c) => c.metadata.name !== 'kube-root-ca.crt');
  const hooks = cms.filter((c) => c.metadata.name!.startsWith('pre-'));
  assert.equal(hooks.length, 1, `one PreSync hook, got ${hooks.map((h) => h.metadata.name).join(', ')}`);
  assert.deepEqual(
    cms
      .filter((c) => !c.metadata.name!.startsWith('pre-'))
      .map((c) => [c.metadata.name, c.data, c.metadata.annotations?.['argocd.argoproj.io/tracking-id']])
      .sort(),
    [
      ['first', { wave: '0' }, 'resume:/ConfigMap:resume/first'],
      ['gate', { wave: '1' }, 'resume:/ConfigMap:resume/gate'],
      ['last', { wave: '2' }, 'resume:/ConfigMap:resume/last'],
    ],
  );
  const results = app.status!.operationState!.syncResult!.resources!;
  assert.deepEqual(results.map((r) => r.name).sort(), [hooks[0]!.metadata.name, 'first', 'gate', 'last'].sort());
});
