// Public surface of the OCI area: references, digests, media types, registry storage and server,
// registry client and OCI image layout.
export { OciError, httpStatusFor, type OciErrorCode } from './errors.ts';
export {
  parseDigest,
  isDigest,
  digestOf,
  Digester,
  VerifyingStream,
  type DigestAlgorithm,
  type ParsedDigest,
} from './digest.ts';
export {
  parseReference,
  formatReference,
  referenceTarget,
  registryApiHost,
  isValidRepositoryName,
  isValidTag,
  checkRepositoryName,
  DOCKER_HUB,
  type Reference,
} from './reference.ts';
export * from './media-types.ts';
export type {
  RegistryStorage,
  BlobInfo,
  UploadState,
  StoredManifest,
  ByteRange,
  GcResult,
} from './storage/registry-storage.ts';
export { FsRegistryStorage, openFsStorage } from './storage/fs-storage.ts';
export { writeFileAtomic } from './storage/atomic-file.ts';
export { RegistryServer, type RegistryServerOptions } from './server/registry-server.ts';
export {
  RegistryAuth,
  parseHtpasswd,
  htpasswdLine,
  parseScope,
  type AccessRule,
  type AuthOptions,
  type Action,
} from './server/auth.ts';
export { OciLayout, REF_NAME_ANNOTATION } from './layout.ts';
export {
  RegistryClient,
  type RegistryClientOptions,
  type FetchedManifest,
  type BlobSource,
  type FetchLike,
} from './client/registry-client.ts';
export {
  staticCredentials,
  dockerConfigCredentials,
  chainCredentials,
  parseDockerConfig,
  credentialFromConfig,
  type Credential,
  type CredentialProvider,
  type HelperRunner,
} from './client/credentials.ts';
export { parseChallenges } from './client/challenge.ts';
export { RegistryStore, LayoutStore, type ImageStore } from './image-store.ts';
export { copyImage, selectPlatform, type CopyOptions, type CopyResult } from './copy.ts';
export { DockerArchiveStore, writeDockerArchive } from './docker-archive.ts';
export {
  mergeLayer,
  safeEntryPath,
  type LayerEntryHeader,
  type LayerEntryType,
  type MergedEntry,
  type MergeOptions,
  type KeepDecision,
} from './layer-merge.ts';
export { pushArtifact, pullArtifact, manifestDescriptor, type ArtifactSpec, type ArtifactBlob } from './artifact.ts';
export { parseLayoutSpec } from './layout-spec.ts';
export { pathGlobToRegExp } from './path-glob.ts';
