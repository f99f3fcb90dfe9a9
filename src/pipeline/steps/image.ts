// Image references for steps: `oci:DIR[:TAG|@DIGEST]` (an OCI layout) or a registry reference.
import { isAbsolute, resolve } from 'node:path';
import {
  LayoutStore,
  OciLayout,
  RegistryStore,
  formatReference,
  parseReference,
  referenceTarget,
  registryApiHost,
  type ImageStore,
  parseLayoutSpec,
} from '../../oci/index.ts';
import type { ImageTarget } from '../../sign/index.ts';
import type { Services } from '../types.ts';

export interface OpenedImage {
  store: ImageStore;
  /** tag or digest inside the store */
  ref: string;
  display: string;
  /** for registry images: the parts of the reference */
  registry?: { host: string; registry: string; repository: string };
}

export async function openImage(
  spec: string,
  services: Services,
  workspace: string,
  opts: { insecure?: boolean; create?: boolean } = {},
): Promise<OpenedImage> {
  if (spec.startsWith('oci:')) {
    const { dir: rest, ref } = parseLayoutSpec(spec);
    const dir = isAbsolute(rest) ? rest : resolve(workspace, rest);
    const layout = await OciLayout.open(dir, opts.create ? { create: true } : {});
    return {
      store: new LayoutStore(layout),
      ref: ref ?? (opts.create ? 'latest' : (await layout.resolve()).digest),
      display: spec,
    };
  }
  const r = parseReference(spec.replace(/^docker:\/\//, ''));
  const host = registryApiHost(r.registry);
  const client = services.registry(host, opts.insecure !== undefined ? { insecure: opts.insecure } : {});
  return {
    store: new RegistryStore(client, r.repository),
    ref: referenceTarget(r),
    display: formatReference(r),
    registry: { host, registry: r.registry, repository: r.repository },
  };
}

export function imageTarget(spec: string, services: Services, insecure?: boolean): ImageTarget {
  const r = parseReference(spec.replace(/^docker:\/\//, ''));
  const host = registryApiHost(r.registry);
  return {
    client: services.registry(host, insecure !== undefined ? { insecure } : {}),
    registry: r.registry,
    repository: r.repository,
    ref: referenceTarget(r),
  };
}
