// The built-in steps by `uses`.
import type { StepHandler } from '../types.ts';
import { buildStep } from './build.ts';
import { lintStep, policyTestStep, sbomStep, scanStep } from './checks.ts';
import { promoteStep } from './promote.ts';
import { runStep } from './run.ts';
import { attestStep, pushStep, signStep } from './supply.ts';

export function builtinSteps(): Record<string, StepHandler> {
  return {
    run: runStep,
    build: buildStep,
    lint: lintStep,
    scan: scanStep,
    sbom: sbomStep,
    sign: signStep,
    attest: attestStep,
    push: pushStep,
    'policy-test': policyTestStep,
    promote: promoteStep,
  };
}

export { runStep, parseOutputFile } from './run.ts';
export { openImage, imageTarget } from './image.ts';
export { containerExecutor, type ContainerExecutorOptions } from './container.ts';
