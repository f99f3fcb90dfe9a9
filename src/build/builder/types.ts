// The builder's public types: what `build()` takes and returns. The pipeline (issue 14) and the CLI
// call `build()` from src/build/index.ts with these; keep them stable.
import type { ImageManifest } from '../../oci/media-types.ts';
import type { CredentialProvider } from '../../oci/client/credentials.ts';
import type { Executor } from '../exec/index.ts';

/** buildx `--output` entries: `type=oci,dest=x.tar`, `type=docker,dest=x.tar`, `type=registry`, `type=local,dest=dir`. */
export type OutputSpec =
  | { type: 'oci'; dest: string; tar?: boolean /* default true; false writes a layout directory */; name?: string }
  | { type: 'docker'; dest: string; name?: string }
  | { type: 'registry'; name?: string /* default: the tags */ }
  | { type: 'local'; dest: string };

/** `--cache-from/--cache-to type=registry,ref=host/repo:tag` (or `type=local,src|dest=dir`). */
export type CacheSpec = { type: 'registry'; ref: string } | { type: 'local'; dir: string };

export interface SecretSpec {
  /** File on the build host. */
  src?: string;
  /** Environment variable on the build host (the CLI resolves it; builder reads `env` from `secretEnv`). */
  env?: string;
}

export interface RegistryOptions {
  credentials?: CredentialProvider;
  /** Registries (host:port) reached over plain HTTP; loopback hosts always are. */
  insecure?: string[];
}

export type ProgressEvent =
  | { kind: 'step-start'; id: number; stage: string; step: number; steps: number; text: string }
  | { kind: 'step-done'; id: number; cached: boolean; ms: number }
  | { kind: 'step-error'; id: number; ms: number; message: string }
  | { kind: 'log'; id: number; stream: 'stdout' | 'stderr'; data: string }
  | { kind: 'info'; message: string };

export interface BuildOptions {
  contextDir: string;
  /** Dockerfile path (default <context>/Dockerfile). */
  dockerfile?: string;
  /** Dockerfile text given directly (wins over `dockerfile`; `dockerfile` then only names it in errors). */
  dockerfileText?: string;
  tags: string[];
  buildArgs: Record<string, string>;
  target?: string;
  secrets: Record<string, SecretSpec>;
  /** Environment the `env=` secrets are read from (the CLI passes process.env). */
  secretEnv?: Record<string, string | undefined>;
  /** Local cache and work space (layers, cache index, base images, cache mounts). */
  cacheDir: string;
  cacheFrom?: CacheSpec[];
  cacheTo?: CacheSpec[];
  /** Build every step, ignoring cache hits (still records results). */
  noCache?: boolean;
  outputs: OutputSpec[];
  /** Push the tags to their registries (same as an output of type=registry). */
  push?: boolean;
  sourceDateEpoch?: number;
  /** Default network for RUN (`--network` on RUN overrides): none unless asked. */
  network?: 'none' | 'host';
  /** Allow `ADD <url>` (off by default: builds are offline). */
  allowNetworkAdd?: boolean;
  registry?: RegistryOptions;
  /** The sandbox RUN steps use (default: detectExecutor(), runc else bwrap). */
  executor?: Executor;
  progress?: (ev: ProgressEvent) => void;
  signal?: AbortSignal;
}

export interface BuildStep {
  stage: string;
  line: number;
  text: string;
  cached: boolean;
  ms: number;
}

export interface BuildResult {
  manifestDigest: string;
  configDigest: string;
  manifest: ImageManifest;
  config: ImageConfig;
  manifestBytes: Buffer;
  steps: BuildStep[];
  /** Stage names/indexes that were built (unused stages are skipped). */
  stagesBuilt: string[];
  /** Images pulled for FROM and COPY --from (not scratch), by the name written and the digest used. */
  baseImages: Array<{ name: string; digest: string }>;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  Shell?: string[];
  OnBuild?: string[] | null;
  Healthcheck?: {
    Test?: string[];
    Interval?: number;
    Timeout?: number;
    StartPeriod?: number;
    StartInterval?: number;
    Retries?: number;
  };
  ArgsEscaped?: boolean;
}

export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config: ContainerConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history: HistoryEntry[];
}
