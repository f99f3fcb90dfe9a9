// Starting PipelineRuns by polling: each poll asks the app repo for its branch head and, when that commit
// was never taken (by a poll, a push or a webhook: the claims under <dataDir>/ci/commits are shared with
// the platform's runner), runs its pipeline through the same path as every trigger (trigger/run-commit.ts).
import { join, resolve } from 'node:path';
import { PipelineError } from './errors.ts';
import { Git } from './promote/git.ts';
import { isRemote } from './promote/promote.ts';
import { CommitClaims } from './trigger/claims.ts';
import { PIPELINE_FILES, labelValue, runCommit } from './trigger/run-commit.ts';
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
  /** a recorder for each run (e.g. kubeRunRecorder into a cluster); called once per run */
  recorder?: () => (run: PipelineRun) => Promise<void>;
  signal?: AbortSignal;
}

export interface PollResult {
  commit: string;
  run?: PipelineRun;
}

/** The commit a branch of a repository points to (ls-remote: nothing is fetched). */
export async function branchHead(repo: string, branch: string): Promise<string> {
  const r = await new Git(process.cwd()).run(['ls-remote', '--heads', repo, `refs/heads/${branch}`], {
    allowFail: true,
  });
  if (r.code !== 0) throw new PipelineError('pipeline_io_error', `git ls-remote ${repo}: ${r.stderr.trim()}`);
  const head = r.stdout.split(/\s/)[0] ?? '';
  if (!head) throw new PipelineError('pipeline_io_error', `the app repo has no branch ${branch}`);
  return head;
}

/** One poll: when the branch head is a commit not taken yet, run the pipeline on it. */
export async function pollOnce(o: WatchOptions): Promise<PollResult> {
  const repo = isRemote(o.repo) ? o.repo : resolve(o.repo);
  const branch = o.branch ?? 'main';
  const head = await branchHead(repo, branch);
  const claims = new CommitClaims(join(o.dataDir, 'ci', 'commits'));
  const claim = {
    repo,
    source: repo,
    name: labelValue(
      repo
        .replace(/\.git$/, '')
        .split(/[/:]/)
        .pop() ?? 'repo',
    ),
    commit: head,
    branch,
    trigger: 'poll',
    state: 'running' as const,
    claimedAt: o.services.now().toISOString(),
  };
  if (!claims.claim(claim)) return { commit: head };
  let run: PipelineRun | undefined;
  try {
    run = await runCommit({
      repo,
      commit: head,
      branch,
      dataDir: o.dataDir,
      ...(o.pipeline ? { pipeline: o.pipeline } : {}),
      ...(o.params ? { params: o.params } : {}),
      services: o.services,
      handlers: o.handlers,
      labels: { 'ci.sekisho.dev/trigger': 'poll' },
      onStart: (id, runDir) => claims.update({ ...claim, run: id, runDir }),
      ...(o.onEvent ? { onEvent: o.onEvent } : {}),
      ...(o.recorder ? { onRecord: o.recorder() } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
  } catch (e) {
    claims.update({ ...claim, state: 'error', message: (e as Error).message });
    throw e;
  }
  if (!run) {
    claims.update({ ...claim, state: 'skipped', message: 'no pipeline file' });
    throw new PipelineError(
      'pipeline_io_error',
      `commit ${head.slice(0, 12)} has no pipeline file (${o.pipeline ?? PIPELINE_FILES.join(' or ')})`,
    );
  }
  claims.update({
    ...claim,
    state: 'done',
    run: run.metadata.name,
    runDir: run.status.runDir,
    phase: run.status.phase,
  });
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
