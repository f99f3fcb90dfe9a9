// Editing image references in a config repo, by digest, keeping the files' comments and layout
// (yaml Documents, not re-serialised objects): kustomization `images:` (newName + digest), a Helm values
// file (repository/digest key paths), and plain manifests (containers[].image, initContainers, ephemeral).
import { isMap, isScalar, isSeq, parseAllDocuments, parseDocument, YAMLMap, type Document } from 'yaml';
import { isDigest, parseReference, formatReference } from '../../oci/index.ts';
import { PipelineError } from '../errors.ts';

export interface ImageUpdate {
  /** the image name as the config refers to it (`registry/team/app` or `app`) */
  name: string;
  /** the new repository (without tag or digest) */
  repository: string;
  digest: string;
}

/** Parses `--image NAME=REF@sha256:...`. The reference must carry a digest. */
export function parseImageUpdate(spec: string): ImageUpdate {
  const eq = spec.indexOf('=');
  if (eq <= 0)
    throw new PipelineError('promote_invalid', `--image ${JSON.stringify(spec)}: want NAME=REPOSITORY@sha256:DIGEST`);
  const name = spec.slice(0, eq);
  const ref = spec.slice(eq + 1);
  const at = ref.lastIndexOf('@');
  const digest = at > 0 ? ref.slice(at + 1) : '';
  if (!isDigest(digest) || !/^sha256:[0-9a-f]{64}$/.test(digest))
    throw new PipelineError(
      'promote_invalid',
      `--image ${name}: ${JSON.stringify(ref)} has no sha256 digest; promotion is by digest only`,
    );
  let repoPart = ref.slice(0, at);
  // a tag next to the digest is dropped: the digest is what is deployed
  const slash = repoPart.lastIndexOf('/');
  const colon = repoPart.lastIndexOf(':');
  if (colon > slash) repoPart = repoPart.slice(0, colon);
  if (!/^[a-z0-9]([a-z0-9._:/-]*[a-z0-9])?$/.test(repoPart))
    throw new PipelineError('promote_invalid', `--image ${name}: invalid repository ${JSON.stringify(repoPart)}`);
  return { name, repository: repoPart, digest };
}

/** The image name of a container image string, without tag and digest (`reg:5000/app:1@sha256:..` → `reg:5000/app`). */
export function imageName(image: string): string {
  let s = image;
  const at = s.indexOf('@');
  if (at >= 0) s = s.slice(0, at);
  const slash = s.lastIndexOf('/');
  const colon = s.lastIndexOf(':');
  if (colon > slash) s = s.slice(0, colon);
  return s;
}

/** Whether two image names denote the same repository (docker.io/library/x == x). */
export function sameImage(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    const norm = (x: string) => formatReference({ ...parseReference(x), tag: undefined, digest: undefined });
    return norm(a) === norm(b);
  } catch {
    return false;
  }
}

export interface EditResult {
  text: string;
  changed: boolean;
  /** how many references matched (changed or already at the digest) */
  matches: number;
}

const opts = { keepSourceTokens: false } as const;

function finish(original: string, docs: Document[], matches: number): EditResult {
  const text = docs.length === 1 ? docs[0]!.toString() : docs.map((d) => d.toString()).join('');
  const changed = text !== original && matches > 0;
  return { text: changed ? text : original, changed, matches };
}

/** kustomization.yaml: sets `newName` (when the repository differs from the name) and `digest`; adds an entry if none. */
export function editKustomization(text: string, u: ImageUpdate, file: string): EditResult {
  const doc = parseDocument(text, opts);
  if (doc.errors.length) throw yamlError(doc, file);
  let images = doc.get('images', true);
  if (images === undefined || images === null) {
    doc.set('images', doc.createNode([]));
    images = doc.get('images', true);
  }
  if (!isSeq(images)) throw new PipelineError('promote_invalid', `${file}: images must be a list`);
  let entry = images.items.find((i) => isMap(i) && sameImage(String(i.get('name')), u.name)) as YAMLMap | undefined;
  if (!entry) {
    entry = doc.createNode({ name: u.name }) as YAMLMap;
    images.items.push(entry);
  }
  if (u.repository !== u.name) entry.set('newName', u.repository);
  else entry.delete('newName');
  entry.delete('newTag');
  entry.set('digest', u.digest);
  return finish(text, [doc], 1);
}

/** A Helm values file: `repoKey` (optional) gets the repository, `digestKey` the digest; a single key gets `repo@digest`. */
export function editHelmValues(
  text: string,
  u: ImageUpdate,
  keys: { repository?: string; digest?: string; image?: string },
  file: string,
): EditResult {
  const doc = parseDocument(text, opts);
  if (doc.errors.length) throw yamlError(doc, file);
  const path = (k: string) => k.split('.').filter((s) => s !== '');
  const set = (k: string, v: string) => {
    const p = path(k);
    const parent = p.length > 1 ? doc.getIn(p.slice(0, -1), true) : doc.contents;
    if (parent !== undefined && parent !== null && !isMap(parent))
      throw new PipelineError('promote_invalid', `${file}: ${p.slice(0, -1).join('.')} is not a mapping`);
    doc.setIn(p, v);
  };
  if (keys.image) set(keys.image, `${u.repository}@${u.digest}`);
  if (keys.repository) set(keys.repository, u.repository);
  if (keys.digest) set(keys.digest, u.digest);
  return finish(text, [doc], 1);
}

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'];

/** Plain manifests: every container whose image is `u.name` gets `repository@digest`. */
export function editManifests(text: string, u: ImageUpdate, file: string): EditResult {
  const docs = parseAllDocuments(text, opts);
  const arr = Array.isArray(docs) ? docs : [docs];
  let matches = 0;
  for (const doc of arr) {
    if (doc.errors.length) throw yamlError(doc, file);
    const visit = (node: unknown) => {
      if (isMap(node)) {
        for (const pair of node.items) {
          const key = isScalar(pair.key) ? String(pair.key.value) : '';
          if (CONTAINER_LISTS.includes(key) && isSeq(pair.value)) {
            for (const c of pair.value.items) {
              if (!isMap(c)) continue;
              const img = c.get('image');
              if (typeof img === 'string' && sameImage(imageName(img), u.name)) {
                matches++;
                c.set('image', `${u.repository}@${u.digest}`);
              }
            }
          }
          visit(pair.value);
        }
      } else if (isSeq(node)) for (const i of node.items) visit(i);
    };
    visit(doc.contents);
  }
  return finish(text, arr, matches);
}

function yamlError(doc: Document, file: string): PipelineError {
  const e = doc.errors[0]!;
  const lp = e.linePos?.[0];
  const location = { file, row: lp?.line ?? 1, col: lp?.col ?? 1 };
  return new PipelineError('promote_invalid', e.message.split('\n')[0]!, {
    location,
  });
}
