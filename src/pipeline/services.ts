// The Services a pipeline run gets from the world, built one way for every runner: `sekisho ci run` and
// `ci watch` (the CLI passes its environment and Docker credentials) and the platform's runner (the
// embedded registry over plain HTTP, its own data dir). The caller decides every input; nothing here
// reads the process environment.
import { join } from 'node:path';
import { RegistryClient, type CredentialProvider } from '../oci/index.ts';
import type { ChangeRequestStore } from './promote/change-request.ts';
import { containerExecutor } from './steps/container.ts';
import type { Services } from './types.ts';

export interface ServicesOptions {
  /** the environment `run` steps start from and `secretRef: {env}` reads */
  env: Record<string, string | undefined>;
  /** registry credentials (e.g. Docker's config.json) */
  credentials?: CredentialProvider;
  /** plain HTTP to every registry */
  insecure?: boolean;
  /** registries (host:port) reached over plain HTTP; loopback hosts always are */
  insecureHosts?: string[];
  /** folder of the build cache (layers, base images) */
  buildCacheDir: string;
  /** default advisory database of scan steps */
  scanDb?: string;
  /** data dir for promote steps (config repo clones, file change requests) */
  dataDir?: string;
  /** where promote steps record change requests (default: files under <dataDir>/changerequests) */
  changeRequests?: ChangeRequestStore;
  now?: () => Date;
}

export function pipelineServices(o: ServicesOptions): Services {
  const plain = new Set(o.insecureHosts ?? []);
  const registry: Services['registry'] = (host, opts) =>
    new RegistryClient({
      host,
      ...(o.credentials ? { credentials: o.credentials } : {}),
      ...((opts?.insecure ?? (o.insecure || plain.has(host))) ? { scheme: 'http' as const } : {}),
    });
  return {
    registry,
    // run steps with `image:` run under src/build's sandbox (runc, else bubblewrap)
    executor: containerExecutor({ services: { registry } }),
    env: o.env,
    now: o.now ?? (() => new Date()),
    ...(o.scanDb ? { scanDb: o.scanDb } : {}),
    ...(o.dataDir ? { dataDir: o.dataDir } : {}),
    // loaded when a build step runs: most pipeline runs need not pay for the builder's modules
    build: async (opts) => (await import('../build/index.ts')).build(opts),
    buildRegistry: {
      ...(o.credentials ? { credentials: o.credentials } : {}),
      ...(plain.size ? { insecure: [...plain] } : {}),
    },
    buildCacheDir: o.buildCacheDir,
    ...(o.changeRequests ? { changeRequests: o.changeRequests } : {}),
  };
}

/** The default places under a cache folder (~/.cache for the CLI): advisory db and build cache. */
export function cacheDefaults(cacheDir: string): { scanDb: string; buildCacheDir: string } {
  return { scanDb: join(cacheDir, 'sekisho', 'db'), buildCacheDir: join(cacheDir, 'sekisho', 'build') };
}
