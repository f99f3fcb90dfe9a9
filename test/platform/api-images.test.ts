// The image routes, table-driven (401, 400 with a reason, happy path; they need only the viewer role, and
// the fixture's repository belongs to no project, so every caller sees it — api-scope.test.ts covers scoping),
// against the embedded registry storage and — the same assertions — against a real registry read through
// the registry client (`sekisho up --registry`): the embedded registry server standing in for a remote one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryServer } from '../../src/oci/index.ts';
import { ClientImageSource } from '../../src/server/index.ts';
import { checkEndpoint, startFixture, type EndpointCase, type Fixture } from './api-fixture.ts';

let f: Fixture;
let remote: RegistryServer;
let viaClient: Fixture['call'];
let closeClientApi: () => Promise<void>;

before(async () => {
  f = await startFixture();
  // the same storage behind a registry server, read over HTTP by a second API server
  remote = new RegistryServer({ storage: f.storage });
  const url = await remote.listen({ host: '127.0.0.1', port: 0 });
  const { startApiServer, AuditLog } = await import('../../src/server/index.ts');
  const api = await startApiServer({
    host: '127.0.0.1',
    port: 0,
    auth: f.auth,
    audit: new AuditLog(`${f.dir}/audit2.jsonl`),
    images: new ClientImageSource(url),
  });
  viaClient = async (method, p, o = {}) => {
    const r = await fetch(api.url + p, {
      method,
      headers: o.as ? { authorization: `Bearer ${f.tokens[o.as]}` } : {},
    });
    const text = await r.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // text
    }
    return { status: r.status, body, headers: r.headers };
  };
  closeClientApi = () => api.close();
});

after(async () => {
  await closeClientApi?.();
  await remote?.close();
  await f?.close();
});

const R = '/api/v1/registry/repositories';
const repo = 'demo%2Fapp';
const cases = (): EndpointCase[] => [
  {
    name: 'repositories',
    method: 'GET',
    path: R,
    ok: { as: 'viewerA', check: (r) => assert.deepEqual(r.body.items, [{ name: 'demo/app' }]) },
  },
  {
    name: 'tags',
    method: 'GET',
    path: `${R}/${repo}/tags`,
    ok: {
      as: 'viewer',
      check: (r) => {
        const v1 = r.body.items.find((t: { tag: string }) => t.tag === 'v1');
        assert.equal(v1.digest, f.image.digest);
        assert.ok(r.body.items.some((t: { tag: string }) => t.tag === f.image.sigTag));
      },
    },
    bad: [{ path: `${R}/Bad%20Name/tags`, reason: /invalid repository name "Bad Name"/ }],
  },
  {
    name: 'manifest by tag',
    method: 'GET',
    path: `${R}/${repo}/manifests/v1`,
    ok: {
      as: 'viewer',
      check: (r) => {
        assert.equal(r.body.digest, f.image.digest);
        assert.equal(r.body.mediaType, 'application/vnd.oci.image.manifest.v1+json');
        assert.equal(r.body.isIndex, false);
        assert.equal(r.body.manifest.config.digest, f.image.configDigest);
      },
    },
    bad: [
      { path: `${R}/${repo}/manifests/sha256:abc`, reason: /neither a tag nor a digest/ },
      { path: `${R}/${repo}/manifests/-v1`, reason: /neither a tag nor a digest/ },
    ],
  },
  {
    name: 'config',
    method: 'GET',
    path: `${R}/${repo}/manifests/v1/config`,
    ok: {
      as: 'viewer',
      check: (r) => {
        assert.equal(r.body.digest, f.image.configDigest);
        assert.equal(r.body.config.config.User, '1000');
        assert.equal(r.body.config.os, 'linux');
      },
    },
    bad: [{ path: `${R}/UPPER/manifests/v1/config`, reason: /invalid repository name/ }],
  },
  {
    name: 'referrers',
    method: 'GET',
    path: `${R}/${repo}/manifests/v1/referrers`,
    ok: {
      as: 'viewer',
      check: (r) => {
        const kinds = r.body.items.map((i: { kind: string; via: string }) => `${i.kind}/${i.via}`).sort();
        assert.deepEqual(kinds, ['sbom/referrers', 'signature/tag']);
        const sig = r.body.items.find((i: { kind: string }) => i.kind === 'signature');
        assert.equal(sig.tag, f.image.sigTag);
        assert.equal(sig.artifactType, 'application/vnd.dev.cosign.simplesigning.v1+json');
        assert.equal(sig.layers[0].annotations['dev.cosignproject.cosign/signature'], 'MEUCIQ==');
        const sbom = r.body.items.find((i: { kind: string }) => i.kind === 'sbom');
        assert.equal(sbom.digest, f.image.sbomDigest);
        assert.equal(sbom.artifactType, 'application/vnd.cyclonedx+json');
      },
    },
    bad: [{ path: `${R}/${repo}/manifests/sha256:${'z'.repeat(64)}/referrers`, reason: /neither a tag nor a digest/ }],
  },
];

test('every image endpoint: 401, 400 with a reason, 404, happy path (embedded storage)', async () => {
  for (const c of cases()) await checkEndpoint(f, c);
  assert.equal((await f.call('GET', `${R}/${repo}/manifests/v2`, { as: 'viewer' })).status, 404);
  assert.equal((await f.call('GET', `${R}/nothing/tags`, { as: 'viewer' })).status, 404);
  const byDigest = await f.call('GET', `${R}/${repo}/manifests/${f.image.digest}`, { as: 'viewer' });
  assert.equal(byDigest.status, 200);
  assert.equal(byDigest.body.digest, f.image.digest);
});

test('the same answers through the registry client (sekisho up --registry)', async () => {
  for (const c of cases()) {
    const r = await viaClient(c.method, c.path, { as: 'viewer' });
    assert.equal(r.status, 200, `${c.name}: ${JSON.stringify(r.body)}`);
    await c.ok.check?.(r as never);
    assert.equal((await viaClient(c.method, c.path)).status, 401, c.name);
  }
  assert.equal((await viaClient('GET', `${R}/${repo}/manifests/v2`, { as: 'viewer' })).status, 404);
  assert.equal((await viaClient('GET', `${R}/nothing/tags`, { as: 'viewer' })).status, 404);
});
