// Shared fixture of the API route tests: an in-process sandbox cluster with the GitOps CRDs, an embedded
// registry storage holding a small image with a cosign signature and an SBOM referrer, and the API server
// with users bound to projects: admin, dev-a (developer of team-a), dev-b (developer of team-b),
// viewer (every project) and viewer-a (viewer of team-a).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import AjvModule from 'ajv';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { install } from '../../src/gitops/index.ts';
import { KubeClient, type KubeObject } from '../../src/kube/index.ts';
import { openFsStorage, type RegistryStorage } from '../../src/oci/index.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { AuditLog, AuthStore, startApiServer, type ApiServer, type ApiServerOptions } from '../../src/server/index.ts';

export type Who = 'admin' | 'devA' | 'devB' | 'viewer' | 'viewerA';

export interface Fixture {
  dir: string;
  api: ApiServer;
  url: string;
  kube: KubeClient;
  sandbox: Sandbox;
  storage: RegistryStorage;
  auth: AuthStore;
  tokens: Record<Who, string>;
  image: { repo: string; tag: string; digest: string; configDigest: string; sigTag: string; sbomDigest: string };
  call: (method: string, path: string, o?: CallOpts) => Promise<Res>;
  /** checks an answer against the success schema the OpenAPI document gives for its operation */
  validate: (method: string, path: string, r: Res) => Promise<void>;
  close(): Promise<void>;
}

// ajv is CommonJS: under NodeNext its class may sit on `.default`
type Validator = { (doc: unknown): boolean; errors?: unknown };
type AjvLike = new (opts: object) => {
  compile(schema: object): Validator;
  addSchema(schema: object, key: string): unknown;
  errorsText(errors: unknown): string;
};
export const AjvClass = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as AjvLike;

interface OpenApiDoc {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
  >;
  components: { schemas: Record<string, object> };
}

