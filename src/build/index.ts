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
export { hostPlatformString } from './builder/images.ts';
export { parseOutputSpec, parseCacheSpec, parseSecretSpec } from './builder/specs.ts';
export {
  slsaProvenance,
  provenanceStatement,
  gitSource,
  SLSA_PROVENANCE_V1,
  SEKISHO_BUILD_TYPE,
  DEFAULT_BUILDER_ID,
  type SlsaProvenanceV1,
  type GitSource,
} from './provenance.ts';
