// Opens the image a command names: `docker-archive:FILE`, `oci:DIR[:tag|@digest]`, or a registry reference
// (`[docker://]host/repo[:tag|@digest]`, plain HTTP with --insecure), with credentials from Docker's config.
// With `create`, an OCI layout that does not exist yet is created (for pushes).
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  DockerArchiveStore,
  LayoutStore,
  OciLayout,
  RegistryClient,
  RegistryStore,
  dockerConfigCredentials,
  parseLayoutSpec,
  parseReference,
  referenceTarget,
  registryApiHost,
  type ImageStore,
} from '../oci/index.ts';

export async function openImage(
  spec: string,
  insecure: boolean,
  opts: { create?: boolean } = {},
): Promise<{ store: ImageStore; ref: string }> {
  if (spec.startsWith('docker-archive:')) return { store: await DockerArchiveStore.open(spec.slice(15)), ref: '' };
  if (spec.startsWith('oci:')) {
    const { dir, ref } = parseLayoutSpec(spec);
    // a layout being written to (push) may not exist yet, and then has nothing to resolve
    const layout = await OciLayout.open(dir, opts.create ? { create: true } : {});
    return { store: new LayoutStore(layout), ref: ref ?? (opts.create ? 'latest' : (await layout.resolve()).digest) };
  }
  const r = parseReference(spec.replace(/^docker:\/\//, ''));
  const host = registryApiHost(r.registry);
  const configDir = process.env.DOCKER_CONFIG ?? join(homedir(), '.docker');
  const client = new RegistryClient({
    host,
    ...(insecure ? { scheme: 'http' as const } : {}),
    credentials: dockerConfigCredentials(join(configDir, 'config.json')),
  });
  return { store: new RegistryStore(client, r.repository), ref: referenceTarget(r) };
}
