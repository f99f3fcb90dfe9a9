// Helpers of the demo end-to-end tests: run the CLI as a child process, and check a data directory for
// anything half-written (registry temp files and blob digests, git fsck, the sandbox's SQLite store).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const here = path.dirname(fileURLToPath(import.meta.url));
export const BIN = path.join(here, '..', '..', 'bin', 'sekisho.js');

export function requireTools(): void {
  for (const [name, p] of [
    ['git', '/usr/bin/git'],
    ['kubectl', '/usr/bin/kubectl'],
    ['busybox-static', '/bin/busybox'],
  ] as const)
    if (!existsSync(p)) throw new Error(`${name} is required by the demo test and was not found at ${p}`);
}

export interface Child {
  proc: ChildProcess;
  lines: string[];
  stderr: { text: string };
  /** resolves with the first stdout line matching `re` (rejects if the process exits first or after `ms`) */
  waitLine(re: RegExp, ms: number): Promise<string>;
  exited: Promise<number | null>;
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const proc = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const stderr = { text: '' };
  proc.stderr!.on('data', (d: Buffer) => (stderr.text += d.toString()));
  const lines: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    lines.push(l);
    for (const w of [...waiters])
      if (w.re.test(l)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
  });
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return {
    proc,
    lines,
    stderr,
    exited,
    waitLine(re, ms) {
      const seen = lines.find((l) => re.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`no line ${re} within ${ms / 1000}s; stdout:\n${lines.join('\n')}\nstderr:\n${stderr.text}`),
            ),
          ms,
        );
        waiters.push({
          re,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(
            new Error(`exited with ${code} before a line ${re}; stdout:\n${lines.join('\n')}\nstderr:\n${stderr.text}`),
          );
        });
      });
    },
  };
}

function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** Problems found in a platform data dir after a crash; empty when everything is whole. */
export function integrityProblems(dataDir: string): string[] {
  const problems: string[] = [];
  // registry: no upload left over, every blob's content matches its name
  const uploads = path.join(dataDir, 'registry', 'uploads');
  for (const f of walk(uploads)) problems.push(`registry upload left: ${path.relative(dataDir, f)}`);
  const blobs = walk(path.join(dataDir, 'registry', 'blobs'));
  if (blobs.length === 0) problems.push('registry holds no blobs');
  for (const f of blobs) {
    const want = path.basename(f);
    const got = createHash('sha256').update(readFileSync(f)).digest('hex');
    if (got !== want) problems.push(`registry blob ${want} holds ${got}`);
  }
  // no temporary or lock file anywhere (atomic writes publish by rename)
  for (const f of walk(dataDir)) {
    const rel = path.relative(dataDir, f);
    if (rel.startsWith(`demo${path.sep}work${path.sep}`)) continue; // the demo's own working clones
    if (/\.tmp($|[-.])|\.lock$/.test(path.basename(f)) || /\.tmp($|[-.])/.test(path.dirname(rel)))
      problems.push(`temporary or lock file left: ${rel}`);
  }
  // git: the served repositories and the controller's cache pass fsck
  const repos = [
    ...readdirSync(path.join(dataDir, 'git')).map((n) => path.join(dataDir, 'git', n)),
    ...(existsSync(path.join(dataDir, 'gitops', 'repos'))
      ? readdirSync(path.join(dataDir, 'gitops', 'repos')).map((n) => path.join(dataDir, 'gitops', 'repos', n))
      : []),
  ].filter((p) => statSync(p).isDirectory());
  for (const r of repos) {
    try {
      execFileSync('git', ['--git-dir', r, 'fsck', '--no-progress', '--no-dangling'], { stdio: 'pipe' });
    } catch (e) {
      problems.push(`git fsck ${path.relative(dataDir, r)}: ${String((e as { stderr?: Buffer }).stderr ?? e)}`);
    }
  }
  // the sandbox store: SQLite's own integrity check
  const db = new Database(path.join(dataDir, 'cluster', 'cluster.db'), { readonly: true });
  try {
    const rows = db.pragma('integrity_check') as Array<{ integrity_check: string }>;
    if (rows[0]?.integrity_check !== 'ok') problems.push(`cluster.db: ${JSON.stringify(rows)}`);
    // every stored object is whole: JSON that names itself as its row does, at a version the store has issued
    const top = Number(
      (db.prepare("SELECT value FROM meta WHERE key = 'rv'").get() as { value?: string } | undefined)?.value,
    );
    const objects = db.prepare('SELECT res, ns, name, rv, data FROM objects').all() as Array<{
      res: string;
      ns: string;
      name: string;
      rv: number;
      data: string;
    }>;
    if (objects.length === 0) problems.push('cluster.db holds no objects');
    for (const o of objects) {
      const where = `cluster.db ${o.res} ${o.ns}/${o.name}`;
      let obj: { metadata?: { name?: string; namespace?: string; resourceVersion?: string } };
      try {
        obj = JSON.parse(o.data) as typeof obj;
      } catch (e) {
        problems.push(`${where}: not JSON (${(e as Error).message})`);
        continue;
      }
      if (obj.metadata?.name !== o.name || (obj.metadata?.namespace ?? '') !== o.ns)
        problems.push(`${where}: holds ${obj.metadata?.namespace ?? ''}/${obj.metadata?.name}`);
      if (obj.metadata?.resourceVersion !== String(o.rv))
        problems.push(`${where}: resourceVersion ${obj.metadata?.resourceVersion} in row ${o.rv}`);
      if (!(o.rv <= top)) problems.push(`${where}: resourceVersion ${o.rv} above the store's ${top}`);
    }
  } finally {
    db.close();
  }
  return problems;
}
