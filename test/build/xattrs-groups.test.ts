// Build fidelity against the real sandbox: a file capability set by `setcap` in a RUN is in the layer as a
// PAX SCHILY.xattr record and still there in an image built FROM it (layers applied again) and after
// COPY --from; a RUN as a USER in extra groups has those groups, as under Docker/BuildKit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { build } from '../../src/build/index.ts';
import { OciLayout } from '../../src/oci/index.ts';
import { decodePaxXattrs } from '../../src/build/fs/xattrs.ts';
import { sharedLibraries } from '../../src/pipeline/runners/step-image.ts';
import { baseOptions, imageLayers, startBuildTestEnv, type BuildTestEnv } from './helpers.ts';

let env: BuildTestEnv;
before(async () => {
  env = await startBuildTestEnv();
});
after(() => env?.close());

/** The host's setcap/getcap with the libraries they load, for a busybox image (run through the loader). */
function capTools(into: string): void {
  mkdirSync(into, { recursive: true });
  for (const tool of ['/usr/sbin/setcap', '/usr/sbin/getcap']) {
    if (!existsSync(tool))
      throw new Error(`${tool} not found; install the Debian package libcap2-bin (listed in .ci/run)`);
    copyFileSync(tool, join(into, tool.split('/').pop()!));
    for (const lib of sharedLibraries(tool)) {
      const name = lib.split('/').pop()!;
      copyFileSync(lib, join(into, name.startsWith('ld-linux') ? 'ld.so' : name));
    }
  }
}
const TOOL = (t: string): string => `/caps/ld.so --library-path /caps /caps/${t}`;

