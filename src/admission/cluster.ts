// Keeping the engine in step with a cluster (the sandbox or a real one, through src/kube): the
// ConstraintTemplate CRD, one constraint CRD per template (as Gatekeeper's template controller creates
// them), template status with compile errors, constraints by watch, the webhook configuration, and the
// audit that writes each constraint's status.{auditTimestamp,totalViolations,violations[]}.

import { isDeepStrictEqual } from 'node:util';
import { Informer, KubeClient, KubeError, type KubeObject } from '../kube/index.ts';
import { AdmissionEngine } from './engine.ts';
import type { Constraint } from './constraint.ts';
import { requestForObject } from './review.ts';
import { CONSTRAINT_GROUP, TEMPLATE_GROUP } from './template.ts';
import type { LogEntry } from './webhook.ts';
import { MUTATION_GROUP, MUTATOR_KINDS, type MutationSystem } from './mutation.ts';
import { isObj, str, type Obj } from './yaml-load.ts';

export const POD_ID = 'sekisho-admission';
/** Gatekeeper's --constraint-violations-limit default. */
export const AUDIT_VIOLATIONS_LIMIT = 20;

export interface ClusterSyncOptions {
  client: KubeClient;
  engine: AdmissionEngine;
  /** When given, Assign / AssignMetadata / ModifySet are synced into it. */
  mutation?: MutationSystem;
  log?: (e: LogEntry) => void;
}

function crd(group: string, kind: string, versions: string[], storage: string, extra: Obj = {}): KubeObject {
  const plural = kind.toLowerCase() + (kind === 'ConstraintTemplate' ? 's' : '');
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${plural}.${group}`,
      labels: { 'gatekeeper.sh/constraint': kind === 'ConstraintTemplate' ? 'no' : 'yes' },
    },
    spec: {
      group,
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List`, ...extra },
      scope: 'Cluster',
      versions: versions.map((v) => ({
        name: v,
        served: true,
        storage: v === storage,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        subresources: { status: {} },
      })),
    },
  } as KubeObject;
}

/** The constraint kind's schema, as Gatekeeper's CRD: spec.parameters from the template (legacy v1beta1
 * templates keep unknown parameter fields), match / enforcementAction kept, status free-form. */
function constraintSchema(params: unknown, legacy: boolean): Obj {
  const free = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  const p: Obj = isObj(params) ? { ...params } : { ...free };
  if (legacy) p['x-kubernetes-preserve-unknown-fields'] = true;
  return {
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      spec: {
        type: 'object',
        properties: {
          parameters: p,
          match: free,
          enforcementAction: { type: 'string' },
          scopedEnforcementActions: { type: 'array', items: free },
        },
      },
      status: free,
    },
  };
}

async function getOrUndefined(client: KubeClient, obj: KubeObject): Promise<KubeObject | undefined> {
  try {
    return await client.get(obj.apiVersion ?? '', obj.kind ?? '', obj.metadata.name ?? '');
  } catch (e) {
    if (e instanceof KubeError && e.status === 404) return undefined;
    throw e;
  }
}

/** Creates `obj` unless it exists. Looked up first: a create of an existing object still goes through the
 * admission webhooks (on a real apiserver), and on a restart the registered webhook may be our previous
 * process's, gone, with failurePolicy Fail. */
async function ensure(client: KubeClient, obj: KubeObject): Promise<void> {
  if (await getOrUndefined(client, obj)) return;
  try {
    await client.create(obj);
  } catch (e) {
    if (e instanceof KubeError && e.status === 409) return;
    throw e;
  }
}

