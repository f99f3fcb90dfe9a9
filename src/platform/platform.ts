// `sekisho up` put together: under one data directory it starts the sandbox cluster (or uses a given
// kubeconfig), the embedded registry, the git server for local repositories, the admission webhook
// registered with the cluster, the GitOps controller and the API server, and stops them in reverse order.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAdmissionServer, type AdmissionServer } from '../admission/index.ts';
import { startController, type Controller } from '../gitops/index.ts';
import { KubeClient } from '../kube/index.ts';
import { openFsStorage, RegistryServer, type CredentialProvider, type RegistryStorage } from '../oci/index.ts';
import {
  CI_NAMESPACE,
  KubeChangeRequestStore,
  PipelineTrigger,
  pipelineServices,
  type PollSpec,
  type WebhookSecrets,
} from '../pipeline/index.ts';
import { parseListen, startSandbox, type Sandbox } from '../sandbox/index.ts';
import {
  AuditLog,
  AuthStore,
  ClientImageSource,
  ServerError,
  StorageImageSource,
  type ImageSource,
  roleAtLeast,
  startApiServer,
  startGitServer,
  type ApiServer,
  type GitServer,
} from '../server/index.ts';
import { PlatformError } from './errors.ts';

export type PlatformLog = (
  level: 'debug' | 'info' | 'warn' | 'error',
  msg: string,
  fields?: Record<string, unknown>,
) => void;

export interface PlatformOptions {
  dataDir: string;
  /** HOST:PORT of the API server (port 0 picks a free port) */
  listen: string;
  /** use this cluster instead of starting the sandbox */
  kubeconfig?: string;
  /** use this registry (http(s)://host[:port]) instead of starting the embedded one */
  registry?: string;
  /** credentials for `registry` (e.g. from Docker's config.json) */
  registryCredentials?: CredentialProvider;
  /** generate a new admin password even when one exists */
  resetAdminPassword?: boolean;
  /** run the GitOps controller (default true) */
  controller?: boolean;
  /** git polling period of the controller in ms */
  resyncMs?: number;
  /** admission audit period in ms (0 disables; default 60 000) */
  auditIntervalMs?: number;
  log?: PlatformLog;
  /** serve the API over HTTPS with this PEM certificate and key */
  tls?: { cert: string; key: string };
  /** folder of the built web UI (default <repo root>/ui/dist) */
  uiDir?: string;
  /** how long one service may take to start before `up` gives up (default 60 000 ms) */
  stepTimeoutMs?: number;
  /** the pipeline runner (PipelineRuns for pushes to the git server and webhooks); on by default, false turns it off */
  ci?: false | PlatformCiOptions;
}

