// The GitHub client against a local stand-in that follows the documented REST shapes: exactly the calls
// for a pull request with a policy comment and a check run, nothing repeated on a re-run, and the token
// only in the Authorization header (never in output or errors).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GitHubClient, PipelineError } from '../../src/pipeline/index.ts';
import { tempDir, git } from './helpers.ts';

const TOKEN = 'ghp_standin0123456789secrettoken';
const D = 'sha256:' + '3c'.repeat(32);
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sekisho.js');

interface Call {
  method: string;
  path: string;
  body: Record<string, unknown> | undefined;
  auth: string | undefined;
  version: string | undefined;
}

/** A GitHub stand-in: records calls; open pull requests are kept so a second run finds them. */
async function standIn(t: { after: (fn: () => Promise<void>) => void }) {
  const calls: Call[] = [];
  const pulls: Array<{ number: number; head: string; base: string; sha: string }> = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
      calls.push({
        method: req.method!,
        path: req.url!,
        body,
        auth: req.headers.authorization,
        version: req.headers['x-github-api-version'] as string | undefined,
      });
      const send = (status: number, v: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      const url = new URL(req.url!, 'http://x');
      if (req.headers.authorization !== `Bearer ${TOKEN}`)
        return send(401, { message: `Bad credentials: ${req.headers.authorization}` });
      const m = /^\/repos\/([^/]+)\/([^/]+)\/(.*)$/.exec(url.pathname);
      if (!m) return send(404, { message: 'Not Found' });
      const [, owner, , rest] = m;
      if (req.method === 'GET' && rest === 'pulls') {
        const head = url.searchParams.get('head');
        return send(
          200,
          pulls
            .filter((p) => `${owner}:${p.head}` === head && p.base === url.searchParams.get('base'))
            .map((p) => ({
              number: p.number,
              state: 'open',
              html_url: `https://github.example/pull/${p.number}`,
              head: { ref: p.head, sha: p.sha },
              base: { ref: p.base },
            })),
        );
      }
      if (req.method === 'POST' && rest === 'pulls') {
        const p = { number: 7 + pulls.length, head: String(body!.head), base: String(body!.base), sha: 'x' };
        pulls.push(p);
        return send(201, {
          number: p.number,
          state: 'open',
          html_url: `https://github.example/pull/${p.number}`,
          head: { ref: p.head, sha: p.sha },
          base: { ref: p.base },
        });
      }
      if (req.method === 'POST' && /^issues\/\d+\/comments$/.test(rest!))
        return send(201, { id: 100 + calls.length, html_url: 'https://github.example/c' });
      if (req.method === 'POST' && rest === 'check-runs')
        return send(201, { id: 555, html_url: 'https://github.example/runs/555' });
      return send(404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => server.close(() => r())));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, calls };
}

function cli(cwd: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const c = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env } });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    c.on('close', (code) => res({ code, out }));
  });
}

test('sekisho promote --github: PR, policy comment and check run with annotations; re-run adds nothing; token never printed', async (t) => {
  const gh = await standIn(t);
  const root = tempDir(t, 'gh');
  const edit = join(root, 'edit');
  mkdirSync(join(edit, 'apps', 'web'), { recursive: true });
  mkdirSync(join(edit, 'policy'), { recursive: true });
  writeFileSync(
    join(edit, 'apps', 'web', 'deploy.yaml'),
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 9\n  template:\n    spec:\n      containers:\n        - name: web\n          image: reg.local/web:1\n',
  );
  writeFileSync(
    join(edit, 'policy', 'r.rego'),
    'package main\n\ndeny contains msg if {\n  input.spec.replicas > 5\n  msg := sprintf("%d replicas is more than 5", [input.spec.replicas])\n}\n',
  );
  git(root, 'init', '-q', '-b', 'main', edit);
  git(edit, 'add', '-A');
  git(edit, 'commit', '-q', '-m', 'init');
  git(root, 'clone', '-q', '--bare', edit, join(root, 'config.git'));
  const args = [
    'promote',
    '--repo',
    join(root, 'config.git'),
    '--path',
    'apps/web',
    '--image',
    `reg.local/web=reg.local/web@${D}`,
    '--github',
    'acme/config',
    '--github-api',
    gh.url,
    '--data-dir',
    join(root, 'data'),
  ];
  const first = await cli(root, args, { GITHUB_TOKEN: TOKEN });
  assert.equal(first.code, 1, first.out); // the policy check failed
  assert.doesNotMatch(first.out, new RegExp(TOKEN));
  assert.match(first.out, /pull request #7 opened/);
  const branch = `sekisho/promote-web-${D.slice(7, 19)}`;
  assert.deepEqual(
    gh.calls.map((c) => `${c.method} ${c.path}`),
    [
      `GET /repos/acme/config/pulls?head=acme%3A${encodeURIComponent(branch)}&base=main&state=open`,
      'POST /repos/acme/config/pulls',
      'POST /repos/acme/config/issues/7/comments',
      'POST /repos/acme/config/check-runs',
    ],
  );
  for (const c of gh.calls) {
    assert.equal(c.auth, `Bearer ${TOKEN}`);
    assert.equal(c.version, '2022-11-28');
  }
  const pr = gh.calls[1]!.body!;
  assert.deepEqual(Object.keys(pr).sort(), ['base', 'body', 'head', 'title']);
  assert.equal(pr.head, branch);
  assert.equal(pr.base, 'main');
  assert.match(
    String(gh.calls[2]!.body!.body),
    /Policy check \*\*Failed\*\*.*\n[\s\S]*apps\/web\/deploy\.yaml:1` 9 replicas is more than 5/,
  );
  const check = gh.calls[3]!.body!;
  assert.equal(check.name, 'sekisho/policy');
  assert.match(String(check.head_sha), /^[0-9a-f]{40}$/);
  assert.equal(check.status, 'completed');
  assert.equal(check.conclusion, 'failure');
  assert.deepEqual((check.output as { annotations: unknown[] }).annotations, [
    {
      path: 'apps/web/deploy.yaml',
      start_line: 1,
      end_line: 1,
      annotation_level: 'failure',
      message: '9 replicas is more than 5',
      title: 'policy main',
    },
  ]);

  // the same promotion again: the pull request is found, and nothing is posted again
  const second = await cli(root, args, { GITHUB_TOKEN: TOKEN });
  assert.match(second.out, /pull request #7 found/);
  assert.deepEqual(
    gh.calls.slice(4).map((c) => c.method),
    ['GET'],
  );
});

test('GitHub API errors name the call and status, with the token redacted', async (t) => {
  const gh = await standIn(t);
  const client = new GitHubClient({ token: 'wrong-' + TOKEN, apiUrl: gh.url });
  await assert.rejects(
    client.createPull('acme', 'config', { title: 't', head: 'h', base: 'main', body: '' }),
    (e: unknown) => {
      assert.ok(e instanceof PipelineError);
      assert.equal(e.code, 'github_api_error');
      assert.match(e.message, /^POST \/repos\/acme\/config\/pulls: HTTP 401: Bad credentials: Bearer \*\*\*$/);
      return true;
    },
  );
});
