// Image routes: repositories, tags, manifests (by tag or digest), the parsed config blob and the
// referrers (signatures, attestations, SBOMs), and what they say (signers and key ids, predicate types, the
// vulnerability summary of an attached scan report) — from the embedded registry or the registry given with
// `sekisho up --registry`.
import { isDigest, isValidRepositoryName, isValidTag, parseManifest, type Descriptor } from '../../oci/index.ts';
import { ServerError } from '../errors.ts';
import type { ImageSource } from '../image-source.ts';
import type { Ctx, RouteEnv, RouteSpec } from '../route.ts';
import { loadScope } from './scope.ts';
import { projectKeys, supplyChain, supplyChainSchema } from '../image-supply-chain.ts';

const MAX_CONFIG = 4 * 1024 * 1024;

/** What a referrer is, from its artifact type (cosign, in-toto, SPDX, CycloneDX conventions). */
export function referrerKind(artifactType: string | undefined): 'signature' | 'attestation' | 'sbom' | 'other' {
  const t = (artifactType ?? '').toLowerCase();
  if (t.includes('cosign.simplesigning') || t.includes('sigstore.bundle') || t.includes('signature'))
    return 'signature';
  if (t.includes('spdx') || t.includes('cyclonedx') || t.includes('sbom')) return 'sbom';
  if (t.includes('dsse') || t.includes('in-toto') || t.includes('intoto') || t.includes('attestation'))
    return 'attestation';
  return 'other';
}

const descriptorSchema = {
  type: 'object',
  required: ['mediaType', 'digest', 'size'],
  properties: {
    mediaType: { type: 'string' },
    digest: { type: 'string' },
    size: { type: 'integer' },
    artifactType: { type: 'string' },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
    platform: { type: 'object' },
  },
};

