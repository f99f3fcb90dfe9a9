// The sandbox's opt-in pod executor: Job pods really run under runc from the busybox test image (pulled from
// a loopback registry), with volumes, env from Secrets, logs for real kubectl, backoffLimit and deletion.
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox } from '../../src/sandbox/index.ts';
import { podRuntime } from '../../src/pipeline/runners/pod-runtime.ts';
import { pushFixture } from '../build/fixtures/base-image.ts';
import { startEmbedded } from '../oci/helpers.ts';
import { KUBECTL, kubectl, ok, requireKubectl } from './helpers.ts';

function requireRunc(): void {
  if (!existsSync('/usr/sbin/runc') && !existsSync('/usr/bin/runc') && !existsSync('/usr/bin/bwrap'))
    throw new Error('runc (or bubblewrap) is required to run pods in the sandbox; install the runc package');
}

test('sandbox pod executor: Jobs run for real, logs through kubectl', async (t) => {
  requireKubectl();
  requireRunc();
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-podexec-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const reg = await startEmbedded();
  t.after(() => reg.close());
  await pushFixture(reg.host, 'base/busybox', 'latest');
  const image = `${reg.host}/base/busybox:latest`;
  const sb = await startSandbox({ dataDir: join(dir, 'cluster'), executePods: { runtime: podRuntime() } });
  t.after(() => sb.close());
  const kc = sb.kubeconfigPath;

  await t.test('a failing Job: exit code, logs, backoffLimit', async () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'fails', namespace: 'default' },
      spec: {
        backoffLimit: 1,
        template: {
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'main', image, command: ['sh', '-c', 'echo hi; exit 3'] }],
          },
        },
      },
    };
    await ok(kc, ['apply', '-f', '-'], JSON.stringify(job));
    await ok(kc, ['wait', '--for=condition=Failed', 'job/fails', '--timeout=90s']);
    const pods = JSON.parse(await ok(kc, ['get', 'pods', '-l', 'job-name=fails', '-o', 'json'])) as {
      items: {
        status: {
          phase: string;
          containerStatuses: { state: { terminated?: { exitCode: number; reason: string } } }[];
        };
      }[];
    };
    assert.equal(pods.items.length, 2, 'backoffLimit 1: two pods');
    for (const p of pods.items) {
      assert.equal(p.status.phase, 'Failed');
      assert.equal(p.status.containerStatuses[0]!.state.terminated?.exitCode, 3);
      assert.equal(p.status.containerStatuses[0]!.state.terminated?.reason, 'Error');
    }
    const logs = await ok(kc, ['logs', 'job/fails']);
    assert.equal(logs, 'hi\n');
    const j = JSON.parse(await ok(kc, ['get', 'job/fails', '-o', 'json'])) as { status: { failed: number } };
    assert.equal(j.status.failed, 2);
  });

  await t.test('volumes, env from a Secret, init containers, tailLines', async () => {
    // stringData is folded into data, as kube-apiserver does
    await ok(
      kc,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'creds', namespace: 'default' },
        stringData: { token: 's3cret' },
      }),
    );
    const sec = JSON.parse(await ok(kc, ['get', 'secret/creds', '-o', 'json'])) as Record<string, unknown>;
    assert.deepEqual(sec.data, { token: Buffer.from('s3cret').toString('base64') });
    assert.equal(sec.stringData, undefined);
    await ok(kc, ['create', 'configmap', 'conf', '--from-literal=greeting=hello']);
    const pvc = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'ws', namespace: 'default' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    };
    await ok(kc, ['apply', '-f', '-'], JSON.stringify(pvc));
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'works', namespace: 'default' },
      spec: {
        backoffLimit: 0,
        template: {
          spec: {
            restartPolicy: 'Never',
            volumes: [
              { name: 'ws', persistentVolumeClaim: { claimName: 'ws' } },
              { name: 'scratch', emptyDir: {} },
              { name: 'conf', configMap: { name: 'conf' } },
            ],
            initContainers: [
              {
                name: 'seed',
                image,
                command: ['sh', '-c', 'echo seeded > /ws/seed.txt; echo from-init > /scratch/x'],
                volumeMounts: [
                  { name: 'ws', mountPath: '/ws' },
                  { name: 'scratch', mountPath: '/scratch' },
                ],
              },
            ],
            containers: [
              {
                name: 'main',
                image,
                workingDir: '/ws',
                env: [
                  { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } },
                  { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                ],
                command: ['sh', '-c'],
                args: [
                  'for i in 1 2 3; do echo line$i; done; cat seed.txt /scratch/x /conf/greeting; echo; ' +
                    'echo "token-${#TOKEN}"; echo "$POD" | grep -q ^works- && echo pod-ok; pwd > out.txt',
                ],
                volumeMounts: [
                  { name: 'ws', mountPath: '/ws' },
                  { name: 'scratch', mountPath: '/scratch' },
                  { name: 'conf', mountPath: '/conf', readOnly: true },
                ],
              },
            ],
          },
        },
      },
    };
    await ok(kc, ['apply', '-f', '-'], JSON.stringify(job));
    const w = await kubectl(kc, ['wait', '--for=condition=Complete', 'job/works', '--timeout=90s']);
    const all = await kubectl(kc, ['logs', 'job/works', '--all-containers']);
    assert.equal(w.code, 0, `${w.stderr}\n${all.stdout}${all.stderr}`);
    assert.equal(
      await ok(kc, ['logs', 'job/works', '-c', 'main']),
      'line1\nline2\nline3\nseeded\nfrom-init\nhello\ntoken-6\npod-ok\n',
    );
    assert.equal(await ok(kc, ['logs', 'job/works', '-c', 'main', '--tail=2']), 'token-6\npod-ok\n');
    const spec = JSON.parse(await ok(kc, ['get', 'job/works', '-o', 'json'])) as unknown;
    assert.doesNotMatch(JSON.stringify(spec), /s3cret/, 'the secret value is not in the Job');
    const pv = JSON.parse(await ok(kc, ['get', 'pvc/ws', '-o', 'json'])) as { spec: { volumeName: string } };
    assert.ok(existsSync(join(sb.podExecutor!.dir, 'volumes', pv.spec.volumeName, 'out.txt')), 'the PV keeps files');
  });

  await t.test('activeDeadlineSeconds kills the pod', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'deadline', namespace: 'default', annotations: { 'sekisho.dev/execute': 'true' } },
      spec: {
        restartPolicy: 'Never',
        activeDeadlineSeconds: 1,
        containers: [{ name: 'main', image, command: ['sh', '-c', 'echo waiting; exec sleep 600'] }],
      },
    };
    await ok(kc, ['apply', '-f', '-'], JSON.stringify(pod));
    await ok(kc, ['wait', '--for=jsonpath={.status.phase}=Failed', 'pod/deadline', '--timeout=60s']);
    const p = JSON.parse(await ok(kc, ['get', 'pod/deadline', '-o', 'json'])) as {
      status: { reason?: string; containerStatuses: { state: { terminated?: { reason: string } } }[] };
    };
    assert.equal(p.status.reason, 'DeadlineExceeded');
    assert.equal(p.status.containerStatuses[0]!.state.terminated?.reason, 'DeadlineExceeded');
    assert.equal(await ok(kc, ['logs', 'pod/deadline']), 'waiting\n');
  });

  await t.test('a Job past its activeDeadlineSeconds fails and its pod is killed', async () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'slow', namespace: 'default' },
      spec: {
        activeDeadlineSeconds: 1,
        template: {
          spec: { restartPolicy: 'Never', containers: [{ name: 'main', image, command: ['sleep', '600'] }] },
        },
      },
    };
    await ok(kc, ['apply', '-f', '-'], JSON.stringify(job));
    await ok(kc, ['wait', '--for=condition=Failed', 'job/slow', '--timeout=60s']);
    const j = JSON.parse(await ok(kc, ['get', 'job/slow', '-o', 'json'])) as {
      status: { conditions: { type: string; reason: string }[] };
    };
    assert.equal(j.status.conditions.find((c) => c.type === 'Failed')?.reason, 'DeadlineExceeded');
    await ok(kc, ['wait', '--for=delete', 'pod', '-l', 'job-name=slow', '--timeout=30s']);
  });

  await t.test('deleting a running pod kills its container; follow streams until it ends', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'sleeper', namespace: 'default', annotations: { 'sekisho.dev/execute': 'true' } },
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'main', image, command: ['sh', '-c', 'echo started; exec sleep 600'] }],
      },
    };
    await ok(kc, ['apply', '-f', '-'], JSON.stringify(pod));
    await ok(kc, ['wait', '--for=jsonpath={.status.phase}=Running', 'pod/sleeper', '--timeout=60s']);
    const started = Date.now();
    const follow = spawn(KUBECTL, ['--kubeconfig', kc, 'logs', '-f', 'pod/sleeper'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const exited = new Promise<number | null>((r) => follow.once('exit', (c) => r(c)));
    await new Promise<void>((resolve, reject) => {
      follow.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('started\n')) resolve();
      });
      follow.once('exit', () => reject(new Error(`kubectl logs -f ended before the log: ${out}`)));
    });
    const del = await kubectl(kc, ['delete', 'pod/sleeper', '--wait=true', '--timeout=30s']);
    assert.equal(del.code, 0, del.stderr);
    await exited;
    assert.equal(out, 'started\n');
    await sb.podExecutor!.stop();
    assert.ok(Date.now() - started < 30_000, 'the container did not outlive its pod');
  });
});
