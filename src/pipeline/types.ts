// PipelineRun records and the interface built-in steps implement.
import type { Writable } from 'node:stream';
import type { BuildOptions, BuildResult, RegistryOptions } from '../build/index.ts';
import type { RegistryClient } from '../oci/index.ts';
import type { Value } from './expr.ts';
import type { ChangeRequestStore } from './promote/change-request.ts';
import type { StepSpec } from './model.ts';

export type StepPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Skipped';
export type RunPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** A finding a step wants shown at a source position (GitHub ::error annotations, change request results). */
export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  file?: string;
  line?: number;
  col?: number;
  message: string;
  rule?: string;
}

export interface StepStatus {
  id: string;
  uses: string;
  /** the steps this one waits for (the pipeline's `needs`), so readers can draw the graph */
  needs?: string[];
  phase: StepPhase;
  startTime?: string;
  finishTime?: string;
  durationMs?: number;
  attempts: number;
  outputs: Record<string, string>;
  /** the step's log file */
  logPath: string;
  /** the step's report (lint findings, scan result, policy results...) next to its log */
  reportPath?: string;
  /** SARIF files the step wrote */
  sarif?: string[];
  /** one line on what happened (the failure, or the report summary) */
  message?: string;
  annotations?: Annotation[];
  exitCode?: number;
  continueOnError?: boolean;
}

export interface PipelineRun {
  apiVersion: string;
  kind: 'PipelineRun';
  metadata: { name: string; creationTimestamp: string; labels?: Record<string, string> };
  spec: {
    pipelineRef: { name: string };
    pipelineFile: string;
    /** parameter values (secrets are never here) */
    params: Record<string, string>;
    workspace: string;
  };
  status: {
    phase: RunPhase;
    startTime?: string;
    completionTime?: string;
    message?: string;
    /** the process running it, so a record left Running by a crash can be recognised */
    runner?: { pid: number; hostname: string };
    runDir: string;
    steps: StepStatus[];
    /** the run record and logs pushed as an OCI artifact referring to the image (spec.logs) */
    logsArtifact?: { image: string; digest?: string; error?: string };
  };
}

export interface StepResult {
  outputs?: Record<string, string>;
  /** path of the report the step wrote (next to its log) */
  report?: string;
  sarif?: string[];
  /** short summary of the report */
  summary?: string;
  /** set when the step ran but its check failed (lint findings, vulnerabilities, policy failures) */
  failure?: string;
  annotations?: Annotation[];
  exitCode?: number;
}

/** Container executor for `run` steps with an image (src/build's runc/bwrap executor, adapted). */
export interface StepExecutor {
  run(o: {
    image: string;
    script: string;
    shell: string;
    env: Record<string, string>;
    workspace: string;
    cwd: string;
    /** host folder mounted at /sekisho (holds the `outputs` file) */
    ioDir: string;
    stdout: Writable;
    stderr: Writable;
    signal: AbortSignal;
    /** the step's timeout (the signal aborts then); a Job runner sets it as activeDeadlineSeconds */
    timeoutMs?: number;
  }): Promise<{ exitCode: number }>;
}

/** What the world gives a pipeline run (the CLI builds it; tests pass their own). */
export interface Services {
  /** a registry client for a host (credentials and plain-HTTP policy decided by the caller) */
  registry(host: string, opts?: { insecure?: boolean }): RegistryClient;
  /** the environment `run` steps start from and secretRef env lookups read */
  env: Record<string, string | undefined>;
  now(): Date;
  /** where change requests and promotion clones live (the data dir) */
  dataDir?: string;
  /** default advisory database for scan steps */
  scanDb?: string;
  executor?: StepExecutor;
  /** the image builder (src/build's build()) */
  build?: (o: BuildOptions) => Promise<BuildResult>;
  /** credentials / plain-HTTP registries for build pushes and cache */
  buildRegistry?: RegistryOptions;
  /** default build cache folder */
  buildCacheDir?: string;
  /** where promote steps record change requests (default: files under <dataDir>/changerequests) */
  changeRequests?: ChangeRequestStore;
}

export interface StepContext {
  step: StepSpec;
  /** the step's `with` inputs, expressions rendered */
  inputs: Record<string, Value>;
  /** resolved environment (pipeline env + step env, secrets included) for processes the step starts */
  env: Record<string, string>;
  workspace: string;
  runDir: string;
  runId: string;
  attempt: number;
  /** writes a line to the step log (masked) */
  log(line: string): void;
  /** a masked stream into the step log, for process output */
  logStream(): Writable;
  /** a path next to the step log for an artifact: `<runDir>/<step>.<name>` */
  artifact(name: string): string;
  /** registers a value to mask (e.g. a derived token) */
  mask(value: string): void;
  /** the value of a pipeline secret (masked in logs) */
  secret(name: string): string;
  signal: AbortSignal;
  services: Services;
}

export type StepHandler = (ctx: StepContext) => Promise<StepResult>;

export type RunEvent =
  | { type: 'run-start'; run: PipelineRun }
  | { type: 'step-start'; step: StepStatus; attempt: number }
  | { type: 'step-end'; step: StepStatus }
  | { type: 'step-log'; id: string; text: string }
  | { type: 'run-end'; run: PipelineRun };
