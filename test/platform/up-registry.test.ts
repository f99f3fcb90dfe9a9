// `sekisho up --registry URL`: the platform uses a real registry (Debian's docker-registry, the
// distribution registry, here with htpasswd authentication) instead of starting the embedded one, and the
// images API reads it through the oci RegistryClient with the credentials Docker's config.json holds.
// Wrong credentials stop `up` with the reason; a bad URL is refused before anything starts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import { freePort, requireBinary } from '../oci/helpers.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', '..', 'bin', 'sekisho.js');
const dir = mkdtempSync(path.join(tmpdir(), 'sekisho-up-registry-'));
const USER = 'bob';
const PASSWORD = 'bob-secret-password';
let registry: { url: string; host: string; proc: ChildProcess } | undefined;

/** docker-registry on 127.0.0.1 with htpasswd (bcrypt) authentication. */
async function startAuthRegistry(): Promise<{ url: string; host: string; proc: ChildProcess }> {
  const bin = requireBinary('docker-registry', 'docker-registry');
  const root = path.join(dir, 'distribution');
  mkdirSync(root, { recursive: true });
  writeFileSync(path.join(root, 'htpasswd'), `${USER}:${bcrypt.hashSync(PASSWORD, 8)}\n`);
  const port = await freePort();
  writeFileSync(
    path.join(root, 'config.yml'),
    [
      'version: 0.1',
      'log: {level: info, accesslog: {disabled: true}}',
      `storage: {filesystem: {rootdirectory: ${path.join(root, 'data')}}}`,
      `auth: {htpasswd: {realm: sekisho-test, path: ${path.join(root, 'htpasswd')}}}`,
      `http: {addr: 127.0.0.1:${port}}`,
      '',
    ].join('\n'),
  );
  const proc = spawn(bin, ['serve', path.join(root, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    proc.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('listening on')) resolve();
    });
    proc.once('exit', (c) => reject(new Error(`docker-registry exited with ${c}: ${log}`)));
  });
  return { url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, proc };
}

after(async () => {
  if (registry && registry.proc.exitCode === null) {
    const done = new Promise((r) => registry!.proc.once('exit', r));
    registry.proc.kill('SIGTERM');
    await done;
  }
  rmSync(dir, { recursive: true, force: true });
});

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

/** A DOCKER_CONFIG folder whose config.json holds these credentials for the registry. */
function dockerConfig(name: string, password: string): string {
  const d = path.join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(
    path.join(d, 'config.json'),
    JSON.stringify({ auths: { [registry!.host]: { auth: Buffer.from(`${USER}:${password}`).toString('base64') } } }),
  );
  return d;
}

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function pushBlob(url: string, repo: string, bytes: Buffer): Promise<string> {
  const digest = sha(bytes);
  const auth = { authorization: basic(USER, PASSWORD) };
  const start = await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: auth });
  assert.equal(start.status, 202);
  await start.arrayBuffer();
  const loc = new URL(start.headers.get('location')!, url);
  loc.searchParams.set('digest', digest);
  const put = await fetch(loc, {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'application/octet-stream' },
    body: new Uint8Array(bytes),
  });
  assert.equal(put.status, 201, await put.text());
  return digest;
}

test('up --registry: the images API reads a real distribution registry with credentials from config.json', async () => {
  if (!existsSync('/usr/bin/git')) throw new Error('git is required by sekisho up');
  registry = await startAuthRegistry();
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
    headers: { authorization: basic(USER, PASSWORD), 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  });
  assert.equal(put.status, 201, await put.text());
  assert.equal((await fetch(`${registry.url}/v2/_catalog`)).status, 401, 'the registry wants credentials');

  // wrong credentials: up stops at the registry step and says why
  const wrong = spawnSync(
    process.execPath,
    [
      bin,
      'up',
      '--data-dir',
      path.join(dir, 'wrong'),
      '--listen',
      '127.0.0.1:0',
      '--registry',
      registry.url,
      '--no-controller',
    ],
    { encoding: 'utf8', timeout: 90_000, env: { ...process.env, DOCKER_CONFIG: dockerConfig('docker-wrong', 'nope') } },
  );
  assert.notEqual(wrong.status, 0);
  assert.match(wrong.stderr, /registry did not start/);
  console.log(`# wrong credentials: ${wrong.stderr.trim().split('\n').at(-1)}`);

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
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DOCKER_CONFIG: dockerConfig('docker', PASSWORD) } },
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
