// The platform's pipeline runner: pushes (the platform's git server, webhooks, polling) come in as ref
// updates; each new commit of a branch is claimed once (CommitClaims: never run twice, across refs and
// restarts), queued behind the runs of the same repository + branch, and run through runCommit, with the
// PipelineRun mirrored into the cluster (namespace CI_NAMESPACE) as it progresses. At start the CI
// namespace and CRDs are made sure of, runs a previous process left running are marked Failed (in the run
// folder and in the cluster), and commits it left queued are queued again.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import type { KubeClient, KubeObject } from '../../kube/index.ts';
import { describeError } from '../errors.ts';
import { kubeRunRecorder } from '../kube-record.ts';
import { CI_NAMESPACE } from '../model.ts';
import { markInterrupted, readRun } from '../runner.ts';
import { builtinSteps } from '../steps/index.ts';
import { changeRequestCrd, pipelineCrd, pipelineRunCrd } from '../crds.ts';
import type { PipelineRun, RunEvent, Services, StepHandler } from '../types.ts';
import { Git } from '../promote/git.ts';
import { CommitClaims, repoKey, type Claim } from './claims.ts';
import { TriggerError } from './errors.ts';
import { KeyedQueue } from './queue.ts';
import { labelValue, runCommit } from './run-commit.ts';
import { parseWebhook, type WebhookSecrets } from './webhook.ts';

export const ZERO_COMMIT = /^0+$/;

export interface RefUpdate {
  ref: string;
  /** the commit before the push (all zeros for a new ref) */
  old: string;
  /** the commit after it (all zeros for a deleted ref) */
  new: string;
}

export interface PushEvent {
  /** the repository as users name it (its URL; the `repo` param) */
  repo: string;
  /** where to fetch it from (default `repo`): a local path for the platform's own repositories */
  source?: string;
  /** short name (labels); default: the last path segment of `repo` */
  name?: string;
  updates: RefUpdate[];
  /** push (the platform's git server), webhook, poll */
  trigger: string;
  /** who pushed, when known */
  user?: string;
}

export interface PushOutcome {
  ref: string;
  commit: string;
  /** queued: a run will start; duplicate: the commit was taken before; ignored: not a branch, or deleted */
  outcome: 'queued' | 'duplicate' | 'ignored';
  reason?: string;
}

export type TriggerLog = (
  level: 'debug' | 'info' | 'warn' | 'error',
  msg: string,
  fields?: Record<string, unknown>,
) => void;

export interface PipelineTriggerOptions {
  dataDir: string;
  /** the cluster runs and change requests are recorded in (namespace CI_NAMESPACE) */
  kube?: KubeClient;
  /** the services of one run (called per run, so keys and databases are read fresh) */
  services: (job: Claim) => Services | Promise<Services>;
  handlers?: Record<string, StepHandler>;
  /** well-known params besides commit/branch/repo (registry, configRepo) */
  wellKnown?: Record<string, string>;
  /** extra params by repository name or URL */
  params?: (job: Claim) => Record<string, string>;
  log?: TriggerLog;
  onEvent?: (job: Claim, ev: RunEvent) => void;
  /** secrets of POST /api/v1/webhooks/git (none: webhooks are refused) */
  webhook?: WebhookSecrets;
  /** app repos polled for new commits (git ls-remote every intervalMs), for hosts that send no webhook */
  poll?: PollSpec[];
}

export interface PollSpec {
  /** a git URL or path */
  repo: string;
  /** branches to follow (default: every branch) */
  branches?: string[];
  intervalMs: number;
}

/** The answer to a webhook delivery. */
export interface WebhookAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** Runs this process is running now (by run folder): a record of ours that is Running and not here is dead. */
const active = new Set<string>();

const KINDS = [pipelineCrd, pipelineRunCrd, changeRequestCrd];

/** Makes sure of the CI namespace and the ci.sekisho.dev CRDs in a cluster. */
export async function ensureCiResources(kube: KubeClient, namespace = CI_NAMESPACE): Promise<void> {
  for (const obj of [
    ...KINDS.map((k) => k()),
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } as KubeObject,
  ])
    await kube.apply(obj, { fieldManager: 'sekisho-ci', force: true });
}

export class PipelineTrigger {
  readonly claims: CommitClaims;
  private readonly queue = new KeyedQueue();
  private readonly ac = new AbortController();
  private readonly log: TriggerLog;
  private readonly handlers: Record<string, StepHandler>;
  private started = false;
  private markReady: () => void = () => undefined;
  /** runs wait for start(): the namespace and CRDs must be there before a record is written */
  private readonly ready = new Promise<void>((r) => (this.markReady = r));
  private readonly stopped = new Promise<void>((r) =>
    this.ac.signal.addEventListener('abort', () => r(), { once: true }),
  );

