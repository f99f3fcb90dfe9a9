// The demo as data: a table of steps, each a checkpoint of the reference flow with the result it is
// expected to have (some checkpoints are expected to fail: the policy check and admission must stop the
// root container). New capabilities (build, lint, scan, pipeline runs) join as rows of the table.
import type { KubeClient } from '../../kube/index.ts';
import type { RegistryClient } from '../../oci/index.ts';
import type { DemoPolicies } from './policies.ts';

/** Where the demo runs: the services of a started platform. */
export interface DemoEnv {
  dataDir: string;
  apiUrl: string;
  kubeconfigPath: string;
  registryUrl: string;
  gitUrl: string;
  /** folder of the git server's bare repositories */
  gitRoot: string;
  /** namespace of the Applications the controller watches */
  appNamespace: string;
  /** an API token (role developer or more): the repos are then created through the API and pushed over
   * smart HTTP; without one they are written in `gitRoot` directly */
  token?: string;
}

export type Outcome = 'pass' | 'fail';

export interface StepResult {
  outcome: Outcome;
  /** one line: what happened */
  detail: string;
  /** where to look: URLs, kubectl commands, files */
  look?: string[];
  /** facts for machines (digests, commits, messages) */
  data?: Record<string, unknown>;
}

export interface DemoContext {
  env: DemoEnv;
  kube: KubeClient;
  registry: RegistryClient;
  /** registry host:port as it appears in image references */
  registryHost: string;
  policies: DemoPolicies;
  examplesDir: string;
  /** <data-dir>/demo: clones, rendered manifests, keys */
  workDir: string;
  /** values passed from step to step (image digest, commits, ...) */
  state: Map<string, string>;
  /** bounded wait for the platform's own loops (ms) */
  waitMs: number;
  progress: (msg: string) => void;
  kubectl: (args: string) => string;
}

export interface DemoStep {
  id: string;
  title: string;
  /** the outcome the flow expects (default pass) */
  expect?: Outcome;
  run(ctx: DemoContext): Promise<StepResult>;
}

export interface Checkpoint {
  id: string;
  title: string;
  expected: Outcome;
  /** what happened; `error` when the step could not run, `skipped` after an earlier error */
  outcome: Outcome | 'error' | 'skipped';
  /** the checkpoint behaved as expected */
  ok: boolean;
  ms: number;
  detail: string;
  look: string[];
  data?: Record<string, unknown>;
  error?: { code: string; message: string };
}

export interface DemoReport {
  ok: boolean;
  durationMs: number;
  platformStartMs: number;
  checkpoints: Checkpoint[];
  where: { api: string; ui: string; kubeconfig: string; registry: string; git: string; dataDir: string };
}
