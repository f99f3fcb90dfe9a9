// `admission serve` put together: serving certificate (generated once into the data dir), the engine
// loaded from files and/or a cluster, the HTTPS webhook, the webhook configuration, and periodic audit.

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeClient, KubeError } from '../kube/index.ts';
import { generateCa, issueServingCert } from '../sandbox/index.ts';
import { ClusterSync } from './cluster.ts';
import { AdmissionEngine } from './engine.ts';
import { AdmissionError } from './errors.ts';
import { expandPaths } from './verify.ts';
import { startWebhook, type LogEntry, type WebhookServer } from './webhook.ts';
import { loadDocuments, isObj, str, type Obj } from './yaml-load.ts';
import { MutationSystem, topLevelPatch, MUTATION_GROUP } from './mutation.ts';
import { wildcardMatch } from './match.ts';
import {
  IMAGE_POLICY_GROUP,
  ImagePolicies,
  resolveImageTags,
  watchImagePolicies,
  type ImagePoliciesOptions,
} from './image-signature.ts';

export interface ServeOptions {
  dataDir: string;
  host: string;
  port: number;
  kubeconfig?: string;
  /** Files or directories (`/...` recursive) with templates, constraints and inventory objects. */
  files?: string[];
  exemptNamespaces?: string[];
  enableCel?: boolean;
  failurePolicy?: 'Fail' | 'Ignore';
  timeoutMs?: number;
  /** 0 disables periodic audit. */
  auditIntervalMs?: number;
  registerWebhook?: boolean;
  /** Enable the mutating webhook (Assign, AssignMetadata, ModifySet). Default true. */
  mutation?: boolean;
  /** Image signature checks (ClusterImagePolicy): verdict cache, registry failure policy, registry clients. */
  imageVerification?: ImagePoliciesOptions;
  log?: (e: LogEntry) => void;
}

export interface AdmissionServer {
  url: string;
  caCert: string;
  engine: AdmissionEngine;
  mutation: MutationSystem | undefined;
  webhook: WebhookServer;
  sync: ClusterSync | undefined;
  images: ImagePolicies;
  close(): Promise<void>;
}

function writeAtomic(path: string, data: string, mode: number): void {
  writeFileSync(path + '.tmp', data, { mode });
  renameSync(path + '.tmp', path);
}

/** The webhook's CA and serving certificate, created on first start and reused afterwards. */
export async function ensureServingCert(dir: string): Promise<{ caCert: string; cert: string; key: string }> {
  mkdirSync(dir, { recursive: true });
  const p = (n: string) => join(dir, n);
  if (existsSync(p('webhook-ca.crt')) && existsSync(p('webhook.crt')) && existsSync(p('webhook.key'))) {
    return {
      caCert: readFileSync(p('webhook-ca.crt'), 'utf8'),
      cert: readFileSync(p('webhook.crt'), 'utf8'),
      key: readFileSync(p('webhook.key'), 'utf8'),
    };
  }
  const ca = await generateCa('sekisho-admission-ca');
  const srv = await issueServingCert(
    ca,
    'gatekeeper-webhook-service.gatekeeper-system.svc',
    ['localhost', 'gatekeeper-webhook-service.gatekeeper-system.svc'],
    ['127.0.0.1', '::1'],
  );
  writeAtomic(p('webhook.key'), srv.key, 0o600);
  writeAtomic(p('webhook.crt'), srv.cert, 0o644);
  writeAtomic(p('webhook-ca.crt'), ca.cert, 0o644);
  return { caCert: ca.cert, cert: srv.cert, key: srv.key };
}

/** Loads templates first, then constraints, then everything else into the inventory. */
export async function loadFiles(
  engine: AdmissionEngine,
  paths: string[],
  mutation?: MutationSystem,
  images?: ImagePolicies,
): Promise<void> {
  const files = await expandPaths(paths);
  const docs: { file: string; obj: Obj }[] = [];
  for (const f of files) for (const obj of await loadDocuments(f)) docs.push({ file: f, obj });
  for (const d of docs) {
    if (d.obj.kind !== 'ConstraintTemplate') continue;
    const t = engine.addTemplate(d.obj, d.file);
    if (t.errors.length > 0)
      throw new AdmissionError(
        'admission_template_error',
        `template ${t.name}: ${t.errors.map((e) => e.message).join('; ')}`,
        { file: d.file, row: 0, col: 0 },
      );
  }
  for (const d of docs) {
    const api = typeof d.obj.apiVersion === 'string' ? d.obj.apiVersion : '';
    if (api.startsWith('constraints.gatekeeper.sh/')) engine.addConstraint(d.obj, d.file);
    else if (api.startsWith(`${IMAGE_POLICY_GROUP}/`)) images?.upsert(d.obj, d.file);
    else if (api.startsWith(`${MUTATION_GROUP}/`)) {
      if (mutation) mutation.upsert(d.obj);
    } else if (d.obj.kind !== 'ConstraintTemplate' && d.obj.kind !== 'Suite') engine.inventory.upsert(d.obj);
  }
}

