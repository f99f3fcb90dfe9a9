// A git server for local repositories over smart HTTP: each request runs `git http-backend` as a CGI
// program with GIT_PROJECT_ROOT set to the repositories folder. Reads are open (loopback only);
// pushes go through `authorize`, which the platform wires to API tokens. With `onPush`, every successful
// receive-pack is reported (repository, and each ref's old → new commit): the server points git at its own
// hooks folder (core.hooksPath, for these requests only) whose post-receive appends git's ref lines to a
// file named per request, read and removed once the request ends.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { ServerError } from './errors.ts';

export interface GitServerOptions {
  /** folder holding bare repositories (`<name>.git`) */
  root: string;
  host: string;
  port: number;
  /** decides whether a push may happen; returns the user name or throws a ServerError (401/403) */
  authorize?: (req: IncomingMessage, write: boolean) => Promise<string | undefined>;
  /** told of every push that updated refs, after git has updated them */
  onPush?: (e: PushNotification) => void;
  /** folder for the push hook and its per-request files (default: a temporary folder removed on close);
   * outside `root`, which holds repositories only */
  hooksDir?: string;
  git?: string;
}

/** One receive-pack that updated refs. */
export interface PushNotification {
  /** repository name (as in checkRepoName: `app`, `team/config`) */
  repo: string;
  /** one entry per ref, in git's order; all zeros for a created ref's `old` or a deleted ref's `new` */
  updates: Array<{ ref: string; old: string; new: string }>;
  /** the user `authorize` returned */
  user?: string;
}

const POST_RECEIVE =
  '#!/bin/sh\n# sekisho git server: report the updated refs to the server\n[ -n "$SEKISHO_PUSH_LOG" ] && cat >> "$SEKISHO_PUSH_LOG"\nexit 0\n';

/** The repository of a receive-pack request path (`/team/app.git/git-receive-pack`). */
function pushedRepo(pathInfo: string): string | undefined {
  const m = /^\/(.+?)(?:\.git)?\/git-receive-pack$/.exec(pathInfo);
  return m?.[1];
}

function parseRefLines(text: string): PushNotification['updates'] {
  const out: PushNotification['updates'] = [];
  for (const line of text.split('\n')) {
    const [old, nu, ref] = line.trim().split(/\s+/);
    if (old && nu && ref) out.push({ ref, old, new: nu });
  }
  return out;
}

export interface GitServer {
  url: string;
  root: string;
  server: Server;
  close(): Promise<void>;
}

const REPO_NAME = /^[a-z0-9]([a-z0-9._-]{0,98}[a-z0-9])?(\/[a-z0-9]([a-z0-9._-]{0,98}[a-z0-9])?)?$/;

export function checkRepoName(name: string): string {
  const n = name.endsWith('.git') ? name.slice(0, -4) : name;
  if (!REPO_NAME.test(n) || n.includes('..'))
    throw new ServerError(
      'server_bad_request',
      `invalid repository name "${name}" (lowercase letters, digits, . _ -, at most one "/")`,
    );
  return n;
}

/** Runs git with arguments, resolving with stdout; rejects with stderr on a non-zero exit. */
export function runGit(git: string, args: string[], cwd?: string): Promise<string> {
  return new Promise((res, rej) => {
    const p = spawn(git, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', rej);
    p.on('close', (code) => (code === 0 ? res(out) : rej(new Error(`git ${args[0]} failed: ${err.trim()}`))));
  });
}

/** Creates a bare repository `<root>/<name>.git` (default branch main); 409 when it exists. */
export async function createRepo(root: string, name: string, git = 'git'): Promise<string> {
  const n = checkRepoName(name);
  const dir = join(root, `${n}.git`);
  if (existsSync(dir)) throw new ServerError('server_conflict', `repository "${n}" already exists`);
  mkdirSync(join(dir, '..'), { recursive: true });
  // git init into a temporary name and rename, so a crash leaves no half-made repository
  const tmp = `${dir}.tmp-${process.pid}`;
  await runGit(git, ['init', '--bare', '--quiet', '--initial-branch=main', tmp]);
  await runGit(git, ['config', 'http.receivepack', 'true'], tmp);
  const { renameSync } = await import('node:fs');
  renameSync(tmp, dir);
  return n;
}

export async function listRepos(root: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const out: string[] = [];
  const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory() || e.name.includes('.tmp-')) continue;
      if (e.name.endsWith('.git')) out.push(prefix + e.name.slice(0, -4));
      else if (depth === 0) await walk(join(dir, e.name), `${e.name}/`, 1);
    }
  };
  await walk(root, '', 0);
  return out.sort();
}

