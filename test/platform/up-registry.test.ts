// `sekisho up --registry URL`: the platform uses a real registry (Debian's docker-registry, the
// distribution registry) instead of starting the embedded one, and the images API reads it through the
// oci RegistryClient. A bad URL is refused before anything starts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startDistribution, type DistributionRegistry } from '../oci/helpers.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', '..', 'bin', 'sekisho.js');
const dir = mkdtempSync(path.join(tmpdir(), 'sekisho-up-registry-'));
let registry: DistributionRegistry | undefined;

after(async () => {
  await registry?.close();
  rmSync(dir, { recursive: true, force: true });
});

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function pushBlob(url: string, repo: string, bytes: Buffer): Promise<string> {
  const digest = sha(bytes);
  const start = await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(start.status, 202);
  await start.arrayBuffer();
  const loc = new URL(start.headers.get('location')!, url);
  loc.searchParams.set('digest', digest);
  const put = await fetch(loc, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: new Uint8Array(bytes),
  });
  assert.equal(put.status, 201, await put.text());
  return digest;
}

test('up --registry: the images API reads a real distribution registry', async () => {
  if (!existsSync('/usr/bin/git')) throw new Error('git is required by sekisho up');
  registry = await startDistribution();
  const config = Buffer.from(JSON.stringify({ architecture: 'arm64', os: 'linux', config: { User: 'app' } }));
  const configDigest = await pushBlob(registry.url, 'team/web', config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: [],
  });
  const put = await fetch(`${registry.url}/v2/team/web/manifests/1.0`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  });
  assert.equal(put.status, 201, await put.text());

  const proc = spawn(
    process.execPath,
    [
      bin,
      'up',
      '--data-dir',
      path.join(dir, 'data'),
      '--listen',
      '127.0.0.1:0',
      '--registry',
      registry.url,
      '--no-controller',
      '--audit-interval',
      '0',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  try {
    const lines: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`up not ready in 60s:\n${lines.join('\n')}\n${stderr}`)), 60_000);
      createInterface({ input: proc.stdout! }).on('line', (l) => {
        lines.push(l);
        if (l.startsWith('ready in ')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (c) => {
        clearTimeout(timer);
        reject(new Error(`up exited with ${c}:\n${lines.join('\n')}\n${stderr}`));
      });
    });
    const field = (p: string) =>
      lines
        .find((l) => l.startsWith(p))!
        .slice(p.length)
        .trim();
    assert.equal(field('registry:'), `${registry.url} (external)`);
    const api = lines[0]!.slice('listening on '.length);
    const password = field('admin password:').split(' ')[0]!;
    const login = await fetch(`${api}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    assert.equal(login.status, 200);
    await login.arrayBuffer();
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const get = async (p: string) => {
      const r = await fetch(api + p, { headers: { cookie } });
      return { status: r.status, body: (await r.json()) as any };
    };
    const ready = await get('/readyz');
    assert.equal(ready.body.checks.registry, 'ok');
    assert.deepEqual((await get('/api/v1/registry/repositories')).body.items, [{ name: 'team/web' }]);
    const tags = await get('/api/v1/registry/repositories/team%2Fweb/tags');
    assert.deepEqual(tags.body.items, [{ tag: '1.0', digest: sha(manifest) }]);
    const cfg = await get('/api/v1/registry/repositories/team%2Fweb/manifests/1.0/config');
    assert.equal(cfg.status, 200, JSON.stringify(cfg.body));
    assert.equal(cfg.body.config.architecture, 'arm64');
    assert.equal((await get('/api/v1/registry/repositories/team%2Fnope/tags')).status, 404);
    assert.equal((await get('/api/v1/registry/repositories/team%2Fweb/manifests/2.0')).status, 404);
    // nothing of the embedded registry was created
    assert.equal(existsSync(path.join(dir, 'data', 'registry')), false);
  } finally {
    proc.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
  }
});

test('up --registry with a bad URL fails before starting anything, naming the option', () => {
  const r = spawnSync(
    process.execPath,
    [bin, 'up', '--data-dir', path.join(dir, 'bad'), '--listen', '127.0.0.1:0', '--registry', 'ftp://127.0.0.1:1'],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--registry must use http or https/);
  assert.equal(existsSync(path.join(dir, 'bad', 'cluster')), false);
});
