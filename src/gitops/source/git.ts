// Git sources: one bare repository per remote URL in a shared cache, refreshed with `git ls-remote`
// (cheap: no objects move when nothing changed) and `git fetch` when a wanted commit is missing;
// revisions (branch, tag, HEAD, commit SHA) resolved to commits; a commit's tree exported to a
// directory for rendering. Credentials stay out of logs and errors.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GitOpsError, redact } from '../errors.ts';
import type { ProcessRunner } from '../process.ts';

export interface GitCredentials {
  /** https: a token (or password) sent as basic auth through GIT_ASKPASS */
  username?: string;
  password?: string;
  /** ssh: a private key file */
  sshPrivateKeyPath?: string;
}

export interface GitCacheOptions {
  dir: string;
  run: ProcessRunner;
  git?: string;
  credentials?: (repoURL: string) => GitCredentials | undefined;
}

const SHA = /^[0-9a-f]{40}$/;

export class GitCache {
  private readonly git: string;
  private readonly locks = new Map<string, Promise<unknown>>();
  /** repoURL → ref name → commit, from the last ls-remote */
  private readonly refs = new Map<string, { at: number; refs: Map<string, string> }>();
  /** `<url> <sha>` of commits known to be in the cache: a bare repo keeps its commits, so once is enough
   * (every compare of every app resolves its revision; a `git cat-file` per compare was the hot spot) */
  private readonly present = new Set<string>();

  constructor(private readonly o: GitCacheOptions) {
    this.git = o.git ?? 'git';
    mkdirSync(o.dir, { recursive: true });
  }

  repoDir(repoURL: string): string {
    return join(this.o.dir, createHash('sha256').update(repoURL).digest('hex').slice(0, 24) + '.git');
  }

