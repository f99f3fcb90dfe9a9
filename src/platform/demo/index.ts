// Public surface of `sekisho demo`: the reference flow as a table of steps played on the platform.
export {
  startDemo,
  attachDemo,
  runDemo,
  envOf,
  EXAMPLES_DIR,
  type DemoOptions,
  type DemoRun,
  type AttachOptions,
  type RunDemoOptions,
} from './run.ts';
export { DEMO_STEPS, APP_NAME, APP_NAMESPACE, APP_REPO, CONFIG_REPO } from './steps.ts';
export { pipelineYaml, PIPELINE_STEPS, PIPELINE_NAME } from './pipeline.ts';
export { loadPolicies, checkManifests, type DemoPolicies, type PolicyCheck } from './policies.ts';
export { baseImage, appImage, pushImage, type AssembledImage } from './image.ts';
export { DemoError, type DemoErrorCode, type DemoErrorLocation } from './errors.ts';
export type { Checkpoint, DemoContext, DemoEnv, DemoReport, DemoStep, Outcome, StepResult } from './types.ts';
