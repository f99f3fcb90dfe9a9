// Plays the demo's step table against a platform: each step is timed and recorded as a checkpoint with
// its outcome, the expected outcome, and where to look. The first step that cannot run (an error, not an
// expected or unexpected answer) stops the flow; the rest are recorded as skipped.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeClient } from '../../kube/index.ts';
import { RegistryClient } from '../../oci/index.ts';
import { AuthStore } from '../../server/index.ts';
import { startPlatform, type Platform, type PlatformLog } from '../index.ts';
import { DemoError } from './errors.ts';
import { loadPolicies } from './policies.ts';
import { DEMO_STEPS } from './steps.ts';
import type { Checkpoint, DemoContext, DemoEnv, DemoReport, DemoStep } from './types.ts';

/** examples/demo of this checkout (app, config and policy templates). */
export const EXAMPLES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples', 'demo');

export interface RunDemoOptions {
  steps?: DemoStep[];
  examplesDir?: string;
  /** how long one step may wait for the platform's loops (default 90 s) */
  waitMs?: number;
  /** called after each checkpoint, as soon as it is known */
  onCheckpoint?: (c: Checkpoint) => void;
  /** short progress messages */
  progress?: (msg: string) => void;
}

function errorInfo(e: unknown): { code: string; message: string } {
  const code = (e as { code?: unknown }).code;
  return {
    code: typeof code === 'string' ? code : 'demo_step_failed',
    message: e instanceof Error ? e.message : String(e),
  };
}

/** Runs the steps against `env`; returns the checkpoints (ok only when each behaved as expected). */
export async function runDemo(env: DemoEnv, o: RunDemoOptions = {}): Promise<Omit<DemoReport, 'platformStartMs'>> {
  const t0 = Date.now();
  const kube = await KubeClient.fromKubeconfig({ path: env.kubeconfigPath });
  const registryHost = new URL(env.registryUrl).host;
  const workDir = join(env.dataDir, 'demo');
  mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const examplesDir = o.examplesDir ?? EXAMPLES_DIR;
  const ctx: DemoContext = {
    env,
    kube,
    registry: new RegistryClient({ host: registryHost, scheme: 'http' }),
    registryHost,
    policies: loadPolicies(join(examplesDir, 'policies')),
    examplesDir,
    workDir,
    state: new Map(),
    waitMs: o.waitMs ?? 90_000,
    progress: o.progress ?? (() => {}),
    kubectl: (args) => `kubectl --kubeconfig ${env.kubeconfigPath} ${args}`,
  };
  const checkpoints: Checkpoint[] = [];
  let broken = false;
  try {
    for (const step of o.steps ?? DEMO_STEPS) {
      const expected = step.expect ?? 'pass';
      const base = { id: step.id, title: step.title, expected };
      let c: Checkpoint;
      if (broken) {
        c = {
          ...base,
          outcome: 'skipped',
          ok: false,
          ms: 0,
          detail: 'not run: an earlier checkpoint could not run',
          look: [],
        };
      } else {
        ctx.progress(`${step.title} ...`);
        const s0 = Date.now();
        try {
          const r = await step.run(ctx);
          c = {
            ...base,
            outcome: r.outcome,
            ok: r.outcome === expected,
            ms: Date.now() - s0,
            detail: r.detail,
            look: r.look ?? [],
            ...(r.data ? { data: r.data } : {}),
          };
        } catch (e) {
          broken = true;
          const error = errorInfo(e);
          c = { ...base, outcome: 'error', ok: false, ms: Date.now() - s0, detail: error.message, look: [], error };
        }
      }
      checkpoints.push(c);
      o.onCheckpoint?.(c);
    }
  } finally {
    kube.close();
  }
  return {
    ok: checkpoints.every((c) => c.ok),
    durationMs: Date.now() - t0,
    checkpoints,
    where: {
      api: env.apiUrl,
      ui: `${env.apiUrl}/`,
      kubeconfig: env.kubeconfigPath,
      registry: env.registryUrl,
      git: env.gitUrl,
      dataDir: env.dataDir,
    },
  };
}

const DEMO_TOKEN_NAME = 'sekisho demo (git pushes)';

export interface DemoOptions extends RunDemoOptions {
  dataDir: string;
  listen?: string;
  log?: PlatformLog;
  /** keep the platform running after the flow (the caller closes it) */
  keepRunning?: boolean;
  /** called once the platform accepts connections, before the first step */
  onStarted?: (p: Platform) => void;
}

