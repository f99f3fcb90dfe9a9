// The DAG runner: starts steps whose `needs` are done (at most `concurrency` at once), passes outputs
// through expressions, skips dependants of failed steps, kills timed-out or cancelled steps, retries, and
// writes the PipelineRun record atomically after every transition (a crash leaves a readable record).
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { manifestDescriptor, pushArtifact } from '../oci/index.ts';
import { PipelineError, describeError } from './errors.ts';
import { openImage } from './steps/image.ts';
import {
  ExprError,
  parseTemplate,
  renderTemplate,
  toStr,
  truthy,
  callsStatus,
  type EvalContext,
  type Value,
} from './expr.ts';
import { Masker, MaskedLineWriter } from './mask.ts';
import { API_VERSION, type EnvValue, type LoadedPipeline, type SecretRef, type StepSpec } from './model.ts';
import type { PipelineRun, RunEvent, Services, StepContext, StepHandler, StepResult, StepStatus } from './types.ts';

export interface RunOptions {
  loaded: LoadedPipeline;
  params?: Record<string, string>;
  /** the checkout the pipeline runs in (default: the pipeline file's folder) */
  workspace: string;
  /** runs are kept in <runsDir>/<run-id>/ (default <workspace>/.sekisho/runs) */
  runsDir?: string;
  runId?: string;
  /** overrides the pipeline's spec.concurrency */
  concurrency?: number;
  signal?: AbortSignal;
  services: Services;
  /** step implementations by `uses` */
  handlers: Record<string, StepHandler>;
  onEvent?: (ev: RunEvent) => void;
  /** extra labels on the PipelineRun (e.g. the commit that started it) */
  labels?: Record<string, string>;
  /** called with the record after every write (e.g. to mirror it into a cluster) */
  onRecord?: (run: PipelineRun) => Promise<void>;
}

const iso = (d: Date) => d.toISOString();

export function newRunId(name: string, now: Date): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-').toLowerCase();
  return `${name}-${t}-${randomBytes(3).toString('hex')}`;
}

