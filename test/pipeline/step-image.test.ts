// The Sekisho step image (src/pipeline/runners/step-image.ts), built ONCE for this file into an OCI layout and
// run by the sandbox cluster's pod executor (runc): `--version` prints the package version, `lint dockerfile`
// lints a Dockerfile from a ConfigMap volume, a second build comes from the layer cache with the same digest,
// and a privileged pod builds a Dockerfile with a RUN (bwrap nested in the pod) and pushes it to the
// embedded registry, while the same build in an unprivileged pod fails with a clear error.
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { KubeClient, type KubeObject } from '../../src/kube/index.ts';
import { RegistryClient, parseManifest } from '../../src/oci/index.ts';
import { bwrapArgs, runcConfig } from '../../src/build/exec/index.ts';
import { buildStepImage, podRuntime, type StepImageResult } from '../../src/pipeline/runners/index.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { pushFixture } from '../build/fixtures/base-image.ts';
import { run, startEmbedded, type EmbeddedRegistry } from '../oci/helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface Env {
  dir: string;
  reg: EmbeddedRegistry;
  sb: Sandbox;
  client: KubeClient;
  image: string;
  built: StepImageResult;
  coldMs: number;
}

function requireTools(): void {
  for (const [bin, pkg] of [
    ['/usr/bin/bwrap', 'bubblewrap'],
    ['/bin/busybox', 'busybox-static'],
  ] as const)
    if (!existsSync(bin)) throw new Error(`${bin} is required (install the Debian package ${pkg}, listed in .ci/run)`);
  if (!existsSync('/usr/sbin/runc') && !existsSync('/usr/bin/runc'))
    throw new Error('runc is required to run privileged pods in the sandbox; install the runc package');
}

/** Runs a pod to its end; returns its final phase, its container's termination and its log. */
async function runPod(
  e: Env,
  name: string,
  container: Record<string, unknown>,
  extra: { volumes?: unknown[]; deadline?: number } = {},
): Promise<{ phase: string; log: string; terminated: { exitCode?: number; reason?: string } }> {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', annotations: { 'sekisho.dev/execute': 'true' } },
    spec: {
      restartPolicy: 'Never',
      activeDeadlineSeconds: extra.deadline ?? 120,
      containers: [{ name: 'step', image: e.image, ...container }],
      ...(extra.volumes ? { volumes: extra.volumes } : {}),
    },
  } as unknown as KubeObject;
  const created = await e.client.create(pod);
  let final: KubeObject | undefined;
  const ac = new AbortController();
  for await (const ev of e.client.watch('v1', 'Pod', {
    namespace: 'default',
    fieldSelector: `metadata.name=${name}`,
    resourceVersion: created.metadata.resourceVersion,
    signal: ac.signal,
    timeoutSeconds: (extra.deadline ?? 120) + 30,
  })) {
    const phase = (ev.object as { status?: { phase?: string } }).status?.phase;
    if (ev.object.metadata?.name === name && (phase === 'Succeeded' || phase === 'Failed')) {
      final = ev.object;
      break;
    }
  }
  ac.abort();
  assert.ok(final, `pod ${name} did not finish`);
  const status = (
    final as unknown as {
      status: {
        phase: string;
        containerStatuses?: Array<{ state?: { terminated?: { exitCode?: number; reason?: string } } }>;
      };
    }
  ).status;
  const log = await e.client.requestText(`/api/v1/namespaces/default/pods/${name}/log`);
  return { phase: status.phase, log, terminated: status.containerStatuses?.[0]?.state?.terminated ?? {} };
}

/** The files of a gzipped layer: path → content. */
async function layerFiles(gz: Buffer): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const ex = tarStream.extract();
  const done = new Promise<void>((res, rej) => {
    ex.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        out.set(h.name, Buffer.concat(chunks).toString('utf8'));
        next();
      });
    });
    ex.on('finish', res);
    ex.on('error', rej);
  });
  ex.end(gunzipSync(gz));
  await done;
  return out;
}

