// The one path every trigger takes to run a commit's pipeline: fetch the repository into a bare mirror
// under <dataDir>/ci/repos, look for the pipeline file in the commit itself, check the commit out into a
// workspace of its own (<dataDir>/ci/work/<run id>), and run it with runPipeline, the record and logs under
// <dataDir>/ci/runs/<run id>. Params the pipeline declares among the well-known ones (commit, branch,
// repo, registry, configRepo) are filled in; others are left out, as runPipeline refuses undeclared params.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PipelineError, PipelineErrors, describeError } from '../errors.ts';
import { API_VERSION, parsePipeline, type LoadedPipeline } from '../model.ts';
import { Git } from '../promote/git.ts';
import { withLock } from '../promote/lock.ts';
import { isRemote } from '../promote/promote.ts';
import { runPipeline } from '../runner.ts';
import type { PipelineRun, RunEvent, Services, StepHandler } from '../types.ts';
import { repoKey } from './claims.ts';
import { TriggerError } from './errors.ts';

/** Where a pipeline is looked for in a commit, in order. */
export const PIPELINE_FILES = ['.sekisho/pipeline.yaml', 'sekisho-pipeline.yaml'];

/** The params the runner fills when a pipeline declares them. */
export const WELL_KNOWN_PARAMS = ['commit', 'branch', 'repo', 'registry', 'configRepo'] as const;

export interface CommitRunOptions {
  /** the repository as users name it (the `repo` param, labels) */
  repo: string;
  /** where to fetch it from (default `repo`); a path or git URL */
  source?: string;
  commit: string;
  branch: string;
  dataDir: string;
  /** pipeline file inside the repo (default PIPELINE_FILES) */
  pipeline?: string;
  /** params given by the user; they win over well-known values */
  params?: Record<string, string>;
  /** well-known param values besides commit, branch and repo (registry, configRepo) */
  wellKnown?: Record<string, string>;
  services: Services;
  handlers: Record<string, StepHandler>;
  runId?: string;
  labels?: Record<string, string>;
  onEvent?: (ev: RunEvent) => void;
  onRecord?: (run: PipelineRun) => Promise<void>;
  /** called with the run id and its folder before the run starts */
  onStart?: (runId: string, runDir: string) => void;
  signal?: AbortSignal;
  /** keep the workspace after the run (default: removed) */
  keepWorkspace?: boolean;
}

export function runsDirOf(dataDir: string): string {
  return join(dataDir, 'ci', 'runs');
}

/** Mirror of `source` (bare, every branch), fetched so that it holds `commit`. */
export async function fetchCommit(source: string, commit: string, dataDir: string): Promise<Git> {
  const src = isRemote(source) ? source : resolve(source);
  const repos = join(dataDir, 'ci', 'repos');
  const dir = join(repos, `${repoKey(src)}.git`);
  return withLock(`${dir}.lock`, async () => {
    mkdirSync(repos, { recursive: true });
    if (!existsSync(dir)) {
      const tmp = `${dir}.tmp-${process.pid}`;
      rmSync(tmp, { recursive: true, force: true });
      const r = await new Git(repos).run(['clone', '--quiet', '--bare', src, tmp], { allowFail: true });
      if (r.code !== 0)
        throw new TriggerError('trigger_git_error', `clone ${source}: ${r.stderr.trim() || `exit ${r.code}`}`);
      renameSync(tmp, dir);
    }
    const g = new Git(dir);
    const has = async () => (await g.run(['cat-file', '-e', `${commit}^{commit}`], { allowFail: true })).code === 0;
    if (await has()) return g;
    await g.run(['remote', 'set-url', 'origin', src]);
    const f = await g.run(['fetch', '--quiet', '--prune', 'origin', '+refs/heads/*:refs/heads/*'], {
      allowFail: true,
    });
    if (f.code !== 0) throw new TriggerError('trigger_git_error', `fetch ${source}: ${f.stderr.trim()}`);
    if (await has()) return g;
    // a commit no branch points to any more (a force-push since): ask for it by id
    await g.run(['fetch', '--quiet', 'origin', commit], { allowFail: true });
    if (await has()) return g;
    throw new TriggerError('trigger_git_error', `${source} has no commit ${commit}`);
  });
}

/** The pipeline file of a commit, or undefined when it has none. */
export async function pipelineFileOf(g: Git, commit: string, file?: string): Promise<string | undefined> {
  for (const f of file ? [file] : PIPELINE_FILES)
    if ((await g.run(['cat-file', '-e', `${commit}:${f}`], { allowFail: true })).code === 0) return f;
  return undefined;
}

