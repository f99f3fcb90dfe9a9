// OPA compliance corpus runner.
//
//   npm run conformance:rego -- <testdata dir> [--v0-compatible] [--cli] [--folder NAME]... [--verbose]
//                               [--timeout MS] [--jobs N] [--check-passing] [--update-passing]
//
// --core selects the 38 language-core folders of issue 2 (--skip-core all the others).
// Runs every case of OPA's YAML format under <testdata dir> (e.g. OPA's v1/test/cases/testdata/v1), each in
// a fresh compile, and prints `folder: passed/total` per folder and a closing `N passed, N failed` line.
// In-process cases run in worker threads with a per-case time limit (a hung case is terminated and counted
// as failed); with --cli every case runs through `node bin/sekisho.js rego eval --format json` instead.
//
// test/conformance/rego-passing.txt lists the folders that fully pass, as `<corpus>/<folder>` where <corpus>
// is the name of the testdata directory (v1 or v0). --check-passing exits 1 when a listed folder that was run
// no longer fully passes; --update-passing adds newly passing folders (the list only grows).
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parse as parseYaml } from 'yaml';
import { judge, loadCases, type RegoCase } from './rego-cases.ts';
import { runCaseViaCli } from './rego-cli-case.ts';
import type { WorkerReply, WorkerTask } from './rego-worker.ts';

/** The 38 language-core folders that issue 2 requires to pass fully. */
export const CORE_FOLDERS = [
  'assignments',
  'baseandvirtualdocs',
  'comparisonexpr',
  'completedoc',
  'compositebasedereference',
  'compositereferences',
  'comprehensions',
  'containskeyword',
  'dataderef',
  'defaultkeyword',
  'disjunction',
  'elsekeyword',
  'embeddedvirtualdoc',
  'eqexpr',
  'evaltermexpr',
  'every',
  'example',
  'fix1863',
  'functionerrors',
  'functions',
  'helloworld',
  'indexing',
  'indirectreferences',
  'inputvalues',
  'invalidkeyerror',
  'negation',
  'nestedreferences',
  'partialdocconstants',
  'partialiter',
  'partialobjectdoc',
  'partialsetdoc',
  'planner-ir',
  'refheads',
  'topdowndynamicdispatch',
  'undos',
  'varreferences',
  'virtualdocs',
  'withkeyword',
];

const PASSING_FILE = fileURLToPath(new URL('./rego-passing.txt', import.meta.url));
const SKIP_FILE = fileURLToPath(new URL('./rego-skip.yaml', import.meta.url));

interface Args {
  root: string;
  regoVersion: 0 | 1;
  cli: boolean;
  folders: string[];
  skip: string[];
  verbose: boolean;
  timeoutMs: number;
  jobs: number;
  checkPassing: boolean;
  updatePassing: boolean;
}

const USAGE = `usage: npm run conformance:rego -- <testdata dir> [--v0-compatible] [--cli] [--folder NAME]... [--core]
       [--skip NAME]... [--skip-core]
       [--verbose] [--timeout MS] [--jobs N] [--check-passing] [--update-passing]`;

