// `oci:DIR[:tag|@digest]`, the way skopeo and the CLI name an image in an OCI layout: the folder and the
// reference inside it. A colon after the last slash starts a tag — unless a folder with that colon in its
// name exists.
import { existsSync } from 'node:fs';
import { isDigest } from './digest.ts';

export function parseLayoutSpec(spec: string): { dir: string; ref?: string } {
  const rest = spec.replace(/^oci:/, '');
  const at = rest.lastIndexOf('@');
  if (at > 0 && isDigest(rest.slice(at + 1))) return { dir: rest.slice(0, at), ref: rest.slice(at + 1) };
  const colon = rest.lastIndexOf(':');
  if (colon > 0 && colon > rest.lastIndexOf('/') && !existsSync(rest))
    return { dir: rest.slice(0, colon), ref: rest.slice(colon + 1) };
  return { dir: rest };
}
