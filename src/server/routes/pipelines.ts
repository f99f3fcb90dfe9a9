// PipelineRun routes: runs recorded in the cluster (ci.sekisho.dev/v1alpha1, namespace CI_NAMESPACE) listed
// newest first, one run with its steps laid out as a graph (needs → levels), a step's log (whole, or followed
// as server-sent events while the step runs) and its report / SARIF files. Files are served only when the
// run's record names them and they lie under the platform's CI folder (ApiDeps.ciDir): a step name, a forged
// record or a symlink never reaches a file elsewhere.
import {
  createReadStream,
  existsSync,
  openSync,
  readSync,
  closeSync,
  readFileSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';
import type { KubeObject } from '../../kube/index.ts';
import { API_VERSION, CI_NAMESPACE, parsePipeline, type ChangeRequest, type StepStatus } from '../../pipeline/index.ts';
import { coversAll } from '../auth.ts';
import { ServerError } from '../errors.ts';
import { summarizeCr } from './change-requests.ts';
import { loadScope, projectsOf, visibleTo, type ProjectScope } from './scope.ts';
import {
  checkName,
  enumParam,
  intParam,
  kubeStatus,
  needKube,
  upstream,
  type ApiDeps,
  type Ctx,
  type RouteEnv,
  type RouteSpec,
  type Schema,
  rec,
  str,
} from '../route.ts';

type Obj = Record<string, unknown>;

export const RUN_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed'] as const;
const TERMINAL = new Set(['Succeeded', 'Failed', 'Skipped']);
/** label keys the runners put on PipelineRuns */
export const LABEL_PIPELINE = 'ci.sekisho.dev/pipeline';
export const LABEL_COMMIT = 'ci.sekisho.dev/commit';
export const LABEL_BRANCH = 'ci.sekisho.dev/branch';
export const LABEL_REPO = 'ci.sekisho.dev/repo';

const STEP_ID = /^[A-Za-z0-9_-]{1,100}$/;

/** A file of a step that the API may serve: the record names it and it lies under the CI folder. */
function servable(d: ApiDeps, path: string | undefined, what: string): string {
  if (!d.ciDir) throw new ServerError('server_upstream_error', 'this server has no CI folder configured (ciDir)');
  if (!path) throw new ServerError('server_not_found', `${what} is not recorded`);
  if (!isAbsolute(path)) throw new ServerError('server_not_found', `${what} is not an absolute path in the record`);
  if (!existsSync(path)) throw new ServerError('server_not_found', `${what} does not exist (any more)`);
  let root: string;
  let real: string;
  try {
    root = realpathSync(d.ciDir);
    real = realpathSync(path);
  } catch (e) {
    throw new ServerError('server_not_found', `${what}: ${(e as Error).message}`, { cause: e });
  }
  const rel = relative(root, real);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..'))
    throw new ServerError('server_forbidden', `${what} lies outside the CI folder and is not served`);
  if (!statSync(real).isFile()) throw new ServerError('server_not_found', `${what} is not a file`);
  return real;
}

function steps(run: KubeObject): StepStatus[] {
  const s = rec(run.status).steps;
  return Array.isArray(s) ? (s.filter((x) => typeof rec(x).id === 'string') as StepStatus[]) : [];
}

/** `needs` of each step: from the record, else from the pipeline file when it is still under the CI folder. */
function needsOf(d: ApiDeps, run: KubeObject): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const st = steps(run);
  for (const s of st)
    if (Array.isArray(s.needs))
      out.set(
        s.id,
        s.needs.filter((n) => typeof n === 'string'),
      );
  if (out.size > 0 || st.length === 0) return out;
  const file = str(rec(run.spec).pipelineFile);
  try {
    const p = servable(d, file, 'pipeline file');
    const loaded = parsePipeline(readFileSync(p, 'utf8'), p);
    for (const s of loaded.pipeline.spec.steps) out.set(s.id, s.needs);
  } catch {
    // no graph known: every step on one level, in order
  }
  return out;
}

