// Pipeline runners beyond the in-process one: the container runtime for the sandbox's pod executor, and
// the Kubernetes Job runner.
export { podRuntime, type PodRuntimeOptions } from './pod-runtime.ts';
export { jobExecutor, type JobExecutor, type JobExecutorOptions } from './job-executor.ts';
