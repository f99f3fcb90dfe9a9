// `sekisho ci run|validate|show|runs|crds`: the pipeline runner in the current checkout. The work is done in
// src/pipeline; this file reads argv and env, builds the services (registry credentials, builder) and prints.
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { KubeClient } from '../../kube/index.ts';
import { dockerConfigCredentials, parseReference, registryApiHost } from '../../oci/index.ts';
import { jobExecutor, jobStepHandlers, type JobExecutor } from '../../pipeline/runners/index.ts';
import {
  CI_NAMESPACE,
  PipelineError,
  builtinSteps,
  kubeRunRecorder,
  parseDuration,
  pollOnce,
  watchRepo,
  type PollResult,
  changeRequestCrd,
  cacheDefaults,
  pipelineServices,
  parsePipeline,
  pipelineCrd,
  pipelineRunCrd,
  readRun,
  runPipeline,
  type PipelineRun,
  type Services,
} from '../../pipeline/index.ts';
import { githubCommands, progressLine, runTable, stepSummary } from '../../pipeline/report.ts';
import { reportError } from '../report-error.ts';
import { registerStepCommands } from './ci-step.ts';
import { registerStepImage } from './ci-step-image.ts';

/** Where `ci run` looks for the pipeline when none is given, in order. */
export const DEFAULT_PIPELINE_FILES = ['.sekisho/pipeline.yaml', 'sekisho-pipeline.yaml'];

function findPipeline(file: string | undefined): string {
  if (file) return file;
  const found = DEFAULT_PIPELINE_FILES.find((f) => existsSync(f));
  if (!found)
    throw new PipelineError(
      'pipeline_io_error',
      `no pipeline file given and none of ${DEFAULT_PIPELINE_FILES.join(', ')} exists here`,
    );
  return found;
}

function load(file: string) {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PipelineError('pipeline_io_error', `read ${file}: ${(e as Error).message}`, { cause: e });
  }
  return parsePipeline(text, file);
}