/** Validates answers against the served OpenAPI document (its own schemas, as a client generator would). */
export function responseValidator(doc: OpenApiDoc) {
  const ajv = new AjvClass({ strict: false, allErrors: true });
  ajv.addSchema({ components: doc.components }, 'doc');
  const routes = Object.keys(doc.paths).map((p) => ({
    p,
    re: new RegExp('^' + p.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+') + '$'),
  }));
  const cache = new Map<string, Validator>();
  return (method: string, path: string, r: Res): void => {
    const pathname = new URL(path, 'http://x').pathname;
    const route = routes.find((x) => x.re.test(pathname));
    assert.ok(route, `no documented path for ${pathname}`);
    const op = doc.paths[route.p]![method.toLowerCase()];
    assert.ok(op, `${method} ${route.p} is not documented`);
    const resp = op.responses[String(r.status)];
    assert.ok(resp, `${method} ${route.p} answered ${r.status}, which is not documented`);
    const schema = resp.content?.['application/json']?.schema;
    if (!schema) return;
    const key = `${method} ${route.p} ${r.status}`;
    let v = cache.get(key);
    if (!v) {
      v = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')) as object);
      cache.set(key, v);
    }
    assert.ok(
      v(r.body),
      `${key}: the answer does not match its schema: ${ajv.errorsText(v.errors)}\n${JSON.stringify(r.body).slice(0, 500)}`,
    );
  };
}

export interface CallOpts {
  as?: Who;
  token?: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

export interface Res {
  status: number;
  body: any;
  headers: Headers;
}

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function putBlob(s: RegistryStorage, repo: string, bytes: Buffer): Promise<string> {
  const d = sha(bytes);
  await s.putBlob(repo, d, Readable.from([bytes]), bytes.length);
  return d;
}

async function putManifest(s: RegistryStorage, repo: string, m: unknown, tag?: string, subject?: string) {
  const bytes = Buffer.from(JSON.stringify(m));
  const mediaType = (m as { mediaType: string }).mediaType;
  const digest = sha(bytes);
  const artifactType = (m as { artifactType?: string }).artifactType;
  await s.putManifest(
    repo,
    { digest, mediaType, bytes },
    tag,
    subject ? { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: subject, size: 0 } : undefined,
    subject ? { mediaType, digest, size: bytes.length, ...(artifactType ? { artifactType } : {}) } : undefined,
  );
  return digest;
}

export function app(name: string, project: string, extra: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: 'gitops.sekisho.dev/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'sekisho-gitops', labels: { team: project } },
    spec: {
      project,
      source: { repoURL: 'http://127.0.0.1:1/none.git', path: '.', targetRevision: 'main' },
      destination: { server: 'https://kubernetes.default.svc', namespace: name },
    },
    ...extra,
  };
}

export async function startFixture(extra: Partial<ApiServerOptions> = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-api-routes-'));
  const sandbox = await startSandbox({ dataDir: join(dir, 'cluster'), listen: '127.0.0.1:0' });
  const kube = await KubeClient.fromKubeconfig({ path: sandbox.kubeconfigPath });
  await install(kube, 'sekisho-gitops');
  const storage = await openFsStorage(join(dir, 'registry'));

  // an image, a cosign signature under the tag scheme, and an SBOM as an OCI 1.1 referrer
  const repo = 'demo/app';
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { User: '1000', Env: ['PATH=/bin'] },
      rootfs: { type: 'layers', diff_ids: [] },
    }),
  );
  const configDigest = await putBlob(storage, repo, config);
  const digest = await putManifest(
    storage,
    repo,
    {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [],
    },
    'v1',
  );
  const empty = Buffer.from('{}');
  const emptyDigest = await putBlob(storage, repo, empty);
  const sigPayload = Buffer.from(JSON.stringify({ critical: { image: { 'docker-manifest-digest': digest } } }));
  const sigLayer = await putBlob(storage, repo, sigPayload);
  const sigTag = `sha256-${digest.slice(7)}.sig`;
  await putManifest(
    storage,
    repo,
    {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: emptyDigest, size: 2 },
      layers: [
        {
          mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
          digest: sigLayer,
          size: sigPayload.length,
          annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQ==' },
        },
      ],
    },
    sigTag,
  );
  const sbom = Buffer.from(JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5' }));
  const sbomLayer = await putBlob(storage, repo, sbom);
  const sbomDigest = await putManifest(
    storage,
    repo,
    {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.cyclonedx+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: emptyDigest, size: 2 },
      layers: [{ mediaType: 'application/vnd.cyclonedx+json', digest: sbomLayer, size: sbom.length }],
      subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 0 },
    },
    undefined,
    digest,
  );

  const auth = new AuthStore({ dir: join(dir, 'auth'), loginLimit: 3 });
  const users: [Who, string, 'admin' | 'developer' | 'viewer', string[]][] = [
    ['admin', 'admin', 'admin', ['*']],
    ['devA', 'dev-a', 'developer', ['team-a']],
    ['devB', 'dev-b', 'developer', ['team-b']],
    ['viewer', 'viewer', 'viewer', ['*']],
    ['viewerA', 'viewer-a', 'viewer', ['team-a']],
  ];
  const tokens = {} as Record<Who, string>;
  await Promise.all(
    users.map(([, name, role, projects]) => auth.setUser(name, `${name}-long-password`, role, projects)),
  );
  for (const [who, name, role] of users) tokens[who] = auth.createToken(name, 'test', role).token;

  const api = await startApiServer({
    host: '127.0.0.1',
    port: 0,
    auth,
    audit: new AuditLog(join(dir, 'audit.jsonl')),
    kube,
    registry: storage,
    cacheDir: join(dir, 'api'),
    gitRoot: join(dir, 'git'),
    gitUrl: 'http://127.0.0.1:9/git',
    heartbeatMs: 60_000,
    ...extra,
  });
  const call = async (method: string, p: string, o: CallOpts = {}): Promise<Res> => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    const token = o.token ?? (o.as ? tokens[o.as] : undefined);
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] = 'application/json';
    } else if (o.raw !== undefined) {
      body = o.raw;
      headers['content-type'] ??= 'application/json';
    }
    const r = await fetch(api.url + p, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await r.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // text answers
    }
    return { status: r.status, body: parsed, headers: r.headers };
  };
  let check: ((method: string, path: string, r: Res) => void) | undefined;
  const validate = async (method: string, path: string, r: Res): Promise<void> => {
    check ??= responseValidator((await call('GET', '/api/v1/openapi.json')).body as OpenApiDoc);
    check(method, path, r);
  };
  return {
    dir,
    api,
    url: api.url,
    validate,
    kube,
    sandbox,
    storage,
    auth,
    tokens,
    image: { repo, tag: 'v1', digest, configDigest, sigTag, sbomDigest },
    call,
    async close() {
      await api.close();
      kube.close();
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One row of an endpoint table: what each kind of caller gets. */
export interface EndpointCase {
  name: string;
  method: string;
  path: string;
  /** the least role allowed (used for the 403 check with the next lower role) */
  lower?: Who;
  /** a caller of another project (403) */
  otherProject?: Who;
  ok: { as: Who; body?: unknown; status?: number; check?: (r: Res) => void | Promise<void> };
  bad?: { path?: string; body?: unknown; raw?: string; as?: Who; reason: RegExp }[];
  body?: unknown;
}

/** Runs the 401 / 403 (role) / 403 (project) / 400 / happy-path checks of one endpoint. */
export async function checkEndpoint(f: Fixture, c: EndpointCase): Promise<void> {
  const noAuth = await f.call(c.method, c.path, c.body !== undefined ? { body: c.body } : {});
  assert.equal(noAuth.status, 401, `${c.name}: no auth → 401, got ${noAuth.status} ${JSON.stringify(noAuth.body)}`);
  assert.equal(noAuth.body.error.code, 'server_unauthenticated');
  await f.validate(c.method, c.path, noAuth);
  if (c.lower) {
    const r = await f.call(c.method, c.path, { as: c.lower, ...(c.body !== undefined ? { body: c.body } : {}) });
    assert.equal(r.status, 403, `${c.name}: role ${c.lower} → 403, got ${r.status} ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, 'server_forbidden');
  }
  if (c.otherProject) {
    const r = await f.call(c.method, c.path, {
      as: c.otherProject,
      ...(c.body !== undefined ? { body: c.body } : {}),
    });
    assert.equal(r.status, 403, `${c.name}: ${c.otherProject} of another project → 403, got ${r.status}`);
    assert.match(r.body.error.message, /project/);
  }
  for (const b of c.bad ?? []) {
    const r = await f.call(c.method, b.path ?? c.path, {
      as: b.as ?? c.ok.as,
      ...(b.body !== undefined ? { body: b.body } : b.raw !== undefined ? { raw: b.raw } : {}),
    });
    assert.equal(
      r.status,
      400,
      `${c.name}: bad input ${b.path ?? JSON.stringify(b.body)} → 400, got ${r.status} ${JSON.stringify(r.body)}`,
    );
    assert.equal(r.body.error.code, 'server_bad_request');
    assert.match(r.body.error.message, b.reason, c.name);
    await f.validate(c.method, b.path ?? c.path, r);
  }
  const ok = await f.call(c.method, c.path, {
    as: c.ok.as,
    ...(c.ok.body !== undefined ? { body: c.ok.body } : c.body !== undefined ? { body: c.body } : {}),
  });
  assert.equal(ok.status, c.ok.status ?? 200, `${c.name}: happy path, got ${ok.status} ${JSON.stringify(ok.body)}`);
  await f.validate(c.method, c.path, ok);
  await c.ok.check?.(ok);
}
