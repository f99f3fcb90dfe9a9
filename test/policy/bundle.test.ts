// policy push / pull against the embedded OCI registry (127.0.0.1, port 0), in Conftest's artifact format.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openFsStorage, RegistryClient, RegistryServer } from '../../src/oci/index.ts';
import { DATA_LAYER_MEDIA_TYPE, POLICY_LAYER_MEDIA_TYPE, pullBundle, pushBundle, runTest } from '../../src/policy/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const fx = join(here, 'fixtures');

test('push policies and data as a Conftest OCI bundle, pull them back, and check with them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'policy-bundle-'));
  const server = new RegistryServer({ storage: await openFsStorage(join(dir, 'registry')) });
  const url = await server.listen({ host: '127.0.0.1', port: 0 });
  t.after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const host = url.replace(/^https?:\/\//, '');
  const cwd = process.cwd();
  process.chdir(fx);
  try {
    const pushed = await pushBundle(`oci://${host}/policies/k8s:v1`, 'policy', 'data');
    assert.match(pushed.digest, /^sha256:[0-9a-f]{64}$/);
  } finally {
    process.chdir(cwd);
  }
  const m = await new RegistryClient({ host }).getManifest('policies/k8s', 'v1');
  const manifest = JSON.parse(m.bytes.toString('utf8')) as { config: { mediaType: string }; layers: { mediaType: string; annotations: Record<string, string> }[] };
  assert.equal(manifest.config.mediaType, 'application/vnd.unknown.config.v1+json');
  const titles = manifest.layers.map((l) => `${l.mediaType === POLICY_LAYER_MEDIA_TYPE ? 'rego' : l.mediaType === DATA_LAYER_MEDIA_TYPE ? 'data' : '?'}:${l.annotations['org.opencontainers.image.title'] ?? ''}`);
  assert.deepEqual(titles, ['rego:policy/file.rego', 'rego:policy/k8s.rego', 'rego:policy/parse.rego', 'rego:policy/ports.rego', 'data:data/exclusions/ports.yaml']);

  const dest = join(dir, 'pulled');
  const files = await pullBundle(`${host}/policies/k8s:v1`, dest);
  assert.equal(files.length, 5);
  assert.equal(readFileSync(join(dest, 'policy/k8s.rego'), 'utf8'), readFileSync(join(fx, 'policy/k8s.rego'), 'utf8'));
  const run = await runTest([join(fx, 'inputs/service.yaml')], { policyPaths: [join(dest, 'policy')], dataPaths: [join(dest, 'data')], namespaces: ['ports'] });
  assert.deepEqual(run.results[0]?.failures?.map((f) => f.msg), ['Cannot expose port 8080']);

  // the CLI verbs: pull from the registry into -p DIR
  const bin = resolve(here, '../../bin/sekisho.js');
  const cliDest = join(dir, 'cli');
  // (asynchronous spawn: the registry answers from this process's event loop)
  const child = spawn(process.execPath, [bin, 'policy', 'pull', '--tls=false', '-p', cliDest, `oci://${host}/policies/k8s:v1`], { env: { ...process.env, DOCKER_CONFIG: dir } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const status = await new Promise<number | null>((res) => child.on('close', res));
  assert.equal(status, 0, stderr);
  assert.equal(readFileSync(join(cliDest, 'data/exclusions/ports.yaml'), 'utf8'), readFileSync(join(fx, 'data/exclusions/ports.yaml'), 'utf8'));
});
