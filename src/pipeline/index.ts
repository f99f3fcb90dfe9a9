// Public surface of the pipeline area: the Pipeline model, the DAG runner, the built-in steps,
// promotion (config repo edits) and change requests.
export {
  PipelineError,
  PipelineErrors,
  describeError,
  type PipelineErrorCode,
  type PipelineLocation,
} from './errors.ts';
export {
  API_VERSION,
  CI_NAMESPACE,
  GROUP,
  STEP_KINDS,
  parsePipeline,
  parseDuration,
  type EnvValue,
  type LoadedPipeline,
  type ParamSpec,
  type Pipeline,
  type SecretRef,
  type SecretSpec,
  type StepKind,
  type StepSpec,
} from './model.ts';
export { parseExpr, parseTemplate, renderTemplate, evaluate, ExprError, type Value } from './expr.ts';
export { Masker, MaskedLineWriter } from './mask.ts';
export { runPipeline, readRun, markInterrupted, newRunId, formatMs, type RunOptions } from './runner.ts';
export { builtinSteps, runStep, parseOutputFile, openImage, imageTarget, containerExecutor } from './steps/index.ts';
export { pipelineCrd, pipelineRunCrd, changeRequestCrd } from './crds.ts';
export type * from './types.ts';
export {
  FileChangeRequestStore,
  KubeChangeRequestStore,
  changeRequestName,
  type ChangeRequest,
  type ChangeRequestStore,
  type PolicyCheck,
  type PolicyFinding,
  type WhatIfResult,
} from './promote/change-request.ts';
export {
  parseImageUpdate,
  editKustomization,
  editHelmValues,
  editManifests,
  imageName,
  type ImageUpdate,
} from './promote/edit.ts';
export {
  promote,
  promoteBranch,
  editTree,
  approveChangeRequest,
  closeChangeRequest,
  mergeChangeRequest,
  refreshWhatIf,
  type MergeOptions,
  type PromoteOptions,
  type PromoteResult,
  type WhatIfTarget,
} from './promote/promote.ts';
export { whatIfPreview, whatIfAtHead, trackingApplication, type WhatIfOptions } from './promote/whatif.ts';
export { githubCommands, githubAnnotation, progressLine, runTable, stepSummary } from './report.ts';
export {
  GitHubClient,
  githubRepo,
  gitTokenEnv,
  publishToGitHub,
  type CheckAnnotation,
  type GitHubOptions,
  type PublishResult,
  type PullRequest,
} from './promote/github.ts';
export { GitLabClient, publishToGitLab, type GitLabOptions, type MergeRequest } from './promote/gitlab.ts';
export { pollOnce, watchRepo, branchHead, type PollResult, type WatchOptions } from './watch.ts';
export { kubeRunRecorder, pipelineRunObjectName } from './kube-record.ts';
export { pipelineServices, cacheDefaults, type ServicesOptions } from './services.ts';
export * from './trigger/index.ts';
