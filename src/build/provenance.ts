// SLSA provenance v1 (https://slsa.dev/spec/v1.0/provenance) for a `sekisho build`: an in-toto Statement v1
// whose subject is the built image and whose predicate says how it was made. The build type is ours,
// `https://sekisho.dev/build/dockerfile/v1` (docs/sign.md describes its parameters):
//   externalParameters  what the caller chose: the Dockerfile (path relative to the context), the target
//                       stage, the build args (values of secret-looking names redacted), the ids (never the
//                       values) of --secret, the platform, and the context as a git source when it is a repo
//   internalParameters  what the builder chose: builder platform, SOURCE_DATE_EPOCH, RUN network, no-cache
//   resolvedDependencies every base image (FROM, COPY --from) by digest, and the context's git commit
//   runDetails          builder.id, invocationId, startedOn, finishedOn
// This file only shapes the document; signing and attaching it is the sign area's (the CLI joins them).
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { relative } from 'node:path';
import type { BuildOptions, BuildResult } from './builder/types.ts';

export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
export const SEKISHO_BUILD_TYPE = 'https://sekisho.dev/build/dockerfile/v1';
export const DEFAULT_BUILDER_ID = 'https://sekisho.dev/builder/cli@v1';
const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';

/** SLSA's ResourceDescriptor (the fields used here). */
export interface ResourceDescriptor {
  uri?: string;
  name?: string;
  digest?: Record<string, string>;
  annotations?: Record<string, unknown>;
}

export interface SlsaProvenanceV1 {
  buildDefinition: {
    buildType: string;
    externalParameters: Record<string, unknown>;
    internalParameters: Record<string, unknown>;
    resolvedDependencies: ResourceDescriptor[];
  };
  runDetails: {
    builder: { id: string; version?: Record<string, string> };
    metadata: { invocationId: string; startedOn: string; finishedOn: string };
  };
}

/** The context as a git source: where it comes from, the commit, the context's path in the repository. */
export interface GitSource {
  /** `git+<remote url without credentials>`, or `git+file://<top level>` when there is no remote. */
  uri: string;
  commit: string;
  /** The context directory relative to the repository's top level ('' at the top). */
  path: string;
  /** Uncommitted changes were present: the commit does not describe the context exactly. */
  dirty: boolean;
}

/** Runs git with args in a directory; resolves stdout, or undefined when git fails. */
export type GitRunner = (dir: string, args: string[]) => Promise<string | undefined>;

export const execGit: GitRunner = (dir, args) =>
  new Promise((resolve) => {
    execFile('git', ['-C', dir, ...args], { encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout) =>
      resolve(err ? undefined : stdout),
    );
  });

/** Removes `user:password@` from a URL-shaped remote (an https token must not land in provenance). */
export function stripUrlCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

/** The git source of a directory, or undefined when it is not inside a git work tree. */
export async function gitSource(dir: string, git: GitRunner = execGit): Promise<GitSource | undefined> {
  const top = (await git(dir, ['rev-parse', '--show-toplevel']))?.trim();
  if (!top) return undefined;
  const commit = (await git(dir, ['rev-parse', '--verify', '-q', 'HEAD^{commit}']))?.trim();
  if (!commit || !/^[0-9a-f]{40,64}$/.test(commit)) return undefined; // no commit yet
  const remote = (await git(dir, ['config', '--get', 'remote.origin.url']))?.trim();
  const status = await git(dir, ['status', '--porcelain', '--untracked-files=normal', '--', '.']);
  const path = (await git(dir, ['rev-parse', '--show-prefix']))?.trim().replace(/\/$/, '') ?? relative(top, dir);
  return {
    uri: remote ? `git+${stripUrlCredentials(remote)}` : `git+file://${top}`,
    commit,
    path,
    dirty: status === undefined || status.trim() !== '',
  };
}

/** Build-arg names whose values are kept out of provenance (they may be credentials). */
export const SECRET_ARG_PATTERN = /(secret|token|passw(or)?d|passwd|credential|api[_-]?key|private[_-]?key|auth)/i;

