// Faults and edges of the embedded registry: hostile names and digests, wrong digests, clients killed
// mid-upload, 50 concurrent pushes sharing layers, restarts, access control, garbage collection,
// pagination.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request, Agent } from 'node:http';
import { connect } from 'node:net';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { digestOf } from '../../src/oci/digest.ts';
import { MediaType } from '../../src/oci/media-types.ts';
import { RegistryAuth, htpasswdLine, parseHtpasswd } from '../../src/oci/server/auth.ts';
import { FsRegistryStorage } from '../../src/oci/storage/fs-storage.ts';
import type { UploadState } from '../../src/oci/storage/registry-storage.ts';
import { RegistryServer } from '../../src/oci/server/registry-server.ts';
import { buildImage, seededBytes, type BuiltImage } from './fixtures.ts';
import { startEmbedded, tempDir } from './helpers.ts';

interface Resp {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function http(
  base: string,
  method: string,
  path: string,
  opts: { body?: Buffer; headers?: Record<string, string> } = {},
): Promise<Resp> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.body) headers['Content-Length'] = String(opts.body.length);
    else if (['POST', 'PUT', 'PATCH'].includes(method)) headers['Content-Length'] = '0';
    // path is sent verbatim (no URL normalisation), so hostile paths reach the server as written
    const r = request({ host: u.hostname, port: u.port, method, path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    r.on('error', reject);
    r.end(opts.body);
  });
}

function errorCode(r: Resp): string {
  return (JSON.parse(r.body.toString('utf8')) as { errors: { code: string }[] }).errors[0]!.code;
}

async function pushBlob(
  base: string,
  repo: string,
  bytes: Buffer,
  headers: Record<string, string> = {},
): Promise<string> {
  const digest = digestOf(bytes);
  const p = await http(base, 'POST', `/v2/${repo}/blobs/uploads/`, { headers });
  assert.equal(p.status, 202, p.body.toString());
  const loc = new URL(String(p.headers.location), base);
  loc.searchParams.set('digest', digest);
  const r = await http(base, 'PUT', loc.pathname + loc.search, { body: bytes, headers });
  assert.equal(r.status, 201, r.body.toString());
  return digest;
}

async function pushImage(
  base: string,
  repo: string,
  tag: string,
  img: BuiltImage,
  headers: Record<string, string> = {},
): Promise<void> {
  await pushBlob(base, repo, img.config, headers);
  for (const l of img.layers) await pushBlob(base, repo, l.bytes, headers);
  const r = await http(base, 'PUT', `/v2/${repo}/manifests/${tag}`, {
    body: img.manifestBytes,
    headers: { ...headers, 'Content-Type': MediaType.OciManifest },
  });
  assert.equal(r.status, 201, r.body.toString());
}

async function listFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true })).map(String);
  } catch {
    return [];
  }
}