describe('the Sekisho step image', () => {
  let e: Env;
  before(async () => {
    requireTools();
    const dir = mkdtempSync(join(tmpdir(), 'sekisho-step-image-'));
    const reg = await startEmbedded();
    await pushFixture(reg.host, 'base/busybox', 'latest');
    const t0 = Date.now();
    const built = await buildStepImage({
      target: { layout: join(dir, 'image'), tag: 'test' },
      cacheDir: join(dir, 'cache'),
    });
    const coldMs = Date.now() - t0;
    const sb = await startSandbox({ dataDir: join(dir, 'cluster'), executePods: { runtime: podRuntime() } });
    const client = await KubeClient.fromKubeconfig({ path: sb.kubeconfigPath });
    e = { dir, reg, sb, client, image: `oci:${join(dir, 'image')}:test`, built, coldMs };
  });
  after(async () => {
    if (!e) return;
    e.client.close();
    await e.sb.close();
    await e.reg.close();
    rmSync(e.dir, { recursive: true, force: true });
  });

  test('is built from this machine in well under a minute, and again from the cache with the same digest', async () => {
    assert.ok(e.coldMs < 60_000, `cold build took ${e.coldMs} ms`);
    assert.deepEqual(
      e.built.layers.map((l) => [l.name, l.cached]),
      [
        ['runtime', false],
        ['deps', false],
        ['app', false],
      ],
    );
    const again = await buildStepImage({ target: { layout: join(e.dir, 'image2') }, cacheDir: join(e.dir, 'cache') });
    assert.equal(again.digest, e.built.digest);
    assert.ok(again.layers.every((l) => l.cached));
    // the config: entrypoint, working dir, env, version label
    const layout = join(e.dir, 'image');
    const blob = (d: string) => readFileSync(join(layout, 'blobs', 'sha256', d.slice('sha256:'.length)));
    const manifest = parseManifest(blob(e.built.digest)).manifest as { config: { digest: string } };
    const cfg = (JSON.parse(blob(manifest.config.digest).toString()) as { config: Record<string, unknown> }).config;
    assert.deepEqual(cfg.Entrypoint, ['/usr/bin/node', '/opt/sekisho/bin/sekisho.js']);
    assert.equal(cfg.WorkingDir, '/workspace');
    assert.deepEqual(cfg.Env, ['PATH=/usr/local/bin:/usr/bin:/bin', 'HOME=/root']);
    const labels = cfg.Labels as Record<string, string>;
    assert.equal(labels['org.opencontainers.image.version'], VERSION);
    if (existsSync(join(ROOT, '.git'))) {
      const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
      assert.equal(labels['org.opencontainers.image.revision'], head);
    } else assert.equal(labels['org.opencontainers.image.revision'], undefined);
    // and pushed to a registry by the CLI, from the cache
    // (async: the registry serves from this process)
    const cli = await run(process.execPath, [
      join(ROOT, 'bin', 'sekisho.js'),
      'ci',
      'step-image',
      '--push',
      `${e.reg.host}/sekisho/step:dev`,
      '--cache-dir',
      join(e.dir, 'cache'),
      '-o',
      'json',
    ]);
    const pushed = JSON.parse(cli.stdout) as StepImageResult;
    assert.equal(pushed.digest, e.built.digest);
    assert.equal(pushed.reference, `${e.reg.host}/sekisho/step:dev@${e.built.digest}`);
    assert.ok(pushed.layers.every((l) => l.cached));
    const registry = new RegistryClient({ host: e.reg.host });
    const m = await registry.getManifest('sekisho/step', 'dev');
    assert.equal(m.digest, e.built.digest);
  });

  test('runs sekisho --version in a pod of the sandbox cluster', async () => {
    const r = await runPod(e, 'version', { args: ['--version'] });
    assert.equal(r.phase, 'Succeeded', r.log);
    assert.equal(r.log.trim(), VERSION);
  });

  test('runs a real command: lint dockerfile on a Dockerfile from a ConfigMap volume', async () => {
    await e.client.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'lint-input', namespace: 'default' },
      data: { Dockerfile: 'FROM busybox:latest\nRUN cd /tmp && echo hi\n' },
    } as unknown as KubeObject);
    const r = await runPod(
      e,
      'lint',
      {
        args: ['lint', 'dockerfile', 'Dockerfile', '-f', 'json', '--no-fail'],
        volumeMounts: [{ name: 'input', mountPath: '/workspace' }],
      },
      { volumes: [{ name: 'input', configMap: { name: 'lint-input' } }] },
    );
    assert.equal(r.phase, 'Succeeded', r.log);
    const findings = JSON.parse(r.log) as Array<{ code: string; line: number }>;
    assert.deepEqual(
      findings.map((f) => [f.code, f.line]),
      [
        ['DL3007', 1],
        ['DL3003', 2],
      ],
    );
  });

  test('a privileged pod builds a Dockerfile with RUN and pushes it; an unprivileged one fails clearly', async () => {
    const ctx = join(e.dir, 'context');
    mkdirSync(ctx);
    writeFileSync(
      join(ctx, 'Dockerfile'),
      `FROM ${e.reg.host}/base/busybox:latest\nRUN echo "built in $(hostname) as $(id -u)" > /made-by-run.txt\n`,
    );
    const build = (tag: string) => ({
      args: ['build', '.', '-t', `${e.reg.host}/built/app:${tag}`, '--push'],
      volumeMounts: [{ name: 'ctx', mountPath: '/workspace' }],
    });
    const volumes = [{ name: 'ctx', hostPath: { path: ctx } }];
    const ok = await runPod(
      e,
      'build-privileged',
      { ...build('priv'), securityContext: { privileged: true } },
      { volumes },
    );
    assert.equal(ok.phase, 'Succeeded', ok.log);
    const client = new RegistryClient({ host: e.reg.host });
    const m = await client.getManifest('built/app', 'priv');
    const man = parseManifest(m.bytes, m.mediaType).manifest as { layers: Array<{ digest: string; size: number }> };
    const top = man.layers[man.layers.length - 1]!;
    const chunks: Buffer[] = [];
    for await (const c of await client.getBlob('built/app', top.digest, { size: top.size })) chunks.push(c as Buffer);
    const files = await layerFiles(Buffer.concat(chunks));
    assert.match(files.get('made-by-run.txt') ?? '', /^built in \S+ as 0\n$/, [...files.keys()].join(', '));

    const denied = await runPod(e, 'build-unprivileged', build('unpriv'), { volumes, deadline: 60 });
    assert.equal(denied.phase, 'Failed', denied.log);
    assert.notEqual(denied.terminated.reason, 'DeadlineExceeded');
    assert.match(denied.log, /RUN needs a sandbox: .*run privileged/);
    await assert.rejects(client.getManifest('built/app', 'unpriv'));
  });

  test('privileged: runc gets every capability we hold, no masked paths, new privileges; bwrap keeps its caps', () => {
    const spec = {
      rootfs: e.dir,
      argv: ['true'],
      env: [],
      cwd: '/',
      user: '0:0',
      mounts: [],
      network: 'host' as const,
      stdout: process.stdout,
      stderr: process.stderr,
    };
    const files = { hosts: '/etc/hosts', resolv: '/etc/resolv.conf' };
    const plain = runcConfig(spec, files) as {
      process: { noNewPrivileges: boolean; capabilities: { bounding: string[] } };
      linux: { maskedPaths?: string[] };
    };
    const priv = runcConfig({ ...spec, privileged: true }, files) as typeof plain;
    assert.equal(plain.process.noNewPrivileges, true);
    assert.ok(plain.linux.maskedPaths?.includes('/proc/kcore'));
    assert.ok(!plain.process.capabilities.bounding.includes('CAP_SYS_ADMIN'));
    assert.equal(priv.process.noNewPrivileges, false);
    assert.equal(priv.linux.maskedPaths, undefined);
    assert.ok(priv.process.capabilities.bounding.includes('CAP_SYS_ADMIN'));
    // bwrap: the caller's capabilities kept (no --cap-drop), /sys writable
    const bPlain = bwrapArgs(spec, files, null).args.join(' ');
    const bPriv = bwrapArgs({ ...spec, privileged: true }, files, null).args.join(' ');
    assert.match(bPlain, /--cap-drop ALL/);
    assert.match(bPlain, /--ro-bind \/sys \/sys/);
    assert.doesNotMatch(bPriv, /--cap-drop/);
    assert.match(bPriv, /--bind \/sys \/sys/);
  });
});
