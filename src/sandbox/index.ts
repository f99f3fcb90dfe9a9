// Public surface of the sandbox cluster.
export { startSandbox, parseListen, kubeconfigYaml, type Sandbox, type SandboxOptions } from './sandbox.ts';
export { Cluster, type WriteOptions, type DeleteOptions, type ListQuery } from './cluster.ts';
export { Store, type StoreEvent, type Durability } from './store.ts';
export { Controllers, templateHash } from './controllers.ts';
export {
  PodExecutor,
  EXECUTE_ANNOTATION,
  type PodRuntime,
  type PodRunSpec,
  type PodImageConfig,
  type PodMount,
  type ExecutePodsOptions,
} from './pod-executor.ts';
export { WebhookAdmission, type AdmissionAttributes, type Webhook } from './admission.ts';
export {
  serverSideApply,
  updateManagedFields,
  fieldSetOf,
  setToFieldsV1,
  fieldsV1ToSet,
  formatPath,
} from './managed-fields.ts';
export { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patch.ts';
export { builtinListTypes, schemaListTypes, type ListKind, type ListTypeResolver } from './list-types.ts';
export { ensureTls, generateCa, issueServingCert, type TlsMaterial } from './tls.ts';