/** True when the stored CRD already serves `want`'s versions with its schemas and names (nothing to apply). */
function crdUpToDate(have: KubeObject | undefined, want: KubeObject): boolean {
  if (!have) return false;
  const hs = (have.spec ?? {}) as Obj;
  const ws = (want.spec ?? {}) as Obj;
  const hv = Array.isArray(hs.versions) ? (hs.versions as Obj[]) : [];
  const wv = Array.isArray(ws.versions) ? (ws.versions as Obj[]) : [];
  if (hs.scope !== ws.scope || hv.length !== wv.length) return false;
  const hn = isObj(hs.names) ? hs.names : {};
  const wn = isObj(ws.names) ? ws.names : {};
  for (const [k, v] of Object.entries(wn)) if (!isDeepStrictEqual(hn[k], v)) return false;
  return wv.every((w) => {
    const h = hv.find((x) => x.name === w.name);
    return (
      h !== undefined &&
      h.served === w.served &&
      h.storage === w.storage &&
      isDeepStrictEqual(h.schema, w.schema) &&
      isDeepStrictEqual(h.subresources, w.subresources)
    );
  });
}

export class ClusterSync {
  private readonly client: KubeClient;
  private readonly engine: AdmissionEngine;
  private readonly log: (e: LogEntry) => void;
  private templates: Informer | undefined;
  private readonly constraintInformers = new Map<string, Informer>();
  private readonly mutation: MutationSystem | undefined;
  private readonly mutatorInformers: Informer[] = [];
  private configInformer: Informer | undefined;
  private syncInformers: Informer[] = [];
  private syncKey = '';
  /** Per template name: the uid/generation last synced (or being synced) and the chain of its syncs. */
  private readonly templateSynced = new Map<string, { key: string; done: Promise<void> }>();

  constructor(opts: ClusterSyncOptions) {
    this.client = opts.client;
    this.engine = opts.engine;
    this.mutation = opts.mutation;
    this.log = opts.log ?? (() => {});
  }

  async start(): Promise<void> {
    await ensure(this.client, crd(TEMPLATE_GROUP, 'ConstraintTemplate', ['v1', 'v1beta1', 'v1alpha1'], 'v1'));
    await this.waitForKind(`${TEMPLATE_GROUP}/v1`, 'ConstraintTemplate');
    const inf = new Informer(this.client, `${TEMPLATE_GROUP}/v1`, 'ConstraintTemplate');
    this.templates = inf;
    // Only the first list's syncs are awaited by start(); later events are not collected (a stream of
    // updates must not keep start() from returning, nor grow a list forever).
    let initial: Promise<void>[] | undefined = [];
    const onTemplate = (o: KubeObject) => {
      const p = this.queueTemplateSync(o);
      if (p && initial) initial.push(p);
    };
    inf.on('add', onTemplate).on('update', onTemplate);
    inf.on('delete', (o) => {
      this.templateSynced.delete(o.metadata.name ?? '');
      const t = [...this.engine.templates.values()].find((x) => x.name === o.metadata.name);
      if (t) {
        this.constraintInformers.get(t.kind)?.stop();
        this.constraintInformers.delete(t.kind);
      }
      this.engine.removeTemplate(o.metadata.name ?? '');
    });
    await inf.start();
    const first = initial;
    initial = undefined;
    // Namespace cache for namespaceSelector matching.
    const nsInf = new Informer(this.client, 'v1', 'Namespace');
    const onNs = (o: KubeObject) => void this.engine.namespaces.set(o.metadata.name ?? '', o as unknown as Obj);
    nsInf
      .on('add', onNs)
      .on('update', onNs)
      .on('delete', (o) => void this.engine.namespaces.delete(o.metadata.name ?? ''));
    this.mutatorInformers.push(nsInf);
    await nsInf.start();
    if (this.mutation) await this.startMutators(this.mutation);
    await this.startConfig();
    // The first list's templates (and their constraints) are loaded before the webhook answers.
    await Promise.all(first);
  }

