// Pipeline runners beyond the in-process one: the container runtime for the sandbox's pod executor, and
// the Kubernetes Job runner.
export { podRuntime, type PodRuntimeOptions } from './pod-runtime.ts';
export { jobExecutor, type JobExecutor, type JobExecutorOptions } from './job-executor.ts';
export { jobStepHandlers } from './job-steps.ts';
export { runStepInPod, seedInPod, parseStepRequest } from './step-pod.ts';
export {
  STEP_REQUEST_ENV,
  STEP_RESULT_PATH,
  POD_WORKSPACE,
  IN_PROCESS_STEPS,
  type StepRequest,
} from './step-request.ts';
export { buildStepImage, type StepImageOptions, type StepImageTarget, type StepImageResult } from './step-image.ts';
