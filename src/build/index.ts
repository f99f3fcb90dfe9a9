// Public surface of the build area: Dockerfile → OCI image without a daemon.
// `build()` is what the CLI (`sekisho build`) and the pipeline call.
export { BuildError, isBuildError, type BuildErrorCode, type BuildErrorLocation } from './errors.ts';
export type {
  BuildOptions,
  BuildResult,
  BuildStep,
  OutputSpec,
  CacheSpec,
  SecretSpec,
  RegistryOptions,
  ProgressEvent,
  ImageConfig,
  ContainerConfig,
  HistoryEntry,
} from './builder/types.ts';
export { build } from './builder/build.ts';
export { parseOutputSpec, parseCacheSpec, parseSecretSpec } from './builder/specs.ts';
