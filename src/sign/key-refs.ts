// Public keys named the way cosign and sigstore's policy-controller name them: inline PEM, a file path,
// or `k8s://<namespace>/<secret>` (the secret's `cosign.pub` entry, as `cosign generate-key-pair
// k8s://ns/name` writes it; `k8s://ns/name/<entry>` picks another entry). Secrets and files are read
// through functions passed in, so the sign area stays free of cluster and filesystem access.
import type { KeyObject } from 'node:crypto';
import { SignError } from './errors.ts';
import { loadPublicKey } from './keys.ts';

export interface KeySources {
  /** The decoded `data` of a Secret, or undefined when it does not exist. */
  readSecret?: (namespace: string, name: string) => Promise<Record<string, string> | undefined>;
  readFile?: (path: string) => Promise<string>;
}

export const K8S_KEY_PREFIX = 'k8s://';
/** The Secret entry cosign stores the public key under. */
export const SECRET_PUBLIC_KEY = 'cosign.pub';

/** Resolves one key reference to a public key; errors name the reference and why. */
export async function resolvePublicKey(ref: string, src: KeySources = {}): Promise<KeyObject> {
  const r = ref.trim();
  if (r.startsWith('-----BEGIN')) return loadPublicKey(r, 'inline key');
  if (r.startsWith(K8S_KEY_PREFIX)) {
    const parts = r.slice(K8S_KEY_PREFIX.length).split('/');
    const [ns, name, entry = SECRET_PUBLIC_KEY] = parts;
    if (!ns || !name || parts.length > 3)
      throw new SignError('KEY_INVALID', `${ref}: expected k8s://<namespace>/<secret>[/<entry>]`);
    if (!src.readSecret) throw new SignError('KEY_INVALID', `${ref}: no Kubernetes client to read the secret with`);
    let data: Record<string, string> | undefined;
    try {
      data = await src.readSecret(ns, name);
    } catch (err) {
      throw new SignError('KEY_INVALID', `${ref}: cannot read secret ${ns}/${name}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (!data) throw new SignError('KEY_INVALID', `${ref}: secret ${ns}/${name} not found`);
    const pem = data[entry];
    if (pem === undefined)
      throw new SignError(
        'KEY_INVALID',
        `${ref}: secret ${ns}/${name} has no ${JSON.stringify(entry)} entry (has ${Object.keys(data).join(', ') || 'none'})`,
      );
    return loadPublicKey(pem, ref);
  }
  if (!src.readFile) throw new SignError('KEY_INVALID', `${ref}: not a PEM or k8s:// reference, and no file access`);
  let text: string;
  try {
    text = await src.readFile(r);
  } catch (err) {
    throw new SignError('KEY_INVALID', `${ref}: ${(err as Error).message}`, { cause: err });
  }
  return loadPublicKey(text, r);
}

export async function resolvePublicKeys(refs: string[], src: KeySources = {}): Promise<KeyObject[]> {
  return Promise.all(refs.map((r) => resolvePublicKey(r, src)));
}
