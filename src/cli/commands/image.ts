// `sekisho image copy|inspect|digest|tags|manifest|config|delete`: crane-style image commands between
// registries and OCI image layouts (`oci:DIR[:TAG]`). Text on a TTY, `-o json` for machines.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import {
  DockerArchiveStore,
  LayoutStore,
  OciError,
  OciLayout,
  RegistryClient,
  RegistryStore,
  chainCredentials,
  copyImage,
  dockerConfigCredentials,
  formatPlatform,
  parseManifest,
  parsePlatform,
  parseReference,
  referenceTarget,
  registryApiHost,
  selectPlatform,
  staticCredentials,
  writeDockerArchive,
  type CredentialProvider,
  type HelperRunner,
  type ImageStore,
  type Platform,
  parseLayoutSpec,
} from '../../oci/index.ts';

interface CommonOpts {
  insecure?: boolean;
  username?: string;
  passwordStdin?: boolean;
  platform?: string;
  output: string;
}

const runHelper: HelperRunner = (helper, serverUrl) =>
  new Promise((resolve, reject) => {
    const child = spawn(`docker-credential-${helper}`, ['get'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (e) =>
      reject(new OciError('UNAUTHORIZED', `credential helper docker-credential-${helper}: ${e.message}`, { cause: e })),
    );
    child.on('close', (code) => {
      if (code !== 0) return resolve(undefined);
      try {
        resolve(JSON.parse(out) as { Username?: string; Secret?: string });
      } catch {
        resolve(undefined);
      }
    });
    child.stdin.end(serverUrl);
  });

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

async function credentials(o: CommonOpts, host: string): Promise<CredentialProvider> {
  const configDir = process.env.DOCKER_CONFIG ?? join(homedir(), '.docker');
  const fromConfig = dockerConfigCredentials(join(configDir, 'config.json'), runHelper);
  if (o.username !== undefined) {
    const password = o.passwordStdin ? await readStdin() : (process.env.SEKISHO_REGISTRY_PASSWORD ?? '');
    return chainCredentials(staticCredentials({ [host]: { username: o.username, password } }), fromConfig);
  }
  return fromConfig;
}

interface Located {
  store: ImageStore;
  /** Tag or digest inside the store (may be undefined for a layout with one image). */
  ref: string | undefined;
  display: string;
}

async function locate(spec: string, o: CommonOpts, forWrite: boolean): Promise<Located> {
  if (spec.startsWith('docker-archive:')) {
    if (forWrite) throw new OciError('UNSUPPORTED', 'write docker archives with `sekisho image export`');
    const rest = spec.slice('docker-archive:'.length);
    // docker-archive:PATH[:REF] — the path is the longest prefix that exists
    let path = rest;
    let ref: string | undefined;
    for (let i = rest.indexOf(':'); i > 0; i = rest.indexOf(':', i + 1)) {
      if (existsSync(rest.slice(0, i)) && !existsSync(rest)) {
        path = rest.slice(0, i);
        ref = rest.slice(i + 1);
        break;
      }
    }
    return { store: await DockerArchiveStore.open(path), ref: ref ?? '', display: spec };
  }
  if (spec.startsWith('oci:')) {
    const { dir: rest, ref } = parseLayoutSpec(spec);
    const layout = await OciLayout.open(rest, { create: forWrite });
    return { store: new LayoutStore(layout), ref, display: spec };
  }
  const r = parseReference(spec.replace(/^docker:\/\//, ''));
  const host = registryApiHost(r.registry);
  const client = new RegistryClient({
    host,
    ...(o.insecure ? { scheme: 'http' as const } : {}),
    credentials: await credentials(o, host),
  });
  return {
    store: new RegistryStore(client, r.repository),
    ref: referenceTarget(r),
    display: `${r.registry}/${r.repository}${r.digest ? '@' + r.digest : ':' + r.tag}`,
  };
}

function platformOf(o: CommonOpts): Platform | undefined {
  return o.platform ? parsePlatform(o.platform) : undefined;
}

function print(o: CommonOpts, json: unknown, text: string): void {
  process.stdout.write(
    o.output === 'json' ? JSON.stringify(json, null, 2) + '\n' : text.endsWith('\n') ? text : text + '\n',
  );
}

function common(cmd: Command): Command {
  return cmd
    .option('--insecure', 'talk plain HTTP to the registry')
    .option('-u, --username <user>', 'registry user (password from --password-stdin or SEKISHO_REGISTRY_PASSWORD)')
    .option('--password-stdin', 'read the registry password from stdin')
    .option('--platform <os/arch[/variant]>', 'pick this platform out of an index')
    .option('-o, --output <format>', 'text or json', 'text');
}

async function requireRef(l: Located): Promise<string> {
  if (l.ref !== undefined) return l.ref;
  if (l.store instanceof LayoutStore) return (await l.store.layout.resolve()).digest;
  throw new OciError('REFERENCE_INVALID', `${l.display} names no tag or digest`);
}

export function register(program: Command): void {
  const image = program
    .command('image')
    .description('Copy and inspect images in registries and OCI layouts (oci:DIR[:TAG])');

  common(
    image
      .command('copy')
      .description('Copy an image or index (with every blob) between registries and layouts')
      .argument('<src>')
      .argument('<dst>')
      .option('--referrers', 'also copy signatures, attestations and other artifacts that refer to the image'),
  ).action(async (srcSpec: string, dstSpec: string, o: CommonOpts & { referrers?: boolean }) => {
    const src = await locate(srcSpec, o, false);
    const dst = await locate(dstSpec, o, true);
    const tty = process.stderr.isTTY && o.output !== 'json';
    let done = 0;
    const platform = platformOf(o);
    const r = await copyImage(src.store, await requireRef(src), dst.store, dst.ref, {
      ...(platform ? { platform } : {}),
      ...(o.referrers ? { referrers: true } : {}),
      onBlob: (e) => {
        done++;
        if (tty)
          process.stderr.write(`\r${done} blobs  ${e.result.padEnd(8)} ${e.digest.slice(0, 19)} (${e.size} bytes)   `);
      },
    });
    if (tty) process.stderr.write('\n');
    print(
      o,
      { source: src.display, destination: dst.display, ...r },
      `${dst.display}@${r.digest} (${r.blobs.uploaded} uploaded, ${r.blobs.mounted} mounted, ${r.blobs.existing} already present, ${r.blobs.bytes} bytes)`,
    );
  });

  common(image.command('digest').description('Print the digest of an image').argument('<ref>')).action(
    async (spec: string, o: CommonOpts) => {
      const l = await locate(spec, o, false);
      let m = await l.store.getManifest(await requireRef(l));
      const platform = platformOf(o);
      if (platform) m = await l.store.getManifest(selectPlatform(m, platform).digest);
      print(o, { reference: l.display, digest: m.digest, mediaType: m.mediaType, size: m.bytes.length }, m.digest);
    },
  );

  common(image.command('manifest').description('Print the raw manifest').argument('<ref>')).action(
    async (spec: string, o: CommonOpts) => {
      const l = await locate(spec, o, false);
      let m = await l.store.getManifest(await requireRef(l));
      const platform = platformOf(o);
      if (platform) m = await l.store.getManifest(selectPlatform(m, platform).digest);
      process.stdout.write(
        o.output === 'json'
          ? JSON.stringify(JSON.parse(m.bytes.toString('utf8')), null, 2) + '\n'
          : m.bytes.toString('utf8') + '\n',
      );
    },
  );

  common(
    image
      .command('config')
      .description('Print the image configuration (the host platform, or --platform, out of an index)')
      .argument('<ref>'),
  ).action(async (spec: string, o: CommonOpts) => {
    const l = await locate(spec, o, false);
    let m = await l.store.getManifest(await requireRef(l));
    let parsed = parseManifest(m.bytes, m.mediaType);
    if (parsed.isIndex) {
      const want = platformOf(o) ?? { os: 'linux', architecture: process.arch === 'x64' ? 'amd64' : process.arch };
      m = await l.store.getManifest(selectPlatform(m, want).digest);
      parsed = parseManifest(m.bytes, m.mediaType);
    }
    const cfg = parsed.blobs[0]!;
    const chunks: Buffer[] = [];
    for await (const c of await l.store.getBlob(cfg)) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    process.stdout.write(o.output === 'json' ? JSON.stringify(JSON.parse(text), null, 2) + '\n' : text + '\n');
  });

  common(image.command('tags').description('List the tags of a repository or layout').argument('<repo>')).action(
    async (spec: string, o: CommonOpts) => {
      const l = await locate(spec.startsWith('oci:') ? spec : spec.replace(/:[^/:@]+$/, ''), o, false);
      const tags = await l.store.listTags();
      print(o, { repository: l.display.replace(/[:@][^/]*$/, ''), tags }, tags.join('\n'));
    },
  );

  common(
    image
      .command('inspect')
      .description('Summarise an image or index: digest, platforms, config, layers')
      .argument('<ref>'),
  ).action(async (spec: string, o: CommonOpts) => {
    const l = await locate(spec, o, false);
    let m = await l.store.getManifest(await requireRef(l));
    const platform = platformOf(o);
    if (platform) m = await l.store.getManifest(selectPlatform(m, platform).digest);
    const parsed = parseManifest(m.bytes, m.mediaType);
    if (parsed.isIndex) {
      const manifests = parsed.children.map((c) => ({
        digest: c.digest,
        mediaType: c.mediaType,
        size: c.size,
        platform: c.platform ? formatPlatform(c.platform) : undefined,
      }));
      print(
        o,
        { reference: l.display, digest: m.digest, mediaType: m.mediaType, manifests },
        [
          `${l.display}`,
          `digest:    ${m.digest}`,
          `mediaType: ${m.mediaType}`,
          ...manifests.map((c) => `  ${c.platform ?? '-'}  ${c.digest}`),
        ].join('\n'),
      );
      return;
    }
    const cfgDesc = parsed.blobs[0]!;
    let config: Record<string, unknown> = {};
    if (cfgDesc.size < 4 * 1024 * 1024) {
      const chunks: Buffer[] = [];
      for await (const c of await l.store.getBlob(cfgDesc)) chunks.push(c as Buffer);
      try {
        config = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        config = {};
      }
    }
    const layers = parsed.blobs.slice(1).map((b) => ({ digest: b.digest, size: b.size, mediaType: b.mediaType }));
    const info = {
      reference: l.display,
      digest: m.digest,
      mediaType: m.mediaType,
      artifactType: parsed.artifactType,
      os: config.os,
      architecture: config.architecture,
      created: config.created,
      config: { digest: cfgDesc.digest, mediaType: cfgDesc.mediaType, size: cfgDesc.size },
      layers,
      size: layers.reduce((s, x) => s + x.size, cfgDesc.size + m.bytes.length),
      subject: parsed.subject?.digest,
    };
    print(
      o,
      info,
      [
        l.display,
        `digest:    ${m.digest}`,
        `mediaType: ${m.mediaType}`,
        ...(config.os
          ? [`platform:  ${String(config.os)}/${String(config.architecture)}`]
          : [`artifact:  ${parsed.artifactType ?? '-'}`]),
        `layers:    ${layers.length} (${info.size} bytes in all)`,
        ...layers.map((x) => `  ${x.digest}  ${x.size}`),
      ].join('\n'),
    );
  });

  common(
    image
      .command('push')
      .description('Push an OCI layout directory or a docker save tarball to a registry (shorthand for copy)')
      .argument('<path>', 'OCI layout dir (DIR or DIR:TAG) or .tar file')
      .argument('<ref>'),
  ).action(async (path: string, ref: string, o: CommonOpts) => {
    const srcSpec = /\.tar(:|$)/.test(path) ? `docker-archive:${path}` : `oci:${path}`;
    const src = await locate(srcSpec, o, false);
    const dst = await locate(ref, o, true);
    const platform = platformOf(o);
    const r = await copyImage(src.store, await requireRef(src), dst.store, dst.ref, platform ? { platform } : {});
    print(o, { source: src.display, destination: dst.display, ...r }, `${dst.display}@${r.digest}`);
  });

  common(
    image
      .command('pull')
      .description('Pull an image into an OCI layout directory, or into a docker save tarball when PATH ends in .tar')
      .argument('<ref>')
      .argument('<path>'),
  ).action(async (ref: string, path: string, o: CommonOpts) => {
    const src = await locate(ref, o, false);
    const platform = platformOf(o);
    if (path.endsWith('.tar')) {
      const tag = src.display.includes('@') ? undefined : src.display;
      const r = await writeDockerArchive(src.store, await requireRef(src), path, tag, platform);
      print(o, { source: src.display, file: path, digest: r.digest }, `wrote ${path} (${r.digest})`);
      return;
    }
    const dst = await locate(`oci:${path}${src.ref && !src.ref.includes(':') ? ':' + src.ref : ''}`, o, true);
    const r = await copyImage(src.store, await requireRef(src), dst.store, dst.ref, platform ? { platform } : {});
    print(o, { source: src.display, destination: dst.display, ...r }, `${dst.display}@${r.digest}`);
  });

  common(
    image
      .command('export')
      .description(
        'Write an image as a `docker save` tarball (loadable by docker load; an index is narrowed to --platform, default linux/amd64)',
      )
      .argument('<ref>')
      .argument('<file>')
      .option('--tag <repo:tag>', 'the name docker load gives the image'),
  ).action(async (spec: string, file: string, o: CommonOpts & { tag?: string }) => {
    const l = await locate(spec, o, false);
    const platform = platformOf(o);
    const r = await writeDockerArchive(l.store, await requireRef(l), file, o.tag, platform);
    print(o, { source: l.display, file, digest: r.digest }, `wrote ${file} (${r.digest})`);
  });

  common(
    image.command('delete').description('Delete a manifest (by digest) or a tag from a registry').argument('<ref>'),
  ).action(async (spec: string, o: CommonOpts) => {
    const l = await locate(spec, o, false);
    if (!(l.store instanceof RegistryStore)) throw new OciError('UNSUPPORTED', 'delete works on registry references');
    await l.store.client.deleteManifest(l.store.repository, await requireRef(l));
    print(o, { deleted: l.display }, `deleted ${l.display}`);
  });
}
