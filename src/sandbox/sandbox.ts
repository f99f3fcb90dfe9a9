// Starting and stopping a sandbox cluster: data directory (SQLite store, TLS material, token),
// bootstrap objects (system namespaces, one Ready node, the kubernetes Service), simulated
// controllers, the HTTPS API server and the kubeconfig written for kubectl.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { KubeError, type KubeObject } from '../kube/index.ts';
import type { AdmissionSources } from './admission.ts';
import { Cluster } from './cluster.ts';
import { Controllers } from './controllers.ts';
import { PodExecutor, type ExecutePodsOptions } from './pod-executor.ts';
import { ApiServer } from './server.ts';
import { Store, type Durability } from './store.ts';
import { ensureTls } from './tls.ts';

export interface SandboxOptions {
  dataDir: string;
  /** HOST:PORT, port 0 picks a free port (default 127.0.0.1:0) */
  listen?: string;
  durability?: Durability;
  /** run the simulated controllers (default true) */
  controllers?: boolean;
  /** maps webhook service references to URLs */
  resolveService?: AdmissionSources['resolveService'];
  /** really run Job pods (and pods annotated sekisho.dev/execute: "true") with this runtime */
  executePods?: ExecutePodsOptions;
}

export interface Sandbox {
  url: string;
  kubeconfigPath: string;
  token: string;
  caCert: string;
  cluster: Cluster;
  controllers?: Controllers;
  podExecutor?: PodExecutor;
  close(): Promise<void>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen);
  if (!m) throw new KubeError('BadRequest', 400, `--listen must be HOST:PORT, got "${listen}"`);
  const port = Number(m[3]);
  if (port > 65535) throw new KubeError('BadRequest', 400, `--listen port out of range: ${port}`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

function readOrCreateToken(path: string): string {
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const t = randomBytes(32).toString('base64url');
  writeFileSync(path + '.tmp', t + '\n', { mode: 0o600 });
  renameSync(path + '.tmp', path);
  return t;
}

export function kubeconfigYaml(url: string, caCert: string, token: string): string {
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'sekisho-sandbox',
        cluster: { server: url, 'certificate-authority-data': Buffer.from(caCert).toString('base64') },
      },
    ],
    users: [{ name: 'sekisho-admin', user: { token } }],
    contexts: [
      { name: 'sekisho-sandbox', context: { cluster: 'sekisho-sandbox', user: 'sekisho-admin', namespace: 'default' } },
    ],
    'current-context': 'sekisho-sandbox',
    preferences: {},
  });
}

