// Real skopeo (Debian package) against the embedded registry: a multi-layer image and a multi-arch index
// copied in from an OCI layout and back out, with no auth, basic auth, token auth and TLS; digests must
// come back unchanged, and inspect / list-tags must work.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OciLayout } from '../../src/oci/layout.ts';
import { RegistryAuth, htpasswdLine, parseHtpasswd } from '../../src/oci/server/auth.ts';
import { buildImage, writeImageToLayout, writeIndexToLayout, type BuiltImage } from './fixtures.ts';
import { requireBinary, run, startCli, startEmbedded, tempDir } from './helpers.ts';

let work: { dir: string; cleanup: () => Promise<void> };
let src: string;
let img: BuiltImage;
let indexDigest: string;

before(async () => {
  requireBinary('skopeo', 'skopeo');
  work = await tempDir('skopeo');
  src = join(work.dir, 'src');
  const layout = await OciLayout.open(src, { create: true });
  img = buildImage('skopeo', { layers: 5, layerSize: 64 * 1024 });
  await writeImageToLayout(layout, img, 'v1');
  indexDigest = (
    await writeIndexToLayout(
      layout,
      'skopeo-multi',
      [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ],
      'multi',
    )
  ).digest;
});

after(async () => {
  await work.cleanup();
});

async function roundTrip(
  host: string,
  repo: string,
  creds: string[],
  dstName: string,
  tlsVerify = false,
): Promise<void> {
  const tls = `--dest-tls-verify=${tlsVerify}`;
  await run('skopeo', [
    'copy',
    '--quiet',
    tls,
    ...creds.flatMap((c) => ['--dest-creds', c]),
    `oci:${src}:v1`,
    `docker://${host}/${repo}:v1`,
  ]);
  const inspect = JSON.parse(
    (
      await run('skopeo', [
        'inspect',
        `--tls-verify=${tlsVerify}`,
        ...creds.flatMap((c) => ['--creds', c]),
        `docker://${host}/${repo}:v1`,
      ])
    ).stdout,
  ) as {
    Digest: string;
    Layers: string[];
    RepoTags: string[];
  };
  assert.equal(inspect.Digest, img.manifestDigest);
  assert.deepEqual(
    inspect.Layers,
    img.layers.map((l) => l.descriptor.digest),
  );
  assert.deepEqual(inspect.RepoTags, ['v1']);
  const dst = join(work.dir, dstName);
  await run('skopeo', [
    'copy',
    '--quiet',
    `--src-tls-verify=${tlsVerify}`,
    ...creds.flatMap((c) => ['--src-creds', c]),
    `docker://${host}/${repo}:v1`,
    `oci:${dst}:v1`,
  ]);
  const out = await OciLayout.open(dst);
  assert.equal((await out.resolve('v1')).digest, img.manifestDigest);
  for (const l of img.layers) assert.deepEqual(await out.readBlobBytes(l.descriptor.digest), l.bytes);
  assert.deepEqual(await out.readBlobBytes(img.manifest.config.digest), img.config);
}

test('skopeo copies an image in and out of the embedded registry unchanged (no auth), and a multi-arch index', async () => {
  const reg = await startEmbedded();
  try {
    await roundTrip(reg.host, 'skopeo/plain', [], 'plain');
    await run('skopeo', [
      'copy',
      '--quiet',
      '--all',
      '--dest-tls-verify=false',
      `oci:${src}:multi`,
      `docker://${reg.host}/skopeo/multi:latest`,
    ]);
    const raw = (
      await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/skopeo/multi:latest`])
    ).stdout;
    assert.equal(JSON.parse(raw).manifests.length, 2);
    const dst = join(work.dir, 'multi');
    await run('skopeo', [
      'copy',
      '--quiet',
      '--all',
      '--src-tls-verify=false',
      `docker://${reg.host}/skopeo/multi:latest`,
      `oci:${dst}:multi`,
    ]);
    assert.equal((await (await OciLayout.open(dst)).resolve('multi')).digest, indexDigest);
    const tags = JSON.parse(
      (await run('skopeo', ['list-tags', '--tls-verify=false', `docker://${reg.host}/skopeo/plain`])).stdout,
    ) as { Tags: string[] };
    assert.deepEqual(tags.Tags, ['v1']);
  } finally {
    await reg.close();
  }
});

for (const mode of ['basic', 'token'] as const) {
  test(`skopeo with ${mode} auth: refused without credentials, round trip with them`, async () => {
    const users = parseHtpasswd(htpasswdLine('alice', 's3cret', 4) + '\n');
    const reg = await startEmbedded({ auth: new RegistryAuth({ mode, users }) });
    try {
      await assert.rejects(
        run('skopeo', [
          'copy',
          '--quiet',
          '--dest-tls-verify=false',
          `oci:${src}:v1`,
          `docker://${reg.host}/skopeo/auth:v1`,
        ]),
        /unauthorized|authentication required|401/i,
      );
      await assert.rejects(
        run('skopeo', [
          'copy',
          '--quiet',
          '--dest-tls-verify=false',
          '--dest-creds',
          'alice:wrong',
          `oci:${src}:v1`,
          `docker://${reg.host}/skopeo/auth:v1`,
        ]),
        /unauthorized|invalid username|401/i,
      );
      await roundTrip(reg.host, 'skopeo/auth', ['alice:s3cret'], `auth-${mode}`);
    } finally {
      await reg.close();
    }
  });
}

test('skopeo over TLS against `sekisho registry serve --tls-cert --tls-key --htpasswd`', async () => {
  requireBinary('openssl', 'openssl');
  const t = await tempDir('tls');
  try {
    const key = join(t.dir, 'key.pem');
    const cert = join(t.dir, 'cert.pem');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    const htpasswd = join(t.dir, 'htpasswd');
    await writeFile(htpasswd, htpasswdLine('bob', 'pw', 4) + '\n');
    const srv = await startCli([
      'registry',
      'serve',
      '--listen',
      '127.0.0.1:0',
      '--data-dir',
      join(t.dir, 'data'),
      '--tls-cert',
      cert,
      '--tls-key',
      key,
      '--htpasswd',
      htpasswd,
      '--auth',
      'token',
    ]);
    try {
      assert.match(srv.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const host = srv.url.replace('https://', '');
      // trust the certificate through a certs.d-style directory
      const certDir = join(t.dir, 'certs');
      await mkdir(certDir);
      await writeFile(join(certDir, 'ca.crt'), await readFile(cert));
      await run('skopeo', [
        'copy',
        '--quiet',
        '--dest-cert-dir',
        certDir,
        '--dest-creds',
        'bob:pw',
        `oci:${src}:v1`,
        `docker://${host}/skopeo/tls:v1`,
      ]);
      const inspect = JSON.parse(
        (await run('skopeo', ['inspect', '--cert-dir', certDir, '--creds', 'bob:pw', `docker://${host}/skopeo/tls:v1`]))
          .stdout,
      ) as { Digest: string };
      assert.equal(inspect.Digest, img.manifestDigest);
    } finally {
      await srv.stop();
    }
  } finally {
    await t.cleanup();
  }
});