/** Options of the platform's pipeline runner. */
export interface PlatformCiOptions {
  /** the config repo promote steps write to (the `configRepo` param): a repository name on the platform's
   * git server, or an absolute path or git URL */
  configRepo?: string;
  /** default advisory database of scan steps */
  scanDb?: string;
  /** build cache (default <data-dir>/ci/build-cache) */
  buildCacheDir?: string;
  /** the signing key run steps read as $SEKISHO_SIGNING_KEY (and $SEKISHO_SIGNING_PASSWORD): a PEM file and its
   * password, or a Secret "namespace/name" with the keys cosign.key and cosign.password (as cosign's
   * `generate-key-pair k8s://` writes them), read at each run */
  signingKey?: { file: string; password?: string } | { secret: string };
  /** secrets of POST /api/v1/webhooks/git (none: webhooks are refused with 503) */
  webhook?: WebhookSecrets;
  /** the environment of run steps (default: PATH only) */
  env?: Record<string, string>;
  /** app repos hosted elsewhere polled for new commits (for hosts that send no webhook) */
  poll?: PollSpec[];
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface Platform {
  dataDir: string;
  apiUrl: string;
  clusterUrl?: string;
  kubeconfigPath: string;
  registryUrl: string;
  /** true when the registry is the embedded one (false with `registry`) */
  registryEmbedded: boolean;
  gitUrl: string;
  admissionUrl: string;
  controller?: { namespace: string };
  admin: { user: string; password?: string };
  /** the pipeline runner, unless turned off (its idle() and lookup() tell when a pushed commit has run) */
  pipelines?: PipelineTrigger;
  /** milliseconds each service took to start */
  timings: Record<string, number>;
  close(): Promise<void>;
}

const WEBHOOKS = [
  ['admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'gatekeeper-validating-webhook-configuration'],
  ['admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'gatekeeper-mutating-webhook-configuration'],
] as const;

/** A webhook registration left by a previous run points at a port that is gone; with failurePolicy Fail it
 * would block every write (including our own CRDs), so it is removed before the webhook starts again. */
async function dropStaleWebhooks(client: KubeClient): Promise<void> {
  for (const [api, kind, name] of WEBHOOKS) {
    try {
      await client.delete(api, kind, name);
    } catch (e) {
      if ((e as { status?: number }).status !== 404) throw e;
    }
  }
}

function basicPassword(req: IncomingMessage): string | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return undefined;
  const s = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = s.indexOf(':');
  return i < 0 ? undefined : s.slice(i + 1);
}

/** The built web UI of this checkout: <repo root>/ui/dist, found from this module's location. */
export const UI_DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'ui', 'dist');

/** `--registry` takes an http(s) URL of a registry's origin (no path: repositories are listed from it). */
export function checkRegistryUrl(s: string): string {
  let u: URL;
  try {
    u = new URL(s);
  } catch (e) {
    throw new PlatformError(
      'platform_bad_option',
      `--registry must be a URL such as http://127.0.0.1:5000, got "${s}"`,
      {
        cause: e,
      },
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new PlatformError('platform_bad_option', `--registry must use http or https, got "${u.protocol}"`);
  if (u.pathname !== '/' && u.pathname !== '')
    throw new PlatformError('platform_bad_option', `--registry takes the registry's origin without a path, got "${s}"`);
  if (u.username || u.password)
    throw new PlatformError('platform_bad_option', '--registry must not carry credentials in the URL');
  return u.origin;
}

/** The ports every service took on the first start (when asked for port 0), kept in <data-dir>/ports.json
 * so that URLs recorded in git, images, Applications, kubeconfigs, webhook registrations and bookmarks stay
 * valid across restarts. */
export interface StablePorts {
  registry?: number;
  git?: number;
  cluster?: number;
  admission?: number;
  api?: number;
}
const PORT_SERVICES = ['registry', 'git', 'cluster', 'admission', 'api'] as const;
type PortService = (typeof PORT_SERVICES)[number];

export function portsFile(dataDir: string): string {
  return join(dataDir, 'ports.json');
}

export function readPorts(dataDir: string): StablePorts {
  const file = portsFile(dataDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new PlatformError('platform_bad_state', `${file} is not JSON: ${(e as Error).message}`, {
      cause: e,
      location: { file, row: 1, col: 1 },
    });
  }
  const out: StablePorts = {};
  for (const k of PORT_SERVICES) {
    const n = (v as Record<string, unknown> | null)?.[k];
    if (n === undefined) continue;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535)
      throw new PlatformError(
        'platform_bad_state',
        `${file}: "${k}" must be a port number (1-65535), got ${JSON.stringify(n)}`,
        {
          location: { file, row: 1, col: 1 },
        },
      );
    out[k] = n;
  }
  return out;
}

/** Written atomically (temporary file, then rename) so a kill never leaves half a file. */
export function writePorts(dataDir: string, ports: StablePorts): void {
  const file = portsFile(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(ports, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

/** A recorded port another process holds: say which service, which port, and what to do. */
function portTaken(e: unknown, service: string, port: number, dataDir: string): unknown {
  if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') return e;
  return new Error(
    `port ${port} of the ${service}, recorded in ${portsFile(dataDir)} on the first start, is in use by another process; ` +
      `stop that process, or delete the "${service}" entry of ${portsFile(dataDir)} to take a new port ` +
      `(URLs recorded with the old port, such as image references and Application repoURLs, then stop working)`,
  );
}

export async function startPlatform(o: PlatformOptions): Promise<Platform> {
  // the Kubernetes client library takes seconds to load; load it while the cluster starts
  const warm = import('@kubernetes/client-node').catch(() => undefined);
  const registryUrl = o.registry !== undefined ? checkRegistryUrl(o.registry) : undefined;
  const dataDir = resolve(o.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const log: PlatformLog = o.log ?? (() => {});
  const api = parseListen(o.listen);
  const ports = readPorts(dataDir);
  const recordPort = (service: PortService, url: string): void => {
    const port = Number(new URL(url).port);
    if (ports[service] === port) return;
    ports[service] = port;
    writePorts(dataDir, ports);
  };
  const timings: Record<string, number> = {};
  const stepTimeoutMs = o.stepTimeoutMs ?? 60_000;
  const closers: { name: string; close: () => Promise<void> }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const c of closers.reverse()) {
      try {
        await c.close();
      } catch (e) {
        log('warn', `stopping ${c.name} failed`, { error: (e as Error).message });
      }
    }
    closers.length = 0;
  };
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    log('debug', `starting ${name}`);
    let timer: NodeJS.Timeout | undefined;
    try {
      const v = await Promise.race([
        fn(),
        new Promise<never>((_r, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${stepTimeoutMs / 1000}s`)), stepTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      timings[name] = Date.now() - t0;
      return v;
    } catch (e) {
      clearTimeout(timer);
      await stopAll();
      throw new PlatformError('platform_start_failed', `${name} did not start: ${(e as Error).message}`, {
        cause: e,
        service: name,
      });
    }
  };

  // 1. the cluster
  let sandbox: Sandbox | undefined;
  let kubeconfigPath: string;
  if (o.kubeconfig) {
    kubeconfigPath = resolve(o.kubeconfig);
  } else {
    const clusterPort = ports.cluster ?? 0;
    sandbox = await step('cluster', () =>
      startSandbox({ dataDir: join(dataDir, 'cluster'), listen: `127.0.0.1:${clusterPort}` }).catch((e: unknown) => {
        throw portTaken(e, 'cluster', clusterPort, dataDir);
      }),
    );
    recordPort('cluster', sandbox.url);
    closers.push({ name: 'cluster', close: () => sandbox!.close() });
    // <data-dir>/kubeconfig for kubectl, as `cluster serve` writes it into its own data dir
    kubeconfigPath = join(dataDir, 'kubeconfig');
    const tmp = `${kubeconfigPath}.${process.pid}.tmp`;
    writeFileSync(tmp, readFileSync(sandbox.kubeconfigPath), { mode: 0o600 });
    renameSync(tmp, kubeconfigPath);
  }
  const kube = await step('kube client', async () => {
    await warm;
    return KubeClient.fromKubeconfig({ path: kubeconfigPath });
  });
  closers.push({ name: 'kube client', close: async () => kube.close() });

  // 2. the registry: the embedded one, or a real one read through the registry client
  let registry: { url: string; storage?: RegistryStorage; images: ImageSource };
  if (registryUrl) {
    const url = registryUrl;
    registry = await step('registry', async () => {
      // up when /v2/ answers; 401 is a registry that wants credentials, still up
      const r = await fetch(`${url}/v2/`);
      await r.arrayBuffer();
      if (r.status !== 200 && r.status !== 401) throw new Error(`${url}/v2/ answered ${r.status}`);
      const images = new ClientImageSource(url, o.registryCredentials);
      // the catalog needs the credentials: a wrong password stops up here, not at the first page view; a
      // registry that simply has no catalog API (Docker Hub, GHCR) is still usable by repository name
      try {
        await images.listRepositories();
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        if (code === 'UNAUTHORIZED' || code === 'DENIED') throw e;
        log('warn', `registry ${url} does not list its repositories`, { error: (e as Error).message });
      }
      return { url, images };
    });
  } else {
    const embedded = await step('registry', async () => {
      const storage = await openFsStorage(join(dataDir, 'registry'));
      const server = new RegistryServer({ storage });
      const port = ports.registry ?? 0;
      let url: string;
      try {
        url = await server.listen({ host: '127.0.0.1', port });
      } catch (e) {
        throw portTaken(e, 'registry', port, dataDir);
      }
      recordPort('registry', url);
      return { storage, server, url };
    });
    closers.push({ name: 'registry', close: () => embedded.server.close() });
    registry = { url: embedded.url, storage: embedded.storage, images: new StorageImageSource(embedded.storage) };
  }

  // the pipeline runner takes pushes from the git server's start on; its runs wait for start() below
  const gitRoot = join(dataDir, 'git');
  const ci = o.ci === false ? undefined : (o.ci ?? {});
  const trigger = ci ? pipelineTrigger(ci, { dataDir, kube, gitRoot, registry, o, log }) : undefined;

  // 3. the git server; pushes need an API token of a developer or admin as the Basic password
  const auth = new AuthStore({ dir: join(dataDir, 'auth') });
  const gitPort = ports.git ?? 0;
  const git: GitServer = await step('git', async () => {
    const g = await startGitServer({
      root: gitRoot,
      host: '127.0.0.1',
      port: gitPort,
      authorize: async (req, write) => {
        if (!write) return undefined;
        const token = basicPassword(req);
        if (!token) throw new ServerError('server_unauthenticated', 'push needs an API token as the password');
        const p = auth.fromToken(token);
        if (!p) throw new ServerError('server_unauthenticated', 'unknown or expired API token');
        if (!roleAtLeast(p.role, 'developer'))
          throw new ServerError('server_forbidden', `push needs role developer; ${p.user} has ${p.role}`);
        return p.user;
      },
      ...(trigger
        ? {
            hooksDir: join(dataDir, 'git-hooks'),
            onPush: (e) => {
              const out = trigger.push({
                repo: `${g.url}/${e.repo}.git`,
                source: join(gitRoot, `${e.repo}.git`),
                name: e.repo.replace(/\//g, '.'),
                updates: e.updates,
                trigger: 'push',
                ...(e.user ? { user: e.user } : {}),
              });
              for (const r of out)
                log('debug', `push to ${e.repo} ${r.ref}: ${r.outcome}`, { commit: r.commit, reason: r.reason });
            },
          }
        : {}),
    }).catch((e: unknown) => {
      throw portTaken(e, 'git', gitPort, dataDir);
    });
    recordPort('git', g.url);
    return g;
  });
  closers.push({ name: 'git', close: () => git.close() });

  // 4. the admission webhook, registered with the cluster
  const admissionPort = ports.admission ?? 0;
  const admission: AdmissionServer = await step('admission', async () => {
    await dropStaleWebhooks(kube);
    const a = await startAdmissionServer({
      dataDir: join(dataDir, 'admission'),
      host: '127.0.0.1',
      port: admissionPort,
      kubeconfig: kubeconfigPath,
      exemptNamespaces: ['kube-system', 'gatekeeper-system'],
      auditIntervalMs: o.auditIntervalMs ?? 60_000,
      log: (e) => {
        if (e.level === 'warn' || e.level === 'error') log(e.level, `admission: ${e.msg}`, e);
      },
    }).catch((e: unknown) => {
      throw portTaken(e, 'admission', admissionPort, dataDir);
    });
    recordPort('admission', a.url);
    return a;
  });
  closers.push({ name: 'admission', close: () => admission.close() });

  // 5. the GitOps controller
  let controller: Controller | undefined;
  if (o.controller !== false) {
    controller = await step('controller', () =>
      startController({
        kubeconfig: { path: kubeconfigPath },
        dataDir: join(dataDir, 'gitops'),
        ...(o.resyncMs !== undefined ? { resync: o.resyncMs } : {}),
        log: (level, msg, fields) => {
          if (level === 'warn' || level === 'error') log(level, `controller: ${msg}`, fields);
        },
      }),
    );
    closers.push({ name: 'controller', close: () => controller!.close() });
  }

  // 6. the pipeline runner: the CI namespace and CRDs, runs a previous process left running marked Failed
  if (trigger) {
    await step('pipelines', () => trigger.start());
    closers.push({ name: 'pipelines', close: () => trigger.close() });
  }

  // 7. the API server
  const admin = await auth.ensureAdmin(o.resetAdminPassword ?? false);
  // --listen HOST:0 takes the port of the first start again; an explicit port is used as given
  const apiPort = api.port === 0 ? (ports.api ?? 0) : api.port;
  const server: ApiServer = await step('api', () =>
    startApiServer({
      host: api.host,
      port: apiPort,
      ...(o.tls ? { tls: o.tls } : {}),
      auth,
      audit: new AuditLog(join(dataDir, 'audit', 'api.jsonl')),
      kube,
      ...(registry.storage ? { registry: registry.storage } : {}),
      images: registry.images,
      gitRoot: git.root,
      gitUrl: git.url,
      uiDir: o.uiDir ?? UI_DIST,
      cacheDir: join(dataDir, 'api'),
      ciDir: join(dataDir, 'ci'),
      ...(trigger ? { pipelineTrigger: trigger } : {}),
      ...(controller ? { controllerNamespace: controller.namespace } : {}),
      info: {
        services: {
          ...(sandbox ? { cluster: sandbox.url } : {}),
          registry: registry.url,
          git: git.url,
          admission: admission.url,
        },
        controller: controller ? { namespace: controller.namespace } : null,
      },
      readiness: [
        {
          name: 'cluster',
          check: async () => {
            await kube.request('GET', '/api/v1/namespaces?limit=1');
          },
        },
        {
          name: 'registry',
          check: async () => {
            const r = await fetch(`${registry.url}/v2/`);
            await r.arrayBuffer();
            // a registry asking for credentials answers 401 here and is still up
            if (r.status !== 200 && r.status !== 401) throw new Error(`registry /v2/ answered ${r.status}`);
          },
        },
        {
          name: 'git',
          check: async () => {
            const r = await fetch(`${git.url}/`);
            await r.arrayBuffer();
          },
        },
      ],
    }).catch((e: unknown) => {
      // only a recorded port gets the recorded-port explanation; an explicit one fails as it is
      throw apiPort !== api.port ? portTaken(e, 'api', apiPort, dataDir) : e;
    }),
  );
  closers.push({ name: 'api', close: () => server.close() });
  if (api.port === 0) recordPort('api', server.url);

  return {
    dataDir,
    apiUrl: server.url,
    ...(sandbox ? { clusterUrl: sandbox.url } : {}),
    kubeconfigPath,
    registryUrl: registry.url,
    registryEmbedded: !o.registry,
    gitUrl: git.url,
    admissionUrl: admission.url,
    ...(controller ? { controller: { namespace: controller.namespace } } : {}),
    admin,
    ...(trigger ? { pipelines: trigger } : {}),
    timings,
    close: stopAll,
  };
}

/** The platform's pipeline runner: services per run (the registry, build cache, scan db, the signing key read
 * fresh, change requests in the cluster) and the well-known params registry and configRepo. */
function pipelineTrigger(
  ci: PlatformCiOptions,
  p: {
    dataDir: string;
    kube: KubeClient;
    gitRoot: string;
    registry: { url: string };
    o: PlatformOptions;
    log: PlatformLog;
  },
): PipelineTrigger {
  const registryHost = new URL(p.registry.url).host;
  const configRepo =
    ci.configRepo === undefined
      ? undefined
      : /^([a-z][a-z0-9+.-]*:\/\/|\/)/i.test(ci.configRepo) || /^[^/]+@[^:]+:/.test(ci.configRepo)
        ? ci.configRepo
        : join(p.gitRoot, `${ci.configRepo.replace(/\.git$/, '')}.git`);
  const signing = async (): Promise<Record<string, string>> => {
    const k = ci.signingKey;
    if (!k) return {};
    if ('file' in k)
      return {
        SEKISHO_SIGNING_KEY: readFileSync(k.file, 'utf8'),
        ...(k.password !== undefined ? { SEKISHO_SIGNING_PASSWORD: k.password } : {}),
      };
    const [ns, name] = k.secret.includes('/') ? k.secret.split('/', 2) : [CI_NAMESPACE, k.secret];
    const secret = await p.kube.get('v1', 'Secret', name!, ns);
    const data = (secret as { data?: Record<string, string> }).data ?? {};
    const field = (f: string) => (data[f] !== undefined ? Buffer.from(data[f], 'base64').toString('utf8') : undefined);
    const key = field('cosign.key');
    if (key === undefined)
      throw new PlatformError('platform_bad_option', `Secret ${ns}/${name} has no cosign.key (the signing key)`);
    const password = field('cosign.password');
    return { SEKISHO_SIGNING_KEY: key, ...(password !== undefined ? { SEKISHO_SIGNING_PASSWORD: password } : {}) };
  };
  return new PipelineTrigger({
    dataDir: p.dataDir,
    kube: p.kube,
    wellKnown: { registry: registryHost, ...(configRepo ? { configRepo } : {}) },
    ...(ci.webhook ? { webhook: ci.webhook } : {}),
    ...(ci.poll ? { poll: ci.poll } : {}),
    log: (level, msg, fields) => p.log(level, `pipelines: ${msg}`, fields),
    services: async () =>
      pipelineServices({
        env: { PATH: DEFAULT_PATH, ...ci.env, ...(await signing()) },
        ...(p.o.registryCredentials ? { credentials: p.o.registryCredentials } : {}),
        insecureHosts: p.o.registry ? [] : [registryHost],
        buildCacheDir: ci.buildCacheDir ?? join(p.dataDir, 'ci', 'build-cache'),
        ...(ci.scanDb ? { scanDb: ci.scanDb } : {}),
        dataDir: join(p.dataDir, 'ci'),
        changeRequests: new KubeChangeRequestStore(p.kube, CI_NAMESPACE),
      }),
  });
}
