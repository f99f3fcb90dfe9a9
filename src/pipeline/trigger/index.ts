// The platform's pipeline triggers: the run queue, commit claims, the shared commit-run path, webhooks.
export { TriggerError, type TriggerErrorCode } from './errors.ts';
export { CommitClaims, repoKey, type Claim, type ClaimState } from './claims.ts';
export {
  PIPELINE_FILES,
  WELL_KNOWN_PARAMS,
  commitRunId,
  fetchCommit,
  labelValue,
  runCommit,
  runsDirOf,
  type CommitRunOptions,
} from './run-commit.ts';
export {
  PipelineTrigger,
  ensureCiResources,
  type PipelineTriggerOptions,
  type PollSpec,
  type PushEvent,
  type PushOutcome,
  type RefUpdate,
  type TriggerLog,
  type WebhookAnswer,
} from './pipeline-trigger.ts';
export {
  parseWebhook,
  webhookProvider,
  type WebhookEvent,
  type WebhookProvider,
  type WebhookSecrets,
} from './webhook.ts';
