// The signature gate before apply, driven by the AppProject: with `spec.manifestVerification` every
// object of the operation must carry a valid k8s-manifest-sigstore signature by one of the keys (the
// controller's own tracking annotation and a namespace filled in from the destination are not part of
// what was signed); with `spec.imageVerification` every container image of a Pod or Pod template that
// matches a rule's glob is resolved to its digest in the registry and must carry a cosign signature by
// one of the rule's keys (every matching rule must be satisfied). Any failure denies the whole sync —
// nothing is applied — with a SignatureVerificationFailed condition naming each object, image and why.
import type { KeyObject } from 'node:crypto';
import type { KubeObject } from '../../kube/index.ts';
import {
  DEFAULT_IGNORE_FIELDS,
  ImageVerifier,
  imageGlobMatch,
  resolvePublicKeys,
  verifyManifestObject,
  workloadImages,
  type IgnoreRule,
  type KeySources,
} from '../../sign/index.ts';
import { TRACKING_ANNOTATION, type AppProject } from '../types.ts';
import type { GateDecision, PreApplyGate } from './index.ts';

export const SIGNATURE_CONDITION = 'SignatureVerificationFailed';

export interface SignatureGateOptions {
  verifier: ImageVerifier;
  keys?: KeySources;
  /** The Application's destination namespace (filled into namespaced objects that have none). */
  destinationNamespace: string;
}

function label(o: KubeObject): string {
  return `${o.kind}/${o.metadata.namespace ? o.metadata.namespace + '/' : ''}${o.metadata.name ?? o.metadata.generateName ?? ''}`;
}

/** The object as rendered from git: without the tracking annotation the controller adds. */
function asRendered(o: KubeObject): Record<string, unknown> {
  const ann = { ...(o.metadata.annotations ?? {}) };
  delete ann[TRACKING_ANNOTATION];
  const metadata: Record<string, unknown> = { ...o.metadata };
  if (Object.keys(ann).length) metadata.annotations = ann;
  else delete metadata.annotations;
  return { ...o, metadata };
}

/** The gate for one project, or undefined when the project asks for no verification. */
export function signatureGate(project: AppProject, o: SignatureGateOptions): PreApplyGate | undefined {
  const mv = project.spec.manifestVerification;
  const iv = project.spec.imageVerification ?? [];
  if (!mv && iv.length === 0) return undefined;
  const name = project.metadata.name ?? '';
  return async (objects): Promise<GateDecision> => {
    const messages: string[] = [];
    const deny = (m: string) => ({ allowed: false, messages: [m], condition: SIGNATURE_CONDITION });
    if (mv) {
      let keys: KeyObject[];
      try {
        if (!mv.keys?.length) throw new Error('no keys configured');
        keys = await resolvePublicKeys(mv.keys, o.keys ?? {});
      } catch (err) {
        return deny(`project ${name}: manifest verification keys: ${(err as Error).message}`);
      }
      const ignoreFields: IgnoreRule[] = [...DEFAULT_IGNORE_FIELDS, ...(mv.ignoreFields ?? [])];
      for (const obj of objects) {
        const r = verifyManifestObject(asRendered(obj), keys, {
          ignoreFields,
          defaultNamespace: o.destinationNamespace,
        });
        if (!r.verified) messages.push(`manifest ${label(obj)}: ${r.code}: ${r.reason}`);
      }
    }
    if (iv.length) {
      const ruleKeys: KeyObject[][] = [];
      for (const [i, rule] of iv.entries()) {
        try {
          if (!rule.keys?.length) throw new Error('no keys configured');
          ruleKeys.push(await resolvePublicKeys(rule.keys, o.keys ?? {}));
        } catch (err) {
          return deny(`project ${name}: imageVerification[${i}] (${rule.glob}) keys: ${(err as Error).message}`);
        }
      }
      const checks: Promise<void>[] = [];
      for (const obj of objects)
        for (const wi of workloadImages(obj as Record<string, unknown>))
          for (const [i, rule] of iv.entries()) {
            if (!imageGlobMatch(rule.glob, wi.image)) continue;
            checks.push(
              o.verifier.verify(wi.image, ruleKeys[i]!).then((v) => {
                if (!v.verified)
                  messages.push(
                    `image ${wi.image}${v.digest ? ` (${v.digest})` : ''} in ${label(obj)} ${wi.path}: ${v.code}: ${v.reason} (rule ${rule.glob})`,
                  );
              }),
            );
          }
      await Promise.all(checks);
    }
    if (messages.length === 0) return { allowed: true, messages: [] };
    return { allowed: false, messages: messages.sort(), condition: SIGNATURE_CONDITION };
  };
}

/** Runs gates in order; the first denial wins. */
export function composeGates(...gates: (PreApplyGate | undefined)[]): PreApplyGate | undefined {
  const list = gates.filter((g): g is PreApplyGate => g !== undefined);
  if (list.length <= 1) return list[0];
  return async (objects, ctx) => {
    for (const g of list) {
      const d = await g(objects, ctx);
      if (!d.allowed) return d;
    }
    return { allowed: true, messages: [] };
  };
}
