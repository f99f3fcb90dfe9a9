// Errors of the sign area. `code` is stable; the CLI maps every code to exit status 1 (cosign does the same).
export interface SignErrorLocation {
  file?: string;
  row: number;
  col: number;
}

export type SignErrorCode =
  | 'KEY_INVALID' // a key file that is not a key we can read
  | 'KEY_PASSWORD' // the password does not decrypt the key
  | 'KEY_UNSUPPORTED' // a key type or algorithm we do not handle
  | 'NO_SIGNATURES' // the image or manifest carries no signature
  | 'SIGNATURE_INVALID' // a signature does not verify with the key
  | 'PAYLOAD_INVALID' // a payload that is not cosign's simple-signing JSON, or whose layer digest is wrong
  | 'DIGEST_MISMATCH' // a payload signed for another image digest
  | 'MANIFEST_INVALID' // a Kubernetes manifest we cannot read
  | 'MANIFEST_MODIFIED' // a signed manifest whose fields differ from the signed message
  | 'IMAGE_NOT_FOUND' // the image reference does not resolve in its registry
  | 'REGISTRY_UNREACHABLE' // the registry could not be asked (network, TLS, 5xx, auth)
  | 'POLICY_DENIED' // a verified attestation that the Rego policy refuses
  | 'POLICY_INVALID'; // a policy file that does not parse or compile

export class SignError extends Error {
  readonly code: SignErrorCode;
  readonly location?: SignErrorLocation;

  constructor(code: SignErrorCode, message: string, opts: { location?: SignErrorLocation; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SignError';
    this.code = code;
    if (opts.location) this.location = opts.location;
  }
}