test('hostile names and digests get the spec error codes and touch nothing outside the store', async () => {
  const reg = await startEmbedded();
  try {
    const names = [
      '../../etc',
      'a/../b',
      'UPPER',
      '%2e%2e',
      'a..b',
      'a/_layers',
      '-lead',
      'x'.repeat(256),
      'a//b',
      'a/./b',
    ];
    for (const n of names) {
      for (const [method, suffix] of [
        ['GET', 'tags/list'],
        ['GET', 'manifests/latest'],
        ['POST', 'blobs/uploads/'],
        ['PUT', 'manifests/latest'],
      ] as const) {
        const r = await http(reg.url, method, `/v2/${n}/${suffix}`);
        assert.equal(r.status, 400, `${method} ${n}/${suffix}: ${r.status}`);
        assert.equal(errorCode(r), 'NAME_INVALID', `${method} ${n}/${suffix}`);
      }
    }
    const badDigests = [
      'sha256:xyz',
      'sha256:' + 'a'.repeat(63),
      'md5:d41d8cd98f00b204e9800998ecf8427e',
      'sha256:' + 'A'.repeat(64),
    ];
    for (const d of badDigests) {
      const b = await http(reg.url, 'GET', `/v2/ok/blobs/${d}`);
      assert.equal(b.status, 400, d);
      assert.equal(errorCode(b), 'DIGEST_INVALID', d);
      const m = await http(reg.url, 'PUT', `/v2/ok/manifests/${d}`, {
        body: Buffer.from('{}'),
        headers: { 'Content-Type': MediaType.OciManifest },
      });
      assert.equal(m.status, 400, d);
      assert.equal(errorCode(m), 'DIGEST_INVALID');
    }
    // a digest with path segments cannot even be split from the name: refused as a bad name
    const traversal = await http(reg.url, 'GET', '/v2/ok/blobs/sha256:../../../x');
    assert.equal(traversal.status, 400);
    assert.match(errorCode(traversal), /^(NAME_INVALID|DIGEST_INVALID)$/);
    const badTag = await http(reg.url, 'PUT', `/v2/ok/manifests/.hidden`, { body: Buffer.from('{}') });
    assert.equal(errorCode(badTag), 'TAG_INVALID');
    const unknown = await http(reg.url, 'GET', `/v2/ok/blobs/${digestOf('nothing')}`);
    assert.equal(unknown.status, 404);
    assert.equal(errorCode(unknown), 'BLOB_UNKNOWN');
    const noUpload = await http(reg.url, 'GET', `/v2/ok/blobs/uploads/00000000-0000-0000-0000-000000000000`);
    assert.equal(errorCode(noUpload), 'BLOB_UPLOAD_UNKNOWN');
    const missingBlobs = await http(reg.url, 'PUT', `/v2/ok/manifests/v1`, {
      body: buildImage('x').manifestBytes,
      headers: { 'Content-Type': MediaType.OciManifest },
    });
    assert.equal(errorCode(missingBlobs), 'MANIFEST_BLOB_UNKNOWN');
    const notJson = await http(reg.url, 'PUT', `/v2/ok/manifests/v1`, {
      body: Buffer.from('nope'),
      headers: { 'Content-Type': MediaType.OciManifest },
    });
    assert.equal(errorCode(notJson), 'MANIFEST_INVALID');
    const huge = await http(reg.url, 'PUT', `/v2/ok/manifests/big`, {
      body: Buffer.alloc(5 * 1024 * 1024, 32),
      headers: { 'Content-Type': MediaType.OciManifest },
    });
    assert.equal(huge.status, 413);
    assert.deepEqual(await listFiles(join(reg.dir, 'repositories')), []);
  } finally {
    await reg.close();
  }
});

test('a wrong digest is refused on every upload path and nothing becomes visible', async () => {
  const reg = await startEmbedded();
  try {
    const bytes = seededBytes('wrong', 5000);
    const claimed = digestOf(Buffer.concat([bytes, Buffer.from('x')]));
    const mono = await http(reg.url, 'POST', `/v2/w/blobs/uploads/?digest=${claimed}`, { body: bytes });
    assert.equal(mono.status, 400);
    assert.equal(errorCode(mono), 'DIGEST_INVALID');
    const p = await http(reg.url, 'POST', '/v2/w/blobs/uploads/');
    const loc = String(p.headers.location);
    assert.equal(
      (await http(reg.url, 'PATCH', loc, { body: bytes, headers: { 'Content-Range': `0-${bytes.length - 1}` } }))
        .status,
      202,
    );
    const put = await http(reg.url, 'PUT', `${loc}?digest=${claimed}`);
    assert.equal(put.status, 400);
    assert.equal(errorCode(put), 'DIGEST_INVALID');
    assert.equal((await http(reg.url, 'HEAD', `/v2/w/blobs/${claimed}`)).status, 404);
    assert.equal(await reg.storage.statBlob(claimed), null);
    assert.deepEqual(await listFiles(join(reg.dir, 'uploads')), []);
    // a size mismatch on a monolithic push is refused too
    const short = await http(reg.url, 'POST', `/v2/w/blobs/uploads/?digest=${digestOf(bytes)}`, {
      body: bytes.subarray(0, 10),
    });
    assert.equal(short.status, 400);
  } finally {
    await reg.close();
  }
});

/** Storage that lets a test wait until the server has finished with an interrupted chunk. */
class ObservedStorage extends FsRegistryStorage {
  private waiter: ((v: unknown) => void) | undefined;
  /** Resolves when the next append or monolithic put settles (either way). */
  nextSettled(): Promise<unknown> {
    return new Promise((resolve) => (this.waiter = resolve));
  }
  private observe<T>(p: Promise<T>): Promise<T> {
    const w = this.waiter;
    this.waiter = undefined;
    if (w) p.then(w, w);
    return p;
  }
  override appendUpload(repository: string, id: string, offset: number, data: Readable): Promise<UploadState> {
    return this.observe(super.appendUpload(repository, id, offset, data));
  }
  override putBlob(
    repository: string,
    digest: string,
    data: Readable,
    expectedSize?: number,
  ): ReturnType<FsRegistryStorage['putBlob']> {
    return this.observe(super.putBlob(repository, digest, data, expectedSize));
  }
}