function readSecret(ref: SecretRef, env: Record<string, string | undefined>, base: string): string {
  if (ref.env !== undefined) {
    const v = env[ref.env];
    if (v === undefined)
      throw new PipelineError('pipeline_secret_missing', `environment variable ${ref.env} is not set`);
    return v;
  }
  const file = isAbsolute(ref.file!) ? ref.file! : resolve(base, ref.file!);
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new PipelineError('pipeline_secret_missing', `secret file ${ref.file}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** Reads a run record (status.json) and recognises one left Running by a runner that is gone. */
export function readRun(runDir: string): PipelineRun {
  let run: PipelineRun;
  try {
    run = JSON.parse(readFileSync(join(runDir, 'status.json'), 'utf8')) as PipelineRun;
  } catch (e) {
    throw new PipelineError('pipeline_io_error', `read run ${runDir}: ${(e as Error).message}`, { cause: e });
  }
  const r = run.status.runner;
  if (
    (run.status.phase === 'Running' || run.status.phase === 'Pending') &&
    r &&
    r.hostname === hostname() &&
    !alive(r.pid)
  )
    markInterrupted(run, `the runner (pid ${r.pid}) exited while the run was in progress`);
  return run;
}

/** Marks a record whose runner is gone: the run and its running steps Failed, pending steps Skipped. */
export function markInterrupted(run: PipelineRun, message: string): void {
  run.status.phase = 'Failed';
  run.status.message = message;
  for (const s of run.status.steps) {
    if (s.phase === 'Running') {
      s.phase = 'Failed';
      s.message = 'interrupted: the runner exited while the step was running';
    } else if (s.phase === 'Pending') {
      s.phase = 'Skipped';
      s.message = 'the run was interrupted';
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs a pipeline to the end; resolves with the final record (it does not throw for failed steps). */
export async function runPipeline(o: RunOptions): Promise<PipelineRun> {
  const { pipeline, locate } = o.loaded;
  const spec = pipeline.spec;
  const now = () => o.services.now();
  const workspace = resolve(o.workspace);

  // parameters: declared ones only; every one needs a value
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.params ?? {})) {
    if (!spec.params.some((p) => p.name === k))
      throw new PipelineError(
        'pipeline_param_error',
        `unknown param ${JSON.stringify(k)} (declared: ${spec.params.map((p) => p.name).join(', ') || 'none'})`,
      );
    params[k] = v;
  }
  for (const p of spec.params) {
    if (params[p.name] === undefined) {
      if (p.default === undefined)
        throw new PipelineError('pipeline_param_error', `param ${p.name} has no default; pass --param ${p.name}=VALUE`);
      params[p.name] = p.default;
    }
  }

  // secrets: resolved up front so their values are masked from the first log line; a missing one fails
  // only the steps that read it
  const masker = new Masker();
  const secretValues = new Map<string, string>();
  const secretErrors = new Map<string, PipelineError>();
  const resolveRef = (ref: SecretRef): string => {
    const v = readSecret(ref, o.services.env, workspace);
    masker.add(v);
    return v;
  };
  for (const s of spec.secrets) {
    try {
      secretValues.set(s.name, resolveRef(s.secretRef));
    } catch (e) {
      secretErrors.set(
        s.name,
        new PipelineError('pipeline_secret_missing', `secret ${s.name}: ${(e as Error).message}`, { cause: e }),
      );
    }
  }
  const envRefs = [spec.env, ...spec.steps.map((s) => s.env)].flatMap((e) => Object.values(e));
  for (const v of envRefs)
    if (typeof v !== 'string') {
      try {
        resolveRef(v.secretRef);
      } catch {
        // reported when the step that needs it starts
      }
    }

  const runId = o.runId ?? newRunId(pipeline.metadata.name, now());
  const runsDir = o.runsDir ?? join(workspace, '.sekisho', 'runs');
  const runDir = join(runsDir, runId);
  mkdirSync(runDir, { recursive: true });
  const run: PipelineRun = {
    apiVersion: API_VERSION,
    kind: 'PipelineRun',
    metadata: {
      name: runId,
      creationTimestamp: iso(now()),
      labels: { 'ci.sekisho.dev/pipeline': pipeline.metadata.name, ...o.labels },
    },
    spec: { pipelineRef: { name: pipeline.metadata.name }, pipelineFile: o.loaded.file, params, workspace },
    status: {
      phase: 'Running',
      startTime: iso(now()),
      runner: { pid: process.pid, hostname: hostname() },
      runDir,
      steps: spec.steps.map((s) => ({
        id: s.id,
        uses: s.uses,
        ...(s.needs.length ? { needs: s.needs } : {}),
        phase: 'Pending',
        attempts: 0,
        outputs: {},
        logPath: join(runDir, `${s.id}.log`),
        ...(s.continueOnError ? { continueOnError: true } : {}),
      })),
    },
  };
  // temp file + rename: a reader (or a crash) sees the old record or the new one, never a torn one; no fsync,
  // as losing the last transitions to a power cut is acceptable for a log of a run
  const persist = async () => {
    const tmp = join(runDir, `.status.json.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(run, null, 2) + '\n');
    renameSync(tmp, join(runDir, 'status.json'));
    await o.onRecord?.(run);
  };
  await persist();
  // persisting is serialised: transitions of parallel steps queue behind each other
  let chain: Promise<void> = Promise.resolve();
  const save = () => {
    chain = chain.then(persist, persist);
    return chain;
  };
  o.onEvent?.({ type: 'run-start', run });

  const byId = new Map(run.status.steps.map((s) => [s.id, s]));
  const realOutputs = new Map<string, Record<string, string>>();
  const stepIndex = new Map(spec.steps.map((s, i) => [s.id, i]));
  const outcome = (st: StepStatus) =>
    st.phase === 'Succeeded' || (st.phase === 'Failed' && st.continueOnError)
      ? 'success'
      : st.phase === 'Failed'
        ? 'failure'
        : st.phase === 'Skipped'
          ? 'skipped'
          : 'pending';

  const pipelineEnv = (): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(spec.env)) out[k] = typeof v === 'string' ? v : resolveRef(v.secretRef);
    return out;
  };

  const ctxFor = (s: StepSpec | undefined, stepEnv: Record<string, string>): EvalContext => ({
    root(name) {
      switch (name) {
        case 'params':
          return params;
        case 'secrets': {
          return new Proxy({} as Record<string, Value>, {
            get(_t, key: string) {
              const err = secretErrors.get(key);
              if (err) throw err;
              return secretValues.get(key) ?? null;
            },
          });
        }
        case 'steps': {
          const out: Record<string, Value> = {};
          for (const st of run.status.steps)
            out[st.id] = { outputs: realOutputs.get(st.id) ?? st.outputs, outcome: outcome(st), phase: st.phase };
          return out;
        }
        case 'env':
          return stepEnv;
        case 'run':
          return { id: runId, dir: runDir, workspace, pipeline: pipeline.metadata.name, step: s?.id ?? '' };
      }
      return undefined;
    },
  });

  const render = (v: unknown, path: Array<string | number>, ctx: EvalContext): Value => {
    if (typeof v === 'string') {
      if (!v.includes('${{')) return v;
      try {
        return renderTemplate(parseTemplate(v), ctx);
      } catch (e) {
        if (e instanceof ExprError) {
          const location = locate(path, e.offset);
          throw new PipelineError('pipeline_expression_error', e.message, { location, cause: e });
        }
        throw e;
      }
    }
    if (Array.isArray(v)) return v.map((x, i) => render(x, [...path, i], ctx));
    if (v && typeof v === 'object') {
      const out: Record<string, Value> = {};
      for (const [k, x] of Object.entries(v)) out[k] = render(x, [...path, k], ctx);
      return out;
    }
    return (v ?? null) as Value;
  };

  const running = new Map<string, Promise<void>>();
  const concurrency = Math.max(1, o.concurrency ?? spec.concurrency ?? 4);
  const runSignal = o.signal;

  const finish = (st: StepStatus, phase: StepStatus['phase'], message?: string) => {
    st.phase = phase;
    const end = now();
    st.finishTime = iso(end);
    if (st.startTime) st.durationMs = end.getTime() - Date.parse(st.startTime);
    if (message !== undefined) st.message = masker.mask(message);
  };

  const skip = (st: StepStatus, message: string) => {
    st.phase = 'Skipped';
    st.message = message;
    appendFileSync(st.logPath, `skipped: ${message}\n`);
    o.onEvent?.({ type: 'step-end', step: st });
  };

  const execute = async (s: StepSpec, st: StepStatus): Promise<void> => {
    const path = ['spec', 'steps', stepIndex.get(s.id)!];
    const log = (text: string) => {
      const masked = masker.mask(text);
      appendFileSync(st.logPath, masked);
      o.onEvent?.({ type: 'step-log', id: s.id, text: masked });
    };
    st.phase = 'Running';
    st.startTime = iso(now());
    writeFileSync(st.logPath, '');
    await save();
    let result: StepResult | undefined;
    let error: string | undefined;
    const attempts = s.retries + 1;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      st.attempts = attempt;
      o.onEvent?.({ type: 'step-start', step: st, attempt });
      if (attempt > 1) log(`--- attempt ${attempt} of ${attempts} ---\n`);
      const ac = new AbortController();
      let why: string | undefined;
      const onRunAbort = () => {
        why = 'cancelled: the run was stopped';
        ac.abort(new PipelineError('pipeline_step_failed', why));
      };
      if (runSignal?.aborted) onRunAbort();
      runSignal?.addEventListener('abort', onRunAbort, { once: true });
      const timer =
        s.timeoutMs !== undefined
          ? setTimeout(() => {
              why = `timed out after ${formatMs(s.timeoutMs!)}`;
              ac.abort(new PipelineError('pipeline_step_failed', why));
            }, s.timeoutMs)
          : undefined;
      const streams: MaskedLineWriter[] = [];
      try {
        let env: Record<string, string> = {};
        const baseEnv = pipelineEnv();
        const envCtx = ctxFor(s, baseEnv);
        for (const [k, v] of Object.entries(baseEnv)) baseEnv[k] = toStr(render(v, ['spec', 'env', k], envCtx));
        env = { ...baseEnv };
        for (const [k, v] of Object.entries(s.env as Record<string, EnvValue>))
          env[k] =
            typeof v === 'string' ? toStr(render(v, [...path, 'env', k], ctxFor(s, env))) : resolveRef(v.secretRef);
        const ectx = ctxFor(s, env);
        const inputs = render(s.with, [...path, 'with'], ectx) as Record<string, Value>;
        const runStep: StepSpec = {
          ...s,
          ...(s.run !== undefined ? { run: toStr(render(s.run, [...path, 'run'], ectx)) } : {}),
          ...(s.image !== undefined ? { image: toStr(render(s.image, [...path, 'image'], ectx)) } : {}),
          ...(s.workingDirectory !== undefined
            ? { workingDirectory: toStr(render(s.workingDirectory, [...path, 'working-directory'], ectx)) }
            : {}),
        };
        const handler = o.handlers[s.uses];
        if (!handler) throw new PipelineError('pipeline_invalid', `no implementation for uses: ${s.uses}`);
        const ctx: StepContext = {
          step: runStep,
          inputs,
          env,
          workspace,
          runDir,
          runId,
          attempt,
          log: (line) => log(line.endsWith('\n') ? line : line + '\n'),
          logStream: () => {
            const w = new MaskedLineWriter(masker, (t) => {
              appendFileSync(st.logPath, t);
              o.onEvent?.({ type: 'step-log', id: s.id, text: t });
            });
            streams.push(w);
            return w;
          },
          artifact: (name) => join(runDir, `${s.id}.${name}`),
          mask: (v) => masker.add(v),
          secret: (name) => {
            const err = secretErrors.get(name);
            if (err) throw err;
            const v = secretValues.get(name);
            if (v === undefined) throw new PipelineError('pipeline_secret_missing', `unknown secret ${name}`);
            return v;
          },
          signal: ac.signal,
          services: o.services,
        };
        // the handler is raced against the abort: a step that ignores its signal is still marked failed
        result = await new Promise<StepResult>((res, rej) => {
          if (ac.signal.aborted) return rej(ac.signal.reason);
          ac.signal.addEventListener('abort', () => rej(ac.signal.reason), { once: true });
          handler(ctx).then(res, rej);
        });
        for (const w of streams) w.flushPartial();
        error = result.failure;
      } catch (e) {
        for (const w of streams) w.flushPartial();
        error = why ?? describeError(e);
        result = undefined;
      } finally {
        if (timer) clearTimeout(timer);
        runSignal?.removeEventListener('abort', onRunAbort);
      }
      if (error === undefined) break;
      log(`error: ${error}\n`);
      if (runSignal?.aborted) break;
    }
    if (result) {
      // the record shows outputs masked like log lines; later steps read the real values
      realOutputs.set(s.id, result.outputs ?? {});
      st.outputs = Object.fromEntries(Object.entries(result.outputs ?? {}).map(([k, v]) => [k, masker.mask(v)]));
      if (result.report) st.reportPath = result.report;
      if (result.sarif?.length) st.sarif = result.sarif;
      if (result.annotations?.length)
        st.annotations = result.annotations.slice(0, 200).map((a) => ({ ...a, message: masker.mask(a.message) }));
      if (result.exitCode !== undefined) st.exitCode = result.exitCode;
    }
    finish(st, error === undefined ? 'Succeeded' : 'Failed', error ?? result?.summary);
    await save();
    o.onEvent?.({ type: 'step-end', step: st });
  };

  // the scheduler
  await new Promise<void>((done) => {
    const tick = () => {
      let progressed = true;
      while (progressed) {
        progressed = false;
        for (const s of spec.steps) {
          const st = byId.get(s.id)!;
          if (st.phase !== 'Pending' || running.has(s.id)) continue;
          if (runSignal?.aborted) {
            skip(st, 'the run was stopped');
            progressed = true;
            continue;
          }
          const deps = s.needs.map((n) => byId.get(n)!);
          if (deps.some((d) => d.phase === 'Pending' || d.phase === 'Running')) continue;
          const failedDeps = deps.filter((d) => outcome(d) !== 'success');
          let cond: Value = failedDeps.length === 0;
          if (s.when !== undefined) {
            const src = s.when.includes('${{') ? s.when : `\${{ ${s.when} }}`;
            const statusAware = parseTemplate(src).parts.some((p) => 'expr' in p && callsStatus(p.expr));
            try {
              if (statusAware || failedDeps.length === 0) {
                const ctx = ctxFor(s, {});
                ctx.status = { success: failedDeps.length === 0, failure: deps.some((d) => outcome(d) === 'failure') };
                cond = renderTemplate(parseTemplate(src), ctx);
              }
            } catch (e) {
              st.startTime = iso(now());
              finish(st, 'Failed', `when: ${(e as Error).message}`);
              appendFileSync(st.logPath, `error: when: ${masker.mask((e as Error).message)}\n`);
              o.onEvent?.({ type: 'step-end', step: st });
              progressed = true;
              continue;
            }
          }
          if (!truthy(cond)) {
            skip(
              st,
              failedDeps.length > 0 && s.when === undefined
                ? `needs ${failedDeps.map((d) => `${d.id} (${d.phase.toLowerCase()})`).join(', ')}`
                : `when condition is false: ${s.when}`,
            );
            progressed = true;
            continue;
          }
          if (running.size >= concurrency) continue;
          const p = execute(s, st)
            .catch((e: unknown) => {
              finish(st, 'Failed', `internal error: ${(e as Error).message}`);
            })
            .finally(() => {
              running.delete(s.id);
              tick();
            });
          running.set(s.id, p);
          progressed = true;
        }
      }
      if (running.size === 0) {
        void save().then(done, done);
      }
    };
    tick();
  });

  const failed = run.status.steps.filter((s) => s.phase === 'Failed' && !s.continueOnError);
  run.status.phase = failed.length > 0 || runSignal?.aborted ? 'Failed' : 'Succeeded';
  run.status.completionTime = iso(now());
  if (runSignal?.aborted) run.status.message = 'the run was stopped';
  else if (failed.length > 0) run.status.message = `failed steps: ${failed.map((s) => s.id).join(', ')}`;
  await chain;
  if (spec.logs) await attachLogs(spec.logs, run, ctxFor(undefined, {}), o.services, masker);
  await persist();
  o.onEvent?.({ type: 'run-end', run });
  return run;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m}m${s ? `${s}s` : ''}`;
}

/** The artifactType of a PipelineRun record pushed next to an image. */
export const RUN_ARTIFACT_TYPE = 'application/vnd.sekisho.pipelinerun.v1+json';

/** Pushes status.json and the step logs as an OCI 1.1 artifact whose subject is the built image. */
async function attachLogs(
  logs: NonNullable<LoadedPipeline['pipeline']['spec']['logs']>,
  run: PipelineRun,
  ctx: EvalContext,
  services: Services,
  masker: Masker,
): Promise<void> {
  let image = '';
  try {
    image = toStr(renderTemplate(parseTemplate(logs.attachTo), ctx));
    if (!image) return; // e.g. the build step did not run
    const img = await openImage(image, services, run.spec.workspace, logs.insecure ? { insecure: true } : {});
    const subject = await manifestDescriptor(img.store, img.ref);
    const now = services
      .now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
    const record = { ...run, status: { ...run.status, completionTime: run.status.completionTime ?? now } };
    const blobs = [
      {
        bytes: Buffer.from(JSON.stringify(record, null, 2)),
        mediaType: 'application/json',
        annotations: { 'org.opencontainers.image.title': 'status.json' },
      },
      ...run.status.steps
        .filter((s) => existsSync(s.logPath))
        .map((s) => ({
          bytes: Buffer.from(masker.mask(readFileSync(s.logPath, 'utf8'))),
          mediaType: 'text/plain',
          annotations: { 'org.opencontainers.image.title': `${s.id}.log` },
        })),
    ];
    const desc = await pushArtifact(img.store, {
      artifactType: RUN_ARTIFACT_TYPE,
      blobs,
      subject,
      annotations: {
        'org.opencontainers.image.created': now,
        'ci.sekisho.dev/pipeline-run': run.metadata.name,
        'ci.sekisho.dev/phase': run.status.phase,
      },
    });
    run.status.logsArtifact = { image, digest: desc.digest };
  } catch (e) {
    run.status.logsArtifact = { image, error: masker.mask(describeError(e)) };
  }
}
