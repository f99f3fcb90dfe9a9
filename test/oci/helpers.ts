// Shared test plumbing: an in-process embedded registry on 127.0.0.1:0, Debian's docker-registry spawned
// with its own config, and checks that required binaries exist (missing ones fail loudly, never skip).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryServer } from '../../src/oci/server/registry-server.ts';
import { openFsStorage, type FsRegistryStorage } from '../../src/oci/storage/fs-storage.ts';
import type { RegistryAuth } from '../../src/oci/server/auth.ts';

export function requireBinary(name: string, pkg: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  if (r.status !== 0 || path === '') {
    throw new Error(`required binary ${name} not found; install the Debian package ${pkg} (it is listed in .ci/run)`);
  }
  return path;
}

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `sekisho-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface EmbeddedRegistry {
  url: string;
  /** host:port */
  host: string;
  dir: string;
  server: RegistryServer;
  storage: FsRegistryStorage;
  close(): Promise<void>;
}

export async function startEmbedded(opts: { auth?: RegistryAuth; dir?: string } = {}): Promise<EmbeddedRegistry> {
  const t = opts.dir ? { dir: opts.dir, cleanup: async () => undefined } : await tempDir('registry');
  const storage = await openFsStorage(t.dir);
  const server = new RegistryServer({ storage, ...(opts.auth ? { auth: opts.auth } : {}) });
  const url = await server.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    host: url.replace(/^https?:\/\//, ''),
    dir: t.dir,
    server,
    storage,
    close: async () => {
      await server.close();
      await t.cleanup();
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface DistributionRegistry {
  url: string;
  host: string;
  close(): Promise<void>;
}

/** Starts Debian's docker-registry (distribution 2.8) on 127.0.0.1 with deletes enabled. */
export async function startDistribution(): Promise<DistributionRegistry> {
  const bin = requireBinary('docker-registry', 'docker-registry');
  const t = await tempDir('distribution');
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const config = [
      'version: 0.1',
      'log:',
      '  level: info',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(t.dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      '  maintenance:',
      '    uploadpurging:',
      '      enabled: false',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n');
    const cfgPath = join(t.dir, 'config.yml');
    await writeFile(cfgPath, config);
    const child: ChildProcess = spawn(bin, ['serve', cfgPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    const url = `http://127.0.0.1:${port}`;
    // docker-registry logs "listening on <addr>" once it accepts connections
    const { ok, stderr } = await new Promise<{ ok: boolean; stderr: string }>((resolve) => {
      let buf = '';
      const onData = (d: Buffer): void => {
        buf += d.toString();
        if (buf.includes('listening on')) {
          child.stderr?.off('data', onData);
          child.stderr?.resume();
          resolve({ ok: true, stderr: buf });
        }
      };
      child.stderr?.on('data', onData);
      child.once('exit', () => resolve({ ok: false, stderr: buf }));
    });
    if (ok) {
      return {
        url,
        host: `127.0.0.1:${port}`,
        close: async () => {
          const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
          child.kill('SIGTERM');
          await exited;
          await t.cleanup();
        },
      };
    }
    child.kill('SIGKILL');
    if (attempt >= 2) {
      await t.cleanup();
      throw new Error(`docker-registry did not start: ${stderr}`);
    }
  }
}

/** Runs a command, resolving with its output; rejects with stderr on failure. */
export function run(
  cmd: string,
  args: string[],
  opts: { input?: string } = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`));
    });
    if (opts.input !== undefined && child.stdin) {
      // a child that exits without reading its input must not crash the test with EPIPE
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }
  });
}

/** Starts `sekisho <args>` (a server command) and waits for its `listening on <url>` line. */
export async function startCli(
  args: string[],
): Promise<{ url: string; stop: () => Promise<void>; kill: () => Promise<void> }> {
  const child = spawn(process.execPath, [join(import.meta.dirname, '../../bin/sekisho.js'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        const m = /^listening on (\S+)$/.exec(buf.slice(0, nl));
        if (m) resolve(m[1]!);
        else reject(new Error(`unexpected first line ${JSON.stringify(buf.slice(0, nl))}`));
      }
    });
    child.once('exit', (code) => reject(new Error(`sekisho ${args.join(' ')} exited ${code}: ${stderr}`)));
  });
  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(sig);
    await exited;
  };
  return { url, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL') };
}
