// Helpers for the GitOps end-to-end tests: a sandbox cluster in-process, a real git repository in a
// temp dir, and waiting on Application status through the API (events, not sleeps: each check
// re-reads the object after the controller writes it).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { KubeClient, type KubeObject } from '../../src/kube/index.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { API_VERSION, type Application } from '../../src/gitops/index.ts';

export interface Env {
  sandbox: Sandbox;
  client: KubeClient;
  dir: string;
  close(): Promise<void>;
}

export async function startEnv(): Promise<Env> {
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-gitops-'));
  const sandbox = await startSandbox({ dataDir: join(dir, 'cluster'), listen: '127.0.0.1:0', durability: 'normal' });
  const client = await KubeClient.fromKubeconfig({ path: sandbox.kubeconfigPath });
  return {
    sandbox,
    client,
    dir,
    async close() {
      client.close();
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export class Repo {
  readonly dir: string;
  constructor(root: string, name = 'config') {
    this.dir = join(root, name);
    mkdirSync(this.dir, { recursive: true });
    this.git('init', '--quiet', '--initial-branch=main');
    this.git('config', 'user.email', 'test@example.com');
    this.git('config', 'user.name', 'Test');
  }
  get url(): string {
    return 'file://' + this.dir;
  }
  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.dir, encoding: 'utf8' }).trim();
  }
  write(path: string, text: string): this {
    mkdirSync(dirname(join(this.dir, path)), { recursive: true });
    writeFileSync(join(this.dir, path), text);
    return this;
  }
  remove(path: string): this {
    rmSync(join(this.dir, path));
    return this;
  }
  commit(message: string): string {
    this.git('add', '-A');
    this.git('commit', '--quiet', '--allow-empty', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }
}

export function application(name: string, namespace: string, spec: Record<string, unknown>): Application {
  return {
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name, namespace },
    spec: spec as unknown as Application['spec'],
  };
}

/** Re-reads the app on every change of the object (a watch) until `pred` holds; fails after `ms`. */
export async function waitApp(
  client: KubeClient,
  namespace: string,
  name: string,
  pred: (a: Application) => boolean,
  what: string,
  ms = 30_000,
): Promise<Application> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  let last: Application | undefined;
  try {
    for (;;) {
      last = await client.get<Application>(API_VERSION, 'Application', name, namespace);
      if (pred(last)) return last;
      try {
        for await (const ev of client.watch<Application>(API_VERSION, 'Application', {
          namespace,
          fieldSelector: `metadata.name=${name}`,
          resourceVersion: last.metadata.resourceVersion!,
          signal: ac.signal,
          timeoutSeconds: 5,
        })) {
          if (ev.type === 'ADDED' || ev.type === 'MODIFIED') {
            last = ev.object;
            if (pred(last)) return last;
          }
        }
      } catch (err) {
        if (!ac.signal.aborted) throw err;
      }
      if (ac.signal.aborted) break;
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error(
    `timed out waiting for app ${name}: ${what}\nlast status: ${JSON.stringify(last?.status, null, 1)?.slice(0, 3000)}`,
  );
}

export async function getOrUndefined(
  client: KubeClient,
  apiVersion: string,
  kind: string,
  name: string,
  namespace?: string,
): Promise<KubeObject | undefined> {
  try {
    return await client.get(apiVersion, kind, name, namespace);
  } catch {
    return undefined;
  }
}

export function deployment(name: string, image: string, extra: { wave?: number; replicas?: number } = {}): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
${extra.wave !== undefined ? `  annotations:\n    argocd.argoproj.io/sync-wave: "${extra.wave}"\n` : ''}spec:
  replicas: ${extra.replicas ?? 1}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: main
        image: ${image}
`;
}

export function configMap(
  name: string,
  data: Record<string, string>,
  annotations: Record<string, string> = {},
): string {
  const anns = Object.entries(annotations);
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
${anns.length ? '  annotations:\n' + anns.map(([k, v]) => `    ${k}: "${v}"`).join('\n') + '\n' : ''}data:
${Object.entries(data)
  .map(([k, v]) => `  ${k}: "${v}"`)
  .join('\n')}
`;
}
