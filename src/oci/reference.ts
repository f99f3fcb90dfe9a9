// Image references (`[registry/]repository[:tag][@digest]`) with the grammar of distribution/reference and
// Docker Hub normalisation: `alpine` is `docker.io/library/alpine:latest`.
import { OciError } from './errors.ts';
import { parseDigest } from './digest.ts';

export const DOCKER_HUB = 'docker.io';
/** The host that actually serves Docker Hub's registry API. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

const pathComponent = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const repositoryRe = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
const tagRe = /^[\w][\w.-]{0,127}$/;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainRe = new RegExp(`^(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
export const MAX_NAME_LENGTH = 255;

export interface Reference {
  /** Registry host[:port], normalised (`docker.io` for Docker Hub). */
  registry: string;
  /** Repository path inside the registry (`library/alpine`). */
  repository: string;
  tag?: string;
  digest?: string;
}

export function isValidRepositoryName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME_LENGTH && repositoryRe.test(name);
}

export function isValidTag(tag: string): boolean {
  return tagRe.test(tag);
}

/** Validates a repository name; throws NAME_INVALID. */
export function checkRepositoryName(name: string): void {
  if (name.length > MAX_NAME_LENGTH) {
    throw new OciError('NAME_INVALID', `repository name is longer than ${MAX_NAME_LENGTH} characters`);
  }
  if (!repositoryRe.test(name)) throw new OciError('NAME_INVALID', `invalid repository name ${JSON.stringify(name)}`);
}

/** Parses a reference. Without a tag or digest, `defaultTag` (latest) is used. */
export function parseReference(input: string, opts: { defaultTag?: string | null } = {}): Reference {
  const s = input.trim();
  if (s === '') throw new OciError('REFERENCE_INVALID', 'empty image reference');
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    try {
      parseDigest(digest);
    } catch (err) {
      throw new OciError('REFERENCE_INVALID', `invalid digest in reference ${JSON.stringify(input)}`, { cause: err });
    }
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isValidTag(tag))
      throw new OciError('REFERENCE_INVALID', `invalid tag ${JSON.stringify(tag)} in ${JSON.stringify(input)}`);
  }
  let registry = DOCKER_HUB;
  let repository = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      if (!domainRe.test(first))
        throw new OciError('REFERENCE_INVALID', `invalid registry host ${JSON.stringify(first)}`);
      registry = first;
      repository = rest.slice(slash + 1);
    }
  }
  if (registry === 'index.docker.io' || registry === DOCKER_HUB_API_HOST) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (repository !== repository.toLowerCase()) {
    throw new OciError('REFERENCE_INVALID', `repository name must be lower-case: ${JSON.stringify(input)}`);
  }
  if (!isValidRepositoryName(repository)) {
    throw new OciError(
      'REFERENCE_INVALID',
      `invalid repository name ${JSON.stringify(repository)} in ${JSON.stringify(input)}`,
    );
  }
  if (registry.length + 1 + repository.length > MAX_NAME_LENGTH) {
    throw new OciError('REFERENCE_INVALID', `reference name is longer than ${MAX_NAME_LENGTH} characters`);
  }
  const ref: Reference = { registry, repository };
  const defaultTag = opts.defaultTag === undefined ? 'latest' : opts.defaultTag;
  if (tag !== undefined) ref.tag = tag;
  else if (digest === undefined && defaultTag !== null) ref.tag = defaultTag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** The fully-qualified form: `docker.io/library/alpine:latest`, `host:5000/a/b@sha256:...`. */
export function formatReference(ref: Reference): string {
  let s = `${ref.registry}/${ref.repository}`;
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** The tag or digest used to address the manifest (digest wins). */
export function referenceTarget(ref: Reference): string {
  const t = ref.digest ?? ref.tag;
  if (t === undefined)
    throw new OciError('REFERENCE_INVALID', `reference ${formatReference(ref)} has no tag or digest`);
  return t;
}

/** The host to contact for a registry name (Docker Hub's API lives elsewhere). */
export function registryApiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
}
