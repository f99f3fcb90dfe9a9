// The GitLab client against a local stand-in following the documented v4 shapes: a merge request, a note
// with the policy results and a commit status, once per head commit; the token only in PRIVATE-TOKEN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { API_VERSION, GitLabClient, publishToGitLab, type ChangeRequest } from '../../src/pipeline/index.ts';

const TOKEN = 'glpat-standin-secret-0123456789';

test('GitLab: merge request, note and commit status; nothing repeated for the same head', async (t) => {
  const calls: Array<{ method: string; path: string; body?: Record<string, unknown>; token?: string }> = [];
  const mrs: Array<{ iid: number; source_branch: string; target_branch: string }> = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
      calls.push({
        method: req.method!,
        path: req.url!,
        ...(body ? { body } : {}),
        token: req.headers['private-token'] as string,
      });
      const send = (s: number, v: unknown) => {
        res.writeHead(s, { 'content-type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      const url = new URL(req.url!, 'http://x');
      const mrOut = (m: (typeof mrs)[number]) => ({
        ...m,
        state: 'opened',
        web_url: `https://gitlab.example/mr/${m.iid}`,
      });
      if (url.pathname === '/api/v4/projects/acme%2Fconfig/merge_requests' && req.method === 'GET')
        return send(200, mrs.filter((m) => m.source_branch === url.searchParams.get('source_branch')).map(mrOut));
      if (url.pathname === '/api/v4/projects/acme%2Fconfig/merge_requests' && req.method === 'POST') {
        const m = { iid: 3, source_branch: String(body!.source_branch), target_branch: String(body!.target_branch) };
        mrs.push(m);
        return send(201, mrOut(m));
      }
      if (/\/merge_requests\/3\/notes$/.test(url.pathname)) return send(201, { id: 41 });
      if (/\/statuses\/[0-9a-f]{40}$/.test(url.pathname)) return send(201, { id: 42 });
      return send(404, { message: '404 Not Found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const api = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/v4`;
  const sha = 'c'.repeat(40);
  const cr: ChangeRequest = {
    apiVersion: API_VERSION,
    kind: 'ChangeRequest',
    metadata: { name: 'promote-web-abc' },
    spec: {
      repo: 'r',
      base: 'main',
      head: 'sekisho/promote-web-abc',
      title: 'Promote web',
      description: 'Image: web',
      images: [],
      paths: ['apps/web'],
    },
    status: {
      phase: 'Open',
      headCommit: sha,
      baseCommit: 'd'.repeat(40),
      changedFiles: [],
      approvals: [],
      policy: {
        result: 'Failed',
        commit: sha,
        checkedAt: '',
        files: ['apps/web/deploy.yaml'],
        results: [
          { level: 'failure', file: 'apps/web/deploy.yaml', line: 4, message: 'too many replicas', namespace: 'main' },
        ],
      },
    },
  };
  const gl = new GitLabClient({ token: TOKEN, apiUrl: api });
  const first = await publishToGitLab(cr, gl, 'acme/config');
  assert.equal(first.created, true);
  assert.deepEqual(
    calls.map((c) => `${c.method} ${c.path}`),
    [
      'GET /api/v4/projects/acme%2Fconfig/merge_requests?state=opened&source_branch=sekisho%2Fpromote-web-abc&target_branch=main',
      'POST /api/v4/projects/acme%2Fconfig/merge_requests',
      'POST /api/v4/projects/acme%2Fconfig/merge_requests/3/notes',
      `POST /api/v4/projects/acme%2Fconfig/statuses/${sha}`,
    ],
  );
  assert.deepEqual(calls[1]!.body, {
    source_branch: 'sekisho/promote-web-abc',
    target_branch: 'main',
    title: 'Promote web',
    description: 'Image: web\n\nChange request: `promote-web-abc` (opened by Sekisho)',
  });
  assert.match(String(calls[2]!.body!.body), /`apps\/web\/deploy\.yaml:4` too many replicas/);
  assert.deepEqual(calls[3]!.body, {
    state: 'failed',
    name: 'sekisho/policy',
    description: 'Policy Failed: 1 failure(s)',
  });
  assert.ok(calls.every((c) => c.token === TOKEN));
  assert.deepEqual(cr.status!.external, {
    provider: 'gitlab',
    url: 'https://gitlab.example/mr/3',
    number: 3,
    checkedCommit: sha,
    commentId: 41,
  });
  const second = await publishToGitLab(cr, gl, 'acme/config');
  assert.equal(second.created, false);
  assert.deepEqual(
    calls.slice(4).map((c) => c.method),
    ['GET'],
  );
  await assert.rejects(
    new GitLabClient({ token: TOKEN, apiUrl: api }).note('nope', 1, 'x'),
    (e: Error) => /HTTP 404: 404 Not Found$/.test(e.message) && !e.message.includes(TOKEN),
  );
});
