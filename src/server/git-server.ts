// A git server for local repositories over smart HTTP: each request runs `git http-backend` as a CGI
// program with GIT_PROJECT_ROOT set to the repositories folder. Reads are open (loopback only);
// pushes go through `authorize`, which the platform wires to API tokens.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
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
  git?: string;
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
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
