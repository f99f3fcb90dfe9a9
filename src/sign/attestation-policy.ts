// Rego policies over verified attestations, with cosign's `verify-attestation --policy` semantics: the
// input is the whole in-toto Statement (`input.predicateType`, `input.predicate…`); a module in package
// `signature` must make `data.signature.allow` exactly `true` (cosign's messages otherwise: "result is
// undefined for query 'data.signature.allow'", "expression value, false, is not true"); a module in package
// `sigstore` may instead define `isCompliant` as an object {result, warning, error}. Modules are Rego v0 by
// default, as cosign evaluates them (`import rego.v1` makes v1 syntax work there too).
import { RegoError, RegoErrors, compilePolicy, fromJS, toJS, type Policy } from '../rego/index.ts';
import { SignError } from './errors.ts';

export const COSIGN_POLICY_QUERY = 'data.signature.allow';
export const SIGSTORE_POLICY_QUERY = 'data.sigstore.isCompliant';

export interface PolicyOutcome {
  allowed: boolean;
  errors: string[];
  warnings: string[];
}

export interface AttestationPolicy {
  evaluate(statement: unknown): PolicyOutcome;
}

/** Compiles policy modules; syntax and compile errors are POLICY_INVALID with file:row:col. */
export function compileAttestationPolicy(
  modules: { file: string; text: string }[],
  opts: { regoVersion?: 0 | 1 } = {},
): AttestationPolicy {
  let policy: Policy;
  try {
    policy = compilePolicy({ modules, regoVersion: opts.regoVersion ?? 0 });
  } catch (err) {
    if (err instanceof RegoErrors || err instanceof RegoError) {
      const first = err instanceof RegoErrors ? err.errors[0] : err;
      const loc = first?.location;
      throw new SignError('POLICY_INVALID', `policy: ${err.message}`, {
        cause: err,
        ...(loc ? { location: { ...(loc.file ? { file: loc.file } : {}), row: loc.row, col: loc.col } } : {}),
      });
    }
    throw err;
  }
  const sigstore = modules.some((m) => /^\s*package\s+sigstore\s*$/m.test(m.text));
  const query = policy.prepare(sigstore ? SIGSTORE_POLICY_QUERY : COSIGN_POLICY_QUERY);
  return {
    evaluate(statement: unknown): PolicyOutcome {
      let results;
      try {
        results = query.eval({ input: fromJS(statement) });
      } catch (err) {
        return { allowed: false, errors: [`policy evaluation failed: ${(err as Error).message}`], warnings: [] };
      }
      const value = results[0]?.expressions[0]?.value;
      if (value === undefined)
        return {
          allowed: false,
          errors: [`result is undefined for query '${sigstore ? SIGSTORE_POLICY_QUERY : COSIGN_POLICY_QUERY}'`],
          warnings: [],
        };
      const v = toJS(value);
      if (!sigstore)
        return v === true
          ? { allowed: true, errors: [], warnings: [] }
          : { allowed: false, errors: [`expression value, ${JSON.stringify(v)}, is not true`], warnings: [] };
      const o = (typeof v === 'object' && v !== null ? v : {}) as {
        result?: unknown;
        warning?: unknown;
        error?: unknown;
      };
      const warnings = typeof o.warning === 'string' && o.warning ? [o.warning] : [];
      if (o.result === true) return { allowed: true, errors: [], warnings };
      const why =
        typeof o.error === 'string' && o.error ? o.error : `isCompliant.result is ${JSON.stringify(o.result)}`;
      return { allowed: false, errors: [why], warnings };
    },
  };
}
