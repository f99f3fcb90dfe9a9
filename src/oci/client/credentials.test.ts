import { test } from 'node:test';
import assert from 'node:assert/strict';
import { credentialFromConfig, dockerConfigCredentials } from './credentials.ts';
import { parseChallenges } from './challenge.ts';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('docker config.json: auths (base64 and fields), Docker Hub keys, credHelpers and credsStore', async () => {
  const cfg = {
    auths: {
      'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw').toString('base64') },
      'ghcr.io': { username: 'u', password: 'p' },
      'quay.io': { identitytoken: 'refresh' },
    },
    credHelpers: { 'gcr.io': 'gcloud' },
  };
  assert.deepEqual(credentialFromConfig(cfg, 'docker.io'), { username: 'hub', password: 'pw' });
  assert.deepEqual(credentialFromConfig(cfg, 'registry-1.docker.io'), { username: 'hub', password: 'pw' });
  assert.deepEqual(credentialFromConfig(cfg, 'ghcr.io'), { username: 'u', password: 'p' });
  assert.deepEqual(credentialFromConfig(cfg, 'quay.io'), { identityToken: 'refresh' });
  assert.deepEqual(credentialFromConfig(cfg, 'gcr.io'), { helper: 'gcloud' });
  assert.equal(credentialFromConfig(cfg, 'other.example'), undefined);
  assert.deepEqual(credentialFromConfig({ credsStore: 'pass' }, 'x.io'), { helper: 'pass' });

  const dir = await mkdtemp(join(tmpdir(), 'sekisho-cred-'));
  try {
    const p = join(dir, 'config.json');
    await writeFile(p, JSON.stringify(cfg));
    const asked: string[] = [];
    const provider = dockerConfigCredentials(p, async (helper, server) => {
      asked.push(`${helper} ${server}`);
      return { Username: 'oauth2accesstoken', Secret: 'tok' };
    });
    assert.deepEqual(await provider('gcr.io'), { username: 'oauth2accesstoken', password: 'tok' });
    assert.deepEqual(asked, ['gcloud gcr.io']);
    assert.equal(await dockerConfigCredentials(join(dir, 'missing.json'))('ghcr.io'), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('WWW-Authenticate challenges', () => {
  assert.deepEqual(
    parseChallenges(
      'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"',
    ),
    [
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' },
      },
    ],
  );
  assert.deepEqual(parseChallenges('Basic realm="x"'), [{ scheme: 'basic', params: { realm: 'x' } }]);
});
