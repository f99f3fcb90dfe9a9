// Helpers for end-to-end tests of the sandbox: start `sekisho cluster serve` as a process, run real
// kubectl against it with its own cache directory.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

export function requireKubectl(): void {
  if (!existsSync(KUBECTL))
    throw new Error(
      `kubectl is required for the sandbox tests and was not found at ${KUBECTL} (set KUBECTL or install kubernetes-client)`,
    );
}

export interface ServerProcess {
  url: string;
  dataDir: string;
  kubeconfig: string;
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sekisho.js');
const SERVE = join(import.meta.dirname, 'serve.ts');

/**
 * Starts a sandbox server process and resolves once it prints `listening on <url>`: by default the
 * minimal entry `serve.ts` (same startSandbox as the CLI, without the other command groups), with
 * `viaCli` the real `sekisho cluster serve`.
 */
export function startServer(
  dataDir = mkdtempSync(join(tmpdir(), 'sekisho-sandbox-')),
  opts: { viaCli?: boolean } = {},
): Promise<ServerProcess> {
  const args = opts.viaCli
    ? [BIN, 'cluster', 'serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir]
    : ['--import', 'tsx', SERVE, '--listen', '127.0.0.1:0', '--data-dir', dataDir];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (line) => {
      const m = /^listening on (https:\/\/\S+)$/.exec(line);
      if (!m) return reject(new Error(`unexpected first line from cluster serve: ${line}\n${stderr}`));
      resolve({
        url: m[1]!,
        dataDir,
        kubeconfig: join(dataDir, 'kubeconfig'),
        child,
        stop: async (signal = 'SIGTERM') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    });
    child.once('exit', (code) => reject(new Error(`cluster serve exited with ${code}: ${stderr}`)));
  });
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectl(kubeconfig: string, args: string[], input?: string): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(
      KUBECTL,
      ['--kubeconfig', kubeconfig, '--cache-dir', join(kubeconfig, '..', 'kubectl-cache'), ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: join(kubeconfig, '..') }, maxBuffer: 32 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** kubectl that must succeed. */
export async function ok(kubeconfig: string, args: string[], input?: string): Promise<string> {
  const r = await kubectl(kubeconfig, args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}