export interface DemoRun {
  report: DemoReport;
  platform: Platform;
  /** the admin password when this run created the admin user (shown once) */
  adminPassword?: string;
  /** stops the platform (already stopped unless keepRunning) */
  close(): Promise<void>;
}

export function envOf(p: Platform): DemoEnv {
  if (!p.controller)
    throw new DemoError(
      'demo_bad_option',
      'the demo needs the GitOps controller, and the platform was started without it',
    );
  return {
    dataDir: p.dataDir,
    apiUrl: p.apiUrl,
    kubeconfigPath: p.kubeconfigPath,
    registryUrl: p.registryUrl,
    gitUrl: p.gitUrl,
    gitRoot: join(p.dataDir, 'git'),
    appNamespace: p.controller.namespace,
  };
}

/** `sekisho demo`: starts the platform in this process, plays the flow, and stops it unless asked not to. */
export async function startDemo(o: DemoOptions): Promise<DemoRun> {
  const t0 = Date.now();
  // an API token for the demo's git pushes, made before the platform loads the token file; the previous
  // run's is replaced, and it expires after an hour
  const dataDir = resolve(o.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const auth = new AuthStore({ dir: join(dataDir, 'auth') });
  const admin = await auth.ensureAdmin(false);
  for (const t of auth.listTokens(admin.user)) if (t.name === DEMO_TOKEN_NAME) auth.deleteToken(t.id);
  const { token } = auth.createToken(admin.user, DEMO_TOKEN_NAME, 'developer', 3600);
  o.progress?.('starting the platform ...');
  const platform = await startPlatform({
    dataDir: o.dataDir,
    listen: o.listen ?? '127.0.0.1:0',
    auditIntervalMs: 10_000,
    ...(o.log ? { log: o.log } : {}),
  });
  const platformStartMs = Date.now() - t0;
  o.onStarted?.(platform);
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await platform.close();
  };
  try {
    const r = await runDemo({ ...envOf(platform), token }, o);
    const report: DemoReport = { ...r, platformStartMs, durationMs: Date.now() - t0 };
    if (!o.keepRunning) await close();
    return { report, platform, close, ...(admin.password ? { adminPassword: admin.password } : {}) };
  } catch (e) {
    await close();
    throw e;
  }
}

export interface AttachOptions extends RunDemoOptions {
  /** the API server of a running `sekisho up` */
  apiUrl: string;
  /** an API token of that platform (viewer is enough to read the services; git and cluster access go through the data dir) */
  token: string;
  /** the data dir of that `sekisho up` (its kubeconfig and git repositories) */
  dataDir: string;
  fetch?: typeof fetch;
}

/** `sekisho demo --attach URL`: plays the flow against an already running `sekisho up` on this machine. */
export async function attachDemo(o: AttachOptions): Promise<DemoReport> {
  const dataDir = resolve(o.dataDir);
  const kubeconfigPath = join(dataDir, 'kubeconfig');
  if (!existsSync(kubeconfigPath))
    throw new DemoError(
      'demo_bad_option',
      `${kubeconfigPath} does not exist: --data-dir must be the data dir of the running \`sekisho up\``,
    );
  const apiUrl = o.apiUrl.replace(/\/+$/, '');
  let info: { services?: { registry?: string; git?: string }; controller?: { namespace?: string } | null };
  try {
    const r = await (o.fetch ?? fetch)(`${apiUrl}/api/v1/info`, { headers: { authorization: `Bearer ${o.token}` } });
    if (r.status !== 200) throw new Error(`${r.status} ${(await r.text()).slice(0, 300)}`);
    info = (await r.json()) as typeof info;
  } catch (e) {
    throw new DemoError('demo_bad_option', `cannot read ${apiUrl}/api/v1/info: ${(e as Error).message}`, { cause: e });
  }
  const registryUrl = info.services?.registry;
  const gitUrl = info.services?.git;
  const appNamespace = info.controller?.namespace;
  if (!registryUrl || !gitUrl || !appNamespace)
    throw new DemoError(
      'demo_bad_option',
      `${apiUrl} runs no registry, git server or GitOps controller: ${JSON.stringify(info)}`,
    );
  const r = await runDemo(
    {
      dataDir,
      apiUrl,
      kubeconfigPath,
      registryUrl,
      gitUrl,
      gitRoot: join(dataDir, 'git'),
      appNamespace,
      token: o.token,
    },
    o,
  );
  return { ...r, platformStartMs: 0 };
}
