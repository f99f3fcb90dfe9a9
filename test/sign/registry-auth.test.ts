// Gates against a registry that needs a login (the embedded registry with token auth on): the verifier
// with Docker's config.json credentials (the GitOps gate, and the process default the CLI sets), and the
// admission check with the Pod's imagePullSecrets (dockerconfigjson and legacy dockercfg Secrets), for
// signatures and tag pinning. Without credentials the check fails closed naming the registry.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  RegistryAuth,
  RegistryClient,
  dockerConfigCredentials,
  htpasswdLine,
  parseHtpasswd,
  staticCredentials,
} from '../../src/oci/index.ts';
import { ImageVerifier, signImage } from '../../src/sign/index.ts';
import { ImagePolicies, resolveImageTags } from '../../src/admission/image-signature.ts';
import type { AdmissionRequest } from '../../src/admission/review.ts';
import { startEmbedded, tempDir, type EmbeddedRegistry } from '../oci/helpers.ts';
import { pushImage, testKey } from './helpers.ts';

const key = testKey();
let reg: EmbeddedRegistry;
let dir: string;
let cleanup: () => Promise<void>;
let digest: string;
const auth = Buffer.from('ci:pw').toString('base64');

before(async () => {
  reg = await startEmbedded({
    auth: new RegistryAuth({ mode: 'token', users: parseHtpasswd(htpasswdLine('ci', 'pw', 4)) }),
  });
  ({ dir, cleanup } = await tempDir('registry-auth'));
  const client = new RegistryClient({
    host: reg.host,
    credentials: staticCredentials({ [reg.host]: { username: 'ci', password: 'pw' } }),
  });
  digest = await pushImage(client, 'private/app', 'v1', 'private');
  await signImage({ client, registry: reg.host, repository: 'private/app', ref: 'v1' }, key.signer);
});
after(async () => {
  ImageVerifier.useDefaultCredentials(undefined);
  await reg.close();
  await cleanup();
});

test('ImageVerifier reads a login-protected registry with config.json credentials; none fails closed', async () => {
  const cfg = join(dir, 'config.json');
  await writeFile(cfg, JSON.stringify({ auths: { [reg.host]: { auth } } }));
  const image = `${reg.host}/private/app:v1`;
  const anon = await new ImageVerifier().verify(image, [key.pub]);
  assert.equal(anon.verified, false);
  assert.equal(anon.code, 'REGISTRY_UNREACHABLE');
  assert.match(
    anon.reason!,
    new RegExp(`registry ${reg.host.replace(/\./g, '\\.')} could not be asked about private/app`),
  );
  const withCfg = await new ImageVerifier({ credentials: dockerConfigCredentials(cfg) }).verify(image, [key.pub]);
  assert.equal(withCfg.verified, true, withCfg.reason);
  assert.equal(withCfg.digest, digest);
  // the process default the CLI sets (controller) reaches verifiers built without options (the GitOps gate's)
  ImageVerifier.useDefaultCredentials(dockerConfigCredentials(cfg));
  try {
    assert.equal((await new ImageVerifier().verify(image, [key.pub])).verified, true);
  } finally {
    ImageVerifier.useDefaultCredentials(undefined);
  }
  // wrong password in config.json: still refused
  await writeFile(
    join(dir, 'bad.json'),
    JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('ci:nope').toString('base64') } } }),
  );
  const bad = await new ImageVerifier({ credentials: dockerConfigCredentials(join(dir, 'bad.json')) }).verify(image, [
    key.pub,
  ]);
  assert.equal(bad.code, 'REGISTRY_UNREACHABLE');
});

const pod = (image: string, pullSecrets: string[], kind = 'Pod'): AdmissionRequest => {
  const spec = {
    containers: [{ name: 'c', image }],
    ...(pullSecrets.length ? { imagePullSecrets: pullSecrets.map((name) => ({ name })) } : {}),
  };
  return {
    uid: 'u',
    kind: { group: kind === 'Pod' ? '' : 'apps', version: 'v1', kind },
    namespace: 'shop',
    name: 'p',
    operation: 'CREATE',
    object:
      kind === 'Pod'
        ? { apiVersion: 'v1', kind, metadata: { name: 'p' }, spec }
        : { apiVersion: 'apps/v1', kind, metadata: { name: 'p' }, spec: { template: { spec } } },
  };
};

test('admission uses the Pod imagePullSecrets (dockerconfigjson, dockercfg) for signatures and tag pinning', async () => {
  const secrets: Record<string, Record<string, string>> = {
    'shop/regcred': { '.dockerconfigjson': JSON.stringify({ auths: { [reg.host]: { auth } } }) },
    'shop/legacy': { '.dockercfg': JSON.stringify({ [`http://${reg.host}`]: { auth } }) },
    'shop/other-registry': { '.dockerconfigjson': JSON.stringify({ auths: { 'registry.example.com': { auth } } }) },
    'shop/broken': { '.dockerconfigjson': '{not json' },
  };
  const reads: string[] = [];
  const policies = new ImagePolicies({
    keys: {
      readSecret: async (ns, name) => {
        reads.push(`${ns}/${name}`);
        return secrets[`${ns}/${name}`];
      },
    },
  });
  policies.upsert({
    apiVersion: 'policy.sigstore.dev/v1beta1',
    kind: 'ClusterImagePolicy',
    metadata: { name: 'private' },
    spec: { images: [{ glob: `${reg.host}/**` }], authorities: [{ name: 'release', key: { data: key.publicKeyPem } }] },
  });
  const image = `${reg.host}/private/app:v1`;
  const ok = { deny: [], warnings: [], errors: [] };
  assert.deepEqual(await policies.review(pod(image, ['missing', 'regcred'])), ok);
  assert.deepEqual(reads, ['shop/missing', 'shop/regcred']);
  assert.deepEqual(await policies.review(pod(image, ['legacy'], 'Deployment')), ok);
  // no usable credentials: the registry refuses, and the review fails closed with the reason
  for (const names of [[], ['other-registry']]) {
    const r = await policies.review(pod(image, names));
    assert.equal(r.errors.length, 1, JSON.stringify(r));
    assert.match(r.errors[0]!, /REGISTRY_UNREACHABLE: registry .* could not be asked about private\/app/);
  }
  const broken = await policies.review(pod(image, ['broken']));
  assert.match(broken.errors[0]!, /imagePullSecrets: secret shop\/broken: .dockerconfigjson is not JSON/);
  // the mutating step pins the tag to the digest with the same credentials
  const pinned = await resolveImageTags(policies, pod(image, ['regcred']).object as Record<string, unknown>, 'shop');
  assert.equal(
    (pinned?.spec as { containers: { image: string }[] }).containers[0]!.image,
    `${reg.host}/private/app@${digest}`,
  );
  assert.equal(await resolveImageTags(policies, pod(image, []).object as Record<string, unknown>, 'shop'), undefined);
});
