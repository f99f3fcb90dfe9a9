// SLSA provenance v1 from `sekisho build --provenance`: a build from a git context FROM a base image in the
// embedded registry is pushed with a signed provenance attestation (.att tag, and a Sigstore bundle
// referrer with --new-bundle-format); `verify-attestation --type slsaprovenance1` verifies it, a Rego policy
// checks builder.id, and a flipped byte in the attestation is refused. Unit cases for the document itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { MediaType, RegistryClient, digestOf, type ImageManifest } from '../../src/oci/index.ts';
import {
  DEFAULT_BUILDER_ID,
  SEKISHO_BUILD_TYPE,
  SLSA_PROVENANCE_V1,
  gitSource,
  provenanceStatement,
} from '../../src/build/index.ts';
import { stripUrlCredentials } from '../../src/build/provenance.ts';
import { pae, verifyDsse, type DsseEnvelope } from '../../src/sign/index.ts';
import { startEmbedded, tempDir, type EmbeddedRegistry } from '../oci/helpers.ts';
import { pushFixture } from '../build/fixtures/base-image.ts';
import { runCli, testKey, type TestKey } from './helpers.ts';

let reg: EmbeddedRegistry;
let client: RegistryClient;
let dir: string;
let cleanup: () => Promise<void>;
let key: TestKey;
let baseDigest: string;
const env = { COSIGN_PASSWORD: 'pw' };

before(async () => {
  reg = await startEmbedded();
  client = new RegistryClient({ host: reg.host });
  ({ dir, cleanup } = await tempDir('provenance'));
  key = testKey();
  await writeFile(join(dir, 'cosign.key'), key.privateKeyPem);
  await writeFile(join(dir, 'cosign.pub'), key.publicKeyPem);
  await writeFile(join(dir, 'other.pub'), testKey().publicKeyPem);
  const fx = await pushFixture(reg.host, 'base/busybox', 'latest');
  baseDigest = fx.manifestDigest;
  const ctx = join(dir, 'app');
  await mkdir(join(ctx, 'src'), { recursive: true });
  await writeFile(join(ctx, 'Dockerfile'), 'ARG BASE\nFROM ${BASE}\nARG GREETING\nCOPY src/ /app/\n');
  await writeFile(join(ctx, 'src', 'hello.txt'), 'hello\n');
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', ctx, ...args], {
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@example.com',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@example.com',
      },
    });
  git('init', '-q');
  git('remote', 'add', 'origin', 'https://user:s3cr3t-token@git.example.com/shop/app.git');
  git('add', '.');
  git('commit', '-q', '-m', 'app');
  await writeFile(
    join(dir, 'builder.rego'),
    `package signature\n\nallow {\n  input.predicate.runDetails.builder.id == "${DEFAULT_BUILDER_ID}"\n}\n`,
  );
  await writeFile(
    join(dir, 'other-builder.rego'),
    'package signature\n\nallow {\n  input.predicate.runDetails.builder.id == "https://ci.example.com/trusted"\n}\n',
  );
});
after(async () => {
  await reg.close();
  await cleanup();
});

function buildArgs(tag: string, extra: string[]): string[] {
  return [
    'build',
    '--progress=quiet',
    '--cache-dir',
    join(dir, 'cache'),
    '--build-arg',
    `BASE=${reg.host}/base/busybox:latest`,
    '--build-arg',
    'GREETING=hi',
    '--build-arg',
    'NPM_TOKEN=do-not-leak',
    '--secret',
    'id=npmrc,env=HOME',
    '-t',
    tag,
    '--push',
    ...extra,
    join(dir, 'app'),
  ];
}

interface Statement {
  _type: string;
  subject: { name: string; digest: Record<string, string> }[];
  predicateType: string;
  predicate: {
    buildDefinition: {
      buildType: string;
      externalParameters: Record<string, unknown> & { buildArgs: Record<string, string>; secrets: string[] };
      internalParameters: Record<string, unknown>;
      resolvedDependencies: { uri?: string; name?: string; digest: Record<string, string> }[];
    };
    runDetails: { builder: { id: string }; metadata: { invocationId: string; startedOn: string; finishedOn: string } };
  };
}

