// `run` steps as Kubernetes Jobs, against the sandbox cluster with its pod executor (runc): the checkout
// seeded onto a per-run PVC from a registry artifact, a file written by one step read by the step that
// needs it, outputs through the termination message, a failing step skipping its dependants, a timeout
// deleting the Job and killing its pod, no secret value in any Job spec.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeClient } from '../../src/kube/index.ts';
import { jobExecutor, podRuntime } from '../../src/pipeline/runners/index.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { pushFixture } from '../build/fixtures/base-image.ts';
import { startEmbedded } from '../oci/helpers.ts';
import { HEAD, runText, sekisho, services, stepOf, tempDir } from './helpers.ts';

test('run steps as Kubernetes Jobs on the sandbox', async (t) => {
  if (!existsSync('/usr/sbin/runc') && !existsSync('/usr/bin/runc') && !existsSync('/usr/bin/bwrap'))
    throw new Error('runc (or bubblewrap) is required to run Job pods in the sandbox; install the runc package');
  const dir = tempDir(t, 'pipe-jobs');
  const ws = join(dir, 'checkout');
  const reg = await startEmbedded();
  t.after(() => reg.close());
  await pushFixture(reg.host, 'base/busybox', 'latest');
  const image = `${reg.host}/base/busybox:latest`;
  const sb = await startSandbox({ dataDir: join(dir, 'cluster'), executePods: { runtime: podRuntime() } });
  t.after(() => sb.close());
  const client = await KubeClient.fromKubeconfig({ path: sb.kubeconfigPath });
  t.after(() => client.close());
  mkdirSync(ws);
  writeFileSync(join(ws, 'from-checkout.txt'), 'checked-out\n');
  const specs: string[] = [];
  const unsub = sb.cluster.store.subscribe((e) => {
    if (e.res === 'batch/jobs' || e.res === '/pods') specs.push(JSON.stringify(e.obj));
  });
  t.after(unsub);
  const ex = jobExecutor({
    client,
    namespace: 'default',
    runName: 'r1',
    workspaceRepo: `${reg.host}/sekisho/workspaces`,
    seedImage: image,
    pollMs: 50,
  });
  const svc = services({ env: { PATH: process.env.PATH, API_TOKEN: 'tok-very-secret' } });
  svc.executor = ex;
  const r = await runText(
    ws,
    HEAD +
      '  secrets:\n    - name: token\n      secretRef: {env: API_TOKEN}\n' +
      '  steps:\n' +
      `    - id: a\n      image: ${image}\n      env:\n        TOKEN: "\${{ secrets.token }}"\n      run: |\n        cat from-checkout.txt\n        echo made-by-a > shared.txt\n        echo "len=\${#TOKEN}" >> "$SEKISHO_OUTPUT"\n` +
      `    - id: b\n      needs: [a]\n      image: ${image}\n      run: |\n        echo "b read $(cat /workspace/shared.txt)"\n        echo "seen=$(cat shared.txt)" >> "$SEKISHO_OUTPUT"\n` +
      `    - id: fails\n      image: ${image}\n      run: echo about to fail; exit 4\n` +
      `    - id: after-fail\n      needs: [fails]\n      image: ${image}\n      run: echo never\n` +
      `    - id: stuck\n      needs: [a]\n      image: ${image}\n      timeout: 4s\n      run: echo started; sleep 600\n`,
    { services: svc },
  );
  const a = stepOf(r, 'a');
  const log = (s: { logPath: string }) => readFileSync(s.logPath, 'utf8');
  assert.equal(a.phase, 'Succeeded', log(a));
  assert.match(log(a), /checked-out/);
  assert.deepEqual(a.outputs, { len: '15' });
  const b = stepOf(r, 'b');
  assert.equal(b.phase, 'Succeeded', log(b));
  assert.match(log(b), /b read made-by-a/);
  assert.deepEqual(b.outputs, { seen: 'made-by-a' });
  const f = stepOf(r, 'fails');
  assert.equal(f.phase, 'Failed');
  assert.equal(f.exitCode, 4);
  assert.match(log(f), /about to fail/);
  assert.equal(stepOf(r, 'after-fail').phase, 'Skipped');
  const stuck = stepOf(r, 'stuck');
  assert.equal(stuck.phase, 'Failed');
  assert.match(stuck.message!, /timed out/);
  assert.match(log(stuck), /started/, 'the pod log is followed into the step log while the step runs');
  assert.equal(r.status.phase, 'Failed');
  // once cleanup is done, every step Job and its pod are gone (Foreground deletion), nothing of them runs
  await ex.cleanup();
  await sb.controllers!.idle();
  const jobs = await client.list('batch/v1', 'Job', { namespace: 'default' });
  assert.deepEqual(
    jobs.items.map((j) => j.metadata.name),
    [],
  );
  const pods = await client.list('v1', 'Pod', { namespace: 'default' });
  assert.deepEqual(
    pods.items.map((p) => p.metadata.name),
    [],
  );
  assert.ok(specs.length > 0);
  for (const s of specs) assert.doesNotMatch(s, /tok-very-secret/);
  const stuckJob = specs
    .map((x) => JSON.parse(x) as { kind: string; spec: { activeDeadlineSeconds?: number } })
    .find((o) => o.kind === 'Job' && o.spec.activeDeadlineSeconds !== undefined);
  assert.equal(stuckJob?.spec.activeDeadlineSeconds, 14, 'the step timeout (+10 s) is the Job deadline');
  assert.equal((await client.list('v1', 'PersistentVolumeClaim', { namespace: 'default' })).items.length, 0);
});