/** The run id of a commit's run: <pipeline>-<sha12>-<time base 36>. */
export function commitRunId(pipeline: string, commit: string, now: Date): string {
  return `${pipeline}-${commit.slice(0, 12)}-${now.getTime().toString(36)}`;
}

/** Runs the commit's pipeline; undefined when the commit has no pipeline file. */
export async function runCommit(o: CommitRunOptions): Promise<PipelineRun | undefined> {
  const mirror = await fetchCommit(o.source ?? o.repo, o.commit, o.dataDir);
  const file = await pipelineFileOf(mirror, o.commit, o.pipeline);
  if (!file) return undefined;
  const text = (await mirror.run(['show', `${o.commit}:${file}`])).stdout;
  // parsed before the checkout: a broken file is reported against its path in the repo
  let loaded0: LoadedPipeline;
  try {
    loaded0 = parsePipeline(text, file);
  } catch (e) {
    if (e instanceof PipelineError || e instanceof PipelineErrors) return invalidRun(o, file, e);
    throw e;
  }
  const runId = o.runId ?? commitRunId(loaded0.pipeline.metadata.name, o.commit, o.services.now());
  const work = join(o.dataDir, 'ci', 'work', runId);
  const runsDir = runsDirOf(o.dataDir);
  mkdirSync(join(work, '..'), { recursive: true });
  rmSync(work, { recursive: true, force: true });
  await new Git(join(work, '..')).run(['clone', '--quiet', '--shared', '--no-checkout', mirror.cwd, runId]);
  try {
    await new Git(work).run(['checkout', '--quiet', '--detach', o.commit]);
    const loaded = parsePipeline(text, join(work, file));
    const declared = new Set(loaded.pipeline.spec.params.map((p) => p.name));
    const known: Record<string, string> = {
      commit: o.commit,
      branch: o.branch,
      repo: o.repo,
      ...o.wellKnown,
    };
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(known)) if (declared.has(k)) params[k] = v;
    Object.assign(params, o.params);
    o.onStart?.(runId, join(runsDir, runId));
    const start = (): Promise<PipelineRun> =>
      runPipeline({
        loaded,
        workspace: work,
        runsDir,
        runId,
        params,
        services: o.services,
        handlers: o.handlers,
        labels: { 'ci.sekisho.dev/commit': o.commit, 'ci.sekisho.dev/branch': labelValue(o.branch), ...o.labels },
        ...(o.onEvent ? { onEvent: o.onEvent } : {}),
        ...(o.onRecord ? { onRecord: o.onRecord } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      });
    try {
      return await start();
    } catch (e) {
      // refused before it started (a param without a value): recorded as a failed run all the same
      if (
        (e instanceof PipelineError || e instanceof PipelineErrors) &&
        !existsSync(join(runsDir, runId, 'status.json'))
      )
        return await invalidRun(o, file, e, runId);
      throw e;
    }
  } finally {
    if (!o.keepWorkspace) rmSync(work, { recursive: true, force: true });
  }
}

/** The record of a commit whose pipeline cannot run (a broken file, a param without a value): Failed, no steps,
 * the errors in its message, so the push is answered where runs are looked at. */
async function invalidRun(
  o: CommitRunOptions,
  file: string,
  e: PipelineError | PipelineErrors,
  id?: string,
): Promise<PipelineRun> {
  const now = o.services.now();
  const runId = id ?? commitRunId('invalid', o.commit, now);
  const runDir = join(runsDirOf(o.dataDir), runId);
  mkdirSync(runDir, { recursive: true });
  o.onStart?.(runId, runDir);
  const at = now.toISOString();
  const run: PipelineRun = {
    apiVersion: API_VERSION,
    kind: 'PipelineRun',
    metadata: {
      name: runId,
      creationTimestamp: at,
      labels: { 'ci.sekisho.dev/commit': o.commit, 'ci.sekisho.dev/branch': labelValue(o.branch), ...o.labels },
    },
    spec: { pipelineRef: { name: '' }, pipelineFile: file, params: {}, workspace: '' },
    status: {
      phase: 'Failed',
      startTime: at,
      completionTime: at,
      message: `${file} cannot run: ${e instanceof PipelineErrors ? e.errors.map(describeError).join('; ') : describeError(e)}`,
      runDir,
      steps: [],
    },
  };
  const tmp = join(runDir, `.status.json.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(run, null, 2) + '\n');
  renameSync(tmp, join(runDir, 'status.json'));
  await o.onRecord?.(run);
  return run;
}

/** A Kubernetes label value made of `s` (at most 63 of [A-Za-z0-9-_.], alphanumeric at both ends). */
export function labelValue(s: string): string {
  return s
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}