function sendPartial(url: string, method: string, path: string, declared: number, part: Buffer): Promise<void> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => {
      s.write(
        `${method} ${path} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${declared}\r\n\r\n`,
      );
      s.write(part, () => {
        s.destroy(); // the client dies mid-body
        resolve();
      });
    });
    s.on('error', reject);
  });
}

test('a client killed mid-upload leaves no partial blob; the upload resumes from the last complete chunk', async () => {
  const t = await tempDir('killed');
  const storage = new ObservedStorage(t.dir);
  await storage.init();
  const server = new RegistryServer({ storage });
  const url = await server.listen({ host: '127.0.0.1', port: 0 });
  try {
    const full = seededBytes('killed', 256 * 1024);
    const digest = digestOf(full);
    const p = await http(url, 'POST', '/v2/k/blobs/uploads/');
    const loc = String(p.headers.location);
    const first = full.subarray(0, 64 * 1024);
    const r1 = await http(url, 'PATCH', loc, { body: first, headers: { 'Content-Range': `0-${first.length - 1}` } });
    assert.equal(r1.status, 202);
    const settled = storage.nextSettled();
    await sendPartial(
      url,
      'PATCH',
      loc,
      full.length - first.length,
      full.subarray(first.length, first.length + 50_000),
    );
    assert.ok((await settled) instanceof Error, 'the interrupted chunk failed');
    assert.equal((await http(url, 'HEAD', `/v2/k/blobs/${digest}`)).status, 404);
    const st = await http(url, 'GET', loc);
    assert.equal(st.status, 204);
    assert.equal(st.headers.range, `0-${first.length - 1}`, 'the interrupted chunk is dropped whole');
    const rest = full.subarray(first.length);
    const r2 = await http(url, 'PATCH', loc, {
      body: rest,
      headers: { 'Content-Range': `${first.length}-${full.length - 1}` },
    });
    assert.equal(r2.status, 202);
    const done = await http(url, 'PUT', `${loc}?digest=${digest}`);
    assert.equal(done.status, 201);
    const got = await http(url, 'GET', `/v2/k/blobs/${digest}`);
    assert.ok(got.body.equals(full));

    // a monolithic push killed mid-body leaves nothing behind
    const other = seededBytes('killed-2', 128 * 1024);
    const od = digestOf(other);
    const settled2 = storage.nextSettled();
    await sendPartial(url, 'POST', `/v2/k/blobs/uploads/?digest=${od}`, other.length, other.subarray(0, 30_000));
    assert.ok((await settled2) instanceof Error, 'the interrupted monolithic push failed');
    assert.equal(await storage.statBlob(od), null);
    assert.deepEqual(await listFiles(join(t.dir, 'uploads')), []);
  } finally {
    await server.close();
    await t.cleanup();
  }
});

test('50 concurrent pushes sharing layers all succeed, and a restart loses nothing acknowledged', async () => {
  const reg = await startEmbedded();
  const dir = reg.dir;
  try {
    const shared = [0, 1, 2].map((i) => seededBytes(`shared-${i}`, 32 * 1024));
    const { makeTar } = await import('./fixtures.ts');
    const sharedTars = shared.map((b, i) => makeTar([{ name: `shared${i}`, data: b }]));
    const images = Array.from({ length: 50 }, (_, i) =>
      buildImage(`c${i}`, { layers: 4, layerSize: 2048, sharedLayers: sharedTars }),
    );
    await Promise.all(images.map((img, i) => pushImage(reg.url, i % 2 ? 'conc/a' : 'conc/b', `t${i}`, img)));
    await reg.server.close();
    // restart on the same directory
    const again = await startEmbedded({ dir });
    try {
      for (const [i, img] of images.entries()) {
        const repo = i % 2 ? 'conc/a' : 'conc/b';
        const m = await http(again.url, 'GET', `/v2/${repo}/manifests/t${i}`);
        assert.equal(m.status, 200);
        assert.ok(m.body.equals(img.manifestBytes));
        for (const l of img.layers) {
          const b = await http(again.url, 'GET', `/v2/${repo}/blobs/${l.descriptor.digest}`);
          assert.ok(b.body.equals(l.bytes), `layer of image ${i}`);
        }
      }
      const tags = JSON.parse((await http(again.url, 'GET', '/v2/conc/a/tags/list')).body.toString()) as {
        tags: string[];
      };
      assert.equal(tags.tags.length, 25);
      assert.deepEqual(await listFiles(join(dir, 'uploads')), []);
    } finally {
      await again.server.close();
    }
  } finally {
    await reg.close();
  }
});