  /**
   * Syncs a template when its spec is new to us: a new uid or generation. Updates that change only status
   * or metadata (our own status writes among them) are skipped, so a write never feeds back into another
   * sync. Syncs of one template run one after another. Returns the queued sync, or undefined if skipped.
   */
  private queueTemplateSync(o: KubeObject): Promise<void> | undefined {
    const name = o.metadata.name ?? '';
    // metadata.generation follows spec changes; a server without it is compared by spec.
    const key = `${o.metadata.uid ?? ''}/${o.metadata.generation ?? JSON.stringify((o as unknown as Obj).spec)}`;
    const prev = this.templateSynced.get(name);
    if (prev?.key === key) return undefined;
    const entry = { key, done: Promise.resolve() };
    entry.done = (prev?.done ?? Promise.resolve()).then(() =>
      this.syncTemplate(o).catch((e: unknown) => {
        // Let the next event for this template try again.
        if (this.templateSynced.get(name) === entry) this.templateSynced.delete(name);
        this.log({ level: 'error', msg: 'template sync failed', name, error: String(e) });
      }),
    );
    this.templateSynced.set(name, entry);
    return entry.done;
  }

  private async startMutators(ms: MutationSystem): Promise<void> {
    for (const kind of MUTATOR_KINDS) {
      const c = crd(MUTATION_GROUP, kind, ['v1', 'v1beta1', 'v1alpha1'], 'v1');
      const spec = c.spec as { names: { plural: string } };
      spec.names.plural = kind.toLowerCase();
      (c.metadata as { name: string }).name = `${kind.toLowerCase()}.${MUTATION_GROUP}`;
      await ensure(this.client, c);
      await this.waitForKind(`${MUTATION_GROUP}/v1`, kind);
      const inf = new Informer(this.client, `${MUTATION_GROUP}/v1`, kind);
      const on = (o: KubeObject) => {
        try {
          ms.upsert(o as unknown as Obj);
        } catch (e) {
          this.log({ level: 'error', msg: 'mutator rejected', kind, name: o.metadata.name, error: String(e) });
        }
      };
      inf
        .on('add', on)
        .on('update', on)
        .on('delete', (o) => ms.remove(kind, o.metadata.name ?? ''));
      this.mutatorInformers.push(inf);
      await inf.start();
    }
  }

  /** Gatekeeper's Config (config.gatekeeper.sh/v1alpha1): spec.sync.syncOnly kinds are replicated into data.inventory. */
  private async startConfig(): Promise<void> {
    const c = crd('config.gatekeeper.sh', 'Config', ['v1alpha1'], 'v1alpha1');
    const spec = c.spec as { scope: string; names: { plural: string } };
    spec.scope = 'Namespaced';
    spec.names.plural = 'configs';
    (c.metadata as { name: string }).name = 'configs.config.gatekeeper.sh';
    await ensure(this.client, c);
    await this.waitForKind('config.gatekeeper.sh/v1alpha1', 'Config');
    const inf = new Informer(this.client, 'config.gatekeeper.sh/v1alpha1', 'Config');
    const resync = () => {
      void this.resyncInventory(inf.list()).catch((e: unknown) =>
        this.log({ level: 'error', msg: 'inventory sync failed', error: String(e) }),
      );
    };
    inf.on('add', resync).on('update', resync).on('delete', resync);
    this.configInformer = inf;
    await inf.start();
    await this.resyncInventory(inf.list());
  }

