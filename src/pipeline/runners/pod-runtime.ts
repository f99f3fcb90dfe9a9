// The container runtime the sandbox's pod executor uses (src/sandbox/pod-executor.ts takes it as an
// interface): images are pulled from a registry (plain HTTP for loopback hosts) or read from an OCI layout
// (`oci:DIR[:TAG|@DIGEST]`), their layers unpacked with src/build's layer code, and each container process runs
// under src/build's sandbox (runc, else bubblewrap) on the host network; a privileged container runs privileged.
import { isAbsolute, resolve } from 'node:path';
import type { Executor } from '../../build/exec/index.ts';
import {
  LayoutStore,
  OciLayout,
  RegistryClient,
  RegistryStore,
  parseLayoutSpec,
  parseManifest,
  parseReference,
  referenceTarget,
  registryApiHost,
  selectPlatform,
  type ImageStore,
} from '../../oci/index.ts';
import type { PodImageConfig, PodRuntime } from '../../sandbox/index.ts';

export interface PodRuntimeOptions {
  /** the sandbox (default: src/build's detectExecutor()) */
  executor?: () => Promise<Executor>;
  /** registry hosts reached over plain HTTP besides loopback ones */
  insecureHosts?: string[];
  /** registry credentials (e.g. from Docker's config.json) */
  credentials?: ConstructorParameters<typeof RegistryClient>[0]['credentials'];
}

async function openStore(image: string, o: PodRuntimeOptions): Promise<{ store: ImageStore; ref: string }> {
  if (image.startsWith('oci:')) {
    const { dir, ref } = parseLayoutSpec(image);
    const layout = await OciLayout.open(isAbsolute(dir) ? dir : resolve(dir));
    return { store: new LayoutStore(layout), ref: ref ?? (await layout.resolve()).digest };
  }
  const r = parseReference(image.replace(/^docker:\/\//, ''));
  const host = registryApiHost(r.registry);
  const client = new RegistryClient({
    host,
    ...(o.credentials ? { credentials: o.credentials } : {}),
    ...(o.insecureHosts?.includes(host) ? { scheme: 'http' as const } : {}),
  });
  return { store: new RegistryStore(client, r.repository), ref: referenceTarget(r) };
}

export function podRuntime(o: PodRuntimeOptions = {}): PodRuntime {
  let sandbox: Promise<Executor> | undefined;
  const executor = () =>
    (sandbox ??= o.executor ? o.executor() : import('../../build/exec/index.ts').then((m) => m.detectExecutor()));
  return {
    async pull(image, rootfs, signal): Promise<PodImageConfig> {
      const { applyLayer } = await import('../../build/fs/index.ts');
      const { store, ref } = await openStore(image, o);
      let m = await store.getManifest(ref);
      if (parseManifest(m.bytes, m.mediaType).isIndex)
        m = await store.getManifest(
          selectPlatform(m, { os: 'linux', architecture: process.arch === 'arm64' ? 'arm64' : 'amd64' }).digest,
        );
      const manifest = parseManifest(m.bytes, m.mediaType).manifest as {
        config: { digest: string; size: number; mediaType: string };
        layers?: Array<{ digest: string; size: number; mediaType: string }>;
      };
      const chunks: Buffer[] = [];
      for await (const c of await store.getBlob(manifest.config)) chunks.push(c as Buffer);
      const cfg =
        (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { config?: Record<string, unknown> }).config ?? {};
      for (const l of manifest.layers ?? []) {
        signal.throwIfAborted();
        await applyLayer(rootfs, await store.getBlob(l));
      }
      const strs = (v: unknown) => (Array.isArray(v) ? v.map(String) : undefined);
      const entrypoint = strs(cfg.Entrypoint);
      const cmd = strs(cfg.Cmd);
      return {
        env: strs(cfg.Env) ?? [],
        ...(entrypoint ? { entrypoint } : {}),
        ...(cmd ? { cmd } : {}),
        ...(typeof cfg.WorkingDir === 'string' && cfg.WorkingDir ? { workingDir: cfg.WorkingDir } : {}),
        ...(typeof cfg.User === 'string' && cfg.User ? { user: cfg.User } : {}),
      };
    },
    async run(spec) {
      const ex = await executor();
      return ex.run({
        rootfs: spec.rootfs,
        argv: spec.argv,
        env: spec.env,
        cwd: spec.cwd,
        user: spec.user,
        mounts: spec.mounts.map((m) => ({
          type: 'bind' as const,
          source: m.source,
          target: m.target,
          ...(m.readonly ? { readonly: true } : {}),
        })),
        network: 'host',
        ...(spec.privileged ? { privileged: true } : {}),
        stdout: spec.stdout,
        stderr: spec.stderr,
        signal: spec.signal,
      });
    },
  };
}