export async function startAdmissionServer(o: ServeOptions): Promise<AdmissionServer> {
  const log = o.log ?? (() => {});
  const engine = new AdmissionEngine({ enableCel: o.enableCel ?? false });
  const mutation = o.mutation === false ? undefined : new MutationSystem();
  let client: KubeClient | undefined;
  if (o.kubeconfig) client = await KubeClient.fromKubeconfig({ path: o.kubeconfig });
  const kc = client;
  const images = new ImagePolicies({
    ...(kc
      ? {
          keys: {
            readSecret: async (namespace: string, name: string) => {
              try {
                const sec = (await kc.get('v1', 'Secret', name, namespace)) as { data?: Record<string, string> };
                return Object.fromEntries(
                  Object.entries(sec.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
                );
              } catch (e) {
                if (e instanceof KubeError && e.status === 404) return undefined;
                throw e;
              }
            },
          },
        }
      : {}),
    ...o.imageVerification,
  });
  if (o.files && o.files.length > 0) await loadFiles(engine, o.files, mutation, images);
  const tls = await ensureServingCert(o.dataDir);
  let sync: ClusterSync | undefined;
  let imageWatch: { stop(): void } | undefined;
  if (client) {
    sync = new ClusterSync({ client, engine, ...(mutation ? { mutation } : {}), log });
    await sync.start();
    imageWatch = await watchImagePolicies(client, images, log);
  }
  const webhook = await startWebhook({
    engine,
    host: o.host,
    port: o.port,
    tls,
    exemptNamespaces: o.exemptNamespaces ?? [],
    timeoutMs: o.timeoutMs ?? 3000,
    failOpen: o.failurePolicy === 'Ignore',
    log,
    extraValidation: (req) => images.review(req),
    ...(mutation
      ? {
          mutate: async (req) => {
            const obj = req.object;
            const ns = req.namespace ?? '';
            if (!isObj(obj) || (ns && (o.exemptNamespaces ?? []).some((p) => wildcardMatch(p, ns))))
              return { patch: [] };
            const kindName = str(isObj(req.kind) ? req.kind.kind : undefined);
            const nsObj = ns ? (engine.namespaces.get(ns) ?? engine.inventory.namespace(ns)) : undefined;
            const out = mutation.mutate(obj, { namespace: ns, namespaceObject: nsObj });
            if (out) log({ level: 'info', msg: 'mutated', kind: kindName, namespace: ns, name: req.name });
            // then image tags → digests for images a ClusterImagePolicy covers (policy-controller's step)
            const pinned =
              req.operation === 'DELETE' ? undefined : await resolveImageTags(images, out ?? obj, ns || undefined);
            if (pinned) log({ level: 'info', msg: 'image tags resolved', namespace: ns, name: req.name });
            const final = pinned ?? out;
            return { patch: final ? topLevelPatch(obj, final) : [] };
          },
        }
      : {}),
  });
  if (sync && o.registerWebhook !== false) {
    await sync.registerWebhook(webhook.url, tls.caCert, {
      failurePolicy: o.failurePolicy ?? 'Fail',
      timeoutSeconds: Math.max(1, Math.ceil((o.timeoutMs ?? 3000) / 1000)),
    });
    if (mutation) await sync.registerMutatingWebhook(webhook.url, tls.caCert);
  }
  let timer: NodeJS.Timeout | undefined;
  let auditing: Promise<unknown> | undefined;
  if (sync && (o.auditIntervalMs ?? 60_000) > 0) {
    const s = sync;
    timer = setInterval(() => {
      if (auditing) return;
      auditing = s
        .audit()
        .catch((e: unknown) => log({ level: 'error', msg: 'audit failed', error: String(e) }))
        .finally(() => (auditing = undefined));
    }, o.auditIntervalMs ?? 60_000);
    timer.unref();
  }
  return {
    url: webhook.url,
    caCert: tls.caCert,
    engine,
    mutation,
    webhook,
    sync,
    images,
    close: async () => {
      if (timer) clearInterval(timer);
      await auditing;
      sync?.stop();
      imageWatch?.stop();
      await webhook.close();
    },
  };
}