  private async serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    this.locks.set(key, next);
    try {
      return await next;
    } finally {
      if (this.locks.get(key) === next) this.locks.delete(key);
    }
  }

  private env(repoURL: string): Record<string, string> {
    const c = this.o.credentials?.(repoURL);
    const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0' };
    if (c?.sshPrivateKeyPath)
      env.GIT_SSH_COMMAND = `ssh -i '${c.sshPrivateKeyPath}' -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new`;
    if (c?.password !== undefined) {
      env.SEKISHO_GIT_USERNAME = c.username ?? 'git';
      env.SEKISHO_GIT_PASSWORD = c.password;
      // the askpass program answers from the environment, so the secret is on no command line
      env.GIT_ASKPASS = 'sh';
      env.GIT_CONFIG_COUNT = '1';
      env.GIT_CONFIG_KEY_0 = 'credential.helper';
      env.GIT_CONFIG_VALUE_0 =
        '!f() { echo "username=$SEKISHO_GIT_USERNAME"; echo "password=$SEKISHO_GIT_PASSWORD"; }; f';
    }
    return env;
  }

  private async run(repoURL: string, args: string[], cwd?: string): Promise<string> {
    const r = await this.o.run(this.git, args, { ...(cwd ? { cwd } : {}), env: this.env(repoURL), timeoutMs: 120_000 });
    if (r.code !== 0)
      throw new GitOpsError(
        'gitops_git_error',
        redact(`git ${args[0]} ${repoURL} failed: ${r.stderr.trim() || `exit code ${r.code}`}`),
      );
    return r.stdout.toString('utf8');
  }

  private async ensureRepo(repoURL: string): Promise<string> {
    const dir = this.repoDir(repoURL);
    if (existsSync(join(dir, 'HEAD'))) return dir;
    const tmp = dir + '.tmp';
    rmSync(tmp, { recursive: true, force: true });
    await this.run(repoURL, ['init', '--bare', '--quiet', tmp]);
    await this.run(repoURL, ['remote', 'add', 'origin', repoURL], tmp);
    renameSync(tmp, dir);
    return dir;
  }

  /** ls-remote calls queued behind a running one, per URL: callers arriving meanwhile share the queued one */
  private readonly lsQueued = new Map<string, { since: number; p: Promise<Map<string, string>> }>();

  /** The remote's refs (ls-remote) as listed at most `maxAgeMs` ago (counted from when the listing started).
   * Concurrent callers share one listing: a caller arriving while one is queued (not yet started) joins it. */
  async lsRemote(repoURL: string, maxAgeMs = 0): Promise<Map<string, string>> {
    const since = Date.now() - maxAgeMs;
    const c = this.refs.get(repoURL);
    if (c && c.at >= since) return c.refs;
    const queued = this.lsQueued.get(repoURL);
    if (queued) {
      // it starts after now, so it is fresh enough for this caller too
      queued.since = Math.max(queued.since, since);
      return queued.p;
    }
    const q = { since, p: undefined as unknown as Promise<Map<string, string>> };
    q.p = this.serial('ls:' + repoURL, async () => {
      if (this.lsQueued.get(repoURL) === q) this.lsQueued.delete(repoURL);
      const c2 = this.refs.get(repoURL);
      if (c2 && c2.at >= q.since) return c2.refs;
      const started = Date.now();
      const dir = await this.ensureRepo(repoURL);
      const out = await this.run(repoURL, ['ls-remote', '--symref', 'origin'], dir);
      const refs = new Map<string, string>();
      for (const line of out.split('\n')) {
        const sym = /^ref: (\S+)\s+HEAD$/.exec(line);
        if (sym) {
          refs.set('HEAD->', sym[1]!);
          continue;
        }
        const m = /^([0-9a-f]{40})\s+(\S+)$/.exec(line);
        if (m) refs.set(m[2]!, m[1]!);
      }
      this.refs.set(repoURL, { at: started, refs });
      return refs;
    });
    this.lsQueued.set(repoURL, q);
    void q.p
      .catch(() => undefined)
      .finally(() => {
        if (this.lsQueued.get(repoURL) === q) this.lsQueued.delete(repoURL);
      });
    return q.p;
  }

  /** Resolves a targetRevision (branch, tag, HEAD, SHA, or a SHA prefix already fetched) to a commit. */
  async resolve(repoURL: string, targetRevision: string | undefined, maxAgeMs = 0): Promise<string> {
    const rev = targetRevision && targetRevision !== '' ? targetRevision : 'HEAD';
    if (SHA.test(rev)) {
      await this.ensureCommit(repoURL, rev);
      return rev;
    }
    const refs = await this.lsRemote(repoURL, maxAgeMs);
    const sha =
      refs.get(rev) ??
      refs.get(`refs/heads/${rev}`) ??
      refs.get(`refs/tags/${rev}^{}`) ??
      refs.get(`refs/tags/${rev}`) ??
      (rev === 'HEAD' ? refs.get(refs.get('HEAD->') ?? '') : undefined);
    if (!sha) {
      // a short SHA: only if we already have the commit
      if (/^[0-9a-f]{7,39}$/.test(rev)) {
        const dir = await this.ensureRepo(repoURL);
        const r = await this.o.run(this.git, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { cwd: dir });
        if (r.code === 0) return r.stdout.toString().trim();
      }
      throw new GitOpsError('gitops_revision_not_found', redact(`revision "${rev}" not found in ${repoURL}`));
    }
    await this.ensureCommit(repoURL, sha);
    return sha;
  }

  private async has(dir: string, sha: string): Promise<boolean> {
    const r = await this.o.run(this.git, ['cat-file', '-e', `${sha}^{commit}`], { cwd: dir });
    return r.code === 0;
  }

  /** Fetches until the commit is in the cache. */
  async ensureCommit(repoURL: string, sha: string): Promise<void> {
    const key = repoURL + ' ' + sha;
    if (this.present.has(key)) return;
    await this.serial('fetch:' + repoURL, async () => {
      if (this.present.has(key)) return;
      await this.fetchCommit(repoURL, sha);
      this.present.add(key);
    });
  }

  private async fetchCommit(repoURL: string, sha: string): Promise<void> {
    const dir = await this.ensureRepo(repoURL);
    if (await this.has(dir, sha)) return;
    await this.run(
      repoURL,
      ['fetch', '--quiet', '--prune', '--no-tags', 'origin', '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'],
      dir,
    );
    if (await this.has(dir, sha)) return;
    // a commit no branch points at any more (e.g. a rollback target): ask for it by id
    const r = await this.o.run(this.git, ['fetch', '--quiet', 'origin', sha], { cwd: dir, env: this.env(repoURL) });
    if (r.code !== 0 || !(await this.has(dir, sha)))
      throw new GitOpsError('gitops_revision_not_found', redact(`commit ${sha} not found in ${repoURL}`));
  }

  /** The annotated tag `rev` names on the remote (per the last ls-remote): its refs/tags/ name and object id. */
  async annotatedTag(
    repoURL: string,
    rev: string | undefined,
    maxAgeMs = 0,
  ): Promise<{ name: string; object: string; commit: string } | undefined> {
    if (!rev || SHA.test(rev) || rev === 'HEAD') return undefined;
    const refs = await this.lsRemote(repoURL, maxAgeMs);
    if (!rev.startsWith('refs/tags/') && (refs.has(rev) || refs.has(`refs/heads/${rev}`))) return undefined;
    const name = rev.startsWith('refs/tags/') ? rev : `refs/tags/${rev}`;
    const object = refs.get(name);
    const commit = refs.get(`${name}^{}`);
    return commit && object ? { name, object, commit } : undefined;
  }

  /** The raw commit or tag object (a tag is fetched when the cache does not have it yet). */
  async catFile(repoURL: string, type: 'commit' | 'tag', rev: string): Promise<string> {
    const dir = await this.ensureRepo(repoURL);
    if (type === 'tag') {
      const want = this.refs.get(repoURL)?.refs.get(rev);
      const have = await this.o.run(this.git, ['rev-parse', '--verify', '--quiet', rev], { cwd: dir });
      if (have.code !== 0 || (want && have.stdout.toString().trim() !== want))
        await this.serial('fetch:' + repoURL, () =>
          this.run(repoURL, ['fetch', '--quiet', '--no-tags', 'origin', `+${rev}:${rev}`], dir),
        );
    }
    return this.run(repoURL, ['cat-file', type, rev], dir);
  }

  /** Runs `git verify-commit|verify-tag --raw` in the cache repo; the status output is on stderr. */
  async verify(
    repoURL: string,
    what: 'commit' | 'tag',
    rev: string,
    env: Record<string, string>,
    config: string[],
  ): Promise<{ code: number; output: string }> {
    const dir = await this.ensureRepo(repoURL);
    const r = await this.o.run(this.git, [...config.flatMap((c) => ['-c', c]), `verify-${what}`, '--raw', rev], {
      cwd: dir,
      env,
      timeoutMs: 60_000,
    });
    return { code: r.code, output: r.stderr + r.stdout.toString('utf8') };
  }

  /** Writes the tree of `sha` into `dest` (once; the directory is reused for the same commit). */
  async export(repoURL: string, sha: string, dest: string): Promise<string> {
    if (existsSync(join(dest, '.sekisho-complete'))) return dest;
    return this.serial('export:' + dest, async () => {
      if (existsSync(join(dest, '.sekisho-complete'))) return dest;
      const dir = await this.ensureRepo(repoURL);
      const tmp = dest + '.tmp' + process.pid;
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { recursive: true });
      const tar = await this.o.run(this.git, ['archive', '--format=tar', sha], { cwd: dir });
      if (tar.code !== 0) throw new GitOpsError('gitops_git_error', `git archive ${sha}: ${tar.stderr.trim()}`);
      const x = await this.o.run('tar', ['-x', '-f', '-', '-C', tmp], { input: tar.stdout });
      if (x.code !== 0) throw new GitOpsError('gitops_git_error', `tar: ${x.stderr.trim()}`);
      writeFileSync(join(tmp, '.sekisho-complete'), sha + '\n');
      rmSync(dest, { recursive: true, force: true });
      renameSync(tmp, dest);
      return dest;
    });
  }
}