test('access control: every state-changing endpoint needs credentials; scopes limit what a token grants', async () => {
  const users = parseHtpasswd([htpasswdLine('alice', 'a', 4), htpasswdLine('bob', 'b', 4)].join('\n'));
  const rules = [
    { account: 'alice', repository: 'team/*', actions: ['pull', 'push', 'delete'] as ('pull' | 'push' | 'delete')[] },
    { account: 'bob', repository: 'team/app', actions: ['pull'] as ('pull' | 'push' | 'delete')[] },
  ];
  const basicAuth = (u: string, p: string): Record<string, string> => ({
    Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`,
  });

  const basic = await startEmbedded({ auth: new RegistryAuth({ mode: 'basic', users, rules }) });
  try {
    const img = buildImage('acl');
    await pushImage(basic.url, 'team/app', 'v1', img, basicAuth('alice', 'a'));
    const d = img.layers[0]!.descriptor.digest;
    const anon: [string, string][] = [
      ['POST', '/v2/team/app/blobs/uploads/'],
      ['PATCH', '/v2/team/app/blobs/uploads/00000000-0000-0000-0000-000000000000'],
      ['PUT', '/v2/team/app/blobs/uploads/00000000-0000-0000-0000-000000000000?digest=' + d],
      ['DELETE', `/v2/team/app/blobs/${d}`],
      ['PUT', '/v2/team/app/manifests/v2'],
      ['DELETE', `/v2/team/app/manifests/${img.manifestDigest}`],
      ['GET', '/v2/team/app/manifests/v1'],
      ['GET', '/v2/_catalog'],
    ];
    for (const [m, p] of anon) {
      const r = await http(basic.url, m, p);
      assert.equal(r.status, 401, `${m} ${p}`);
      assert.match(String(r.headers['www-authenticate']), /^Basic /);
    }
    assert.equal(
      (await http(basic.url, 'GET', '/v2/team/app/manifests/v1', { headers: basicAuth('bob', 'b') })).status,
      200,
    );
    const denied = await http(basic.url, 'POST', '/v2/team/app/blobs/uploads/', { headers: basicAuth('bob', 'b') });
    assert.equal(denied.status, 403);
    assert.equal(errorCode(denied), 'DENIED');
    assert.equal((await http(basic.url, 'GET', '/v2/', { headers: basicAuth('bob', 'wrong') })).status, 401);
  } finally {
    await basic.close();
  }

  const tok = await startEmbedded({ auth: new RegistryAuth({ mode: 'token', users, rules }) });
  try {
    const ch = await http(tok.url, 'POST', '/v2/team/app/blobs/uploads/');
    assert.equal(ch.status, 401);
    const challenge = String(ch.headers['www-authenticate']);
    assert.match(
      challenge,
      /^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/token",service="sekisho-registry",scope="repository:team\/app:pull,push"$/,
    );
    const token = async (u: string, p: string, scope: string): Promise<string> => {
      const r = await http(tok.url, 'GET', `/token?service=sekisho-registry&scope=${encodeURIComponent(scope)}`, {
        headers: basicAuth(u, p),
      });
      assert.equal(r.status, 200);
      return (JSON.parse(r.body.toString()) as { token: string }).token;
    };
    const bobTok = await token('bob', 'b', 'repository:team/app:pull,push');
    const bearer = (t: string): Record<string, string> => ({ Authorization: `Bearer ${t}` });
    assert.equal(
      (await http(tok.url, 'POST', '/v2/team/app/blobs/uploads/', { headers: bearer(bobTok) })).status,
      401,
      'bob got no push scope',
    );
    const aliceTok = await token('alice', 'a', 'repository:team/app:pull,push');
    assert.equal(
      (await http(tok.url, 'POST', '/v2/team/app/blobs/uploads/', { headers: bearer(aliceTok) })).status,
      202,
    );
    assert.equal(
      (await http(tok.url, 'POST', '/v2/other/blobs/uploads/', { headers: bearer(aliceTok) })).status,
      401,
      'token is per repository',
    );
    const forged = aliceTok.slice(0, -4) + (aliceTok.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    assert.equal((await http(tok.url, 'GET', '/v2/', { headers: bearer(forged) })).status, 401);
    assert.equal(
      (await http(tok.url, 'GET', '/token?scope=repository:team/app:pull', { headers: basicAuth('alice', 'nope') }))
        .status,
      401,
    );
    // the OAuth2 password grant (containerd, buildkit)
    const form = new URLSearchParams({
      grant_type: 'password',
      username: 'alice',
      password: 'a',
      service: 'sekisho-registry',
      scope: 'repository:team/app:pull',
    });
    const oauth = await http(tok.url, 'POST', '/token', {
      body: Buffer.from(form.toString()),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(oauth.status, 200);
    const at = (JSON.parse(oauth.body.toString()) as { access_token: string }).access_token;
    assert.equal((await http(tok.url, 'GET', '/v2/team/app/manifests/v1', { headers: bearer(at) })).status, 404);
    form.set('password', 'bad');
    assert.equal((await http(tok.url, 'POST', '/token', { body: Buffer.from(form.toString()) })).status, 401);
  } finally {
    await tok.close();
  }
});

test('gc deletes blobs no manifest references, keeps shared ones, expires old uploads; pagination and catalog', async () => {
  const reg = await startEmbedded();
  try {
    const { makeTar } = await import('./fixtures.ts');
    const sharedTar = makeTar([{ name: 'shared', data: seededBytes('gc-shared', 4096) }]);
    const a = buildImage('gc-a', { layers: 2, sharedLayers: [sharedTar] });
    const b = buildImage('gc-b', { layers: 2, sharedLayers: [sharedTar] });
    await pushImage(reg.url, 'gc/a', 'v1', a);
    await pushImage(reg.url, 'gc/b', 'v1', b);
    await pushBlob(reg.url, 'gc/a', seededBytes('dangling', 100));
    const stale = await http(reg.url, 'POST', '/v2/gc/a/blobs/uploads/');
    assert.equal(stale.status, 202);
    assert.equal((await http(reg.url, 'DELETE', `/v2/gc/a/manifests/${a.manifestDigest}`)).status, 202);
    const r = await reg.storage.gc({ uploadTtlMs: 0, now: Date.now() + 1 });
    // a's manifest, config and its unique layer, plus the dangling blob
    assert.equal(r.blobsDeleted, 4);
    assert.equal(r.uploadsExpired, 1);
    assert.equal(await reg.storage.statBlob(a.layers[1]!.descriptor.digest), null);
    assert.notEqual(await reg.storage.statBlob(a.layers[0]!.descriptor.digest), null, 'shared layer kept');
    for (const l of b.layers)
      assert.equal((await http(reg.url, 'GET', `/v2/gc/b/blobs/${l.descriptor.digest}`)).status, 200);

    for (const t of ['a', 'b', 'c', 'd', 'e']) {
      assert.equal(
        (
          await http(reg.url, 'PUT', `/v2/gc/b/manifests/${t}`, {
            body: b.manifestBytes,
            headers: { 'Content-Type': MediaType.OciManifest },
          })
        ).status,
        201,
      );
    }
    const page1 = await http(reg.url, 'GET', '/v2/gc/b/tags/list?n=2');
    assert.deepEqual((JSON.parse(page1.body.toString()) as { tags: string[] }).tags, ['a', 'b']);
    assert.equal(page1.headers.link, '</v2/gc/b/tags/list?n=2&last=b>; rel="next"');
    const page3 = await http(reg.url, 'GET', '/v2/gc/b/tags/list?n=2&last=d');
    assert.deepEqual((JSON.parse(page3.body.toString()) as { tags: string[] }).tags, ['e', 'v1']);
    assert.equal(page3.headers.link, undefined);
    const cat = await http(reg.url, 'GET', '/v2/_catalog');
    assert.deepEqual((JSON.parse(cat.body.toString()) as { repositories: string[] }).repositories, ['gc/a', 'gc/b']);
  } finally {
    await reg.close();
  }
});