function isWrite(url: URL): boolean {
  return url.pathname.endsWith('/git-receive-pack') || url.searchParams.get('service') === 'git-receive-pack';
}

export async function startGitServer(o: GitServerOptions): Promise<GitServer> {
  const root = resolve(o.root);
  mkdirSync(root, { recursive: true });
  const git = o.git ?? 'git';
  const state = o.onPush ? (o.hooksDir ? resolve(o.hooksDir) : mkdtempSync(join(tmpdir(), 'sekisho-git-hooks-'))) : '';
  const hooks = join(state, 'hooks');
  const pushLogs = join(state, 'pushes');
  if (o.onPush) {
    mkdirSync(hooks, { recursive: true });
    mkdirSync(pushLogs, { recursive: true });
    writeFileSync(join(hooks, 'post-receive'), POST_RECEIVE);
    chmodSync(join(hooks, 'post-receive'), 0o755);
  }
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const write = isWrite(url);
    let user: string | undefined;
    try {
      if (o.authorize) user = await o.authorize(req, write);
    } catch (e) {
      const err = e instanceof ServerError ? e : new ServerError('server_unauthenticated', String(e));
      if (err.status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="sekisho git"');
      res.writeHead(err.status, { 'Content-Type': 'text/plain' }).end(err.message + '\n');
      req.resume();
      return;
    }
    if (url.pathname.includes('..')) {
      res.writeHead(400).end('bad path\n');
      return;
    }
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      REQUEST_METHOD: req.method ?? 'GET',
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_ADDR: req.socket.remoteAddress ?? '',
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: 'HTTP/1.1',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: root,
    };
    if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
    if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = String(req.headers['content-encoding']);
    if (req.headers['git-protocol']) env.GIT_PROTOCOL = String(req.headers['git-protocol']);
    if (user) env.REMOTE_USER = user;
    const pathInfo = env.PATH_INFO ?? '';
    const pushed = o.onPush && req.method === 'POST' ? pushedRepo(pathInfo) : undefined;
    let pushLog: string | undefined;
    if (pushed) {
      pushLog = join(pushLogs, randomBytes(8).toString('hex'));
      env.SEKISHO_PUSH_LOG = pushLog;
      env.GIT_CONFIG_COUNT = '1';
      env.GIT_CONFIG_KEY_0 = 'core.hooksPath';
      env.GIT_CONFIG_VALUE_0 = hooks;
    }
    const report = (): void => {
      if (!pushLog || !pushed) return;
      let text = '';
      try {
        text = readFileSync(pushLog, 'utf8');
      } catch {
        return; // no ref was updated
      } finally {
        rmSync(pushLog, { force: true });
      }
      const updates = parseRefLines(text);
      if (updates.length === 0) return;
      try {
        o.onPush!({ repo: pushed.replace(/\.git$/, ''), updates, ...(user ? { user } : {}) });
      } catch {
        // a listener's failure does not concern the pushing client
      }
    };
    const cgi = spawn(git, ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    req.pipe(cgi.stdin);
    cgi.stdin.on('error', () => {});
    let head = Buffer.alloc(0);
    let headersDone = false;
    let stderr = '';
    cgi.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      let idx = head.indexOf('\r\n\r\n');
      let sep = 4;
      if (idx < 0) {
        idx = head.indexOf('\n\n');
        sep = 2;
      }
      if (idx < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, idx).toString('latin1').split(/\r?\n/)) {
        const c = line.indexOf(':');
        if (c < 0) continue;
        const k = line.slice(0, c).trim();
        const v = line.slice(c + 1).trim();
        if (k.toLowerCase() === 'status') status = Number.parseInt(v, 10) || 200;
        else res.setHeader(k, v);
      }
      res.writeHead(status);
      res.write(head.subarray(idx + sep));
    });
    cgi.on('error', (e) => {
      if (!res.headersSent) res.writeHead(500).end(`git http-backend: ${e.message}\n`);
    });
    cgi.on('close', (code) => {
      report();
      if (!headersDone) {
        if (!res.headersSent) res.writeHead(500).end(`git http-backend exited ${code}: ${stderr.trim()}\n`);
        return;
      }
      res.end();
    });
  };
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((r, j) => {
    server.once('error', j);
    server.listen(o.port, o.host, () => r());
  });
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    url: `http://${host}:${a.port}`,
    root,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => {
          if (state && !o.hooksDir) rmSync(state, { recursive: true, force: true });
          r();
        });
        server.closeAllConnections();
      }),
  };
}