async function bootstrap(c: Cluster): Promise<void> {
  const ns = c.registry.byResource('', 'v1', 'namespaces')!;
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    if (!c.getStored(ns, '', name))
      await c.internalWrite(ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, 'sekisho-sandbox');
  }
  const nodes = c.registry.byResource('', 'v1', 'nodes')!;
  if (!c.getStored(nodes, '', 'sandbox-node')) {
    const node: KubeObject = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: 'sandbox-node',
        labels: {
          'kubernetes.io/hostname': 'sandbox-node',
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'node-role.kubernetes.io/control-plane': '',
        },
      },
      spec: {},
    };
    await c.internalWrite(nodes, node, 'sekisho-sandbox');
    const now = c.timestamp();
    await c.internalWrite(
      nodes,
      {
        ...c.get(nodes, '', 'sandbox-node'),
        status: {
          capacity: { cpu: '8', memory: '32Gi', pods: '110', 'ephemeral-storage': '100Gi' },
          allocatable: { cpu: '8', memory: '32Gi', pods: '110', 'ephemeral-storage': '100Gi' },
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'KubeletReady',
              message: 'sandbox node is ready',
              lastHeartbeatTime: now,
              lastTransitionTime: now,
            },
            {
              type: 'MemoryPressure',
              status: 'False',
              reason: 'KubeletHasSufficientMemory',
              message: '',
              lastHeartbeatTime: now,
              lastTransitionTime: now,
            },
            {
              type: 'DiskPressure',
              status: 'False',
              reason: 'KubeletHasNoDiskPressure',
              message: '',
              lastHeartbeatTime: now,
              lastTransitionTime: now,
            },
            {
              type: 'PIDPressure',
              status: 'False',
              reason: 'KubeletHasSufficientPID',
              message: '',
              lastHeartbeatTime: now,
              lastTransitionTime: now,
            },
          ],
          addresses: [
            { type: 'InternalIP', address: '127.0.0.1' },
            { type: 'Hostname', address: 'sandbox-node' },
          ],
          nodeInfo: {
            kubeletVersion: 'v1.32.0-sekisho',
            kubeProxyVersion: 'v1.32.0-sekisho',
            containerRuntimeVersion: 'sandbox://0.1.0',
            operatingSystem: 'linux',
            architecture: 'amd64',
            osImage: 'Sekisho sandbox',
            kernelVersion: '',
            machineID: '',
            systemUUID: '',
            bootID: '',
          },
        },
      },
      'sekisho-sandbox',
      'status',
    );
  }
  const svc = c.registry.byResource('', 'v1', 'services')!;
  if (!c.getStored(svc, 'default', 'kubernetes'))
    await c.internalWrite(
      svc,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name: 'kubernetes',
          namespace: 'default',
          labels: { component: 'apiserver', provider: 'kubernetes' },
        },
        spec: {
          clusterIP: '10.96.0.1',
          ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
          type: 'ClusterIP',
        },
      },
      'sekisho-sandbox',
    );
  const sc = c.registry.byResource('storage.k8s.io', 'v1', 'storageclasses')!;
  if (!c.getStored(sc, '', 'standard'))
    await c.internalWrite(
      sc,
      {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
        provisioner: 'sandbox.sekisho.dev/hostpath',
        reclaimPolicy: 'Delete',
        volumeBindingMode: 'Immediate',
      },
      'sekisho-sandbox',
    );
  for (const name of ['default']) {
    const sa = c.registry.byResource('', 'v1', 'serviceaccounts')!;
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
      if (!c.getStored(sa, n, name))
        await c.internalWrite(
          sa,
          { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: n } },
          'sekisho-sandbox',
        );
  }
}

/** Starts a sandbox cluster in-process. */
export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const tls = await ensureTls(dataDir);
  const token = readOrCreateToken(join(dataDir, 'token'));
  const store = new Store({ dataDir, ...(opts.durability ? { durability: opts.durability } : {}) });
  const cluster = new Cluster(store, opts.resolveService ? { resolveService: opts.resolveService } : {});
  await bootstrap(cluster);
  const podExecutor =
    opts.executePods && opts.controllers !== false ? new PodExecutor(cluster, opts.executePods, dataDir) : undefined;
  const controllers = opts.controllers === false ? undefined : new Controllers(cluster, podExecutor);
  controllers?.start();
  const api = new ApiServer({
    cluster,
    token,
    cert: tls.cert,
    key: tls.key,
    logs: (pod, container) =>
      `sandbox: container ${container} of pod ${pod.metadata.name} runs no process and has no logs\n`,
    ...(podExecutor ? { podLogs: podExecutor.logs.bind(podExecutor) } : {}),
  });
  const { host, port } = parseListen(opts.listen ?? '127.0.0.1:0');
  let addr: { host: string; port: number };
  try {
    addr = await api.listen(host, port);
  } catch (err) {
    controllers?.stop();
    await podExecutor?.stop();
    store.close();
    throw err;
  }
  const shownHost = addr.host === '0.0.0.0' || addr.host === '::' ? '127.0.0.1' : addr.host;
  const url = `https://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${addr.port}`;
  const kubeconfigPath = join(dataDir, 'kubeconfig');
  writeFileSync(kubeconfigPath + '.tmp', kubeconfigYaml(url, tls.caCert, token), { mode: 0o600 });
  renameSync(kubeconfigPath + '.tmp', kubeconfigPath);
  let closed = false;
  return {
    url,
    kubeconfigPath,
    token,
    caCert: tls.caCert,
    cluster,
    ...(controllers ? { controllers } : {}),
    ...(podExecutor ? { podExecutor } : {}),
    async close() {
      if (closed) return;
      closed = true;
      controllers?.stop();
      await podExecutor?.stop();
      await api.close();
      store.close();
    },
  };
}