/** Every PAX SCHILY.xattr record of a layer tar, by entry name (raw parse: the values are binary). */
function paxXattrs(tar: Buffer): Map<string, Array<[string, Buffer]>> {
  const out = new Map<string, Array<[string, Buffer]>>();
  let off = 0;
  let pending: Array<[string, Buffer]> | undefined;
  let paxPath: string | undefined;
  while (off + 512 <= tar.length && tar[off] !== 0) {
    const h = tar.subarray(off, off + 512);
    const size = parseInt(h.subarray(124, 136).toString('latin1').replace(/\0.*$/, '').trim() || '0', 8);
    const type = String.fromCharCode(h[156]!);
    const body = tar.subarray(off + 512, off + 512 + size);
    if (type === 'x') {
      pending = decodePaxXattrs(body);
      const m = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      paxPath = m?.[1];
    } else {
      const prefix = h.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
      const name = paxPath ?? (prefix ? `${prefix}/` : '') + h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
      if (pending && pending.length > 0) out.set(name, pending);
      pending = undefined;
      paxPath = undefined;
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

test('RUN setcap: the capability is a PAX record in the layer and survives FROM and COPY --from', async () => {
  const ctx = await env.context({
    Dockerfile: `FROM ${env.base} AS caps
COPY tools/ /caps/
RUN cp /bin/busybox /bin/x && ${TOOL('setcap')} cap_net_raw+ep /bin/x
FROM ${env.base}
COPY --from=caps /caps/ /caps/
COPY --from=caps /bin/x /bin/y
`,
  });
  capTools(join(ctx, 'tools'));
  const cacheDir = join(env.dir, 'cache-caps-1');
  const ref = `${env.reg.host}/xattr/caps:1`;
  const r1 = await build(
    baseOptions(ctx, cacheDir, {
      tags: [ref],
      push: true,
      executor: env.exec,
      sourceDateEpoch: 1_700_000_000,
      target: 'caps',
    }),
  );
  const layout = await OciLayout.open(join(cacheDir, 'blobs'));
  const runLayer = r1.manifest.layers[r1.manifest.layers.length - 1]!;
  const recs = paxXattrs(gunzipSync(await layout.readBlobBytes(runLayer.digest)));
  const cap = recs.get('bin/x')?.find(([k]) => k === 'security.capability')?.[1];
  assert.ok(cap, `bin/x carries SCHILY.xattr.security.capability; records: ${JSON.stringify([...recs.keys()])}`);
  assert.ok((cap.readUInt32LE(4) & (1 << 13)) !== 0, 'cap_net_raw (13) is in the permitted set');

  // the same inputs give the same digest with the xattr in the layer
  const again = await build(
    baseOptions(ctx, join(env.dir, 'cache-caps-2'), {
      executor: env.exec,
      sourceDateEpoch: 1_700_000_000,
      target: 'caps',
    }),
  );
  assert.equal(again.manifestDigest, r1.manifestDigest);

  // COPY --from keeps it (second stage of the same Dockerfile)
  const r2 = await build(baseOptions(ctx, cacheDir, { executor: env.exec, sourceDateEpoch: 1_700_000_000 }));
  const layers2 = await imageLayers(
    cacheDir,
    r2.manifest.layers.map((l) => l.digest),
  );
  assert.ok(layers2.flat().some((e) => e.name === 'bin/y'));
  const copyLayer = r2.manifest.layers[r2.manifest.layers.length - 1]!;
  const recs2 = paxXattrs(gunzipSync(await layout.readBlobBytes(copyLayer.digest)));
  assert.deepEqual(
    recs2.get('bin/y')?.find(([k]) => k === 'security.capability')?.[1],
    cap,
    'COPY --from kept the capability',
  );

  // a new build FROM the pushed image, with its own cache: the layers are applied again, getcap sees it
  const ctx3 = await env.context({
    Dockerfile: `FROM ${ref}\nRUN ${TOOL('getcap')} /bin/x > /getcap.txt\n`,
  });
  const cache3 = join(env.dir, 'cache-caps-3');
  const r3 = await build(baseOptions(ctx3, cache3, { executor: env.exec }));
  const l3 = await imageLayers(cache3, [r3.manifest.layers[r3.manifest.layers.length - 1]!.digest]);
  const out = l3[0]!.find((e) => e.name === 'getcap.txt')?.content.toString('utf8') ?? '';
  assert.match(out, /^\/bin\/x cap_net_raw[=+]ep$/m, `getcap in the derived image: ${JSON.stringify(out)}`);
});

test('USER in extra groups: RUN has the groups of /etc/group under runc and under bwrap, as Docker shows them', async () => {
  const { BwrapExecutor, RuncExecutor } = await import('../../src/build/exec/index.ts');
  const ctx = await env.context({
    Dockerfile: `FROM ${env.base}
RUN printf 'wheel:x:10:app\\naudio:x:29:root,app\\nother:x:30:root\\n' >> /etc/group
USER app
RUN id > /tmp/id.txt && cat /proc/self/status | grep '^Groups:' > /tmp/groups.txt
USER root
RUN id > /tmp/root-id.txt
`,
  });
  const seen: Record<string, string> = {};
  for (const [name, executor] of [
    ['runc', new RuncExecutor()],
    ['bwrap', new BwrapExecutor()],
  ] as const) {
    const cacheDir = join(env.dir, `cache-groups-${name}`);
    const r = await build(baseOptions(ctx, cacheDir, { executor }));
    const layers = await imageLayers(
      cacheDir,
      r.manifest.layers.map((l) => l.digest),
    );
    const file = (p: string): string =>
      layers
        .flat()
        .filter((e) => e.name === p)
        .pop()
        ?.content.toString('utf8')
        .trim() ?? '';
    assert.equal(file('tmp/id.txt'), 'uid=1000(app) gid=1000(app) groups=10(wheel),29(audio),1000(app)', name);
    assert.match(file('tmp/groups.txt'), /^Groups:\s+10 29 1000\s*$/, name);
    assert.equal(layers.flat().find((e) => e.name === 'tmp/id.txt')?.uid, 1000, `${name}: the file belongs to app`);
    seen[name] = file('tmp/root-id.txt');
  }
  assert.match(seen.runc!, /^uid=0\(root\) gid=0\(root\) groups=0\(root\),29\(audio\),30\(other\)$/);
  assert.equal(seen.bwrap, seen.runc, 'root with extra groups: bwrap shows what runc shows');
});
