// What a built-in step run as a Kubernetes Job is told, and what it answers: the contract between the Job
// runner (job-executor.ts, on the machine running `sekisho ci run`) and `sekisho ci step` in the step pod
// (step-pod.ts). The request travels in the step's env Secret (never in the Job spec: it may carry secret
// values); the answer is the pod's termination message, naming an OCI artifact (in the run's workspace
// repository) that holds the step's result and the files it wrote next to its log.
import type { Value } from '../expr.ts';
import type { StepSpec } from '../model.ts';
import type { StepResult } from '../types.ts';

/** The env variable (from the step's Secret) holding the JSON request. */
export const STEP_REQUEST_ENV = 'SEKISHO_STEP_REQUEST';
/** Where the pod writes its answer; also the container's terminationMessagePath. */
export const STEP_RESULT_PATH = '/sekisho/result';
/** Where the run's workspace volume is mounted in every step pod. */
export const POD_WORKSPACE = '/workspace';
/** Where the advisory database is unpacked on the workspace volume when the run ships one (relative, absolute). */
export const SCAN_DB_DIR = '.sekisho/scan-db';
export const POD_SCAN_DB = `${POD_WORKSPACE}/${SCAN_DB_DIR}`;
/** Artifact type of the checkout (and advisory database) pushed for the seed Job; layers titled as below. */
export const WORKSPACE_ARTIFACT = 'application/vnd.sekisho.workspace.v1';
export const WORKSPACE_LAYER = 'workspace';
export const SCAN_DB_LAYER = 'scan-db';
/** Artifact type of a step's result bundle. */
export const STEP_RESULT_ARTIFACT = 'application/vnd.sekisho.step-result.v1';
/** Layer media type of the result record in the bundle (files the step wrote are octet-stream layers). */
export const STEP_RESULT_MEDIA = 'application/vnd.sekisho.step-result.v1+json';

/**
 * Built-in steps that stay in the runner's process under the Job runner: `run` (the executor already runs
 * those with `image:` as Jobs; without one they are the runner's own shell) and `promote` (it commits to the
 * config repo and records the change request in the platform's store, with the forge token of the runner).
 */
export const IN_PROCESS_STEPS: ReadonlySet<string> = new Set(['run', 'promote']);

export interface StepRequest {
  uses: string;
  /** the step as the runner rendered it (run, image, working-directory) */
  step: StepSpec;
  inputs: Record<string, Value>;
  /** the step's resolved environment (secrets included) */
  env: Record<string, string>;
  /** the values of the pipeline secrets the step reads through ctx.secret() */
  secrets: Record<string, string>;
  runId: string;
  attempt: number;
  /** registry hosts reached over plain HTTP */
  insecureHosts: string[];
  /** the repository:tag the pod pushes its result bundle to */
  result: string;
  /** the advisory database on the workspace volume, when the run shipped one */
  scanDb?: string;
}

/** The pod's termination message: the bundle it pushed, or why it could not run the step. */
export type StepAnswer = { bundle: string } | { error: string };

/** The record inside the bundle: the StepResult with its file paths relative to the run folder. */
export type StepResultRecord = StepResult;

/** The result with its report and SARIF paths mapped (absolute ↔ relative to the run folder); other fields kept. */
export function mapResultPaths(r: StepResult, f: (path: string) => string): StepResult {
  const { report, sarif, ...rest } = r;
  return { ...rest, ...(report ? { report: f(report) } : {}), ...(sarif?.length ? { sarif: sarif.map(f) } : {}) };
}

/** The pipeline secrets a built-in step reads with ctx.secret(): `build`'s `secrets:` map (id → secret name). */
export function secretsRead(uses: string, inputs: Record<string, Value>): string[] {
  if (uses !== 'build') return [];
  const m = inputs.secrets;
  if (!m || typeof m !== 'object' || Array.isArray(m)) return [];
  return Object.values(m).map(String);
}

/** Names a step may give files next to its log: `<step>.<name>`, one path segment, no dot-dot. */
export function isStepFileName(step: string, name: string): boolean {
  return name.startsWith(`${step}.`) && /^[A-Za-z0-9_.-]+$/.test(name) && !name.includes('..');
}
