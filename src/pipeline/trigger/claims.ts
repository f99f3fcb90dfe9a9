// Which commits of which repositories have been taken for a run: one small JSON file per commit,
// `<dir>/<repo key>/<sha>.json`, created exclusively (O_EXCL) when the commit is first seen, so a commit
// is run at most once however many refs point to it, by polling or by push, across restarts.
// Later states are written by temp file + rename.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export type ClaimState =
  /** waiting in the queue */
  | 'queued'
  /** the run started (runDir set) */
  | 'running'
  /** the run ended (phase set) */
  | 'done'
  /** the commit has no pipeline file */
  | 'skipped'
  /** the run could not start (message) */
  | 'error';

export interface Claim {
  /** the repository as users name it (URL or path) */
  repo: string;
  /** where it is fetched from (a local path for the platform's own repositories) */
  source: string;
  /** short name for labels */
  name: string;
  commit: string;
  branch: string;
  trigger: string;
  state: ClaimState;
  claimedAt: string;
  run?: string;
  runDir?: string;
  phase?: string;
  message?: string;
}

/** A stable short key of a repository's identity. */
export function repoKey(repo: string): string {
  return createHash('sha256').update(repo).digest('hex').slice(0, 16);
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

export class CommitClaims {
  constructor(readonly dir: string) {}

  private file(repo: string, commit: string): string {
    if (!SHA.test(commit)) throw new Error(`not a commit id: ${JSON.stringify(commit)}`);
    return join(this.dir, repoKey(repo), `${commit}.json`);
  }

  /** Takes the commit; false when it was taken before (by any ref, any trigger, any earlier process). */
  claim(c: Claim): boolean {
    const f = this.file(c.repo, c.commit);
    mkdirSync(join(f, '..'), { recursive: true });
    let fd: number;
    try {
      fd = openSync(f, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
    try {
      writeSync(fd, JSON.stringify(c) + '\n');
    } finally {
      closeSync(fd);
    }
    return true;
  }

  update(c: Claim): void {
    const f = this.file(c.repo, c.commit);
    const tmp = `${f}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(c) + '\n');
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, f);
  }

  get(repo: string, commit: string): Claim | undefined {
    const f = this.file(repo, commit);
    return existsSync(f) ? read(f) : undefined;
  }

  /** Every claim (a file torn by a crash mid-create reads as an error claim). */
  list(): Claim[] {
    if (!existsSync(this.dir)) return [];
    const out: Claim[] = [];
    for (const k of readdirSync(this.dir))
      for (const f of readdirSync(join(this.dir, k)))
        if (f.endsWith('.json')) {
          const c = read(join(this.dir, k, f));
          if (c) out.push(c);
        }
    return out;
  }
}

function read(f: string): Claim | undefined {
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as Claim;
  } catch {
    return undefined;
  }
}
