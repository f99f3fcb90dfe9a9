// A thin runner over the git CLI for promotion and change requests: no prompts, a fixed identity
// unless the caller sets one, stderr carried in errors.
import { spawn } from 'node:child_process';
import { PipelineError } from '../errors.ts';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Git {
  constructor(
    readonly cwd: string,
    private readonly env: Record<string, string | undefined> = {},
  ) {}

  run(args: string[], o: { allowFail?: boolean; input?: string } = {}): Promise<GitResult> {
    return new Promise((res, rej) => {
      const child = spawn('git', args, {
        cwd: this.cwd,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          GIT_TERMINAL_PROMPT: '0',
          GIT_AUTHOR_NAME: 'Sekisho',
          GIT_AUTHOR_EMAIL: 'sekisho@localhost',
          GIT_COMMITTER_NAME: 'Sekisho',
          GIT_COMMITTER_EMAIL: 'sekisho@localhost',
          ...this.env,
        } as NodeJS.ProcessEnv,
        stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', (e) => rej(new PipelineError('promote_git_error', `git: ${e.message}`, { cause: e })));
      child.on('close', (code) => {
        const r = { code: code ?? 1, stdout, stderr };
        if (r.code !== 0 && !o.allowFail)
          rej(
            new PipelineError('promote_git_error', `git ${args.join(' ')}: ${redact(stderr.trim() || stdout.trim())}`),
          );
        else res(r);
      });
      if (o.input !== undefined && child.stdin) {
        child.stdin.on('error', () => undefined); // git may exit before reading it all
        child.stdin.end(o.input);
      }
    });
  }

  async out(args: string[]): Promise<string> {
    return (await this.run(args)).stdout.trim();
  }
}

/** Hides credentials in URLs (https://user:token@host → https://***@host). */
export function redact(s: string): string {
  return s.replace(/(\w+:\/\/)[^/@\s]+@/g, '$1***@');
}
