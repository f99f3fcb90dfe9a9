// One suite run against every executor (runc and bwrap): output and exit codes, users, env and cwd, network
// isolation, bind/tmpfs mounts that leave nothing in the rootfs, abort, and clear errors. Both binaries are
// required (listed in .ci/run); a missing one fails the suite with a message instead of skipping it.
import { after, describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { BuildError } from '../errors.ts';
import { applyLayer, diffToLayer, snapshot } from '../fs/index.ts';
import { busyboxEntries, tarEntries } from '../../../test/build/fixtures/base-image.ts';
import { BwrapExecutor, detectExecutor, resolveUser, RuncExecutor, type Executor, type RunSpec } from './index.ts';

const made: string[] = [];
/** A temp directory removed when the file's tests are done. */
function scratch(prefix: string): string {
  const d = mkdtempSync(prefix);
  made.push(d);
  return d;
}
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  return {
    stream: new Writable({
      write(c: Buffer, _e, cb) {
        chunks.push(c);
        cb();
      },
    }),
    text: () => Buffer.concat(chunks).toString(),
  };
}

async function layerNames(path: string): Promise<string[]> {
  const ex = tarStream.extract();
  Readable.from([gunzipSync(readFileSync(path))]).pipe(ex as unknown as NodeJS.WritableStream);
  const names: string[] = [];
  for await (const e of ex) {
    names.push(e.header.name);
    e.resume();
  }
  return names;
}

async function busyboxRoot(): Promise<string> {
  const root = scratch(join(tmpdir(), 'sekisho-exec-root-'));
  await applyLayer(root, Readable.from([await tarEntries(busyboxEntries())]));
  return root;
}

