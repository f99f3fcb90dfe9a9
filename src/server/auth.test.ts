import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthStore, RateLimiter, hashPassword, roleAtLeast, verifyPassword } from './auth.ts';
import { ServerError } from './errors.ts';

test('scrypt hashes: salted, verifiable, wrong password fails', async () => {
  const a = await hashPassword('correct horse battery');
  const b = await hashPassword('correct horse battery');
  assert.notEqual(a, b);
  assert.match(a, /^scrypt\$16384\$8\$1\$/);
  assert.equal(await verifyPassword('correct horse battery', a), true);
  assert.equal(await verifyPassword('correct horse batterx', a), false);
  assert.equal(await verifyPassword('x', 'plain'), false);
});

test('rate limiter: limit per key within the window, then free again', () => {
  let now = 0;
  const rl = new RateLimiter(3, 1000, () => now);
  for (let i = 0; i < 3; i++) {
    rl.check('k');
    rl.fail('k');
  }
  assert.throws(
    () => rl.check('k'),
    (e: unknown) => e instanceof ServerError && e.status === 429 && e.retryAfter === 1,
  );
  rl.check('other');
  now = 1001;
  rl.check('k');
});

test('roles are ordered viewer < developer < admin', () => {
  assert.ok(roleAtLeast('admin', 'developer'));
  assert.ok(roleAtLeast('developer', 'developer'));
  assert.ok(!roleAtLeast('viewer', 'developer'));
});

test('auth store: admin once, sessions, tokens stored as digests and capped by the user role', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-auth-'));
  try {
    const s = new AuthStore({ dir });
    const first = await s.ensureAdmin();
    assert.ok(first.password);
    assert.equal((await s.ensureAdmin()).password, undefined);
    const login = await s.login('admin', first.password!, '127.0.0.1');
    assert.equal(s.fromSession(login.sessionId)?.csrf, login.csrf);
    await assert.rejects(s.login('admin', 'wrong-password!', '127.0.0.1'), /wrong user name or password/);
    await assert.rejects(s.login('nobody', 'wrong-password!', '127.0.0.1'), /wrong user name or password/);

    await s.setUser('dev', 'dev-long-password', 'admin');
    const t = s.createToken('dev', 'ci', 'admin');
    assert.ok(!readFileSync(join(dir, 'tokens.json'), 'utf8').includes(t.token));
    assert.equal(s.fromToken(t.token)?.role, 'admin');
    // demoting the user demotes the token; a new password ends sessions
    await s.setUser('dev', 'dev-long-password', 'viewer');
    assert.equal(s.fromToken(t.token)?.role, 'viewer');
    const dl = await s.login('dev', 'dev-long-password', 'x');
    await s.setUser('dev', 'dev-new-long-password', 'viewer');
    assert.equal(s.fromSession(dl.sessionId), undefined);
    // state survives a new store on the same dir
    const again = new AuthStore({ dir });
    assert.equal(again.fromToken(t.token)?.user, 'dev');
    assert.equal(again.deleteToken(t.id), true);
    assert.equal(new AuthStore({ dir }).fromToken(t.token), undefined);
    await assert.rejects(s.setUser('Bad Name', 'long-enough-password', 'viewer'), /invalid user name/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
