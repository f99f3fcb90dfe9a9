// The git server reports each push that updated refs (repository, ref, old → new) to onPush, after git
// has updated them; a refused push and a fetch report nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServerError, createRepo, startGitServer, type PushNotification } from '../../src/server/index.ts';
import { tempDir } from './helpers.ts';

// asynchronous: the git server answers from this very process
function git(cwd: string, ...args: string[]): Promise<{ status: number; out: string; err: string }> {
  return new Promise((res) => {
    execFile(
      'git',
      args,
      {
        cwd,
        env: {
          ...process.env,
          GIT_TERMINAL_PROMPT: '0',
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@x',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@x',
        },
      },
      (e, stdout, stderr) => res({ status: e ? Number(e.code) || 1 : 0, out: stdout.trim(), err: stderr }),
    );
  });
}
const ok = async (cwd: string, ...args: string[]) => {
  const r = await git(cwd, ...args);
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.err}`);
  return r.out;
};

test('each receive-pack that updates refs is reported with old and new commits', async (t) => {
  const dir = tempDir(t, 'gitpush');
  const seen: PushNotification[] = [];
  const waiters: Array<() => void> = [];
  const srv = await startGitServer({
    root: join(dir, 'git'),
    host: '127.0.0.1',
    port: 0,
    authorize: async (req, write) => {
      if (!write) return undefined;
      if (req.headers.authorization !== `Basic ${Buffer.from('u:good').toString('base64')}`)
        throw new ServerError('server_unauthenticated', 'no');
      return 'dev';
    },
    onPush: (e) => {
      seen.push(e);
      waiters.shift()?.();
    },
  });
  t.after(() => srv.close());
  await createRepo(srv.root, 'team/app');
  const next = () => new Promise<void>((r) => waiters.push(r));
  const work = join(dir, 'work');
  const port = new URL(srv.url).port;
  await ok(dir, 'clone', '-q', `http://u:good@127.0.0.1:${port}/team/app.git`, work);
  writeFileSync(join(work, 'a'), '1');
  await ok(work, 'add', 'a');
  await ok(work, 'commit', '-q', '-m', 'one');
  const c1 = await ok(work, 'rev-parse', 'HEAD');
  let got = next();
  await ok(work, 'push', '-q', 'origin', 'HEAD:refs/heads/main');
  await got;
  assert.deepEqual(seen[0], {
    repo: 'team/app',
    user: 'dev',
    updates: [{ ref: 'refs/heads/main', old: '0'.repeat(40), new: c1 }],
  });

  writeFileSync(join(work, 'a'), '2');
  await ok(work, 'commit', '-q', '-am', 'two');
  const c2 = await ok(work, 'rev-parse', 'HEAD');
  got = next();
  await ok(work, 'push', '-q', 'origin', 'HEAD:refs/heads/main', `${c1}:refs/heads/other`, 'HEAD:refs/tags/v2');
  await got;
  assert.deepEqual(
    [...seen[1]!.updates].sort((a, b) => a.ref.localeCompare(b.ref)),
    [
      { ref: 'refs/heads/main', old: c1, new: c2 },
      { ref: 'refs/heads/other', old: '0'.repeat(40), new: c1 },
      { ref: 'refs/tags/v2', old: '0'.repeat(40), new: c2 },
    ],
  );
  got = next();
  await ok(work, 'push', '-q', 'origin', ':refs/heads/other');
  await got;
  assert.deepEqual(seen[2]!.updates, [{ ref: 'refs/heads/other', old: c1, new: '0'.repeat(40) }]);

  // a refused push and a fetch report nothing; a push that changes nothing neither
  await ok(work, 'remote', 'set-url', 'origin', `http://u:bad@127.0.0.1:${port}/team/app.git`);
  assert.notEqual((await git(work, 'push', '-q', 'origin', 'HEAD:refs/heads/refused')).status, 0);
  await ok(work, 'remote', 'set-url', 'origin', `http://u:good@127.0.0.1:${port}/team/app.git`);
  await ok(work, 'fetch', '-q', 'origin');
  await ok(work, 'push', '-q', 'origin', 'HEAD:refs/heads/main');
  // a last real push proves the listener was reached in order with nothing in between
  writeFileSync(join(work, 'a'), '3');
  await ok(work, 'commit', '-q', '-am', 'three');
  const c3 = await ok(work, 'rev-parse', 'HEAD');
  got = next();
  await ok(work, 'push', '-q', 'origin', 'HEAD:refs/heads/main');
  await got;
  assert.equal(seen.length, 4);
  assert.deepEqual(seen[3]!.updates, [{ ref: 'refs/heads/main', old: c2, new: c3 }]);
});
