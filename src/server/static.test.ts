import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from './audit-log.ts';
import { AuthStore } from './auth.ts';
import { startApiServer } from './api-server.ts';
import { isHashedAsset } from './static.ts';

test('hashed asset names', () => {
  assert.equal(isHashedAsset('index-DiwrgTda.js'), true);
  assert.equal(isHashedAsset('app.3f2a9c1b.css'), true);
  assert.equal(isHashedAsset('favicon.ico'), false);
  assert.equal(isHashedAsset('bootstrap-standalone.js'), false);
});

test('the UI is served at / with types, caching and index.html fallback; API paths stay JSON', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-static-'));
  const ui = join(dir, 'dist');
  mkdirSync(join(ui, 'assets'), { recursive: true });
  writeFileSync(join(ui, 'index.html'), '<!doctype html><title>Sekisho</title><div id=app></div>');
  writeFileSync(join(ui, 'assets', 'index-DiwrgTda.js'), 'console.log(1)');
  writeFileSync(join(ui, 'assets', 'index-3f2a9c1b.css'), 'body{}');
  writeFileSync(join(ui, 'favicon.svg'), '<svg/>');
  const auth = new AuthStore({ dir: join(dir, 'auth') });
  const s = await startApiServer({
    host: '127.0.0.1',
    port: 0,
    auth,
    audit: new AuditLog(join(dir, 'a.jsonl')),
    uiDir: ui,
  });
  const bare = await startApiServer({
    host: '127.0.0.1',
    port: 0,
    auth,
    audit: new AuditLog(join(dir, 'b.jsonl')),
    uiDir: join(dir, 'missing'),
  });
  try {
    const root = await fetch(`${s.url}/`);
    assert.equal(root.status, 200);
    assert.equal(root.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(root.headers.get('cache-control'), 'no-cache');
    assert.match(await root.text(), /<title>Sekisho<\/title>/);

    const js = await fetch(`${s.url}/assets/index-DiwrgTda.js`);
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(await js.text(), 'console.log(1)');
    const css = await fetch(`${s.url}/assets/index-3f2a9c1b.css`);
    assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
    await css.arrayBuffer();
    const svg = await fetch(`${s.url}/favicon.svg`);
    assert.equal(svg.headers.get('content-type'), 'image/svg+xml');
    assert.equal(svg.headers.get('cache-control'), 'public, max-age=0, must-revalidate');
    const etag = svg.headers.get('etag')!;
    await svg.arrayBuffer();
    const again = await fetch(`${s.url}/favicon.svg`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);

    // client-side routes fall back to index.html; missing assets and API paths do not
    const deep = await fetch(`${s.url}/applications/default/demo`);
    assert.equal(deep.status, 200);
    assert.match(await deep.text(), /<div id=app>/);
    const missing = await fetch(`${s.url}/assets/nope-12345678.js`);
    assert.equal(missing.status, 404);
    await missing.arrayBuffer();
    const api = await fetch(`${s.url}/api/v1/nope`);
    assert.equal(api.status, 404);
    assert.equal((await api.json()).error.code, 'server_not_found');
    const trav = await fetch(`${s.url}/..%2f..%2fetc%2fpasswd`);
    assert.notEqual((await trav.text()).includes('root:'), true);
    // POST on a UI path is not a static request
    const post = await fetch(`${s.url}/applications`, { method: 'POST' });
    assert.equal(post.status, 404);
    await post.arrayBuffer();

    const nb = await fetch(`${bare.url}/`);
    assert.equal(nb.status, 404);
    assert.equal(nb.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(await nb.text(), /web UI is not built/);
  } finally {
    await s.close();
    await bare.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
