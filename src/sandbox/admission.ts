// Admission webhooks: the sandbox calls the webhooks of MutatingWebhookConfiguration and
// ValidatingWebhookConfiguration objects over TLS with AdmissionReview v1, as kube-apiserver does —
// rules (operations, groups, versions, resources incl. subresources, scope), namespaceSelector,
// objectSelector, failurePolicy, timeoutSeconds, JSONPatch mutations and warnings.
import https from 'node:https';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import {
  KubeError,
  isObject,
  matchesLabelSelectorObject,
  type KubeObject,
  type LabelSelectorObject,
  type ResourceInfo,
} from '../kube/index.ts';
import { applyJsonPatch } from './patch.ts';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionAttributes {
  operation: Operation;
  info: ResourceInfo;
  subresource: string;
  namespace: string;
  name: string;
  object?: KubeObject;
  oldObject?: KubeObject;
  dryRun: boolean;
  username: string;
}

export interface Webhook {
  name: string;
  clientConfig?: {
    url?: string;
    caBundle?: string;
    service?: { namespace: string; name: string; path?: string; port?: number };
  };
  rules?: {
    operations?: string[];
    apiGroups?: string[];
    apiVersions?: string[];
    resources?: string[];
    scope?: string;
  }[];
  failurePolicy?: 'Fail' | 'Ignore';
  namespaceSelector?: LabelSelectorObject;
  objectSelector?: LabelSelectorObject;
  timeoutSeconds?: number;
  sideEffects?: string;
  admissionReviewVersions?: string[];
}

export interface AdmissionSources {
  mutating(): KubeObject[];
  validating(): KubeObject[];
  namespaceLabels(ns: string): Record<string, string> | undefined;
  /** Maps a webhook's service reference to a URL (the sandbox has no cluster network). */
  resolveService?: (svc: { namespace: string; name: string; path?: string; port?: number }) => string | undefined;
}

function ruleMatches(w: Webhook, a: AdmissionAttributes): boolean {
  const res = a.subresource ? `${a.info.resource}/${a.subresource}` : a.info.resource;
  for (const r of w.rules ?? []) {
    const ops = r.operations ?? [];
    if (!ops.includes('*') && !ops.includes(a.operation)) continue;
    const groups = r.apiGroups ?? [];
    if (!groups.includes('*') && !groups.includes(a.info.group)) continue;
    const versions = r.apiVersions ?? [];
    if (!versions.includes('*') && !versions.includes(a.info.version)) continue;
    const resources = r.resources ?? [];
    const ok = resources.some((p) => {
      if (p === '*/*') return true;
      if (p === '*') return !a.subresource;
      const [pr, ps] = p.split('/') as [string, string | undefined];
      if (ps === undefined) return !a.subresource && pr === a.info.resource;
      if (pr === '*') return ps === a.subresource;
      if (ps === '*') return pr === a.info.resource;
      return p === res;
    });
    if (!ok) continue;
    const scope = r.scope ?? '*';
    if (scope === 'Cluster' && a.info.namespaced) continue;
    if (scope === 'Namespaced' && !a.info.namespaced) continue;
    return true;
  }
  return false;
}

function selectorsMatch(w: Webhook, a: AdmissionAttributes, src: AdmissionSources): boolean {
  if (w.objectSelector && Object.keys(w.objectSelector).length) {
    const ok =
      matchesLabelSelectorObject(w.objectSelector, a.object?.metadata.labels) ||
      (a.oldObject !== undefined && matchesLabelSelectorObject(w.objectSelector, a.oldObject.metadata.labels));
    if (!ok) return false;
  }
  if (w.namespaceSelector && Object.keys(w.namespaceSelector).length) {
    let labels: Record<string, string> | undefined;
    if (a.info.kind === 'Namespace' && a.info.group === '') labels = (a.object ?? a.oldObject)?.metadata.labels;
    else if (a.info.namespaced) labels = src.namespaceLabels(a.namespace);
    else return true;
    if (!matchesLabelSelectorObject(w.namespaceSelector, labels ?? {})) return false;
  }
  return true;
}

function post(
  url: string,
  body: string,
  caBundle: string | undefined,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const lib = u.protocol === 'https:' ? https : http;
    const req = lib.request(
      u,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'content-length': Buffer.byteLength(body),
        },
        ...(u.protocol === 'https:' && caBundle ? { ca: Buffer.from(caBundle, 'base64').toString('utf8') } : {}),
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`context deadline exceeded (timeout ${timeoutMs / 1000}s)`)));
    req.on('error', reject);
    req.end(body);
  });
}

export class WebhookAdmission {
  constructor(private readonly src: AdmissionSources) {}