function parseParams(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of list ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new PipelineError('pipeline_param_error', `--param ${JSON.stringify(p)} is not NAME=VALUE`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

export function cliServices(o: { insecure?: boolean; scanDb?: string; dataDir?: string }): Services {
  const configDir = process.env.DOCKER_CONFIG ?? join(homedir(), '.docker');
  const defaults = cacheDefaults(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'));
  return pipelineServices({
    env: process.env,
    credentials: dockerConfigCredentials(join(configDir, 'config.json')),
    ...(o.insecure ? { insecure: true } : {}),
    scanDb: o.scanDb ?? process.env.SEKISHO_DB ?? defaults.scanDb,
    buildCacheDir: defaults.buildCacheDir,
    ...(o.dataDir ? { dataDir: o.dataDir } : {}),
  });
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

interface RunOpts {
  param?: string[];
  output: 'table' | 'json';
  runsDir?: string;
  concurrency?: string;
  insecure?: boolean;
  scanDb?: string;
  dataDir?: string;
  sarifDir?: string;
  runId?: string;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  runner?: string;
  workspaceRepo?: string;
  seedImage?: string;
  stepImage?: string;
  registrySecret?: string;
  privilegedBuild: boolean;
}

async function ciRun(file: string | undefined, o: RunOpts): Promise<number> {
  const path = findPipeline(file);
  const loaded = load(path);
  const workspace = process.cwd();
  const gh = process.env.GITHUB_ACTIONS === 'true';
  const json = o.output === 'json';
  const tty = process.stderr.isTTY === true && !json;
  const ac = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stoppedBy) return;
    stoppedBy = sig;
    if (!json) process.stderr.write(`\n${sig}: stopping the run (running steps are killed)\n`);
    ac.abort();
  };
  const int = () => onSignal('SIGINT');
  const term = () => onSignal('SIGTERM');
  process.on('SIGINT', int);
  process.on('SIGTERM', term);
  let run: PipelineRun;
  const kube = o.kubeconfig
    ? await KubeClient.fromKubeconfig({ path: o.kubeconfig, ...(o.context ? { context: o.context } : {}) })
    : undefined;
  const services = cliServices({ ...o, dataDir: resolve(o.dataDir ?? '.sekisho') });
  let jobs: JobExecutor | undefined;
  if (o.runner !== undefined && o.runner !== 'local' && o.runner !== 'kubernetes')
    throw new PipelineError('pipeline_invalid', `--runner must be local or kubernetes, got "${o.runner}"`);
  if (o.runner === 'kubernetes') {
    if (!kube) throw new PipelineError('pipeline_invalid', '--runner kubernetes needs --kubeconfig');
    if (!o.workspaceRepo)
      throw new PipelineError(
        'pipeline_invalid',
        '--runner kubernetes needs --workspace-repo (the registry repository the checkout is pushed to for the seed Job)',
      );
    const wsHost = registryApiHost(parseReference(o.workspaceRepo).registry);
    jobs = jobExecutor({
      client: kube,
      namespace: o.namespace ?? 'default',
      runName: o.runId ?? `ci-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`,
      workspaceRepo: o.workspaceRepo,
      seedImage: o.seedImage ?? 'busybox:stable',
      ...(o.insecure ? { insecureHosts: [wsHost] } : {}),
      ...(o.stepImage ? { stepImage: o.stepImage } : {}),
      ...(o.registrySecret ? { registrySecret: o.registrySecret } : {}),
      privilegedBuild: o.privilegedBuild,
      // scan steps without their own db read the runner's default one, shipped with the seed
      ...(o.stepImage &&
      services.scanDb &&
      existsSync(services.scanDb) &&
      loaded.pipeline.spec.steps.some((s) => s.uses === 'scan' && s.with.db === undefined)
        ? { scanDb: services.scanDb }
        : {}),
      credentials: dockerConfigCredentials(
        join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json'),
      ),
    });
    services.executor = jobs;
    if (!json)
      process.stderr.write(
        o.stepImage
          ? `note: --runner kubernetes runs every step but promote and run steps without image: as Jobs (step image ${o.stepImage})\n`
          : 'note: --runner kubernetes runs `run` steps with image: as Jobs; without --step-image built-in steps and run steps without image run in this process\n',
      );
  }
  try {
    run = await runPipeline({
      ...(kube
        ? {
            onRecord: kubeRunRecorder(kube, o.namespace ?? 'default', (e) => {
              if (!json)
                process.stderr.write(`warning: PipelineRun not recorded in the cluster: ${(e as Error).message}\n`);
            }),
          }
        : {}),
      loaded,
      params: parseParams(o.param),
      workspace,
      ...(o.runsDir ? { runsDir: resolve(o.runsDir) } : {}),
      ...(o.runId ? { runId: o.runId } : {}),
      ...(o.concurrency ? { concurrency: Number(o.concurrency) } : {}),
      signal: ac.signal,
      services,
      handlers: jobs && o.stepImage ? jobStepHandlers(builtinSteps(), jobs) : builtinSteps(),
      onEvent: (ev) => {
        if (json) return;
        if (ev.type === 'run-start') process.stderr.write(`run ${ev.run.metadata.name} (${ev.run.status.runDir})\n`);
        else if (ev.type === 'step-start') process.stderr.write(progressLine(ev.step, tty, ev.attempt) + '\n');
        else if (ev.type === 'step-end') {
          process.stderr.write(progressLine(ev.step, tty) + '\n');
          if (gh && ev.step.phase === 'Failed') {
            // the failed step's log, folded
            process.stdout.write(`::group::${ev.step.id} log\n`);
            try {
              process.stdout.write(readFileSync(ev.step.logPath, 'utf8'));
            } catch {
              // no log written
            }
            process.stdout.write('::endgroup::\n');
          }
        }
      },
    });
  } finally {
    process.off('SIGINT', int);
    process.off('SIGTERM', term);
    try {
      await jobs?.cleanup();
    } finally {
      kube?.close();
    }
  }
  if (json) process.stdout.write(JSON.stringify(run, null, 2) + '\n');
  else
    process.stdout.write(runTable(run, { color: process.stdout.isTTY === true, width: process.stdout.columns ?? 160 }));
  const sarif = run.status.steps.flatMap((s) => (s.sarif ?? []).map((f) => ({ step: s.id, f })));
  if (gh || o.sarifDir) {
    const dir = resolve(o.sarifDir ?? join('.sekisho', 'sarif'));
    mkdirSync(dir, { recursive: true });
    for (const { step, f } of sarif) if (existsSync(f)) copyFileSync(f, join(dir, `${step}.sarif`));
  }
  if (gh) {
    for (const c of githubCommands(run)) process.stdout.write(c + '\n');
    if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, stepSummary(run));
    if (process.env.GITHUB_OUTPUT)
      appendFileSync(
        process.env.GITHUB_OUTPUT,
        `run-id=${run.metadata.name}\nrun-dir=${run.status.runDir}\nphase=${run.status.phase}\n` +
          run.status.steps
            .flatMap((s) => Object.entries(s.outputs).map(([k, v]) => (v.includes('\n') ? '' : `${s.id}-${k}=${v}\n`)))
            .join(''),
      );
  }
  if (stoppedBy) return stoppedBy === 'SIGINT' ? 130 : 143;
  return run.status.phase === 'Succeeded' ? 0 : 1;
}

function runsDirOf(o: { runsDir?: string }): string {
  return resolve(o.runsDir ?? join('.sekisho', 'runs'));
}

export function register(program: Command): void {
  const ci = program
    .command('ci')
    .description('run Sekisho pipelines (ci.sekisho.dev/v1alpha1 Pipeline) in this checkout');
  ci.command('run')
    .description(
      `run a pipeline (default: ${DEFAULT_PIPELINE_FILES.join(' or ')}); exit 0 when it succeeds, 1 when a step fails`,
    )
    .argument('[pipeline]', 'pipeline YAML file')
    .option('-p, --param <name=value>', 'set a pipeline param (repeatable)', collect)
    .addOption(new Option('-o, --output <format>', 'final report').choices(['table', 'json']).default('table'))
    .option('--runs-dir <dir>', 'where run records and logs go (default .sekisho/runs)')
    .option('--run-id <id>', 'name of the run (default <pipeline>-<time>-<random>)')
    .option('--concurrency <n>', 'most steps at once (default: the pipeline, else 4)')
    .option('--insecure', 'plain HTTP to every registry (loopback registries always are)')
    .option('--scan-db <dir>', 'advisory database for scan steps (default $SEKISHO_DB or ~/.cache/sekisho/db)')
    .option('--data-dir <dir>', 'data dir for promote steps: change requests, config repo clones (default .sekisho)')
    .option(
      '--sarif-dir <dir>',
      'copy the SARIF files of lint/scan/policy steps here (default under GitHub Actions: .sekisho/sarif)',
    )
    .addOption(
      new Option(
        '--runner <runner>',
        'local: steps run here; kubernetes: `run` steps with image: (and with --step-image the built-in steps) run as Jobs',
      )
        .choices(['local', 'kubernetes'])
        .default('local'),
    )
    .option('--kubeconfig <file>', 'cluster for --runner kubernetes; also records the run as a PipelineRun there')
    .option('--context <name>', 'kubeconfig context')
    .option('--namespace <ns>', 'namespace of the step Jobs, the workspace PVC and the PipelineRun', 'default')
    .option(
      '--workspace-repo <ref>',
      'registry repository the checkout is pushed to for the Jobs (--runner kubernetes)',
    )
    .option(
      '--seed-image <ref>',
      'image with wget and tar that unpacks the checkout onto the PVC (without --step-image)',
      'busybox:stable',
    )
    .option(
      '--step-image <ref>',
      'Sekisho step image (`sekisho ci step-image`): built-in steps but promote run as Jobs in it, and it seeds the PVC',
    )
    .option(
      '--registry-secret <name>',
      'kubernetes.io/dockerconfigjson Secret in --namespace mounted into the step-image pods (registry credentials)',
    )
    .option('--no-privileged-build', 'run build step Jobs unprivileged (a Dockerfile RUN then fails in most clusters)')
    .action(async (file: string | undefined, o: RunOpts) => {
      try {
        process.exitCode = await ciRun(file, o);
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
  ci.command('validate')
    .description('check a pipeline file; errors name file:line:col')
    .argument('[pipeline]', 'pipeline YAML file')
    .action((file: string | undefined) => {
      try {
        const path = findPipeline(file);
        const { pipeline } = load(path);
        process.stdout.write(
          `${path}: pipeline ${pipeline.metadata.name} is valid (${pipeline.spec.steps.length} steps)\n`,
        );
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
  ci.command('runs')
    .description('list recorded runs, newest first')
    .option('--runs-dir <dir>', 'run records (default .sekisho/runs)')
    .addOption(new Option('-o, --output <format>', 'format').choices(['table', 'json']).default('table'))
    .action((o: { runsDir?: string; output: string }) => {
      try {
        const dir = runsDirOf(o);
        const runs = existsSync(dir)
          ? readdirSync(dir)
              .filter((d) => existsSync(join(dir, d, 'status.json')))
              .map((d) => readRun(join(dir, d)))
              .sort((a, b) => (b.metadata.creationTimestamp < a.metadata.creationTimestamp ? -1 : 1))
          : [];
        if (o.output === 'json') process.stdout.write(JSON.stringify(runs, null, 2) + '\n');
        else
          for (const r of runs)
            process.stdout.write(
              `${r.metadata.name}  ${r.status.phase}  ${r.metadata.creationTimestamp}  ${r.status.message ?? ''}\n`,
            );
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
  ci.command('show')
    .description('show a run (its table, or one step log with --log)')
    .argument('<run-id>', 'run name (a folder under the runs dir)')
    .option('--runs-dir <dir>', 'run records (default .sekisho/runs)')
    .option('--log <step>', 'print this step log')
    .addOption(new Option('-o, --output <format>', 'format').choices(['table', 'json', 'yaml']).default('table'))
    .action((id: string, o: { runsDir?: string; log?: string; output: string }) => {
      try {
        const run = readRun(join(runsDirOf(o), basename(id)));
        if (o.log) {
          const s = run.status.steps.find((x) => x.id === o.log);
          if (!s) throw new PipelineError('pipeline_invalid', `run ${id} has no step ${o.log}`);
          process.stdout.write(existsSync(s.logPath) ? readFileSync(s.logPath, 'utf8') : '');
        } else if (o.output === 'json') process.stdout.write(JSON.stringify(run, null, 2) + '\n');
        else if (o.output === 'yaml') process.stdout.write(stringify(run));
        else process.stdout.write(runTable(run));
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
  ci.command('watch')
    .description('start a PipelineRun for each new commit of an app repo branch (polling)')
    .requiredOption('--repo <path|url>', 'app repo')
    .option('--branch <name>', 'branch to follow', 'main')
    .option(
      '--pipeline <file>',
      'pipeline file in the repo (default .sekisho/pipeline.yaml, else sekisho-pipeline.yaml)',
    )
    .option('--interval <duration>', 'polling period', '30s')
    .option('--once', 'poll once: run the pipeline if the branch has a commit not run yet, then exit')
    .option('-p, --param <name=value>', 'set a pipeline param (repeatable)', collect)
    .option('--data-dir <dir>', 'checkouts, runs (<data-dir>/ci/runs), change requests', '.sekisho')
    .option('--scan-db <dir>', 'advisory database for scan steps')
    .option('--insecure', 'plain HTTP to every registry')
    .option('--kubeconfig <file>', 'also record each run as a PipelineRun in this cluster (CRDs: sekisho ci crds)')
    .option('--context <name>', 'kubeconfig context')
    .option('--namespace <ns>', 'namespace of the PipelineRuns', CI_NAMESPACE)
    .action(
      async (o: {
        kubeconfig?: string;
        context?: string;
        namespace: string;
        repo: string;
        branch: string;
        pipeline?: string;
        interval: string;
        once?: boolean;
        param?: string[];
        dataDir: string;
        scanDb?: string;
        insecure?: boolean;
      }) => {
        let kube: KubeClient | undefined;
        try {
          const dataDir = resolve(o.dataDir);
          kube = o.kubeconfig
            ? await KubeClient.fromKubeconfig({ path: o.kubeconfig, ...(o.context ? { context: o.context } : {}) })
            : undefined;
          const client = kube;
          const base = {
            ...(client
              ? {
                  recorder: () =>
                    kubeRunRecorder(client, o.namespace, (e) =>
                      process.stderr.write(
                        `warning: PipelineRun not recorded in the cluster: ${(e as Error).message}\n`,
                      ),
                    ),
                }
              : {}),
            repo: o.repo,
            branch: o.branch,
            ...(o.pipeline ? { pipeline: o.pipeline } : {}),
            dataDir,
            params: parseParams(o.param),
            services: cliServices({ ...o, dataDir }),
            handlers: builtinSteps(),
          };
          const report = (r: PollResult) => {
            if (!r.run) process.stderr.write(`${o.branch} at ${r.commit.slice(0, 12)}: already run\n`);
            else
              process.stdout.write(
                `${r.commit.slice(0, 12)} ${r.run.metadata.name} ${r.run.status.phase} ${r.run.status.runDir}\n`,
              );
          };
          if (o.once) {
            const r = await pollOnce(base);
            report(r);
            process.exitCode = r.run && r.run.status.phase !== 'Succeeded' ? 1 : 0;
            return;
          }
          const ms = parseDuration(o.interval);
          if (ms === undefined)
            throw new PipelineError('pipeline_invalid', `--interval ${o.interval}: want e.g. 30s, 5m`);
          const ac = new AbortController();
          const stop = () => ac.abort();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          process.stderr.write(`watching ${o.repo} ${o.branch} every ${o.interval}\n`);
          await watchRepo({
            ...base,
            intervalMs: ms,
            signal: ac.signal,
            onPoll: report,
            onError: (e) => reportError(e),
          });
        } catch (err) {
          process.exitCode = reportError(err);
        } finally {
          kube?.close();
        }
      },
    );
  ci.command('crds')
    .description('print the CustomResourceDefinitions of Pipeline, PipelineRun and ChangeRequest')
    .action(() => {
      process.stdout.write(
        [pipelineCrd(), pipelineRunCrd(), changeRequestCrd()].map((c) => stringify(c)).join('---\n'),
      );
    });
  // the step image and what step Jobs run inside it
  registerStepImage(ci);
  registerStepCommands(ci);
}
