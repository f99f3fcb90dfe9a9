import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCa, issueServingCert } from '../sandbox/index.ts';
import { AuditLog } from './audit-log.ts';
import { AuthStore } from './auth.ts';
import { startApiServer } from './api-server.ts';

function get(url: string, ca: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request(url, { ca, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

test('API over TLS; services that are not configured answer 502 with a reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-api-'));
  const ca = await generateCa('test-ca');
  const cert = await issueServingCert(ca, 'localhost', ['localhost'], ['127.0.0.1']);
  const auth = new AuthStore({ dir: join(dir, 'auth') });
  await auth.setUser('v', 'viewer-long-password', 'viewer');
  const { token } = auth.createToken('v', 't', 'viewer');
  const s = await startApiServer({
    host: '127.0.0.1',
    port: 0,
    auth,
    audit: new AuditLog(join(dir, 'audit.jsonl')),
    tls: { cert: cert.cert, key: cert.key },
  });
  try {
    assert.match(s.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const h = await get(`${s.url}/healthz`, ca.cert);
    assert.equal(h.status, 200);
    const apps = await get(`${s.url}/api/v1/applications`, ca.cert, token);
    assert.equal(apps.status, 502);
    assert.match(apps.body, /no cluster is configured/);
    assert.equal((await get(`${s.url}/api/v1/registry/repositories`, ca.cert, token)).status, 502);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
