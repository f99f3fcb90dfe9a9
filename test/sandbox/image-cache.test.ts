// The pod runtime's image cache: an image is fetched and unpacked once per manifest digest, each container gets
// a copy-on-write overlay over the cached rootfs (writes reach neither the cache nor the next container), a moved
// tag gets the new image, and no overlay mount outlives its pod or the sandbox. Blob fetches are counted by a
// loopback proxy in front of the embedded registry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  realpathSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox } from '../../src/sandbox/index.ts';
import { podRuntime } from '../../src/pipeline/runners/pod-runtime.ts';
import { pushFixture } from '../build/fixtures/base-image.ts';
import { startEmbedded } from '../oci/helpers.ts';
import { ok, requireKubectl } from './helpers.ts';

function requireRunc(): void {
  if (!existsSync('/usr/sbin/runc') && !existsSync('/usr/bin/runc') && !existsSync('/usr/bin/bwrap'))
    throw new Error('runc (or bubblewrap) is required to run pods in the sandbox; install the runc package');
}

/** A loopback HTTP proxy to the registry that counts blob GETs. */
async function countingProxy(
  target: string,
): Promise<{ host: string; blobGets: () => number; close(): Promise<void> }> {
  const t = new URL(target);
  let gets = 0;
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '')) gets++;
    const up = request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host } },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    host: `127.0.0.1:${port}`,
    blobGets: () => gets,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Overlay mounts (their mount points) in this process's mount namespace whose lower dir is in `cacheDir`. */
function overlaysOver(cacheDir: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f[2] === 'overlay' && (f[3] ?? '').includes(`lowerdir=${cacheDir}/`))
    .map((f) => f[1] ?? '');
}

const podOf = (name: string, image: string, script: string) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', annotations: { 'sekisho.dev/execute': 'true' } },
    spec: { restartPolicy: 'Never', containers: [{ name: 'main', image, command: ['sh', '-c', script] }] },
  });

