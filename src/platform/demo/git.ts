// The git side of the demo: the demo's repositories live on the platform's git server (bare repos under
// <data-dir>/git, served over smart HTTP); the demo works in clones under <data-dir>/demo/work with the
// git CLI, with a fixed identity and no user or system configuration.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DemoError } from './errors.ts';

const ENV = {
  GIT_TERMINAL_PROMPT: '0',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Sekisho Demo',
  GIT_AUTHOR_EMAIL: 'demo@sekisho.invalid',
  GIT_COMMITTER_NAME: 'Sekisho Demo',
  GIT_COMMITTER_EMAIL: 'demo@sekisho.invalid',
};

/** Git's environment for pushes with an API token: a credential helper answers from the environment,
 * so the token is on no command line and in no .git/config. */
export function tokenEnv(token: string): Record<string, string> {
  return {
    SEKISHO_GIT_PASSWORD: token,
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'credential.helper',
    GIT_CONFIG_VALUE_0: '!f() { echo username=sekisho-demo; echo "password=$SEKISHO_GIT_PASSWORD"; }; f',
  };
}

export function git(args: string[], cwd?: string, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      { cwd, env: { ...process.env, ...ENV, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout.trim());
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ENOENT')
          return reject(
            new DemoError('demo_tool_missing', 'git is not installed; the demo needs the git CLI', { cause: err }),
          );
        reject(
          new DemoError('demo_step_failed', `git ${args.join(' ')} failed: ${stderr.trim() || err.message}`, {
            cause: err,
          }),
        );
      },
    );
  });
}

/** A working clone of one of the platform's bare repositories. */
export class WorkRepo {
  constructor(
    readonly dir: string,
    readonly remote: string,
    readonly env: Record<string, string> = {},
  ) {}

  /** Clones `remote` afresh into `dir` (a previous run's clone is discarded). */
  static async clone(remote: string, dir: string, env: Record<string, string> = {}): Promise<WorkRepo> {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    await git(['clone', '--quiet', remote, dir], undefined, env);
    // an empty repository has no branch yet
    await git(['checkout', '--quiet', '-B', 'main'], dir, env);
    return new WorkRepo(dir, remote, env);
  }

  run(...args: string[]): Promise<string> {
    return git(args, this.dir, this.env);
  }

  /** Makes the tree equal to `template` (a folder), keeping .git. */
  replaceTree(template: string): void {
    for (const e of readdirSync(this.dir))
      if (e !== '.git') rmSync(join(this.dir, e), { recursive: true, force: true });
    cpSync(template, this.dir, { recursive: true });
  }

  /** Commits everything; returns the new commit, or the current one when nothing changed. */
  async commitAll(message: string): Promise<{ sha: string; changed: boolean }> {
    await this.run('add', '-A');
    const status = await this.run('status', '--porcelain');
    const hasHead = await this.run('rev-parse', '--verify', '--quiet', 'HEAD').then(
      () => true,
      () => false,
    );
    if (status === '' && hasHead) return { sha: await this.run('rev-parse', 'HEAD'), changed: false };
    await this.run('commit', '--quiet', '--allow-empty', '-m', message);
    return { sha: await this.run('rev-parse', 'HEAD'), changed: true };
  }

  head(): Promise<string> {
    return this.run('rev-parse', 'HEAD');
  }

  /** Remote branches under `prefix` (e.g. `demo/`). */
  async remoteBranches(prefix: string): Promise<string[]> {
    const out = await this.run('ls-remote', '--heads', 'origin');
    return out
      .split('\n')
      .map((l) => l.split('\t')[1] ?? '')
      .filter((r) => r.startsWith(`refs/heads/${prefix}`))
      .map((r) => r.slice('refs/heads/'.length));
  }
}

export function bareRepoExists(root: string, name: string): boolean {
  return existsSync(join(root, `${name}.git`, 'HEAD'));
}
