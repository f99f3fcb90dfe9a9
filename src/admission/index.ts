// Public surface of the admission area (Gatekeeper-compatible admission control).
export * from './errors.ts';
export {
  compileTemplate,
  compileRego,
  evalRego,
  TARGET,
  TEMPLATE_GROUP,
  CONSTRAINT_GROUP,
  type CompiledTemplate,
  type TemplateErrorRecord,
} from './template.ts';
export {
  parseConstraint,
  actionsAt,
  ENFORCEMENT_POINTS,
  type Constraint,
  type EnforcementAction,
} from './constraint.ts';
export { matches, wildcardMatch, type Matchable } from './match.ts';
export {
  AdmissionEngine,
  type Violation,
  type ReviewResult,
  type ReviewOptions,
  type EngineOptions,
} from './engine.ts';
export { Inventory } from './inventory.ts';
export { requestForObject, normaliseRequest, type AdmissionRequest } from './review.ts';
export {
  verify,
  expandPaths,
  suiteFailed,
  type SuiteResult,
  type TestResult,
  type CaseResult,
  type VerifyOptions,
} from './verify.ts';
export { loadDocuments, parseDocuments } from './yaml-load.ts';
export {
  startWebhook,
  decide,
  isExempt,
  type ExtraReview,
  type WebhookOptions,
  type WebhookServer,
  type AdmissionResponse,
  type LogEntry,
} from './webhook.ts';
export { Metrics } from './metrics.ts';
export { ClusterSync, AUDIT_VIOLATIONS_LIMIT } from './cluster.ts';
export {
  startAdmissionServer,
  ensureServingCert,
  loadFiles,
  type ServeOptions,
  type AdmissionServer,
} from './serve.ts';
export {
  MutationSystem,
  parseMutator,
  parsePath,
  applyMutator,
  topLevelPatch,
  MUTATION_GROUP,
  MUTATOR_KINDS,
  type Mutator,
} from './mutation.ts';
export { gatorTest, type GatorTestResult } from './gator-test.ts';
export {
  ImagePolicies,
  parseImagePolicy,
  imagePolicyCrd,
  watchImagePolicies,
  resolveImageTags,
  IMAGE_POLICY_API_VERSION,
  IMAGE_POLICY_GROUP,
  IMAGE_POLICY_KIND,
  DEFAULT_SECRET_NAMESPACE,
  type ImagePolicy,
  type ImageAuthority,
  type ImageReview,
  type ImagePoliciesOptions,
} from './image-signature.ts';
