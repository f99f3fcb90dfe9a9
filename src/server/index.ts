// Public surface of the server area: the HTTP API server, its authentication store, the audit log and
// the git smart-HTTP server for local repositories.
export { ServerError, type ServerErrorCode } from './errors.ts';
export {
  AuthStore,
  RateLimiter,
  ROLES,
  isRole,
  roleAtLeast,
  hashPassword,
  verifyPassword,
  type Role,
  type Principal,
  type AuthStoreOptions,
} from './auth.ts';
export { AuditLog, type AuditEntry } from './audit-log.ts';
export { ApiMetrics } from './metrics.ts';
export { openApiDocument } from './openapi.ts';
export {
  startApiServer,
  APP_API,
  type ApiServer,
  type ApiServerOptions,
  type ApiDeps,
  type RouteSpec,
  type ReadyCheck,
} from './api-server.ts';
export { buildRoutes, summarizeApp, maskSecret, referrerKind } from './routes/index.ts';
export { ClientImageSource, StorageImageSource, type ImageSource, type ManifestBytes } from './image-source.ts';
export { AppCache } from './app-cache.ts';
export { StreamHub } from './stream-hub.ts';
export { canAccessProject } from './auth.ts';
export {
  startGitServer,
  createRepo,
  listRepos,
  checkRepoName,
  runGit,
  type GitServer,
  type GitServerOptions,
  type PushNotification,
} from './git-server.ts';
