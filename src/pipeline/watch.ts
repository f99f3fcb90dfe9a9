// Starting PipelineRuns on push: poll an app repo's branch and run its pipeline (from the commit itself)
// in a checkout of each new commit. The last commit run is remembered under the data dir, so a restart
// does not run the same commit twice.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PipelineError } from './errors.ts';
import { parsePipeline } from './model.ts';
import { Git } from './promote/git.ts';
import { isRemote } from './promote/promote.ts';
import { runPipeline } from './runner.ts';
import type { PipelineRun, RunEvent, Services, StepHandler } from './types.ts';

export interface WatchOptions {
  /** app repo: a path or git URL */
  repo: string;
  branch?: string;
  /** pipeline file inside the repo (default .sekisho/pipeline.yaml, else sekisho-pipeline.yaml) */
  pipeline?: string;
  dataDir: string;
  params?: Record<string, string>;
  services: Services;
  handlers: Record<string, StepHandler>;
  onEvent?: (ev: RunEvent) => void;
  signal?: AbortSignal;
}

export interface PollResult {
  commit: string;
  run?: PipelineRun;
}

/** One poll: fetch, and when the branch has a commit not run yet, run the pipeline on it. */
export async function pollOnce(o: WatchOptions): Promise<PollResult> {
  const repo = isRemote(o.repo) ? o.repo : resolve(o.repo);
  const key = createHash('sha256').update(repo).digest('hex').slice(0, 16);
  const root = join(o.dataDir, 'ci', key);
  const checkout = join(root, 'checkout');
  const stateFile = join(root, 'state.json');
  mkdirSync(root, { recursive: true });
  if (!existsSync(join(checkout, '.git')))
    await new Git(root).run(['clone', '--quiet', '--no-checkout', repo, 'checkout']);
  const g = new Git(checkout);
  await g.run(['fetch', '--quiet', '--prune', 'origin', '+refs/heads/*:refs/remotes/origin/*']);
  const branch = o.branch ?? 'main';
  const head = (
    await g.run(['rev-parse', '--verify', '-q', `refs/remotes/origin/${branch}`], { allowFail: true })
  ).stdout.trim();
  if (!head) throw new PipelineError('pipeline_io_error', `the app repo has no branch ${branch}`);
  const state = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as { lastCommit?: string }) : {};
  if (state.lastCommit === head) return { commit: head };
  await g.run(['checkout', '--quiet', '-f', '--detach', head]);
  await g.run(['clean', '-fdxq', '-e', '.sekisho']);
  const file =
    o.pipeline ?? ['.sekisho/pipeline.yaml', 'sekisho-pipeline.yaml'].find((f) => existsSync(join(checkout, f)));
  if (!file || !existsSync(join(checkout, file)))
    throw new PipelineError(
      'pipeline_io_error',
      `commit ${head.slice(0, 12)} has no pipeline file (${o.pipeline ?? '.sekisho/pipeline.yaml or sekisho-pipeline.yaml'})`,
    );
  const loaded = parsePipeline(readFileSync(join(checkout, file), 'utf8'), join(checkout, file));
  const run = await runPipeline({
    loaded,
    workspace: checkout,
    runsDir: join(o.dataDir, 'ci', 'runs'),
    runId: `${loaded.pipeline.metadata.name}-${head.slice(0, 12)}-${Date.now().toString(36)}`,
    ...(o.params ? { params: o.params } : {}),
    services: o.services,
    handlers: o.handlers,
    ...(o.onEvent ? { onEvent: o.onEvent } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    labels: { 'ci.sekisho.dev/commit': head, 'ci.sekisho.dev/branch': branch },
  });
  const tmp = `${stateFile}.tmp`;
  writeFileSync(tmp, JSON.stringify({ lastCommit: head, lastRun: run.metadata.name }) + '\n');
  renameSync(tmp, stateFile);
  return { commit: head, run };
}

/** Polls every `intervalMs` until the signal aborts; each new commit gets one run. */
export async function watchRepo(
  o: WatchOptions & { intervalMs: number; onPoll?: (r: PollResult) => void; onError?: (e: unknown) => void },
): Promise<void> {
  while (!o.signal?.aborted) {
    try {
      o.onPoll?.(await pollOnce(o));
    } catch (e) {
      if (o.signal?.aborted) break;
      o.onError?.(e);
    }
    await new Promise<void>((res) => {
      const t = setTimeout(res, o.intervalMs);
      o.signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          res();
        },
        { once: true },
      );
    });
  }
}