/** Level of each step: 0 for roots, else 1 + the highest level of what it needs (cycles cut). */
export function levels(ids: string[], needs: Map<string, string[]>): Map<string, number> {
  const lv = new Map<string, number>();
  const visiting = new Set<string>();
  const known = new Set(ids);
  const of = (id: string): number => {
    const have = lv.get(id);
    if (have !== undefined) return have;
    if (visiting.has(id)) return 0;
    visiting.add(id);
    let l = 0;
    for (const n of needs.get(id) ?? []) if (known.has(n)) l = Math.max(l, of(n) + 1);
    visiting.delete(id);
    lv.set(id, l);
    return l;
  };
  for (const id of ids) of(id);
  return lv;
}

function durationMs(start: string | undefined, end: string | undefined): number | undefined {
  if (!start || !end) return undefined;
  const ms = Date.parse(end) - Date.parse(start);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

export function summarizeRun(run: KubeObject): Obj {
  const status = rec(run.status);
  const spec = rec(run.spec);
  const labels = run.metadata?.labels ?? {};
  const counts: Record<string, number> = {};
  for (const s of steps(run)) counts[s.phase] = (counts[s.phase] ?? 0) + 1;
  const start = str(status.startTime);
  const end = str(status.completionTime);
  const params = rec(spec.params);
  return {
    name: run.metadata?.name,
    pipeline: labels[LABEL_PIPELINE] ?? str(rec(spec.pipelineRef).name) ?? '',
    phase: str(status.phase) ?? 'Pending',
    ...(run.metadata?.creationTimestamp ? { createdAt: run.metadata.creationTimestamp } : {}),
    ...(start ? { startTime: start } : {}),
    ...(end ? { completionTime: end } : {}),
    ...(durationMs(start, end) !== undefined ? { durationMs: durationMs(start, end) } : {}),
    ...(str(status.message) ? { message: str(status.message) } : {}),
    ...((labels[LABEL_COMMIT] ?? str(params.commit)) ? { commit: labels[LABEL_COMMIT] ?? str(params.commit) } : {}),
    ...((labels[LABEL_BRANCH] ?? str(params.branch)) ? { branch: labels[LABEL_BRANCH] ?? str(params.branch) } : {}),
    ...((labels[LABEL_REPO] ?? str(params.repo)) ? { repo: labels[LABEL_REPO] ?? str(params.repo) } : {}),
    labels,
    steps: counts,
  };
}

const runSummarySchema: Schema = {
  type: 'object',
  required: ['name', 'pipeline', 'phase', 'steps'],
  properties: {
    name: { type: 'string' },
    pipeline: { type: 'string' },
    phase: { type: 'string' },
    createdAt: { type: 'string' },
    startTime: { type: 'string' },
    completionTime: { type: 'string' },
    durationMs: { type: 'integer' },
    message: { type: 'string' },
    commit: { type: 'string' },
    branch: { type: 'string' },
    repo: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    steps: { type: 'object', additionalProperties: { type: 'integer' }, description: 'step count per phase' },
  },
};

const stepSchema: Schema = {
  type: 'object',
  required: ['id', 'uses', 'phase', 'needs', 'level', 'files'],
  properties: {
    id: { type: 'string' },
    uses: { type: 'string' },
    phase: { type: 'string' },
    needs: { type: 'array', items: { type: 'string' } },
    level: { type: 'integer' },
    startTime: { type: 'string' },
    finishTime: { type: 'string' },
    durationMs: { type: 'integer' },
    attempts: { type: 'integer' },
    message: { type: 'string' },
    exitCode: { type: 'integer' },
    outputs: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'array', items: { type: 'object' } },
    files: {
      type: 'object',
      required: ['log', 'report', 'sarif'],
      properties: {
        log: { type: 'boolean' },
        report: { type: 'string', nullable: true, description: 'file name of the report, null when none' },
        sarif: { type: 'integer', description: 'number of SARIF files' },
      },
    },
  },
};