  private async resyncInventory(configs: KubeObject[]): Promise<void> {
    const gvks = new Map<string, { apiVersion: string; kind: string }>();
    for (const cfg of configs) {
      const spec = isObj((cfg as unknown as Obj).spec) ? ((cfg as unknown as Obj).spec as Obj) : {};
      const sync = isObj(spec.sync) ? spec.sync : {};
      for (const g of Array.isArray(sync.syncOnly) ? sync.syncOnly : []) {
        if (!isObj(g)) continue;
        const group = str(g.group) ?? '';
        const version = str(g.version) ?? '';
        const kind = str(g.kind) ?? '';
        if (!version || !kind) continue;
        const apiVersion = group ? `${group}/${version}` : version;
        gvks.set(`${apiVersion}/${kind}`, { apiVersion, kind });
      }
    }
    const key = [...gvks.keys()].sort().join(',');
    if (key === this.syncKey) return;
    this.syncKey = key;
    for (const i of this.syncInformers) i.stop();
    this.syncInformers = [];
    this.engine.inventory.clear();
    for (const { apiVersion, kind } of gvks.values()) {
      const inf = new Informer(this.client, apiVersion, kind);
      const up = (o: KubeObject) => this.engine.inventory.upsert(o as unknown as Obj);
      inf
        .on('add', up)
        .on('update', up)
        .on('delete', (o) => this.engine.inventory.remove(o as unknown as Obj));
      this.syncInformers.push(inf);
      await inf.start();
    }
    this.log({ level: 'info', msg: 'inventory sync', kinds: [...gvks.keys()], objects: this.engine.inventory.size });
  }