test('sekisho ci run --runner kubernetes against sekisho cluster serve --execute-pods', async (t) => {
  const dir = tempDir(t, 'pipe-jobs-cli');
  const reg = await startEmbedded();
  t.after(() => reg.close());
  await pushFixture(reg.host, 'base/busybox', 'latest');
  const image = `${reg.host}/base/busybox:latest`;
  const bin = join(import.meta.dirname, '..', '..', 'bin', 'sekisho.js');
  const dataDir = join(dir, 'cluster');
  const server = spawn(
    process.execPath,
    [bin, 'cluster', 'serve', '--execute-pods', '--listen', '127.0.0.1:0', '--data-dir', dataDir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise((r) => server.once('exit', r));
  t.after(async () => {
    server.kill('SIGTERM');
    await exited;
  });
  let serverErr = '';
  server.stderr.on('data', (d: Buffer) => (serverErr += d.toString()));
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: server.stdout }).once('line', resolve);
    server.once('exit', (c) => reject(new Error(`cluster serve exited ${c}: ${serverErr}`)));
  });
  assert.match(first, /^listening on https:\/\/127\.0\.0\.1:\d+$/);
  const ws = join(dir, 'checkout');
  mkdirSync(ws);
  writeFileSync(join(ws, 'input.txt'), 'from the checkout\n');
  writeFileSync(
    join(ws, 'sekisho-pipeline.yaml'),
    HEAD +
      '  steps:\n' +
      `    - id: a\n      image: ${image}\n      run: tr a-z A-Z < input.txt > upper.txt\n` +
      `    - id: b\n      needs: [a]\n      image: ${image}\n      run: cat upper.txt\n`,
  );
  const r = await sekisho(
    [
      'ci',
      'run',
      '--runner',
      'kubernetes',
      '--kubeconfig',
      join(dataDir, 'kubeconfig'),
      '--workspace-repo',
      `${reg.host}/sekisho/workspaces`,
      '--seed-image',
      image,
      '--runs-dir',
      join(dir, 'runs'),
      '-o',
      'json',
    ],
    { cwd: ws },
  );
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const run = JSON.parse(r.stdout) as { status: { steps: { id: string; phase: string; logPath: string }[] } };
  const b = run.status.steps.find((s) => s.id === 'b')!;
  assert.equal(b.phase, 'Succeeded');
  assert.match(readFileSync(b.logPath, 'utf8'), /FROM THE CHECKOUT/);
  assert.ok(!existsSync(join(ws, 'upper.txt')), 'the step wrote to the PVC, not to the local checkout');
});