test('pod runtime image cache in the sandbox: one fetch per image, overlay per container, nothing left mounted', async (t) => {
  requireKubectl();
  requireRunc();
  // clean-ups run last-in first-out (sandboxes closed before their folder goes)
  const cleanups: Array<() => unknown> = [];
  t.after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-imgcache-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const reg = await startEmbedded();
  cleanups.push(() => reg.close());
  const proxy = await countingProxy(reg.url);
  cleanups.push(() => proxy.close());
  const v1 = await pushFixture(reg.host, 'base/busybox', 'latest', {
    extraFiles: [{ path: 'etc/version', type: 'file', mode: 0o644, content: 'v1\n' }],
  });
  const image = `${proxy.host}/base/busybox:latest`;
  const dataDir = join(dir, 'cluster');
  const sb = await startSandbox({ dataDir, executePods: { runtime: podRuntime() } });
  cleanups.push(() => sb.close());
  const kc = sb.kubeconfigPath;
  const cacheDir = join(dataDir, 'pods', 'images');
  const runPod = async (name: string, script: string, img = image): Promise<string> => {
    await ok(kc, ['apply', '-f', '-'], podOf(name, img, script));
    await ok(kc, ['wait', '--for=jsonpath={.status.phase}=Succeeded', `pod/${name}`, '--timeout=90s']);
    return ok(kc, ['logs', `pod/${name}`]);
  };
  const entries = () => readdirSync(cacheDir).filter((n) => !n.startsWith('.'));

  await t.test('the second pod of an image fetches no layer; writes stay in their container', async () => {
    const first = await runPod('writer', 'echo mine > /etc/written; echo x >> /etc/version; cat /etc/written');
    assert.equal(first, 'mine\n');
    const fetched = proxy.blobGets();
    assert.equal(fetched, v1.layers.length + 1, 'the first pod fetches every layer and the config once');
    const second = await runPod('reader', 'test -e /etc/written && echo leaked || echo clean; cat /etc/version');
    assert.equal(second, 'clean\nv1\n', 'the second container sees the image, not the first one’s writes');
    assert.equal(proxy.blobGets(), fetched, 'the second pod of the same image fetched no blob');
    assert.deepEqual(entries(), [`sha256-${v1.manifestDigest.slice('sha256:'.length)}`]);
    const cached = join(cacheDir, entries()[0]!, 'rootfs');
    assert.equal(existsSync(join(cached, 'etc', 'written')), false, 'a container write reached the cache');
    assert.equal(readFileSync(join(cached, 'etc', 'version'), 'utf8'), 'v1\n');
    assert.deepEqual(overlaysOver(cacheDir), [], 'no overlay mount left after the pods finished');
  });

  await t.test('a moved tag gets the new image; two pods at once unpack it once', async () => {
    const before = proxy.blobGets();
    const v2 = await pushFixture(reg.host, 'base/busybox', 'latest', {
      extraFiles: [{ path: 'etc/version', type: 'file', mode: 0o644, content: 'v2\n' }],
    });
    assert.notEqual(v2.manifestDigest, v1.manifestDigest);
    await Promise.all([
      ok(kc, ['apply', '-f', '-'], podOf('twin-a', image, 'cat /etc/version')),
      ok(kc, ['apply', '-f', '-'], podOf('twin-b', image, 'cat /etc/version')),
    ]);
    for (const n of ['twin-a', 'twin-b']) {
      await ok(kc, ['wait', '--for=jsonpath={.status.phase}=Succeeded', `pod/${n}`, '--timeout=90s']);
      assert.equal(await ok(kc, ['logs', `pod/${n}`]), 'v2\n');
    }
    // the busybox layer is shared by v1 and v2, but a new digest is a new unpack: every blob once
    assert.equal(proxy.blobGets() - before, v2.layers.length + 1, 'two pods of a new image fetched it once');
    assert.equal(entries().length, 2);
  });

  await t.test('a running container is an overlay over the cache; deleting the pod unmounts it', async () => {
    await ok(kc, ['apply', '-f', '-'], podOf('sleeper', image, 'echo up; sleep 60'));
    await ok(kc, ['wait', '--for=jsonpath={.status.phase}=Running', 'pod/sleeper', '--timeout=90s']);
    const mounted = overlaysOver(cacheDir);
    assert.equal(mounted.length, 1, `one overlay mount for the running container: ${mounted.join(', ')}`);
    const uid = JSON.parse(await ok(kc, ['get', 'pod/sleeper', '-o', 'json'])).metadata.uid as string;
    const rootfs = join(dataDir, 'pods', uid, 'containers', 'main', 'rootfs');
    assert.equal(realpathSync(rootfs), mounted[0], 'the container rootfs is the overlay mount');
    await ok(kc, ['delete', 'pod/sleeper', '--wait=true', '--timeout=60s']);
    await sb.podExecutor!.stop().then(() => undefined); // waits for the killed run to finish its clean-up
    assert.deepEqual(overlaysOver(cacheDir), [], 'the deleted pod’s overlay was unmounted');
  });

  await t.test('closing the sandbox with a pod running leaves no mount', async () => {
    // the executor was stopped above: a fresh sandbox on the same data dir reuses the cache
    await sb.close();
    const sb2 = await startSandbox({ dataDir, executePods: { runtime: podRuntime() } });
    cleanups.push(() => sb2.close());
    const before = proxy.blobGets();
    await ok(sb2.kubeconfigPath, ['apply', '-f', '-'], podOf('held', image, 'echo up; sleep 60'));
    await ok(sb2.kubeconfigPath, ['wait', '--for=jsonpath={.status.phase}=Running', 'pod/held', '--timeout=90s']);
    assert.equal(proxy.blobGets(), before, 'the cache on disk served the restarted sandbox');
    assert.equal(overlaysOver(cacheDir).length, 1);
    await sb2.close();
    assert.deepEqual(overlaysOver(cacheDir), [], 'close released every container rootfs');
  });
});