  /** Registers the MutatingWebhookConfiguration (failurePolicy Ignore, as Gatekeeper ships it). */
  async registerMutatingWebhook(url: string, caCert: string): Promise<void> {
    const cfg = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'gatekeeper-mutating-webhook-configuration', labels: { 'gatekeeper.sh/system': 'yes' } },
      webhooks: [
        {
          name: 'mutation.gatekeeper.sh',
          clientConfig: { url: `${url}/v1/mutate`, caBundle: Buffer.from(caCert).toString('base64') },
          rules: [
            { apiGroups: ['*'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['*'], scope: '*' },
          ],
          failurePolicy: 'Ignore',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          reinvocationPolicy: 'Never',
          timeoutSeconds: 1,
          namespaceSelector: {
            matchExpressions: [{ key: 'admission.gatekeeper.sh/ignore', operator: 'DoesNotExist' }],
          },
        },
      ],
    } as unknown as KubeObject;
    await this.client.apply(cfg, { fieldManager: POD_ID, force: true });
  }

  stop(): void {
    this.configInformer?.stop();
    for (const i of this.syncInformers) i.stop();
    for (const i of this.mutatorInformers) i.stop();
    this.templates?.stop();
    for (const i of this.constraintInformers.values()) i.stop();
  }

  private async waitForKind(apiVersion: string, kind: string): Promise<void> {
    for (let i = 0; ; i++) {
      try {
        await this.client.resourceFor(apiVersion, kind);
        return;
      } catch (e) {
        if (i >= 50) throw e;
        await new Promise((r) => setTimeout(r, 100)); // the CRD is established asynchronously
      }
    }
  }

  private async syncTemplate(o: KubeObject): Promise<void> {
    let errors: { code: string; message: string; location?: string }[];
    let kind: string | undefined;
    try {
      const t = this.engine.addTemplate(o as unknown as Obj, `ConstraintTemplate/${o.metadata.name}`);
      errors = t.errors;
      kind = t.kind;
    } catch (e) {
      errors = [{ code: 'ingest_error', message: e instanceof Error ? e.message : String(e) }];
    }
    if (kind) {
      const def = crd(CONSTRAINT_GROUP, kind, ['v1beta1', 'v1alpha1', 'v1'], 'v1beta1', {
        categories: ['constraint', 'constraints'],
      });
      const t = this.engine.templates.get(kind);
      const legacy = (o.apiVersion ?? '').endsWith('/v1beta1') || (o.apiVersion ?? '').endsWith('/v1alpha1');
      const schema = constraintSchema(t?.parametersSchema, legacy);
      for (const v of (def.spec as { versions: { schema: unknown }[] }).versions)
        v.schema = { openAPIV3Schema: schema };
      try {
        // Applied only when it differs: an unchanged CRD needs no write (nor a webhook call).
        if (!crdUpToDate(await getOrUndefined(this.client, def), def))
          await this.client.apply(def, { fieldManager: POD_ID, force: true });
      } catch (e) {
        this.log({
          level: 'warn',
          msg: 'cannot apply the constraint CRD with the parameters schema; using a free-form schema',
          kind,
          error: String(e),
        });
        await ensure(
          this.client,
          crd(CONSTRAINT_GROUP, kind, ['v1beta1', 'v1alpha1', 'v1'], 'v1beta1', {
            categories: ['constraint', 'constraints'],
          }),
        );
      }
      if (!this.constraintInformers.has(kind)) {
        await this.waitForKind(`${CONSTRAINT_GROUP}/v1beta1`, kind);
        const ci = new Informer(this.client, `${CONSTRAINT_GROUP}/v1beta1`, kind);
        this.constraintInformers.set(kind, ci);
        const onConstraint = (c: KubeObject) => {
          try {
            this.engine.addConstraint(c as unknown as Obj, `${kind}/${c.metadata.name}`);
          } catch (e) {
            this.log({ level: 'error', msg: 'constraint rejected', kind, name: c.metadata.name, error: String(e) });
          }
        };
        ci.on('add', onConstraint).on('update', onConstraint);
        ci.on('delete', (c) => this.engine.removeConstraint(kind, c.metadata.name ?? ''));
        await ci.start();
      }
    }
    const status = {
      created: kind !== undefined,
      byPod: [
        {
          id: POD_ID,
          observedGeneration: o.metadata.generation ?? 1,
          operations: ['audit', 'webhook'],
          templateUID: o.metadata.uid,
          errors,
        },
      ],
    };
    // Written only when it changes: a restart with the same templates writes nothing.
    const have = isObj((o as unknown as Obj).status) ? ((o as unknown as Obj).status as Obj) : {};
    const want = JSON.parse(JSON.stringify(status)) as Obj; // as it is stored: no undefined fields
    const unchanged = have.created === want.created && isDeepStrictEqual(have.byPod, want.byPod);
    if (!unchanged)
      try {
        await this.client.patch(
          `${TEMPLATE_GROUP}/v1`,
          'ConstraintTemplate',
          o.metadata.name ?? '',
          undefined,
          { status },
          'merge',
          { subresource: 'status' },
        );
      } catch (e) {
        this.log({ level: 'warn', msg: 'cannot write template status', name: o.metadata.name, error: String(e) });
      }
    if (errors.length > 0) this.log({ level: 'warn', msg: 'template has errors', name: o.metadata.name, errors });
  }

  /** Registers (or updates) the ValidatingWebhookConfiguration pointing at `url`. */
  async registerWebhook(
    url: string,
    caCert: string,
    opts: { failurePolicy?: 'Fail' | 'Ignore'; timeoutSeconds?: number; exemptNamespaces?: string[] } = {},
  ): Promise<void> {
    const cfg = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'gatekeeper-validating-webhook-configuration', labels: { 'gatekeeper.sh/system': 'yes' } },
      webhooks: [
        {
          name: 'validation.gatekeeper.sh',
          clientConfig: { url: `${url}/v1/admit`, caBundle: Buffer.from(caCert).toString('base64') },
          rules: [
            { apiGroups: ['*'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['*'], scope: '*' },
          ],
          failurePolicy: opts.failurePolicy ?? 'Fail',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          timeoutSeconds: opts.timeoutSeconds ?? 3,
          namespaceSelector: {
            matchExpressions: [{ key: 'admission.gatekeeper.sh/ignore', operator: 'DoesNotExist' }],
          },
        },
      ],
    } as unknown as KubeObject;
    await this.client.apply(cfg, { fieldManager: POD_ID, force: true });
  }

  private async preferredVersion(group: string): Promise<string | undefined> {
    if (group === '') return 'v1';
    try {
      const g = await this.client.request<{ preferredVersion?: { groupVersion?: string } }>('GET', `/apis/${group}`);
      return g.preferredVersion?.groupVersion;
    } catch {
      return undefined;
    }
  }

  /** One audit pass: every constraint's kinds are listed and reviewed; results go to constraint status. */
  async audit(now: () => Date = () => new Date()): Promise<{ constraints: number; violations: number }> {
    const constraints = this.engine.allConstraints();
    const kinds = new Map<string, { group: string; kind: string }>();
    for (const c of constraints) {
      const match = isObj(c.match) ? c.match : {};
      for (const k of Array.isArray(match.kinds) ? match.kinds : []) {
        if (!isObj(k)) continue;
        for (const g of Array.isArray(k.apiGroups) ? k.apiGroups : [])
          for (const kd of Array.isArray(k.kinds) ? k.kinds : []) {
            if (typeof g !== 'string' || typeof kd !== 'string' || g === '*' || kd === '*') continue;
            kinds.set(`${g}/${kd}`, { group: g, kind: kd });
          }
      }
    }
    const namespaces = new Map<string, Obj>();
    for (const n of (await this.client.listAll('v1', 'Namespace')).items)
      namespaces.set(n.metadata.name ?? '', n as unknown as Obj);
    const found = new Map<
      Constraint,
      {
        enforcementAction: string;
        group: string;
        version: string;
        kind: string;
        name: string;
        namespace?: string;
        message: string;
      }[]
    >();
    for (const c of constraints) found.set(c, []);
    const ts = now()
      .toISOString()
      .replace(/\.\d+Z$/, 'Z');
    for (const { group, kind } of kinds.values()) {
      const gv = await this.preferredVersion(group);
      if (!gv) continue;
      let items: KubeObject[];
      try {
        items = (await this.client.listAll(gv, kind, { namespace: '' })).items;
      } catch (e) {
        this.log({ level: 'warn', msg: 'audit cannot list kind', group, kind, error: String(e) });
        continue;
      }
      for (const item of items) {
        item.apiVersion ??= gv;
        item.kind ??= kind;
        const ns = item.metadata.namespace ?? '';
        const nsObj = ns ? namespaces.get(ns) : undefined;
        const r = this.engine.review(requestForObject(item as unknown as Obj), {
          enforcementPoint: 'audit.gatekeeper.sh',
          ...(nsObj ? { namespaceObject: nsObj } : {}),
        });
        for (const v of r.violations) {
          const list = found.get(v.constraint);
          if (!list) continue;
          const [g, ver] = gv.includes('/') ? (gv.split('/') as [string, string]) : ['', gv];
          for (const a of v.actions)
            list.push({
              enforcementAction: a,
              group: g,
              version: ver,
              kind,
              name: item.metadata.name ?? '',
              ...(ns ? { namespace: ns } : {}),
              message: v.msg,
            });
        }
      }
    }
    let total = 0;
    for (const [c, list] of found) {
      total += list.length;
      const status = {
        auditTimestamp: ts,
        totalViolations: list.length,
        violations: list.slice(0, AUDIT_VIOLATIONS_LIMIT),
        byPod: [
          {
            id: POD_ID,
            enforced: true,
            observedGeneration:
              isObj(c.source.metadata) && typeof c.source.metadata.generation === 'number'
                ? c.source.metadata.generation
                : 1,
            operations: ['audit', 'webhook'],
          },
        ],
      };
      try {
        await this.client.patch(
          str(c.source.apiVersion) ?? `${CONSTRAINT_GROUP}/v1beta1`,
          c.kind,
          c.name,
          undefined,
          { status },
          'merge',
          { subresource: 'status' },
        );
      } catch (e) {
        this.log({
          level: 'warn',
          msg: 'cannot write constraint status',
          kind: c.kind,
          name: c.name,
          error: String(e),
        });
      }
    }
    this.log({ level: 'info', msg: 'audit done', constraints: constraints.length, violations: total });
    return { constraints: constraints.length, violations: total };
  }
}