function requireBinary(name: string): void {
  const r = spawnSync(name, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    throw new Error(`${name} is required by the executor tests; install it (Debian package listed in .ci/run)`);
}

const executors: Array<[string, () => Executor]> = [
  ['runc', () => new RuncExecutor()],
  ['bwrap', () => new BwrapExecutor()],
];

for (const [name, make] of executors) {
  describe(`${name} executor`, () => {
    let root: string;
    let ex: Executor;
    const run = async (
      argv: string[],
      more: Partial<RunSpec> = {},
    ): Promise<{ exitCode: number; stdout: string; stderr: string }> => {
      const out = collector();
      const err = collector();
      const r = await ex.run({
        rootfs: root,
        argv,
        env: [PATH],
        cwd: '/',
        user: 'root',
        mounts: [],
        network: 'none',
        stdout: out.stream,
        stderr: err.stream,
        ...more,
      });
      return { exitCode: r.exitCode, stdout: out.text(), stderr: err.text() };
    };
    before(async () => {
      requireBinary(name === 'runc' ? 'runc' : 'bwrap');
      root = await busyboxRoot();
      ex = make();
    });

    test('prints what the command prints and returns its exit code', async () => {
      const r = await run(['sh', '-c', 'echo out; echo err >&2; exit 7']);
      assert.deepEqual(r, { exitCode: 7, stdout: 'out\n', stderr: 'err\n' });
      assert.equal((await run(['true'])).exitCode, 0);
    });

    test("runs as the image user, with that user's rights and file ownership", async () => {
      const r = await run(
        ['sh', '-c', 'id -u; id -g; echo $HOME; touch /tmp/by-app; touch /etc/forbidden 2>/dev/null; echo $?'],
        {
          user: 'app',
        },
      );
      assert.equal(r.stdout, '1000\n1000\n/home/app\n1\n');
      const st = lstatSync(join(root, 'tmp/by-app'));
      assert.equal(`${st.uid}:${st.gid}`, '1000:1000');
      assert.equal(existsSync(join(root, 'etc/forbidden')), false);
      assert.equal((await run(['id', '-u'], { user: '1000:0' })).stdout, '1000\n');
      assert.equal((await run(['sh', '-c', 'id -u; id -g; echo $HOME'])).stdout, '0\n0\n/root\n');
      if (name === 'runc') {
        // Supplementary groups as buildah/runc/BuildKit set them: the primary group first, then the groups
        // listing the user (bwrap cannot set them: see docs/build-internals.md).
        // (busybox `id` prints `groups=` only when getgroups() returns some; `id -G` always starts with the gid)
        assert.equal((await run(['id'], { user: 'app' })).stdout, 'uid=1000(app) gid=1000(app) groups=1000(app)\n');
        assert.equal((await run(['id'], { user: '1000:0' })).stdout, 'uid=1000(app) gid=0(root) groups=0(root)\n');
        assert.equal((await run(['id'])).stdout, 'uid=0(root) gid=0(root) groups=0(root)\n');
      }
    });

    test('env and working directory; a missing working directory is created', async () => {
      const r = await run(['sh', '-c', 'echo "$FOO"; pwd; echo "$HOME"'], {
        env: [PATH, 'FOO=bar baz', 'HOME=/custom'],
        cwd: '/work/dir',
      });
      assert.equal(r.stdout, 'bar baz\n/work/dir\n/custom\n');
      assert.ok(lstatSync(join(root, 'work/dir')).isDirectory());
    });

    test('network=none has only lo; network=host sees the host interfaces; hosts file names the sandbox', async () => {
      const none = await run(['sh', '-c', "ip -o link | cut -d: -f2 | tr -d ' '"]);
      assert.deepEqual(none.stdout.trim().split('\n'), ['lo']);
      const host = await run(['sh', '-c', "ip -o link | cut -d: -f2 | tr -d ' '"], { network: 'host' });
      const seen = host.stdout.trim().split('\n');
      for (const n of Object.keys(networkInterfaces()))
        assert.ok(seen.includes(n), `host interface ${n} in ${seen.join(',')}`);
      const hosts = await run(['sh', '-c', 'hostname; cat /etc/hosts'], {
        hostname: 'builder',
        extraHosts: [{ host: 'db', ip: '127.0.0.9' }],
      });
      assert.match(hosts.stdout, /^builder\n127\.0\.0\.1\tlocalhost builder\n/);
      assert.match(hosts.stdout, /127\.0\.0\.9\tdb/);
    });

    test('a secret bind mount and a tmpfs are visible during the run and leave nothing in the rootfs', async () => {
      const secretDir = scratch(join(tmpdir(), 'sekisho-secret-'));
      writeFileSync(join(secretDir, 'token'), 's3cr3t-value');
      const cacheDir = scratch(join(tmpdir(), 'sekisho-cache-'));
      const beforeSnap = await snapshot(root);
      const r = await run(
        [
          'sh',
          '-c',
          'cat /run/secrets/token; echo; echo cached > /run/cache/x; cat /run/cache/x; ' +
            'echo leak > /run/secrets/token 2>/dev/null || echo read-only; echo kept > /var/cache-mount/y; ls /tmp/scratch',
        ],
        {
          mounts: [
            { type: 'bind', source: join(secretDir, 'token'), target: '/run/secrets/token', readonly: true },
            { type: 'tmpfs', target: '/run/cache' },
            { type: 'bind', source: cacheDir, target: '/var/cache-mount' },
            { type: 'tmpfs', target: '/tmp/scratch', size: 1 << 20 },
          ],
        },
      );
      assert.equal(r.stdout, 's3cr3t-value\ncached\nread-only\n', r.stderr);
      assert.equal(readFileSync(join(cacheDir, 'y'), 'utf8'), 'kept\n', 'bind mount is written through');
      assert.equal(readFileSync(join(secretDir, 'token'), 'utf8'), 's3cr3t-value');
      assert.equal(existsSync(join(root, 'run')), false, 'mount stubs removed');
      assert.equal(existsSync(join(root, 'etc/hosts')), false, 'hosts stub removed');
      const blob = await diffToLayer(root, beforeSnap, { outDir: scratch(join(tmpdir(), 'sekisho-layer-')) });
      assert.equal(blob.empty, true, 'the run changed nothing in the rootfs');
    });

    test('a step on an overlay snapshot: the layer holds exactly what it changed', async () => {
      const stepRoot = await busyboxRoot();
      const snap = await snapshot(stepRoot, { mode: 'overlay' });
      const r2 = await ex.run({
        rootfs: stepRoot,
        argv: ['sh', '-c', 'echo hi > /etc/motd; rm /bin/ls; mkdir /var/t; touch /var/t/x; rm -r /var/t'],
        env: [PATH],
        cwd: '/',
        user: 'root',
        mounts: [{ type: 'tmpfs', target: '/mnt/t' }],
        network: 'none',
        stdout: collector().stream,
        stderr: collector().stream,
      });
      assert.equal(r2.exitCode, 0);
      const blob = await diffToLayer(stepRoot, snap, { outDir: scratch(join(tmpdir(), 'sekisho-layer-')) });
      const names = await layerNames(blob.path);
      assert.deepEqual(names, ['bin/', 'bin/.wh.ls', 'etc/', 'etc/motd']);
      assert.equal(readFileSync(join(stepRoot, 'etc/motd'), 'utf8'), 'hi\n');
      assert.equal(existsSync(join(stepRoot, 'bin/ls')), false);
    });

    test('abort kills the whole step and rejects', async () => {
      const marker = `${900 + randomInt(99)}.${randomInt(1_000_000)}`;
      const ac = new AbortController();
      const out = new Writable({
        write(c: Buffer, _e, cb) {
          if (c.toString().includes('started')) ac.abort();
          cb();
        },
      });
      const t0 = Date.now();
      await assert.rejects(
        ex.run({
          rootfs: root,
          argv: ['sh', '-c', `echo started; sleep ${marker}; echo not reached`],
          env: [PATH],
          cwd: '/',
          user: 'root',
          mounts: [],
          network: 'none',
          stdout: out,
          stderr: out,
          signal: ac.signal,
        }),
        (e: unknown) => (e as Error).name === 'AbortError',
      );
      assert.ok(Date.now() - t0 < 20_000, 'aborted long before the sleep ends');
      const alive = readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker);
          } catch {
            return false;
          }
        });
      assert.deepEqual(alive, [], 'no process of the aborted step survives');
    });

    test('a missing executable or an unknown user is a RUN_FAILED error', async () => {
      await assert.rejects(
        run(['no-such-command']),
        (e: unknown) => e instanceof BuildError && e.code === 'RUN_FAILED' && /no-such-command/.test(e.message),
      );
      await assert.rejects(
        run(['true'], { user: 'ghost' }),
        (e: unknown) =>
          e instanceof BuildError && e.code === 'RUN_FAILED' && /unable to find user ghost/.test(e.message),
      );
    });
  });
}

