// ClusterImagePolicy checks against the embedded registry: signed images admitted, unsigned denied with
// the policy, image and reason; warn mode; the verdict cache (and a re-tagged image is still caught);
// a registry that is down fails closed, or admits with a warning under registryFailurePolicy Ignore;
// malformed policies are refused; the webhook merges the result into its decision.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryClient } from '../oci/index.ts';
import { ImageVerifier, signImage } from '../sign/index.ts';
import { ImagePolicies, parseImagePolicy, resolveImageTags } from './image-signature.ts';
import { AdmissionEngine } from './engine.ts';
import { Metrics } from './metrics.ts';
import { decide } from './webhook.ts';
import type { AdmissionRequest } from './review.ts';
import { startEmbedded, type EmbeddedRegistry } from '../../test/oci/helpers.ts';
import { pushImage, testKey } from '../../test/sign/helpers.ts';

const key = testKey();
const other = testKey();
let reg: EmbeddedRegistry;
let client: RegistryClient;

before(async () => {
  reg = await startEmbedded();
  client = new RegistryClient({ host: reg.host });
  for (const [tag, content] of [
    ['signed', 'a'],
    ['unsigned', 'b'],
    ['moving', 'a'],
  ] as const)
    await pushImage(client, 'app', tag, content);
  await signImage({ client, registry: reg.host, repository: 'app', ref: 'signed' }, key.signer);
});
after(async () => {
  await reg.close();
});

const policy = (name: string, glob: string, keyData: string, mode?: string) => ({
  apiVersion: 'policy.sigstore.dev/v1beta1',
  kind: 'ClusterImagePolicy',
  metadata: { name },
  spec: { images: [{ glob }], authorities: [{ name: 'release', key: { data: keyData } }], ...(mode ? { mode } : {}) },
});

const podReq = (image: string, operation = 'CREATE'): AdmissionRequest => ({
  uid: 'u1',
  kind: { group: '', version: 'v1', kind: 'Pod' },
  namespace: 'default',
  name: 'p',
  operation,
  object: {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default' },
    spec: { initContainers: [{ name: 'i', image: 'busybox' }], containers: [{ name: 'c', image }] },
  },
});

test('signed images pass, unsigned and wrongly signed ones are denied with policy, image, path and reason', async () => {
  const p = new ImagePolicies();
  p.upsert(policy('signed-only', `${reg.host}/**`, key.publicKeyPem));
  assert.deepEqual(await p.review(podReq(`${reg.host}/app:signed`)), { deny: [], warnings: [], errors: [] });
  // busybox is outside the glob: not checked
  const u = await p.review(podReq(`${reg.host}/app:unsigned`));
  assert.equal(u.deny.length, 1);
  assert.match(
    u.deny[0]!,
    new RegExp(
      `^\\[signed-only\\] image ${reg.host}/app:unsigned \\(spec\\.containers\\[0\\]\\.image\\) is not signed by any authority of the policy: authority release: NO_SIGNATURES`,
    ),
  );
  const q = new ImagePolicies();
  q.upsert(policy('other-key', `${reg.host}/app*`, other.publicKeyPem));
  assert.match((await q.review(podReq(`${reg.host}/app:signed`))).deny[0]!, /SIGNATURE_INVALID/);
  // DELETE is not checked
  assert.equal((await q.review(podReq(`${reg.host}/app:signed`, 'DELETE'))).deny.length, 0);
});

test('workload templates are checked too (Deployment, CronJob)', async () => {
  const p = new ImagePolicies();
  p.upsert(policy('signed-only', `${reg.host}/**`, key.publicKeyPem));
  const cron = {
    uid: 'u',
    operation: 'CREATE',
    kind: { group: 'batch', version: 'v1', kind: 'CronJob' },
    object: {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'c' },
      spec: {
        jobTemplate: {
          spec: { template: { spec: { containers: [{ name: 'x', image: `${reg.host}/app:unsigned` }] } } },
        },
      },
    },
  };
  assert.match((await p.review(cron)).deny[0]!, /spec\.jobTemplate\.spec\.template\.spec\.containers\[0\]\.image/);
});

test('warn mode warns instead of denying', async () => {
  const p = new ImagePolicies();
  p.upsert(policy('soft', `${reg.host}/**`, key.publicKeyPem, 'warn'));
  const r = await p.review(podReq(`${reg.host}/app:unsigned`));
  assert.equal(r.deny.length, 0);
  assert.match(r.warnings[0]!, /\[soft\] image .*unsigned/);
});