function baseName(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

export function pipelineRoutes({ d, apps }: RouteEnv): RouteSpec[] {
  /** the caller's scope, computed once per request */
  const scopes = new WeakMap<Ctx, Promise<ProjectScope>>();
  const scopeOf = (ctx: Ctx): Promise<ProjectScope> => {
    let s = scopes.get(ctx);
    if (!s) scopes.set(ctx, (s = loadScope({ d, apps }, ctx.principal!)));
    return s;
  };
  /** The run, after the project check: a run of projects the caller does not cover is "not found" too. */
  const loadRun = async (ctx: Ctx, name: string): Promise<KubeObject> => {
    checkName('pipeline run name', name);
    let run: KubeObject;
    try {
      run = await needKube(d).get(API_VERSION, 'PipelineRun', name, CI_NAMESPACE);
    } catch (e) {
      if (kubeStatus(e) === 404 || /not ?found|no resource/i.test((e as Error).message))
        throw new ServerError('server_not_found', `pipeline run ${name} not found`, { cause: e });
      throw upstream(e, `pipeline run ${name}`);
    }
    if (!(await scopeOf(ctx)).canSeeRun(name))
      throw new ServerError('server_not_found', `pipeline run ${name} not found`);
    return run;
  };
  const stepOf = (run: KubeObject, id: string): StepStatus => {
    if (!STEP_ID.test(id)) throw new ServerError('server_bad_request', `invalid step id "${id}"`);
    const s = steps(run).find((x) => x.id === id);
    if (!s) throw new ServerError('server_not_found', `pipeline run ${run.metadata?.name} has no step ${id}`);
    return s;
  };
  const runPath = '/api/v1/pipelineruns/{name}';
  /** names of the ChangeRequests a run opened; none when the kind is not installed */
  const changeRequestsOf = async (run: string, scope: ProjectScope): Promise<string[]> => {
    try {
      const l = await needKube(d).listAll(API_VERSION, 'ChangeRequest', { namespace: CI_NAMESPACE });
      return l.items
        .filter((c) => rec(c.spec).pipelineRun === run)
        .filter((c) => scope.canSeeChangeRequest(c as unknown as ChangeRequest))
        .map((c) => c.metadata!.name!)
        .sort();
    } catch {
      return [];
    }
  };

  return [
    {
      method: 'GET',
      path: '/api/v1/ci/stream',
      role: 'viewer',
      tag: 'pipelines',
      projectScoped: true,
      summary:
        'Server-sent events for every change of a PipelineRun ("pipelinerun": {type, run}) or ChangeRequest ("changerequest": {type, changeRequest}) in the CI namespace, summaries as the lists give them; changes only: "ready" says every later change will be sent',
      produces: 'text/event-stream',
      handler: async (ctx) => {
        const kube = needKube(d);
        const { req, res } = ctx;
        const ac = new AbortController();
        res.writeHead(200, {
          'Content-Type': 'text/event-stream; charset=utf-8',
          'Cache-Control': 'no-store',
          Connection: 'keep-alive',
          'X-Accel-Buffering': 'no',
        });
        res.write(': connected\n\n');
        const closed = new Promise<void>((resolve) => {
          const stop = () => {
            ac.abort();
            resolve();
          };
          req.on('close', stop);
          res.on('close', stop);
        });
        const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), d.heartbeatMs ?? 15_000);
        keepAlive.unref();
        const pause = (ms: number) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(resolve, ms);
            ac.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
          });
        /** list for a resourceVersion, then watch from it; again after an expiry, a timeout or an error */
        // a scoped caller gets only the runs and change requests of its projects (and those of none)
        const follow = async (
          kind: string,
          event: string,
          send: (o: KubeObject) => Promise<Obj | undefined>,
          listed: () => void,
        ) => {
          let rv: string | undefined;
          while (!ac.signal.aborted) {
            try {
              try {
                rv ??= (await kube.list(API_VERSION, kind, { namespace: CI_NAMESPACE, limit: 1 })).metadata
                  .resourceVersion;
              } finally {
                listed();
              }
              for await (const ev of kube.watch(API_VERSION, kind, {
                namespace: CI_NAMESPACE,
                ...(rv ? { resourceVersion: rv } : {}),
                allowWatchBookmarks: true,
                timeoutSeconds: 300,
                signal: ac.signal,
              })) {
                if (ev.type === 'ERROR') {
                  rv = undefined; // expired: list again; clients reload what they show on the next event
                  break;
                }
                rv = ev.object.metadata?.resourceVersion ?? rv;
                if (ev.type === 'BOOKMARK') continue;
                const data = await send(ev.object);
                if (data && !ac.signal.aborted)
                  res.write(`event: ${event}\ndata: ${JSON.stringify({ type: ev.type, ...data })}\n\n`);
              }
              if (!rv) await pause(200);
            } catch {
              if (ac.signal.aborted) return;
              await pause(2000); // the kind is not installed yet, or the cluster is away
            }
          }
        };
        // "ready" once both kinds have been listed: every change after it is sent
        let pending = 2;
        const once = () => {
          let done = false;
          return () => {
            if (done) return;
            done = true;
            if (--pending === 0) res.write('event: ready\ndata: {}\n\n');
          };
        };
        const p = ctx.principal!;
        void follow(
          'PipelineRun',
          'pipelinerun',
          async (o) =>
            (await loadScope({ d, apps }, p)).canSeeRun(o.metadata?.name ?? '') ? { run: summarizeRun(o) } : undefined,
          once(),
        );
        void follow(
          'ChangeRequest',
          'changerequest',
          async (o) => {
            const cr = o as unknown as ChangeRequest;
            if (!coversAll(p)) {
              await apps.ready().catch(() => undefined);
              if (!visibleTo(p, projectsOf(cr, apps.all()))) return undefined;
            }
            return { changeRequest: summarizeCr(cr) };
          },
          once(),
        );
        await closed;
        clearInterval(keepAlive);
        res.end();
        return undefined;
      },
    },
    {
      method: 'GET',
      path: '/api/v1/pipelineruns',
      role: 'viewer',
      tag: 'pipelines',
      projectScoped: true,
      summary: `PipelineRuns recorded in the cluster (namespace ${CI_NAMESPACE}), newest first`,
      query: [
        { name: 'pipeline', description: 'only runs of this pipeline' },
        { name: 'repo', description: 'only runs of this app repo (label ci.sekisho.dev/repo or param repo)' },
        { name: 'branch', description: 'only runs of this branch' },
        { name: 'phase', description: `only runs in this phase (${RUN_PHASES.join(', ')})` },
        { name: 'limit', type: 'integer', description: 'at most this many runs (1-1000, default all)' },
      ],
      response: {
        type: 'object',
        required: ['items', 'total'],
        properties: { items: { type: 'array', items: runSummarySchema }, total: { type: 'integer' } },
      },
      handler: async (ctx) => {
        const phase = enumParam(ctx.url, 'phase', RUN_PHASES);
        const limit = intParam(ctx.url, 'limit', 1, 1000);
        const pipeline = ctx.url.searchParams.get('pipeline');
        const repo = ctx.url.searchParams.get('repo');
        const branch = ctx.url.searchParams.get('branch');
        let items: KubeObject[];
        try {
          items = (await needKube(d).listAll(API_VERSION, 'PipelineRun', { namespace: CI_NAMESPACE })).items;
        } catch (e) {
          // no CRD yet: nothing has ever run
          if (kubeStatus(e) === 404 || /no resource|not found|unknown kind/i.test((e as Error).message)) items = [];
          else throw upstream(e, 'pipeline runs');
        }
        const when = (o: KubeObject) => str(rec(o.status).startTime) ?? o.metadata?.creationTimestamp ?? '';
        const scope = await scopeOf(ctx);
        let sums = items
          .filter((r) => scope.canSeeRun(r.metadata?.name ?? ''))
          .sort(
            (a, b) =>
              when(b).localeCompare(when(a)) || String(b.metadata?.name).localeCompare(String(a.metadata?.name)),
          )
          .map(summarizeRun);
        if (phase) sums = sums.filter((s) => s.phase === phase);
        if (pipeline) sums = sums.filter((s) => s.pipeline === pipeline);
        if (repo) sums = sums.filter((s) => s.repo === repo);
        if (branch) sums = sums.filter((s) => s.branch === branch);
        const total = sums.length;
        return { items: limit ? sums.slice(0, limit) : sums, total };
      },
    },
    {
      method: 'GET',
      path: runPath,
      role: 'viewer',
      tag: 'pipelines',
      projectScoped: true,
      summary:
        'One PipelineRun: its summary, params and steps with their needs and graph level, phase, times, outputs, annotations and which files (log, report, SARIF) can be fetched',
      response: {
        type: 'object',
        required: ['name', 'phase', 'steps', 'run'],
        properties: {
          ...(runSummarySchema.properties as Obj),
          steps: { type: 'array', items: stepSchema },
          params: { type: 'object', additionalProperties: { type: 'string' } },
          run: { type: 'object', description: 'the PipelineRun object as stored' },
          changeRequests: {
            type: 'array',
            items: { type: 'string' },
            description: 'ChangeRequests this run opened (spec.pipelineRun)',
          },
          logsArtifact: {
            type: 'object',
            description: 'the run record and logs pushed as an OCI artifact next to the image',
            properties: { image: { type: 'string' }, digest: { type: 'string' }, error: { type: 'string' } },
          },
        },
      },
      handler: async (ctx) => {
        const run = await loadRun(ctx, ctx.params.name!);
        const st = steps(run);
        const needs = needsOf(d, run);
        const lv = levels(
          st.map((s) => s.id),
          needs,
        );
        const has = (p: string | undefined): boolean => {
          try {
            servable(d, p, 'file');
            return true;
          } catch {
            return false;
          }
        };
        const { steps: _counts, ...sum } = summarizeRun(run);
        return {
          ...sum,
          params: rec(rec(run.spec).params),
          changeRequests: await changeRequestsOf(run.metadata!.name!, await scopeOf(ctx)),
          ...(rec(rec(run.status).logsArtifact).image ? { logsArtifact: rec(rec(run.status).logsArtifact) } : {}),
          steps: st.map((s) => {
            const dur = s.durationMs ?? durationMs(s.startTime, s.finishTime);
            return {
              id: s.id,
              uses: s.uses,
              phase: s.phase,
              needs: needs.get(s.id) ?? [],
              level: lv.get(s.id) ?? 0,
              ...(s.startTime ? { startTime: s.startTime } : {}),
              ...(s.finishTime ? { finishTime: s.finishTime } : {}),
              ...(dur !== undefined ? { durationMs: Math.round(dur) } : {}),
              attempts: s.attempts ?? 0,
              ...(s.message ? { message: s.message } : {}),
              ...(s.exitCode !== undefined ? { exitCode: s.exitCode } : {}),
              outputs: s.outputs ?? {},
              ...(s.annotations ? { annotations: s.annotations } : {}),
              files: {
                log: has(s.logPath),
                report: s.reportPath && has(s.reportPath) ? baseName(s.reportPath) : null,
                sarif: (s.sarif ?? []).filter((f) => has(f)).length,
              },
            };
          }),
          run,
        };
      },
    },
    {
      method: 'GET',
      path: `${runPath}/steps/{step}/log`,
      role: 'viewer',
      tag: 'pipelines',
      projectScoped: true,
      summary:
        'The log of a step as text; with follow=true, server-sent events: "log" events ({text}: complete lines, id = byte offset, Last-Event-ID resumes) while the step runs, then "end" ({phase})',
      query: [
        { name: 'follow', type: 'boolean', description: 'stream new lines as server-sent events until the step ends' },
      ],
      produces: 'text/plain',
      handler: async (ctx) => {
        const follow = ctx.url.searchParams.get('follow');
        if (follow !== null && !['1', 'true', '0', 'false'].includes(follow))
          throw new ServerError('server_bad_request', `follow must be true or false, got "${follow}"`);
        const run = await loadRun(ctx, ctx.params.name!);
        const s = stepOf(run, ctx.params.step!);
        if (follow === '1' || follow === 'true') return followLog(ctx, run, s);
        const file = servable(d, s.logPath, `log of step ${s.id}`);
        await sendFile(ctx, file, { 'Content-Type': 'text/plain; charset=utf-8' });
        return undefined;
      },
    },
    {
      method: 'GET',
      path: `${runPath}/steps/{step}/report`,
      role: 'viewer',
      tag: 'pipelines',
      projectScoped: true,
      summary:
        "A step's report file as it wrote it (lint findings, scan result, SBOM, policy results: JSON), or with sarif=N its N-th SARIF file",
      query: [{ name: 'sarif', type: 'integer', description: 'the N-th SARIF file (0-based) instead of the report' }],
      produces: 'application/json',
      handler: async (ctx) => {
        const run = await loadRun(ctx, ctx.params.name!);
        const s = stepOf(run, ctx.params.step!);
        const n = intParam(ctx.url, 'sarif', 0, 99);
        const path = n === undefined ? s.reportPath : s.sarif?.[n];
        const file = servable(d, path, n === undefined ? `report of step ${s.id}` : `SARIF file ${n} of step ${s.id}`);
        const json = /\.(json|sarif)$/i.test(file) || n !== undefined;
        await sendFile(ctx, file, {
          'Content-Type':
            n !== undefined ? 'application/sarif+json' : json ? 'application/json' : 'text/plain; charset=utf-8',
          'Content-Disposition': `inline; filename="${s.id}-${baseName(file).replace(/[^A-Za-z0-9._-]/g, '_')}"`,
        });
        return undefined;
      },
    },
  ];

  /**
   * Sends a file as it is when asked: a running step's log grows, so the bytes there were then, as the
   * Content-Length says.
   */
  async function sendFile(ctx: Ctx, file: string, headers: Record<string, string>): Promise<void> {
    const size = statSync(file).size;
    ctx.res.writeHead(200, {
      ...headers,
      'Content-Length': size,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    if (size === 0) {
      ctx.res.end();
      return;
    }
    await new Promise<void>((res, rej) => {
      const r = createReadStream(file, { start: 0, end: size - 1 });
      r.on('error', rej);
      ctx.res.on('close', () => res());
      r.pipe(ctx.res).on('finish', () => res());
    });
  }

  /** Streams the step's log as SSE from the Last-Event-ID offset until the step is finished. */
  async function followLog(ctx: Ctx, run: KubeObject, first: StepStatus): Promise<undefined> {
    const { req, res } = ctx;
    const name = run.metadata!.name!;
    const id = first.id;
    const last = ctx.req.headers['last-event-id'];
    let offset = typeof last === 'string' && /^\d{1,15}$/.test(last) ? Number(last) : 0;
    let phase: string = first.phase;
    let logPath = first.logPath;
    if (!d.ciDir) throw new ServerError('server_upstream_error', 'this server has no CI folder configured (ciDir)');
    // a log that exists must be servable now; one not written yet is waited for
    if (logPath && existsSync(logPath)) servable(d, logPath, `log of step ${id}`);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(': following\n\n');
    let closed = false;
    const done = new Promise<void>((resolveDone) => {
      const stop = () => {
        closed = true;
        resolveDone();
      };
      req.on('close', stop);
      res.on('close', stop);
    });
    /** sends the complete lines written since `offset`; with `all`, the unterminated rest too */
    const pump = (all: boolean): void => {
      let file: string;
      try {
        file = servable(d, logPath, 'log');
      } catch {
        return; // not written yet
      }
      const size = statSync(file).size;
      if (size < offset) offset = 0; // truncated (a retry rewrote it): start over
      if (size === offset) return;
      const fd = openSync(file, 'r');
      try {
        const max = Math.min(size - offset, 4 * 1024 * 1024);
        const buf = Buffer.alloc(max);
        const n = readSync(fd, buf, 0, max, offset);
        let chunk = buf.subarray(0, n);
        const nl = chunk.lastIndexOf(0x0a);
        if (!all || n < size - offset) {
          if (nl < 0) return;
          chunk = chunk.subarray(0, nl + 1);
        }
        offset += chunk.length;
        res.write(`id: ${offset}\nevent: log\ndata: ${JSON.stringify({ text: chunk.toString('utf8') })}\n\n`);
      } finally {
        closeSync(fd);
      }
    };
    let ticks = 0;
    const finished = (): boolean => TERMINAL.has(phase) || ['Succeeded', 'Failed'].includes(runPhase);
    let runPhase = str(rec(run.status).phase) ?? 'Running';
    pump(finished());
    while (!closed && !finished()) {
      await new Promise((r) => setTimeout(r, 250));
      if (closed) break;
      pump(false);
      if (++ticks % 2 === 0) {
        try {
          const now = await needKube(d).get(API_VERSION, 'PipelineRun', name, CI_NAMESPACE);
          runPhase = str(rec(now.status).phase) ?? runPhase;
          const s = steps(now).find((x) => x.id === id);
          if (s) {
            phase = s.phase;
            logPath = s.logPath;
          }
        } catch {
          // the run was deleted, or the cluster is briefly away: keep following what is on disk
        }
      }
      if (ticks % 60 === 0) res.write(': keep-alive\n\n');
    }
    if (!closed) {
      pump(true);
      res.write(`event: end\ndata: ${JSON.stringify({ phase })}\n\n`);
      res.end();
    }
    await done.catch(() => undefined);
    return undefined;
  }
}