  /** Runs mutating webhooks in order, then validating ones; returns the (possibly mutated) object and warnings. */
  async admit(a: AdmissionAttributes): Promise<{ object?: KubeObject; warnings: string[] }> {
    const warnings: string[] = [];
    if (a.info.group === 'admissionregistration.k8s.io') return { ...(a.object ? { object: a.object } : {}), warnings };
    let object = a.object;
    for (const cfg of this.src.mutating()) {
      for (const w of (cfg.webhooks as Webhook[] | undefined) ?? []) {
        const attrs = { ...a, ...(object ? { object } : {}) };
        if (!ruleMatches(w, attrs) || !selectorsMatch(w, attrs, this.src)) continue;
        const resp = await this.call(w, attrs, warnings);
        if (!resp) continue;
        if (resp.patch && object) {
          if (resp.patchType !== undefined && resp.patchType !== 'JSONPatch')
            throw new KubeError(
              'InternalError',
              500,
              `Internal error occurred: webhook "${w.name}" returned unsupported patchType ${resp.patchType}`,
            );
          const ops = JSON.parse(Buffer.from(resp.patch, 'base64').toString('utf8')) as unknown;
          object = applyJsonPatch(object, ops) as KubeObject;
        }
      }
    }
    const validating: Promise<unknown>[] = [];
    for (const cfg of this.src.validating()) {
      for (const w of (cfg.webhooks as Webhook[] | undefined) ?? []) {
        const attrs = { ...a, ...(object ? { object } : {}) };
        if (!ruleMatches(w, attrs) || !selectorsMatch(w, attrs, this.src)) continue;
        validating.push(this.call(w, attrs, warnings));
      }
    }
    const results = await Promise.allSettled(validating);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
    return { ...(object ? { object } : {}), warnings };
  }

  private async call(
    w: Webhook,
    a: AdmissionAttributes,
    warnings: string[],
  ): Promise<{ patch?: string; patchType?: string } | undefined> {
    const timeout = Math.min(Math.max(w.timeoutSeconds ?? 10, 1), 30) * 1000;
    const gvk = { group: a.info.group, version: a.info.version, kind: a.info.kind };
    const gvr = { group: a.info.group, version: a.info.version, resource: a.info.resource };
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: randomUUID(),
        kind: gvk,
        resource: gvr,
        ...(a.subresource ? { subResource: a.subresource } : {}),
        requestKind: gvk,
        requestResource: gvr,
        name: a.name,
        ...(a.info.namespaced ? { namespace: a.namespace } : {}),
        operation: a.operation,
        userInfo: { username: a.username, groups: ['system:masters', 'system:authenticated'] },
        object: a.operation === 'DELETE' ? null : (a.object ?? null),
        oldObject: a.operation === 'CREATE' ? null : (a.oldObject ?? null),
        dryRun: a.dryRun,
        options:
          a.operation === 'CREATE'
            ? { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' }
            : a.operation === 'UPDATE'
              ? { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1' }
              : { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1' },
      },
    };
    const failOpen = w.failurePolicy === 'Ignore';
    let url = w.clientConfig?.url;
    if (!url && w.clientConfig?.service) url = this.src.resolveService?.(w.clientConfig.service);
    try {
      if (!url) throw new Error('the webhook has no URL and its service reference cannot be resolved in the sandbox');
      if (a.dryRun && w.sideEffects !== 'None' && w.sideEffects !== 'NoneOnDryRun') {
        throw new KubeError('BadRequest', 400, `admission webhook "${w.name}" does not support dry run`);
      }
      const res = await post(url, JSON.stringify(review), w.clientConfig?.caBundle, timeout);
      if (res.status < 200 || res.status >= 300) throw new Error(`the server responded with HTTP ${res.status}`);
      const body = JSON.parse(res.body) as {
        response?: {
          uid?: string;
          allowed?: boolean;
          status?: { message?: string; code?: number; reason?: string };
          patch?: string;
          patchType?: string;
          warnings?: string[];
        };
      };
      const r = body.response;
      if (!r) throw new Error('the response contained no AdmissionReview response');
      if (r.uid !== review.request.uid)
        throw new Error(`expected response.uid="${review.request.uid}", got "${r.uid}"`);
      for (const warn of r.warnings ?? []) warnings.push(warn);
      if (!r.allowed) {
        const code = (r.status?.code ?? 0) < 400 ? 400 : r.status!.code!;
        const msg = r.status?.message
          ? `admission webhook "${w.name}" denied the request: ${r.status.message}`
          : `admission webhook "${w.name}" denied the request without explanation`;
        throw new KubeError(code === 403 ? 'Forbidden' : code === 422 ? 'Invalid' : 'BadRequest', code, msg, {
          details: { name: a.name },
        });
      }
      return { ...(r.patch ? { patch: r.patch } : {}), ...(r.patchType ? { patchType: r.patchType } : {}) };
    } catch (err) {
      if (err instanceof KubeError) throw err;
      if (failOpen) return undefined;
      const msg = err instanceof Error ? err.message : String(err);
      throw new KubeError(
        'InternalError',
        500,
        `Internal error occurred: failed calling webhook "${w.name}": failed to call webhook: ${msg}`,
        { cause: err },
      );
    }
  }
}

export function isWebhookConfig(o: unknown): o is KubeObject {
  return isObject(o) && Array.isArray(o.webhooks);
}