test('verdicts are cached per digest and key; tags are resolved every time', async () => {
  let now = 0;
  const verifier = new ImageVerifier({ now: () => now, ttlMs: 60_000, negativeTtlMs: 1000 });
  const p = new ImagePolicies({ verifier });
  p.upsert(policy('signed-only', `${reg.host}/**`, key.publicKeyPem));
  const img = `${reg.host}/app:moving`; // same content as :signed, so the same digest
  assert.equal((await p.review(podReq(img))).deny.length, 0);
  assert.equal(verifier.stats.misses, 1);
  assert.equal((await p.review(podReq(img))).deny.length, 0);
  assert.equal(verifier.stats.hits, 1);
  // the tag moves to an unsigned image: the cached verdict of the old digest does not let it in
  await pushImage(client, 'app', 'moving', 'b');
  assert.equal((await p.review(podReq(img))).deny.length, 1);
  // negative verdicts expire sooner: once signed, the image is admitted after negativeTtlMs
  await signImage({ client, registry: reg.host, repository: 'app', ref: 'moving' }, key.signer);
  assert.equal((await p.review(podReq(img))).deny.length, 1, 'still the cached denial');
  now += 1001;
  assert.equal((await p.review(podReq(img))).deny.length, 0);
  // positive verdicts expire after ttlMs (then the registry is asked again)
  const misses = verifier.stats.misses;
  now += 60_001;
  await p.review(podReq(img));
  assert.equal(verifier.stats.misses, misses + 1);
});

test('an unreachable registry fails closed, or admits with a warning when configured', async () => {
  const dead = await startEmbedded();
  const host = dead.host;
  await dead.close();
  const verifier = new ImageVerifier({ registry: (h) => new RegistryClient({ host: h, maxAttempts: 1 }) });
  const closed = new ImagePolicies({ verifier });
  closed.upsert(policy('all', '**', key.publicKeyPem));
  const r = await closed.review(podReq(`${host}/app:v1`));
  assert.equal(r.deny.length, 0);
  assert.match(r.errors[0]!, /REGISTRY_UNREACHABLE/);
  const open = new ImagePolicies({ verifier, registryFailurePolicy: 'Ignore' });
  open.upsert(policy('all', '**', key.publicKeyPem));
  const o = await open.review(podReq(`${host}/app:v1`));
  assert.deepEqual([o.deny.length, o.errors.length], [0, 0]);
  assert.match(o.warnings[0]!, /REGISTRY_UNREACHABLE.*admitted: registryFailurePolicy Ignore/);

  // the webhook denies on those errors (500), and on denials (403) with the lines, and keeps warnings
  const opts = { engine: new AdmissionEngine(), host: '', port: 0, tls: { cert: '', key: '' } };
  const m = new Metrics();
  const e = decide(opts, m, podReq('x'), r);
  assert.equal(e.allowed, false);
  assert.equal(e.status?.code, 500);
  const d = decide(opts, m, podReq('x'), { deny: ['[p] image x: NO_SIGNATURES'], warnings: ['w'], errors: [] });
  assert.deepEqual(
    [d.allowed, d.status?.code, d.status?.message, d.warnings],
    [false, 403, '[p] image x: NO_SIGNATURES', ['w']],
  );
  assert.equal(decide({ ...opts, failOpen: true }, m, podReq('x'), r).allowed, true);
});

test('a secretRef authority reads the key from a Secret', async () => {
  const secrets: Record<string, Record<string, string>> = {
    'cosign-system/release': { 'cosign.pub': key.publicKeyPem },
  };
  const p = new ImagePolicies({ keys: { readSecret: async (ns, n) => secrets[`${ns}/${n}`] } });
  p.upsert({
    metadata: { name: 's' },
    spec: { images: [{ glob: '**' }], authorities: [{ key: { secretRef: { name: 'release' } } }] },
  });
  assert.equal((await p.review(podReq(`${reg.host}/app:signed`))).deny.length, 0);
  p.upsert({
    metadata: { name: 's' },
    spec: { images: [{ glob: '**' }], authorities: [{ key: { secretRef: { name: 'gone' } } }] },
  });
  assert.match((await p.review(podReq(`${reg.host}/app:signed`))).deny[0]!, /secret cosign-system\/gone not found/);
});

test('malformed policies are refused with the reason', () => {
  const bad = (spec: unknown) => () => parseImagePolicy({ metadata: { name: 'x' }, spec } as never, 'p.yaml');
  assert.throws(bad({ authorities: [{ key: { data: key.publicKeyPem } }] }), /spec.images must list/);
  assert.throws(bad({ images: [{ glob: '**' }] }), /spec.authorities must list/);
  assert.throws(bad({ images: [{ glob: '**' }], authorities: [{ keyless: {} }] }), /keyless .* not supported offline/);
  assert.throws(bad({ images: [{ glob: '**' }], authorities: [{ key: { data: 'nope' } }] }), /not a PEM public key/);
  assert.throws(
    bad({ images: [{ glob: '**' }], authorities: [{ key: { data: key.publicKeyPem } }], mode: 'maybe' }),
    /spec.mode must be enforce or warn/,
  );
});