test('build --provenance attaches signed SLSA v1 provenance; verify-attestation and a builder.id policy pass', async () => {
  const image = `${reg.host}/shop/app:v1`;
  const provFile = join(dir, 'prov.intoto.json');
  const b = await runCli(
    buildArgs(image, ['--provenance', '--sign-key', 'cosign.key', '--provenance-file', provFile]),
    { cwd: dir, env },
  );
  assert.equal(b.status, 0, b.stderr);
  const digest = b.stdout.trim();
  assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  // cosign's .att tag holds one DSSE layer with the predicateType annotation
  const att = JSON.parse(
    (await client.getManifest('shop/app', `sha256-${digest.slice(7)}.att`)).bytes.toString(),
  ) as ImageManifest;
  assert.equal(att.layers.length, 1);
  assert.equal(att.layers[0]!.mediaType, 'application/vnd.dsse.envelope.v1+json');
  assert.equal(att.layers[0]!.annotations?.predicateType, SLSA_PROVENANCE_V1);

  const v = await runCli(
    ['verify-attestation', '--key', 'cosign.pub', '--type', 'slsaprovenance1', '--policy', 'builder.rego', image],
    { cwd: dir },
  );
  assert.equal(v.status, 0, v.stderr);
  const st = JSON.parse(v.stdout.trim().split('\n')[0]!) as Statement;
  assert.equal(st.predicateType, SLSA_PROVENANCE_V1);
  assert.deepEqual(st.subject, [{ name: `${reg.host}/shop/app`, digest: { sha256: digest.slice(7) } }]);
  const bd = st.predicate.buildDefinition;
  assert.equal(bd.buildType, SEKISHO_BUILD_TYPE);
  assert.equal(bd.externalParameters.dockerfile, 'Dockerfile');
  assert.equal(bd.externalParameters.buildArgs.GREETING, 'hi');
  assert.equal(bd.externalParameters.buildArgs.NPM_TOKEN, '<redacted>');
  assert.deepEqual(bd.externalParameters.secrets, ['npmrc']);
  const commit = execFileSync('git', ['-C', join(dir, 'app'), 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  assert.deepEqual(bd.externalParameters.context, {
    uri: 'git+https://git.example.com/shop/app.git',
    digest: { gitCommit: commit },
    path: '',
    dirty: false,
  });
  // base image by digest, and the context's commit
  assert.deepEqual(
    bd.resolvedDependencies.map((d) => d.digest),
    [{ sha256: baseDigest.slice(7) }, { gitCommit: commit }],
  );
  assert.equal(bd.resolvedDependencies[0]!.name, `${reg.host}/base/busybox:latest`);
  assert.match(
    bd.resolvedDependencies[0]!.uri!,
    /^pkg:docker\/127\.0\.0\.1:\d+\/base\/busybox:latest\?platform=linux%2F/,
  );
  const md = st.predicate.runDetails.metadata;
  assert.match(md.invocationId, /^urn:uuid:[0-9a-f-]{36}$/);
  assert.ok(Date.parse(md.startedOn) <= Date.parse(md.finishedOn));
  assert.equal(st.predicate.runDetails.builder.id, DEFAULT_BUILDER_ID);
  // nothing secret anywhere in the attached document
  assert.doesNotMatch(v.stdout, /do-not-leak|s3cr3t-token/);

  // the file holds the same statement in a DSSE envelope signed with the key
  const envl = JSON.parse(await readFile(provFile, 'utf8')) as DsseEnvelope;
  const payload = verifyDsse(envl, [key.pub]);
  assert.ok(payload, 'the provenance file verifies with the public key');
  assert.equal(
    (JSON.parse(payload.toString()) as Statement).predicate.runDetails.metadata.invocationId,
    md.invocationId,
  );

  // a policy that wants another builder refuses; the wrong key refuses
  const [pol, wrong] = await Promise.all([
    runCli(
      [
        'verify-attestation',
        '--key',
        'cosign.pub',
        '--type',
        'slsaprovenance1',
        '--policy',
        'other-builder.rego',
        image,
      ],
      {
        cwd: dir,
      },
    ),
    runCli(['verify-attestation', '--key', 'other.pub', '--type', 'slsaprovenance1', image], { cwd: dir }),
  ]);
  assert.equal(pol.status, 1);
  assert.match(
    pol.stderr,
    /POLICY_DENIED: 1 validation error occurred: .*expression value, false, is not true|POLICY_DENIED: .*undefined/,
  );
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /SIGNATURE_INVALID: .*DSSE signature does not verify/);

  // tampering: one flipped byte in the signed statement (same signature) is refused
  const layer = att.layers[0]!;
  const good = JSON.parse((await client.getBlobBytes('shop/app', layer.digest)).toString()) as DsseEnvelope;
  const bytes = Buffer.from(good.payload, 'base64');
  const at = bytes.indexOf(Buffer.from(DEFAULT_BUILDER_ID)) + 8;
  bytes[at] = bytes[at]! ^ 1;
  const forged = Buffer.from(JSON.stringify({ ...good, payload: bytes.toString('base64') }));
  const fd = { digest: digestOf(forged), size: forged.length };
  await client.pushBlob('shop/app', fd, () => Readable.from([forged]));
  await client.putManifest(
    'shop/app',
    `sha256-${digest.slice(7)}.att`,
    Buffer.from(JSON.stringify({ ...att, layers: [{ ...layer, ...fd }] })),
    MediaType.OciManifest,
  );
  const t = await runCli(['verify-attestation', '--key', 'cosign.pub', '--type', 'slsaprovenance1', image], {
    cwd: dir,
  });
  assert.equal(t.status, 1);
  assert.match(t.stderr, /SIGNATURE_INVALID: .*attestation 0: DSSE signature does not verify/);
  // sanity: the forged payload really differs from the signed one
  assert.notDeepEqual(pae(good.payloadType, bytes), pae(good.payloadType, Buffer.from(good.payload, 'base64')));
});

test('build --provenance --new-bundle-format attaches a Sigstore bundle referrer that verifies', async () => {
  const image = `${reg.host}/shop/bundled:v1`;
  const b = await runCli(buildArgs(image, ['--provenance', '--sign-key', 'cosign.key', '--new-bundle-format']), {
    cwd: dir,
    env,
  });
  assert.equal(b.status, 0, b.stderr);
  const digest = b.stdout.trim();
  const refs = await client.referrers('shop/bundled', digest);
  assert.equal(refs.manifests.length, 1);
  assert.equal(refs.manifests[0]!.artifactType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
  const v = await runCli(['verify-attestation', '--key', 'cosign.pub', '--type', 'slsaprovenance1', image], {
    cwd: dir,
  });
  assert.equal(v.status, 0, v.stderr);
  assert.equal((JSON.parse(v.stdout) as Statement).predicate.buildDefinition.buildType, SEKISHO_BUILD_TYPE);
  // the bundle is not an image signature
  const s = await runCli(['verify', '--key', 'cosign.pub', image], { cwd: dir });
  assert.equal(s.status, 1);
});

test('build --provenance without --push or --sign-key is refused before building', async () => {
  const noPush = await runCli(['build', '--provenance', '--sign-key', 'cosign.key', join(dir, 'app')], {
    cwd: dir,
    env,
  });
  assert.equal(noPush.status, 2);
  assert.match(noPush.stderr, /--provenance attaches to the pushed image: add --push/);
  const noKey = await runCli(['build', '--provenance', '--push', '-t', `${reg.host}/x:1`, join(dir, 'app')], {
    cwd: dir,
  });
  assert.equal(noKey.status, 2);
  assert.match(noKey.stderr, /give --sign-key/);
});

test('provenance document: subjects, redaction, dirty git context, credentials stripped', async () => {
  assert.equal(stripUrlCredentials('https://u:p@h.example/r.git'), 'https://h.example/r.git');
  assert.equal(stripUrlCredentials('git@github.com:o/r.git'), 'git@github.com:o/r.git');
  const st = provenanceStatement({
    result: {
      manifestDigest: `sha256:${'a'.repeat(64)}`,
      baseImages: [{ name: 'alpine:3', digest: `sha256:${'b'.repeat(64)}` }],
    },
    opts: {
      contextDir: '/ctx',
      dockerfile: '/ctx/docker/Dockerfile.prod',
      target: 'final',
      buildArgs: { DB_PASSWORD: 'x', VERSION: '1.2' },
      secrets: { b: { env: 'B' }, a: { src: '/s' } } as never,
    },
    names: ['r.example/app', 'r.example/app', 'mirror.example/app'],
    platform: 'linux/amd64',
    startedOn: new Date(1000),
    finishedOn: new Date(2000),
    git: { uri: 'git+file:///repo', commit: 'c'.repeat(40), path: 'svc', dirty: true },
    invocationId: 'urn:uuid:x',
  });
  assert.equal(st.subject.length, 2);
  assert.equal(st.predicate.buildDefinition.externalParameters.dockerfile, 'docker/Dockerfile.prod');
  assert.equal(st.predicate.buildDefinition.externalParameters.target, 'final');
  assert.deepEqual(st.predicate.buildDefinition.externalParameters.buildArgs, {
    DB_PASSWORD: '<redacted>',
    VERSION: '1.2',
  });
  assert.deepEqual(st.predicate.buildDefinition.externalParameters.secrets, ['a', 'b']);
  assert.deepEqual(st.predicate.buildDefinition.resolvedDependencies[1], {
    uri: `git+file:///repo@${'c'.repeat(40)}`,
    digest: { gitCommit: 'c'.repeat(40) },
    annotations: { dirty: true },
  });
  assert.equal(st.predicate.runDetails.metadata.startedOn, '1970-01-01T00:00:01Z');
  // a directory that is not in git has no git source
  const { dir: plain, cleanup: c2 } = await tempDir('nogit');
  try {
    assert.equal(await gitSource(plain), undefined);
  } finally {
    await c2();
  }
});
