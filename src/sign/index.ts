// Public surface of the sign area: cosign-compatible keys, image signatures (cosign's `.sig` tag scheme),
// k8s-manifest-sigstore manifest signatures, and the verify functions gates call.
export { SignError, type SignErrorCode, type SignErrorLocation } from './errors.ts';
export {
  SIGSTORE_PRIVATE_KEY_PEM,
  COSIGN_PRIVATE_KEY_PEM,
  DEFAULT_SCRYPT,
  decodePem,
  encodePem,
  encryptEnvelope,
  decryptEnvelope,
  loadPrivateKey,
  loadPublicKey,
  verifySignature,
  publicKeyPem,
  generateKeyPair,
  encryptPrivateKey,
  type Signer,
  type KeyAlgorithm,
  type GeneratedKeyPair,
} from './keys.ts';
export {
  SIMPLE_SIGNING_MEDIA_TYPE,
  SIGNATURE_ANNOTATION,
  COSIGN_SIGNATURE_TYPE,
  dockerReference,
  simpleSigningPayload,
  signatureTag,
  signImage,
  verifyImage,
  checkSignatureLayer,
  requireSigned,
  type SimpleSigning,
  type ImageTarget,
  type SignImageResult,
  type VerifiedSignature,
  type RejectedSignature,
  type VerifyImageResult,
} from './image-signatures.ts';
export {
  ANNOTATION_DOMAIN,
  MESSAGE_ANNOTATION,
  MANIFEST_SIGNATURE_ANNOTATION,
  DEFAULT_IGNORE_FIELDS,
  manifestMessage,
  signManifest,
  decodeMessage,
  diffObjects,
  verifyManifestObject,
  verifyManifest,
  requireManifestVerified,
  type IgnoreRule,
  type ManifestVerifyResult,
} from './manifest.ts';
export {
  DSSE_MEDIA_TYPE,
  IN_TOTO_PAYLOAD_TYPE,
  IN_TOTO_STATEMENT_V1,
  pae,
  signDsse,
  verifyDsse,
  attestImage,
  attestStatement,
  signStatement,
  verifyAttestations,
  type InTotoStatement,
  type DsseEnvelope,
} from './attestations.ts';
export { workloadImages, podSpecPath, type WorkloadImage } from './workload-images.ts';
export { resolvePublicKey, resolvePublicKeys, K8S_KEY_PREFIX, SECRET_PUBLIC_KEY, type KeySources } from './key-refs.ts';
export {
  ImageVerifier,
  imageGlobMatch,
  keySetId,
  type ImageVerdict,
  type ImageVerifierOptions,
} from './image-verifier.ts';
export {
  BUNDLE_V03_MEDIA_TYPE,
  BUNDLE_MEDIA_TYPES,
  SIGN_PREDICATE_TYPE,
  BUNDLE_CONTENT_ANNOTATION,
  BUNDLE_PREDICATE_ANNOTATION,
  keyHint,
  dsseBundle,
  signImageBundle,
  checkBundle,
  verifyImageBundles,
  type SigstoreBundle,
  type SignBundleResult,
} from './bundle.ts';
export {
  compileAttestationPolicy,
  COSIGN_POLICY_QUERY,
  SIGSTORE_POLICY_QUERY,
  type AttestationPolicy,
  type PolicyOutcome,
} from './attestation-policy.ts';
export { verifyBundleAttestations } from './bundle.ts';
export {
  SLSA_PROVENANCE_V1_TYPE,
  CYCLONEDX_PREDICATE_TYPE,
  SPDX_PREDICATE_TYPE,
  VULN_PREDICATE_TYPE,
  PREDICATE_TYPE_SHORTHANDS,
  vulnPredicate,
  type VulnPredicate,
} from './predicates.ts';