test('tags of Pod images a policy covers are resolved to digests; others and templates are left alone', async () => {
  const p = new ImagePolicies();
  p.upsert(policy('signed-only', `${reg.host}/**`, key.publicKeyPem));
  const digest = (await client.headManifest('app', 'signed'))!.digest;
  const req = podReq(`${reg.host}/app:signed`);
  const out = (await resolveImageTags(p, req.object as Record<string, unknown>)) as {
    spec: { initContainers: { image: string }[]; containers: { image: string }[] };
  };
  assert.equal(out.spec.containers[0]!.image, `${reg.host}/app@${digest}`);
  assert.equal(out.spec.initContainers[0]!.image, 'busybox', 'outside every glob');
  // already by digest, a missing tag, or a Deployment: unchanged
  assert.equal(
    await resolveImageTags(p, podReq(`${reg.host}/app@${digest}`).object as Record<string, unknown>),
    undefined,
  );
  assert.equal(await resolveImageTags(p, podReq(`${reg.host}/app:nope`).object as Record<string, unknown>), undefined);
  const dep = {
    kind: 'Deployment',
    spec: { template: { spec: { containers: [{ image: `${reg.host}/app:signed` }] } } },
  };
  assert.equal(await resolveImageTags(p, dep), undefined);
});

test('attestations: a provenance attestation signed by the authority and passing its Rego policy admits', async () => {
  const { provenanceStatement } = await import('../build/index.ts');
  const { attestStatement } = await import('../sign/index.ts');
  const digest = await pushImage(client, 'built', 'v1', 'built');
  const elsewhere = await pushImage(client, 'built', 'elsewhere', 'elsewhere');
  const statement = (d: string, builderId: string) =>
    provenanceStatement({
      result: { manifestDigest: d, baseImages: [] },
      opts: { contextDir: '/ctx', buildArgs: {}, secrets: {} },
      names: [`${reg.host}/built`],
      platform: 'linux/amd64',
      startedOn: new Date(0),
      finishedOn: new Date(1000),
      builderId,
    });
  await attestStatement(
    { client, registry: reg.host, repository: 'built', ref: digest },
    key.signer,
    statement(digest, 'https://sekisho.dev/builder/cli@v1'),
  );
  await attestStatement(
    { client, registry: reg.host, repository: 'built', ref: elsewhere },
    key.signer,
    statement(elsewhere, 'https://ci.example.com/untrusted'),
  );
  const rego = [
    'package sigstore',
    'isCompliant = {"result": true} {',
    '  input.predicate.runDetails.builder.id == "https://sekisho.dev/builder/cli@v1"',
    '} else = {"result": false, "error": sprintf("builder %v is not trusted", [input.predicate.runDetails.builder.id])}',
  ].join('\n');
  const cip = (keyData: string, atts: unknown) => ({
    apiVersion: 'policy.sigstore.dev/v1beta1',
    kind: 'ClusterImagePolicy',
    metadata: { name: 'provenance' },
    spec: {
      images: [{ glob: `${reg.host}/built*` }],
      authorities: [{ name: 'ci', key: { data: keyData }, attestations: atts }],
    },
  });
  const slsa = [{ name: 'slsa', predicateType: 'slsaprovenance1', policy: { type: 'rego', data: rego } }];
  const p = new ImagePolicies();
  p.upsert(cip(key.publicKeyPem, slsa));
  // the image has no signature at all, only the attestation: the authority checks attestations
  assert.deepEqual(await p.review(podReq(`${reg.host}/built:v1`)), { deny: [], warnings: [], errors: [] });
  const untrusted = await p.review(podReq(`${reg.host}/built:elsewhere`));
  assert.equal(untrusted.deny.length, 1);
  assert.match(
    untrusted.deny[0]!,
    /\[provenance\] image .*built:elsewhere .* does not satisfy any authority of the policy: authority ci: POLICY_DENIED: attestation slsa \(https:\/\/slsa.dev\/provenance\/v1\): policy failed: statement 0: builder https:\/\/ci.example.com\/untrusted is not trusted/,
  );
  // another key: the attestation does not verify
  const q = new ImagePolicies();
  q.upsert(cip(other.publicKeyPem, slsa));
  assert.match(
    (await q.review(podReq(`${reg.host}/built:v1`))).deny[0]!,
    /authority ci: SIGNATURE_INVALID: attestation slsa/,
  );
  // a required type the image lacks
  const r = new ImagePolicies();
  r.upsert(cip(key.publicKeyPem, [...slsa, { name: 'sbom', predicateType: 'cyclonedx' }]));
  assert.match(
    (await r.review(podReq(`${reg.host}/built:v1`))).deny[0]!,
    /attestation sbom \(https:\/\/cyclonedx.org\/bom\): no attestations of type https:\/\/cyclonedx.org\/bom/,
  );
  // malformed attestation entries are refused when the policy is read
  for (const [atts, why] of [
    [[{ name: 'x', predicateType: 'vuln', policy: { type: 'cue', data: 'x: 1' } }], /cue is not available/],
    [
      [{ name: 'x', predicateType: 'vuln', policy: { type: 'rego', data: 'package sigstore\nisCompliant {' } }],
      /policy/,
    ],
    [[{ predicateType: 'vuln' }], /name is required/],
    [[{ name: 'x', predicateType: 'vuln', policy: { type: 'rego', url: 'https://x' } }], /inline data/],
  ] as const)
    assert.throws(() => parseImagePolicy(cip(key.publicKeyPem, atts)), why);
});