  constructor(private readonly o: PipelineTriggerOptions) {
    this.claims = new CommitClaims(join(o.dataDir, 'ci', 'commits'));
    this.log = o.log ?? (() => undefined);
    this.handlers = o.handlers ?? builtinSteps();
  }

  /** The CI namespace and CRDs; interrupted runs marked Failed; commits left queued queued again. */
  async start(): Promise<void> {
    mkdirSync(join(this.o.dataDir, 'ci'), { recursive: true });
    if (this.o.kube) await ensureCiResources(this.o.kube);
    for (const c of this.claims.list()) {
      if (c.state === 'running') await this.recover(c);
      else if (c.state === 'queued') this.enqueue(c);
    }
    this.started = true;
    this.markReady();
    for (const p of this.o.poll ?? []) void this.pollLoop(p);
  }

  /** Asks the repository for its branch heads every interval; new commits go the way of a push. */
  private async pollLoop(p: PollSpec): Promise<void> {
    let lastError = '';
    while (!this.ac.signal.aborted) {
      try {
        const r = await new Git(this.o.dataDir).run(['ls-remote', '--heads', p.repo], { allowFail: true });
        if (r.code !== 0) throw new TriggerError('trigger_git_error', `git ls-remote ${p.repo}: ${r.stderr.trim()}`);
        const updates = r.stdout
          .split('\n')
          .map((l) => l.trim().split(/\s+/))
          .filter(([sha, ref]) => sha && ref && (!p.branches || p.branches.includes(ref.slice('refs/heads/'.length))))
          .map(([sha, ref]) => ({ ref: ref!, old: '0'.repeat(40), new: sha! }));
        if (!this.ac.signal.aborted && updates.length) this.push({ repo: p.repo, updates, trigger: 'poll' });
        lastError = '';
      } catch (e) {
        const m = describeError(e);
        if (m !== lastError) this.log('warn', `polling ${p.repo}: ${m}`);
        lastError = m;
      }
      await sleep(p.intervalMs, undefined, { signal: this.ac.signal }).catch(() => undefined);
    }
  }