export interface ProvenanceInput {
  result: Pick<BuildResult, 'manifestDigest' | 'baseImages'>;
  opts: Pick<
    BuildOptions,
    'contextDir' | 'dockerfile' | 'target' | 'buildArgs' | 'secrets' | 'sourceDateEpoch' | 'network' | 'noCache'
  >;
  /** Image names (registry/repository, no tag) the image was pushed as; the subject names. */
  names: string[];
  platform: string;
  startedOn: Date;
  finishedOn: Date;
  git?: GitSource;
  builderId?: string;
  builderVersion?: string;
  invocationId?: string;
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A pullable reference for a base image as SLSA expects it (`pkg:docker/...` is what BuildKit writes). */
function dependencyUri(name: string, platform: string): string {
  if (name.startsWith('oci-layout://')) return name;
  const [repo, ...rest] = name.split('@');
  const tagged = rest.length ? repo! : name;
  return `pkg:docker/${tagged}?platform=${encodeURIComponent(platform)}`;
}

/** The SLSA v1 predicate of a build. */
export function slsaProvenance(input: ProvenanceInput): SlsaProvenanceV1 {
  const { opts, git } = input;
  const buildArgs: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.buildArgs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    buildArgs[k] = SECRET_ARG_PATTERN.test(k) ? '<redacted>' : v;
  const dockerfile = opts.dockerfile ? relative(opts.contextDir, opts.dockerfile) || 'Dockerfile' : 'Dockerfile';
  const external: Record<string, unknown> = {
    dockerfile,
    ...(opts.target !== undefined ? { target: opts.target } : {}),
    buildArgs,
    secrets: Object.keys(opts.secrets).sort(),
    platform: input.platform,
    ...(git ? { context: { uri: git.uri, digest: { gitCommit: git.commit }, path: git.path, dirty: git.dirty } } : {}),
  };
  const internal: Record<string, unknown> = {
    builderPlatform: input.platform,
    network: opts.network ?? 'none',
    noCache: opts.noCache === true,
    ...(opts.sourceDateEpoch !== undefined ? { sourceDateEpoch: opts.sourceDateEpoch } : {}),
  };
  const deps: ResourceDescriptor[] = [];
  const seen = new Set<string>();
  for (const b of input.result.baseImages) {
    if (seen.has(`${b.name}@${b.digest}`)) continue;
    seen.add(`${b.name}@${b.digest}`);
    const [alg, hex] = b.digest.split(':') as [string, string];
    deps.push({ uri: dependencyUri(b.name, input.platform), name: b.name, digest: { [alg]: hex } });
  }
  if (git)
    deps.push({
      uri: `${git.uri}@${git.commit}`,
      digest: { gitCommit: git.commit },
      ...(git.dirty ? { annotations: { dirty: true } } : {}),
    });
  return {
    buildDefinition: {
      buildType: SEKISHO_BUILD_TYPE,
      externalParameters: external,
      internalParameters: internal,
      resolvedDependencies: deps,
    },
    runDetails: {
      builder: {
        id: input.builderId ?? DEFAULT_BUILDER_ID,
        ...(input.builderVersion ? { version: { sekisho: input.builderVersion } } : {}),
      },
      metadata: {
        invocationId: input.invocationId ?? `urn:uuid:${randomUUID()}`,
        startedOn: rfc3339(input.startedOn),
        finishedOn: rfc3339(input.finishedOn),
      },
    },
  };
}

/** The in-toto Statement v1 carrying the predicate, one subject per image name (all the same digest). */
export function provenanceStatement(input: ProvenanceInput): {
  _type: string;
  subject: { name: string; digest: Record<string, string> }[];
  predicateType: string;
  predicate: SlsaProvenanceV1;
} {
  const [alg, hex] = input.result.manifestDigest.split(':') as [string, string];
  const names = input.names.length ? [...new Set(input.names)] : ['image'];
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: names.map((name) => ({ name, digest: { [alg]: hex } })),
    predicateType: SLSA_PROVENANCE_V1,
    predicate: slsaProvenance(input),
  };
}
