// The predicate types Sekisho attests with, and cosign's vulnerability predicate
// (`https://cosign.sigstore.dev/attestation/vuln/v1`, pkg/cosign/attestation in sigstore/cosign): every
// field present (cosign marshals empty strings and null), times in RFC 3339, the scanner's own report in
// `scanner.result`.
export const SLSA_PROVENANCE_V1_TYPE = 'https://slsa.dev/provenance/v1';
export const CYCLONEDX_PREDICATE_TYPE = 'https://cyclonedx.org/bom';
export const SPDX_PREDICATE_TYPE = 'https://spdx.dev/Document';
export const VULN_PREDICATE_TYPE = 'https://cosign.sigstore.dev/attestation/vuln/v1';

/** cosign's `--type` shorthands for predicate types. */
export const PREDICATE_TYPE_SHORTHANDS: Readonly<Record<string, string>> = {
  slsaprovenance: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance02: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance1: SLSA_PROVENANCE_V1_TYPE,
  spdx: SPDX_PREDICATE_TYPE,
  spdxjson: SPDX_PREDICATE_TYPE,
  cyclonedx: CYCLONEDX_PREDICATE_TYPE,
  vuln: VULN_PREDICATE_TYPE,
  openvex: 'https://openvex.dev/ns',
  custom: 'https://cosign.sigstore.dev/attestation/v1',
};

export interface VulnPredicate {
  invocation: { parameters: unknown; uri: string; event_id: string; 'builder.id': string };
  scanner: { uri: string; version: string; db: { uri: string; version: string }; result: unknown };
  metadata: { scanStartedOn: string; scanFinishedOn: string };
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A cosign vuln predicate around a scanner's report. */
export function vulnPredicate(o: {
  scanner: { uri: string; version: string };
  db?: { uri?: string; version?: string };
  result: unknown;
  startedOn: Date;
  finishedOn: Date;
  invocation?: Partial<VulnPredicate['invocation']>;
}): VulnPredicate {
  return {
    invocation: {
      parameters: o.invocation?.parameters ?? null,
      uri: o.invocation?.uri ?? '',
      event_id: o.invocation?.event_id ?? '',
      'builder.id': o.invocation?.['builder.id'] ?? '',
    },
    scanner: {
      uri: o.scanner.uri,
      version: o.scanner.version,
      db: { uri: o.db?.uri ?? '', version: o.db?.version ?? '' },
      result: o.result,
    },
    metadata: { scanStartedOn: rfc3339(o.startedOn), scanFinishedOn: rfc3339(o.finishedOn) },
  };
}