  /** A claim left running by a process that is gone: its record and the cluster copy say Failed. */
  private async recover(c: Claim): Promise<void> {
    if (c.runDir && active.has(c.runDir)) return;
    if (!c.runDir) {
      this.claims.update({ ...c, state: 'error', message: 'the platform stopped before the run started' });
      return;
    }
    let run: PipelineRun;
    try {
      run = readRun(c.runDir);
    } catch (e) {
      this.claims.update({ ...c, state: 'error', message: `the platform stopped: ${describeError(e)}` });
      return;
    }
    // readRun marks it when the runner's pid is gone; a runner of this process that is not running it is gone too
    if (run.status.phase === 'Running' || run.status.phase === 'Pending')
      markInterrupted(run, 'the platform stopped while the run was in progress');
    run.status.completionTime ??= new Date().toISOString();
    const tmp = join(c.runDir, `.status.json.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(run, null, 2) + '\n');
    renameSync(tmp, join(c.runDir, 'status.json'));
    if (this.o.kube)
      await kubeRunRecorder(this.o.kube, CI_NAMESPACE, (e) =>
        this.log('warn', `run ${run.metadata.name} not recorded in the cluster`, { error: describeError(e) }),
      )(run);
    this.claims.update({ ...c, state: 'done', run: run.metadata.name, phase: run.status.phase });
    this.log('info', `run ${run.metadata.name} was interrupted by a stop of the platform: marked Failed`);
  }

  /** Takes the branch updates of a push: each commit never seen before is queued for a run. */
  push(e: PushEvent): PushOutcome[] {
    if (this.ac.signal.aborted) throw new TriggerError('trigger_closed', 'the pipeline runner is stopping');
    const name =
      e.name ??
      labelValue(
        e.repo
          .replace(/\.git$/, '')
          .split(/[/:]/)
          .pop() ?? 'repo',
      );
    return e.updates.map((u) => {
      if (!u.ref.startsWith('refs/heads/'))
        return { ref: u.ref, commit: u.new, outcome: 'ignored', reason: 'not a branch' } as const;
      if (ZERO_COMMIT.test(u.new))
        return { ref: u.ref, commit: u.new, outcome: 'ignored', reason: 'branch deleted' } as const;
      const claim: Claim = {
        repo: e.repo,
        source: e.source ?? e.repo,
        name,
        commit: u.new,
        branch: u.ref.slice('refs/heads/'.length),
        trigger: e.trigger,
        state: 'queued',
        claimedAt: new Date().toISOString(),
      };
      if (!this.claims.claim(claim)) {
        const prior = this.claims.get(e.repo, u.new);
        // a commit that never got as far as a run (its fetch failed) is tried again when pushed again
        if (prior?.state === 'error' && !prior.runDir) {
          this.claims.update(claim);
          this.log('info', `${name} ${claim.branch} ${u.new.slice(0, 12)}: queued again (${prior.message ?? 'error'})`);
          this.enqueue(claim);
          return { ref: u.ref, commit: u.new, outcome: 'queued', reason: 'retry after an error' } as const;
        }
        return {
          ref: u.ref,
          commit: u.new,
          outcome: 'duplicate',
          reason: `commit taken before${prior?.run ? ` (run ${prior.run})` : ''}`,
        } as const;
      }
      this.log('info', `${name} ${claim.branch} ${u.new.slice(0, 12)}: queued (${e.trigger})`);
      this.enqueue(claim);
      return { ref: u.ref, commit: u.new, outcome: 'queued' } as const;
    });
  }

  private enqueue(c: Claim): void {
    this.queue.add(
      `${repoKey(c.repo)}:${c.branch}`,
      () => this.execute(c),
      (err) => {
        this.log('error', `${c.name} ${c.commit.slice(0, 12)}: ${describeError(err)}`);
      },
    );
  }

  private async execute(c: Claim): Promise<void> {
    await Promise.race([this.ready, this.stopped]);
    if (this.ac.signal.aborted) return; // left queued: taken up again at the next start
    let claim: Claim = { ...c, state: 'running' };
    let runDir: string | undefined;
    try {
      const services = await this.o.services(c);
      const run = await runCommit({
        repo: c.repo,
        source: c.source,
        commit: c.commit,
        branch: c.branch,
        dataDir: this.o.dataDir,
        services,
        handlers: this.handlers,
        ...(this.o.wellKnown ? { wellKnown: this.o.wellKnown } : {}),
        ...(this.o.params ? { params: this.o.params(c) } : {}),
        labels: { 'ci.sekisho.dev/repo': c.name, 'ci.sekisho.dev/trigger': labelValue(c.trigger) },
        onStart: (id, dir) => {
          runDir = dir;
          active.add(dir);
          claim = { ...claim, run: id, runDir: dir };
          this.claims.update(claim);
          this.log('info', `${c.name} ${c.branch} ${c.commit.slice(0, 12)}: run ${id} started`);
        },
        ...(this.o.kube
          ? {
              onRecord: kubeRunRecorder(this.o.kube, CI_NAMESPACE, (e) =>
                this.log('warn', `run of ${c.commit.slice(0, 12)} not recorded in the cluster`, {
                  error: describeError(e),
                }),
              ),
            }
          : {}),
        ...(this.o.onEvent ? { onEvent: (ev: RunEvent) => this.o.onEvent!(c, ev) } : {}),
        signal: this.ac.signal,
      });
      if (!run) {
        this.claims.update({ ...claim, state: 'skipped', message: 'the commit has no pipeline file' });
        this.log('debug', `${c.name} ${c.commit.slice(0, 12)}: no pipeline file`);
        return;
      }
      this.claims.update({ ...claim, state: 'done', phase: run.status.phase });
      this.log(
        'info',
        `run ${run.metadata.name}: ${run.status.phase}${run.status.message ? ` (${run.status.message})` : ''}`,
      );
    } catch (e) {
      this.claims.update({ ...claim, state: 'error', message: describeError(e) });
      throw e;
    } finally {
      if (runDir) active.delete(runDir);
    }
  }

  /** A webhook delivery (headers and raw body): checked, then its push taken like any other; throws TriggerError. */
  receiveWebhook(headers: Record<string, string | string[] | undefined>, body: Buffer): WebhookAnswer {
    const ev = parseWebhook(headers, body, this.o.webhook ?? {});
    if (ev.kind === 'ping') return { status: 200, body: { provider: ev.provider, event: 'ping', ok: true } };
    if (ev.kind === 'ignored')
      return { status: 200, body: { provider: ev.provider, event: ev.event, ignored: 'not a push event' } };
    const results = this.push({
      repo: ev.repo,
      name: labelValue(ev.fullName.split('/').pop() ?? ev.fullName),
      updates: [ev.update],
      trigger: `webhook-${ev.provider}`,
      ...(ev.user ? { user: ev.user } : {}),
    });
    const queued = results.some((r) => r.outcome === 'queued');
    return { status: queued ? 202 : 200, body: { provider: ev.provider, repo: ev.repo, results } };
  }

  /** The claim of a commit (its state, run name and phase). */
  lookup(repo: string, commit: string): Claim | undefined {
    return this.claims.get(repo, commit);
  }

  /** Commits queued or running now. */
  get pending(): number {
    return this.queue.size;
  }

  /** Resolves when no run is queued or running. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  get running(): boolean {
    return this.started && !this.ac.signal.aborted;
  }

  /** Stops: running runs are cancelled (recorded Failed), queued commits stay queued for the next start. */
  async close(): Promise<void> {
    this.ac.abort();
    await this.queue.idle();
  }
}
