// The step table of a run under the Job runner with a step image: every built-in step but those that stay in
// the runner's process (IN_PROCESS_STEPS) becomes a call to the executor's runBuiltin, which runs the same
// handler in a step Job.
import type { StepHandler } from '../types.ts';
import type { JobExecutor } from './job-executor.ts';
import { IN_PROCESS_STEPS } from './step-request.ts';

export function jobStepHandlers(
  local: Record<string, StepHandler>,
  jobs: Pick<JobExecutor, 'runBuiltin'>,
): Record<string, StepHandler> {
  return Object.fromEntries(
    Object.entries(local).map(([uses, h]) => [uses, IN_PROCESS_STEPS.has(uses) ? h : (ctx) => jobs.runBuiltin(ctx)]),
  );
}