test('bwrap without setpriv refuses a non-root user it could not give the rootfs to; with it, it runs as runc does', async () => {
  requireBinary('bwrap');
  const parent = scratch(join(tmpdir(), 'sekisho-private-')); // 0700
  const root = join(parent, 'rootfs');
  mkdirSync(root);
  await applyLayer(root, Readable.from([await tarEntries(busyboxEntries())]));
  const sink = collector().stream;
  const spec: RunSpec = {
    rootfs: root,
    argv: ['id', '-u'],
    env: [PATH],
    cwd: '/',
    user: 'app',
    mounts: [],
    network: 'none',
    stdout: sink,
    stderr: sink,
  };
  await assert.rejects(new BwrapExecutor({ dropper: null }).run(spec), (e: unknown) => {
    assert.ok(e instanceof BuildError);
    assert.equal(e.code, 'EXECUTOR_UNAVAILABLE');
    assert.ok(e.message.includes(parent), e.message);
    return true;
  });
  const out = collector();
  assert.equal((await new RuncExecutor().run({ ...spec, stdout: out.stream })).exitCode, 0, 'runc has no such limit');
  assert.equal(out.text(), '1000\n');
  const viaSetpriv = collector();
  assert.equal((await new BwrapExecutor().run({ ...spec, stdout: viaSetpriv.stream })).exitCode, 0, 'bwrap + setpriv');
  assert.equal(viaSetpriv.text(), '1000\n');
});

function processesWith(marker: string): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    });
}

test('a process that exits mid-run takes its runc containers with it', async () => {
  requireBinary('runc');
  const root = await busyboxRoot();
  const marker = `${800 + randomInt(99)}.${randomInt(1_000_000)}`;
  const dir = scratch(join(tmpdir(), 'sekisho-exit-'));
  const script = join(dir, 'exit-mid-run.ts');
  writeFileSync(
    script,
    `import { Writable } from 'node:stream';
import { RuncExecutor } from ${JSON.stringify(join(import.meta.dirname, 'runc.ts'))};
const out = new Writable({ write(c, _e, cb) { if (String(c).includes('started')) process.exit(0); cb(); } });
void new RuncExecutor().run({ rootfs: ${JSON.stringify(root)}, argv: ['sh', '-c', 'echo started; sleep ${marker}'],
  env: ['PATH=/bin'], cwd: '/', user: 'root', mounts: [], network: 'none', stdout: out, stderr: process.stderr });
`,
  );
  const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(processesWith(marker), [], 'the container was killed when its process exited');
});

test('detectExecutor picks a working executor (runc here)', async () => {
  requireBinary('runc');
  const ex = await detectExecutor();
  assert.equal(ex.name, 'runc');
  assert.equal(await detectExecutor(), ex, 'probed once');
});

test('users resolve through the rootfs, never through a symlink out of it', async () => {
  const root = scratch(join(tmpdir(), 'sekisho-user-'));
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nstaff:x:50:app,other\napp:x:1000:\n');
  writeFileSync(join(root, 'etc/real-passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n');
  symlinkSync('../../../../../../etc/real-passwd', join(root, 'etc/passwd'));
  assert.deepEqual(resolveUser(root, 'app'), { uid: 1000, gid: 1000, additionalGids: [1000, 50], home: '/home/app' });
  assert.deepEqual(resolveUser(root, 'app:staff'), { uid: 1000, gid: 50, additionalGids: [50], home: '/home/app' });
  assert.deepEqual(resolveUser(root, '4242'), { uid: 4242, gid: 0, additionalGids: [0], home: '/' });
  assert.deepEqual(resolveUser(root, ''), { uid: 0, gid: 0, additionalGids: [0], home: '/root' });
  assert.throws(() => resolveUser(root, 'app:nogroup'), /unable to find group nogroup/);
});
