// The process runner the GitOps area uses for git and kustomize. Callers pass one in; `spawnRunner`
// is the default over node:child_process for callers that have no other.
import { spawn } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}
export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  input?: Buffer | string;
  timeoutMs?: number;
}
export type ProcessRunner = (cmd: string, args: string[], opts?: RunOptions) => Promise<RunResult>;

export const spawnRunner: ProcessRunner = (cmd, args, opts = {}) =>
  new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', ...(opts.env ?? {}) },
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: err }));
    child.stdin.end(opts.input);
  });