function parseArgs(argv: string[]): Args {
  const a: Args = {
    root: '',
    regoVersion: 1,
    cli: false,
    folders: [],
    skip: [],
    verbose: false,
    timeoutMs: 0,
    jobs: Math.max(1, availableParallelism()),
    checkPassing: false,
    updatePassing: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i] as string;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${x} needs a value`);
      return v;
    };
    switch (x) {
      case '--v0-compatible':
        a.regoVersion = 0;
        break;
      case '--cli':
        a.cli = true;
        break;
      case '--folder':
        a.folders.push(...next().split(','));
        break;
      case '--core':
        a.folders.push(...CORE_FOLDERS);
        break;
      case '--skip':
        a.skip.push(...next().split(','));
        break;
      case '--skip-core':
        a.skip.push(...CORE_FOLDERS);
        break;
      case '--verbose':
      case '-v':
        a.verbose = true;
        break;
      case '--timeout':
        a.timeoutMs = Number(next());
        break;
      case '--jobs':
      case '-j':
        a.jobs = Math.max(1, Number(next()));
        break;
      case '--check-passing':
        a.checkPassing = true;
        break;
      case '--update-passing':
        a.updatePassing = true;
        break;
      case '--help':
      case '-h':
        process.stdout.write(USAGE + '\n');
        process.exit(0);
        break;
      default:
        if (x.startsWith('-')) throw new UsageError(`unknown flag ${x}`);
        if (a.root) throw new UsageError('give one testdata directory');
        a.root = x;
    }
  }
  if (!a.root) throw new UsageError('missing <testdata dir>');
  if (!a.timeoutMs) a.timeoutMs = a.cli ? 30_000 : 10_000;
  return a;
}

class UsageError extends Error {}

interface CaseResult {
  c: RegoCase;
  pass: boolean;
  reason: string;
}

/** Runs cases in worker threads, one at a time per worker, terminating a worker whose case runs too long. */
async function runInWorkers(
  cases: RegoCase[],
  indexOf: Map<RegoCase, number>,
  args: Args,
  onDone: (r: CaseResult) => void,
): Promise<void> {
  let next = 0;
  let id = 0;
  const workerURL = new URL('./rego-worker.ts', import.meta.url);
  const lane = async (): Promise<void> => {
    let worker: Worker | undefined;
    // The worker is TypeScript: load it through tsx's loader, which worker threads do not inherit on Node 20.
    const bootstrap =
      `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})` +
      `.then((m) => { m.register(); return import(${JSON.stringify(workerURL.href)}); })` +
      `.catch((e) => { console.error(e); process.exit(70); });`;
    const spawnWorker = (): Worker =>
      new Worker(bootstrap, { eval: true, resourceLimits: { maxOldGenerationSizeMb: 2048 } });
    try {
      while (next < cases.length) {
        const c = cases[next++] as RegoCase;
        worker ??= spawnWorker();
        const w = worker;
        const task: WorkerTask = {
          id: ++id,
          file: c.file,
          folder: c.folder,
          index: indexOf.get(c) ?? -1,
          regoVersion: args.regoVersion,
        };
        const reply = await new Promise<WorkerReply | { timeout: true } | { crash: string }>((done) => {
          const timer = setTimeout(() => done({ timeout: true }), args.timeoutMs);
          const onMessage = (m: WorkerReply): void => {
            if (m.id !== task.id) return;
            cleanup();
            done(m);
          };
          const onError = (err: Error): void => {
            cleanup();
            done({ crash: String(err?.stack ?? err) });
          };
          const onExit = (code: number): void => {
            cleanup();
            done({ crash: `worker exited with code ${code}` });
          };
          const cleanup = (): void => {
            clearTimeout(timer);
            w.off('message', onMessage);
            w.off('error', onError);
            w.off('exit', onExit);
          };
          w.on('message', onMessage);
          w.on('error', onError);
          w.on('exit', onExit);
          w.postMessage(task);
        });
        if ('timeout' in reply) {
          await w.terminate();
          worker = undefined;
          onDone({ c, pass: false, reason: `timed out after ${args.timeoutMs} ms` });
        } else if ('crash' in reply) {
          await w.terminate().catch(() => undefined);
          worker = undefined;
          onDone({ c, pass: false, reason: `worker crashed: ${reply.crash}` });
        } else {
          onDone({ c, pass: reply.pass, reason: reply.reason });
        }
      }
    } finally {
      await worker?.terminate();
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.jobs, cases.length) }, lane));
}

async function runViaCli(cases: RegoCase[], args: Args, onDone: (r: CaseResult) => void): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < cases.length) {
      const c = cases[next++] as RegoCase;
      const outcome = await runCaseViaCli(c, { regoVersion: args.regoVersion, timeoutMs: args.timeoutMs });
      const v = judge(c, outcome);
      onDone({ c, pass: v.pass, reason: v.reason });
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.jobs, cases.length) }, lane));
}

/** Case notes the runner reports as skipped, with the reason for each (test/conformance/rego-skip.yaml). */
function readSkips(): Map<string, string> {
  const doc = parseYaml(readFileSync(SKIP_FILE, 'utf8')) as Record<string, string> | null;
  return new Map(Object.entries(doc ?? {}));
}

function readPassing(): string[] {
  try {
    return readFileSync(PASSING_FILE, 'utf8')
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter(Boolean);
  } catch {
    return [];
  }
}

async function main(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  const root = resolve(args.root);
  const corpus = basename(root);
  let all: RegoCase[];
  try {
    all = loadCases(root);
  } catch (err) {
    process.stderr.write(`cannot load cases from ${args.root}: ${(err as Error).message}\n`);
    return 2;
  }
  const indexOf = new Map<RegoCase, number>();
  const perFile = new Map<string, number>();
  for (const c of all) {
    const i = perFile.get(c.file) ?? 0;
    indexOf.set(c, i);
    perFile.set(c.file, i + 1);
  }
  const cases = (args.folders.length > 0 ? all.filter((c) => args.folders.includes(c.folder)) : all).filter(
    (c) => !args.skip.includes(c.folder),
  );
  if (args.folders.length > 0) {
    const known = new Set(all.map((c) => c.folder));
    const missing = args.folders.filter((f) => !known.has(f));
    if (missing.length > 0) {
      process.stderr.write(`no such folder in ${args.root}: ${missing.join(', ')}\n`);
      return 2;
    }
  }

  const results: CaseResult[] = [];
  const started = performance.now();
  const onDone = (r: CaseResult): void => {
    results.push(r);
    if (args.verbose && !r.pass)
      process.stdout.write(`FAIL ${r.c.note} (${r.c.file})\n  ${r.reason.replace(/\n/g, '\n  ')}\n`);
    if (process.stderr.isTTY && results.length % 25 === 0) process.stderr.write(`\r${results.length}/${cases.length}`);
  };
  if (args.cli) await runViaCli(cases, args, onDone);
  else await runInWorkers(cases, indexOf, args, onDone);
  if (process.stderr.isTTY) process.stderr.write('\r');

  const skips = readSkips();
  const skipped = results.filter((r) => !r.pass && skips.has(r.c.note));
  const needlessSkips = results.filter((r) => r.pass && skips.has(r.c.note));
  const folders = new Map<string, { passed: number; total: number }>();
  for (const c of cases) if (!folders.has(c.folder)) folders.set(c.folder, { passed: 0, total: 0 });
  for (const r of results) {
    const f = folders.get(r.c.folder) as { passed: number; total: number };
    f.total++;
    if (r.pass) f.passed++;
  }
  const names = [...folders.keys()].sort();
  for (const name of names) {
    const f = folders.get(name) as { passed: number; total: number };
    process.stdout.write(`${name}: ${f.passed}/${f.total}\n`);
  }
  const passed = results.filter((r) => r.pass).length;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stderr.write(`(${args.cli ? 'through the CLI' : 'in-process'}, rego v${args.regoVersion}, ${seconds} s)\n`);
  for (const r of skipped) process.stdout.write(`skipped: ${r.c.note} — ${skips.get(r.c.note)}\n`);
  for (const r of needlessSkips) process.stdout.write(`passes but is listed in rego-skip.yaml: ${r.c.note}\n`);
  process.stdout.write(
    `${passed} passed, ${results.length - passed - skipped.length} failed, ${skipped.length} skipped (see rego-skip.yaml)\n`,
  );

  const fullyPassing = names.filter((n) => {
    const f = folders.get(n) as { passed: number; total: number };
    return f.total > 0 && f.passed === f.total;
  });
  let code = 0;
  if (args.checkPassing) {
    const listed = readPassing().filter((l) => l.startsWith(corpus + '/'));
    const regressed = listed
      .map((l) => l.slice(corpus.length + 1))
      .filter((f) => folders.has(f) && !fullyPassing.includes(f));
    if (regressed.length > 0) {
      process.stdout.write(`regressed (listed in rego-passing.txt but not fully passing): ${regressed.join(', ')}\n`);
      code = 1;
    } else {
      process.stdout.write(
        `all ${listed.filter((l) => folders.has(l.slice(corpus.length + 1))).length} listed folders pass\n`,
      );
    }
  }
  if (args.updatePassing) {
    const current = new Set(readPassing());
    const added = fullyPassing.map((f) => `${corpus}/${f}`).filter((l) => !current.has(l));
    for (const l of added) current.add(l);
    const header =
      "# Folders of OPA's compliance corpus that fully pass (see docs/conformance.md). This list may only grow.\n" +
      '# Checked by: npm run conformance:rego -- <corpus>/v1 --check-passing (and v0 with --v0-compatible).\n';
    writeFileSync(PASSING_FILE, header + [...current].sort().join('\n') + '\n');
    process.stdout.write(`rego-passing.txt: ${added.length} folder(s) added\n`);
  }
  return code;
}

process.exitCode = await main(process.argv.slice(2));