export function imageRoutes({ images, d, apps }: RouteEnv): RouteSpec[] {
  const src = (): ImageSource => {
    if (!images) throw new ServerError('server_upstream_error', 'no registry is configured');
    return images;
  };
  /** The repository of the path, after the project check: one of projects the caller does not cover is "not found". */
  const repoParam = async (ctx: Ctx): Promise<string> => {
    const raw = ctx.params.repository!;
    if (!isValidRepositoryName(raw)) throw new ServerError('server_bad_request', `invalid repository name "${raw}"`);
    if (!(await loadScope({ d, apps }, ctx.principal!)).canSeeRepository(raw))
      throw new ServerError('server_not_found', `repository ${raw} not found`);
    return raw;
  };
  const refParam = (raw: string): string => {
    if (!isDigest(raw) && !isValidTag(raw))
      throw new ServerError('server_bad_request', `reference "${raw}" is neither a tag nor a digest (sha256:<64 hex>)`);
    return raw;
  };
  const upstreamErr = (e: unknown, what: string): ServerError =>
    e instanceof ServerError
      ? e
      : new ServerError('server_upstream_error', `${what}: ${(e as Error).message}`, { cause: e });
  const manifestOf = async (repo: string, ref: string) => {
    let m;
    try {
      m = await src().getManifest(repo, ref);
    } catch (e) {
      throw upstreamErr(e, `manifest ${repo}:${ref}`);
    }
    if (!m)
      throw new ServerError('server_not_found', `manifest ${repo}${ref.includes(':') ? '@' : ':'}${ref} not found`);
    let parsed;
    try {
      parsed = parseManifest(m.bytes, m.mediaType);
    } catch (e) {
      throw new ServerError('server_upstream_error', `manifest ${m.digest} does not parse: ${(e as Error).message}`, {
        cause: e,
      });
    }
    return { ...m, parsed };
  };
  const repoPath = '/api/v1/registry/repositories/{repository}';
  const repoNote = ' (repository name URL-encoded, "/" as %2F)';

  return [
    {
      method: 'GET',
      path: '/api/v1/registry/repositories',
      role: 'viewer',
      tag: 'images',
      projectScoped: true,
      summary: 'Repositories in the registry',
      response: {
        type: 'object',
        required: ['items'],
        properties: {
          items: {
            type: 'array',
            items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
          },
        },
      },
      handler: async (ctx) => {
        let names: string[];
        try {
          names = await src().listRepositories();
        } catch (e) {
          throw upstreamErr(e, 'repositories');
        }
        const scope = await loadScope({ d, apps }, ctx.principal!);
        return { items: names.filter((n) => scope.canSeeRepository(n)).map((name) => ({ name })) };
      },
    },
    {
      method: 'GET',
      path: `${repoPath}/tags`,
      role: 'viewer',
      tag: 'images',
      projectScoped: true,
      summary: `Tags of a repository with their digests${repoNote}`,
      response: {
        type: 'object',
        required: ['repository', 'items'],
        properties: {
          repository: { type: 'string' },
          items: {
            type: 'array',
            items: {
              type: 'object',
              required: ['tag'],
              properties: { tag: { type: 'string' }, digest: { type: 'string', nullable: true } },
            },
          },
        },
      },
      handler: async (ctx) => {
        const repo = await repoParam(ctx);
        const s = src();
        let tags;
        try {
          tags = await s.listTags(repo);
        } catch (e) {
          throw upstreamErr(e, `tags of ${repo}`);
        }
        if (tags === null) throw new ServerError('server_not_found', `repository ${repo} not found`);
        const items = await Promise.all(tags.map(async (tag) => ({ tag, digest: await s.resolveTag(repo, tag) })));
        return { repository: repo, items };
      },
    },
    {
      method: 'GET',
      path: `${repoPath}/manifests/{reference}`,
      role: 'viewer',
      tag: 'images',
      projectScoped: true,
      summary: `A manifest or index by tag or digest, parsed, with its digest and media type${repoNote}`,
      response: {
        type: 'object',
        required: ['repository', 'digest', 'mediaType', 'isIndex', 'manifest'],
        properties: {
          repository: { type: 'string' },
          reference: { type: 'string' },
          digest: { type: 'string' },
          mediaType: { type: 'string' },
          isIndex: { type: 'boolean' },
          size: { type: 'integer' },
          artifactType: { type: 'string' },
          manifest: { type: 'object' },
          subject: descriptorSchema,
        },
      },
      handler: async (ctx) => {
        const repo = await repoParam(ctx);
        const ref = refParam(ctx.params.reference!);
        const m = await manifestOf(repo, ref);
        return {
          repository: repo,
          reference: ref,
          digest: m.digest,
          mediaType: m.mediaType,
          isIndex: m.parsed.isIndex,
          size: m.bytes.length,
          ...(m.parsed.artifactType ? { artifactType: m.parsed.artifactType } : {}),
          manifest: m.parsed.manifest,
          ...(m.parsed.subject ? { subject: m.parsed.subject } : {}),
        };
      },
    },
    {
      method: 'GET',
      path: `${repoPath}/manifests/{reference}/config`,
      role: 'viewer',
      tag: 'images',
      projectScoped: true,
      summary: `The image configuration blob of a manifest, parsed (OS, architecture, user, env, history…)${repoNote}`,
      response: {
        type: 'object',
        required: ['digest', 'mediaType', 'config'],
        properties: { digest: { type: 'string' }, mediaType: { type: 'string' }, config: { type: 'object' } },
      },
      handler: async (ctx) => {
        const repo = await repoParam(ctx);
        const ref = refParam(ctx.params.reference!);
        const m = await manifestOf(repo, ref);
        if (m.parsed.isIndex)
          throw new ServerError(
            'server_bad_request',
            `${repo}:${ref} is an index of ${m.parsed.children.length} manifests; ask for one of their digests`,
          );
        const cfg = (m.parsed.manifest as { config?: Descriptor }).config;
        if (!cfg) throw new ServerError('server_not_found', `manifest ${m.digest} has no config`);
        let bytes;
        try {
          bytes = await src().getBlob(repo, cfg.digest, MAX_CONFIG);
        } catch (e) {
          throw upstreamErr(e, `config ${cfg.digest}`);
        }
        if (!bytes) throw new ServerError('server_not_found', `config blob ${cfg.digest} not found in ${repo}`);
        let config: unknown;
        try {
          config = JSON.parse(bytes.toString('utf8'));
        } catch (e) {
          throw new ServerError('server_upstream_error', `config blob ${cfg.digest} is not JSON`, { cause: e });
        }
        return { digest: cfg.digest, mediaType: cfg.mediaType, size: cfg.size, config };
      },
    },
    {
      method: 'GET',
      path: `${repoPath}/manifests/{reference}/referrers`,
      role: 'viewer',
      tag: 'images',
      projectScoped: true,
      summary: `Signatures, attestations and SBOMs attached to a manifest: OCI 1.1 referrers and cosign's tag scheme${repoNote}`,
      response: {
        type: 'object',
        required: ['digest', 'items'],
        properties: {
          digest: { type: 'string' },
          items: {
            type: 'array',
            items: {
              type: 'object',
              required: ['kind', 'via', 'digest'],
              properties: {
                kind: { type: 'string', enum: ['signature', 'attestation', 'sbom', 'other'] },
                via: { type: 'string', enum: ['referrers', 'tag'] },
                tag: { type: 'string' },
                digest: { type: 'string' },
                mediaType: { type: 'string' },
                artifactType: { type: 'string' },
                size: { type: 'integer' },
                annotations: { type: 'object' },
                layers: { type: 'array', items: descriptorSchema },
              },
            },
          },
        },
      },
      handler: async (ctx) => {
        const repo = await repoParam(ctx);
        const ref = refParam(ctx.params.reference!);
        const s = src();
        const m = await manifestOf(repo, ref);
        const items: Record<string, unknown>[] = [];
        try {
          for (const d of await s.referrers(repo, m.digest))
            items.push({
              kind: referrerKind(d.artifactType),
              via: 'referrers',
              digest: d.digest,
              mediaType: d.mediaType,
              ...(d.artifactType ? { artifactType: d.artifactType } : {}),
              size: d.size,
              ...(d.annotations ? { annotations: d.annotations } : {}),
            });
          // cosign's tag scheme: <alg>-<hex>.sig / .att / .sbom in the same repository
          const [alg, hex] = m.digest.split(':') as [string, string];
          for (const [suffix, kind] of [
            ['sig', 'signature'],
            ['att', 'attestation'],
            ['sbom', 'sbom'],
          ] as const) {
            const tag = `${alg}-${hex}.${suffix}`;
            const t = await s.getManifest(repo, tag);
            if (!t) continue;
            const p = parseManifest(t.bytes, t.mediaType);
            const layers = (p.manifest as { layers?: Descriptor[] }).layers ?? [];
            // cosign's tag-scheme manifests are plain images: what they carry is told by the layer type
            const declared = (p.manifest as { artifactType?: string }).artifactType;
            const artifactType = declared ?? layers[0]?.mediaType;
            items.push({
              kind,
              via: 'tag',
              tag,
              digest: t.digest,
              mediaType: t.mediaType,
              ...(artifactType ? { artifactType } : {}),
              size: t.bytes.length,
              layers,
            });
          }
        } catch (e) {
          throw upstreamErr(e, `referrers of ${m.digest}`);
        }
        return { repository: repo, digest: m.digest, items };
      },
    },
    {
      method: 'GET',
      path: `${repoPath}/manifests/{reference}/supply-chain`,
      role: 'viewer',
      tag: 'images',
      projectScoped: true,
      summary: `What is attached to an image, read: signatures (cosign .sig tag or Sigstore bundle referrer; signer, key id, the AppProject image-verification key that verifies it), attestations (predicate types) and the vulnerability summary of the newest attached scan report${repoNote}`,
      response: supplyChainSchema,
      handler: async (ctx) => {
        const repo = await repoParam(ctx);
        const ref = refParam(ctx.params.reference!);
        const m = await manifestOf(repo, ref);
        const known = await projectKeys(d.kube);
        try {
          const r = await supplyChain(src(), repo, m.digest, known.keys);
          const errors = [...known.errors, ...(r.errors ?? [])];
          return { repository: repo, ...r, ...(errors.length ? { errors } : {}) };
        } catch (e) {
          throw upstreamErr(e, `attachments of ${m.digest}`);
        }
      },
    },
  ];
}