test('pod runtime image cache: partial entries replaced, least recently used evicted, copy mode isolated', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-imgcache-unit-'));
  const reg = await startEmbedded();
  const runtimes: Array<ReturnType<typeof podRuntime>> = [];
  t.after(async () => {
    for (const rt of runtimes) await rt.close!();
    await reg.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const a = await pushFixture(reg.host, 'x/a', 'latest', {
    extraFiles: [{ path: 'etc/name', type: 'file', mode: 0o644, content: 'a\n' }],
  });
  const b = await pushFixture(reg.host, 'x/b', 'latest', {
    extraFiles: [{ path: 'etc/name', type: 'file', mode: 0o644, content: 'b\n' }],
  });
  const cacheDir = join(dir, 'cache');
  const keyA = `sha256-${a.manifestDigest.slice(7)}`;
  const keyB = `sha256-${b.manifestDigest.slice(7)}`;
  // a partial entry for a (no completion marker): ignored and replaced
  mkdirSync(join(cacheDir, keyA, 'rootfs', 'etc'), { recursive: true });
  writeFileSync(join(cacheDir, keyA, 'rootfs', 'etc', 'name'), 'half-written\n');
  const signal = new AbortController().signal;
  for (const mode of ['copy', 'overlay'] as const) {
    const rt = podRuntime({ cacheDir, maxImages: 1, rootfsMode: mode });
    runtimes.push(rt);
    const root1 = join(dir, mode, 'c1', 'rootfs');
    mkdirSync(root1, { recursive: true });
    await rt.pull(`${reg.host}/x/a:latest`, root1, signal);
    assert.equal(readFileSync(join(root1, 'etc', 'name'), 'utf8'), 'a\n', `${mode}: the partial entry was replaced`);
    assert.equal(overlaysOver(cacheDir).length, mode === 'overlay' ? 1 : 0, `${mode}: the container's rootfs`);
    writeFileSync(join(root1, 'etc', 'name'), 'changed\n');
    assert.equal(readFileSync(join(cacheDir, keyA, 'rootfs', 'etc', 'name'), 'utf8'), 'a\n');
    assert.ok(existsSync(join(cacheDir, keyA, 'complete')));
    // b while a is in use: a stays (in use) although the cache keeps one image
    const root2 = join(dir, mode, 'c2', 'rootfs');
    mkdirSync(root2, { recursive: true });
    await rt.pull(`${reg.host}/x/b:latest`, root2, signal);
    assert.equal(readFileSync(join(root2, 'etc', 'name'), 'utf8'), 'b\n');
    assert.ok(existsSync(join(cacheDir, keyA)), `${mode}: an image in use is not evicted`);
    rt.release!(root1);
    rt.release!(root2);
    assert.deepEqual(overlaysOver(cacheDir), []);
    // the next pull drops the least recently used unused image beyond maxImages
    const root3 = join(dir, mode, 'c3', 'rootfs');
    mkdirSync(root3, { recursive: true });
    await rt.pull(`${reg.host}/x/b:latest`, root3, signal);
    assert.equal(existsSync(join(cacheDir, keyA)), false, `${mode}: the unused older image was evicted`);
    assert.ok(existsSync(join(cacheDir, keyB)));
    assert.equal(readFileSync(join(root3, 'etc', 'name'), 'utf8'), 'b\n');
    await rt.close!();
    assert.deepEqual(overlaysOver(cacheDir), [], `${mode}: close released every rootfs`);
    // leave a partial a again for the next mode
    mkdirSync(join(cacheDir, keyA, 'rootfs', 'etc'), { recursive: true });
    writeFileSync(join(cacheDir, keyA, 'rootfs', 'etc', 'name'), 'half-written\n');
  }
});
