// Simulated controllers so that workload health means something in the sandbox: the garbage collector
// (ownerReferences, background/foreground/orphan), namespace lifecycle, CRD establishment, and
// kwok-style workload controllers — Deployment → ReplicaSet → Pods that become Running and Ready,
// StatefulSet, DaemonSet, Job completion, PVC binding, LoadBalancer status.
//
// Configurable failure for tests, by container image name:
//   - an image containing `never-ready` runs but never becomes Ready (Deployments then miss their
//     progress deadline: Progressing=False, reason ProgressDeadlineExceeded);
//   - an image containing `crashloop` is shown waiting in CrashLoopBackOff, never Ready;
//   - in a Job, an image containing `job-fail` makes the pod fail (the Job fails after backoffLimit).
// With a PodExecutor (startSandbox({ executePods })), Job pods and pods annotated sekisho.dev/execute="true"
// are really run instead (pod-executor.ts) and the Job status follows their real outcome.
import { createHash } from 'node:crypto';
import {
  KubeError,
  clone,
  deepEqual,
  isObject,
  matchesLabelSelectorObject,
  type KubeObject,
  type LabelSelectorObject,
  type OwnerReference,
  type ResourceInfo,
} from '../kube/index.ts';
import { randomSuffix, resKey, type Cluster } from './cluster.ts';
import type { PodExecutor } from './pod-executor.ts';
import type { StoreEvent } from './store.ts';

const MANAGER = 'sekisho-sandbox-controller';
type Obj = Record<string, unknown>;

const OWNER_RES: Record<string, string> = {
  'apps/Deployment': 'apps/deployments',
  'apps/ReplicaSet': 'apps/replicasets',
  'apps/StatefulSet': 'apps/statefulsets',
  'apps/DaemonSet': 'apps/daemonsets',
  'batch/Job': 'batch/jobs',
  'batch/CronJob': 'batch/cronjobs',
};

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v))
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined && v[k] !== null)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** Hash of a pod template, independent of key order (and of the pod-template-hash label itself). */
export function templateHash(tpl: unknown): string {
  const t = clone(tpl ?? {}) as { metadata?: { labels?: Record<string, string> } };
  if (t.metadata?.labels) delete t.metadata.labels['pod-template-hash'];
  const h = createHash('sha256').update(canonical(t)).digest();
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let s = '';
  for (let i = 0; i < 10; i++) s += alphabet[h[i]! % alphabet.length];
  return s;
}

function cond(type: string, status: boolean, reason: string, message: string, now: string, prev?: Obj[]): Obj {
  const old = prev?.find((c) => c.type === type);
  const st = status ? 'True' : 'False';
  const same = old && old.status === st;
  return {
    type,
    status: st,
    ...(old && old.lastProbeTime !== undefined ? { lastProbeTime: old.lastProbeTime } : {}),
    lastTransitionTime: same ? old.lastTransitionTime : now,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  };
}

export class Controllers {
  private readonly queue = new Set<string>();
  private running = false;
  private stopped = false;
  private unsubscribe?: () => void;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** owner uid → dependents (`res|ns|name`) */
  private readonly dependents = new Map<string, Set<string>>();
  private podIp = 2;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly cluster: Cluster,
    /** runs selected pods for real instead of simulating their status (opt-in) */
    private readonly executor?: PodExecutor,
  ) {}

  start(): void {
    for (const res of this.cluster.store.resources())
      for (const s of this.cluster.store.list(res)) {
        this.index(res, s.obj, undefined);
        this.enqueue(res, s.obj);
      }
    this.unsubscribe = this.cluster.store.subscribe((e) => this.onEvent(e));
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    for (const t of this.timers) clearTimeout(t);
  }

  /** Resolves when the work queue is empty (for in-process callers and tests). */
  idle(): Promise<void> {
    if (!this.running && this.queue.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private index(res: string, obj: KubeObject, old: KubeObject | undefined): void {
    const key = `${res}|${obj.metadata.namespace ?? ''}|${obj.metadata.name ?? ''}`;
    for (const r of old?.metadata.ownerReferences ?? []) this.dependents.get(r.uid)?.delete(key);
    for (const r of obj.metadata.ownerReferences ?? []) {
      let s = this.dependents.get(r.uid);
      if (!s) this.dependents.set(r.uid, (s = new Set()));
      s.add(key);
    }
  }

  private unindex(res: string, obj: KubeObject): void {
    const key = `${res}|${obj.metadata.namespace ?? ''}|${obj.metadata.name ?? ''}`;
    for (const r of obj.metadata.ownerReferences ?? []) this.dependents.get(r.uid)?.delete(key);
  }

  private onEvent(e: StoreEvent): void {
    if (this.executor && e.res === '/pods' && (e.type === 'DELETED' || e.obj.metadata.deletionTimestamp))
      this.executor.kill(e.obj);
    if (e.type === 'DELETED') this.unindex(e.res, e.obj);
    else this.index(e.res, e.obj, e.old);
    if (e.res === 'apiextensions.k8s.io/customresourcedefinitions') {
      // served resources appear (and disappear) with the write itself, so discovery is current at once
      if (e.type === 'DELETED') this.cluster.unregisterCrd(e.obj);
      else this.cluster.registerCrd(e.obj);
    }
    this.enqueue(e.res, e.obj);
    for (const r of e.obj.metadata.ownerReferences ?? []) {
      const g = r.apiVersion.includes('/') ? r.apiVersion.split('/')[0]! : '';
      const ores = OWNER_RES[`${g}/${r.kind}`];
      if (ores) this.queue.add(`${ores}|${e.ns}|${r.name}`);
    }
    if (e.type === 'DELETED') {
      this.queue.add(`gc|${e.obj.metadata.uid ?? ''}|`);
      if (e.ns) this.queue.add(`/namespaces||${e.ns}`);
    } else if (e.obj.metadata.deletionTimestamp)
      this.queue.add(`gc|${e.obj.metadata.uid ?? ''}|${e.res}|${e.ns}|${e.name}`);
    // a dependent that goes away (or starts going away) may be what a foreground-deleting owner waits for
    for (const r of e.obj.metadata.ownerReferences ?? [])
      if (e.type === 'DELETED' || e.obj.metadata.deletionTimestamp) this.queue.add(`gcowner|${r.uid}|`);
    this.kick();
  }

  private enqueue(res: string, obj: KubeObject): void {
    this.queue.add(`${res}|${obj.metadata.namespace ?? ''}|${obj.metadata.name ?? ''}`);
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    setImmediate(() => void this.drain());
  }

  private later(key: string, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.queue.add(key);
      this.kick();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private async drain(): Promise<void> {
    let rounds = 0;
    while (this.queue.size && !this.stopped) {
      const key = this.queue.values().next().value as string;
      this.queue.delete(key);
      try {
        await this.reconcile(key);
      } catch (err) {
        if (err instanceof KubeError && (err.status === 409 || err.status === 404)) this.queue.add(key);
        else if (!(err instanceof KubeError)) console.error(`sandbox controller: ${key}:`, err);
      }
      if (++rounds % 200 === 0) await new Promise((r) => setImmediate(r));
    }
    this.running = false;
    if (this.queue.size && !this.stopped) return this.kick();
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const r of w) r();
  }

  private info(res: string): ResourceInfo | undefined {
    const [group, resource] = res.split('/') as [string, string];
    return this.cluster.registry.all().find((r) => r.group === group && r.resource === resource);
  }

  private get(res: string, ns: string, name: string): KubeObject | undefined {
    const s = this.cluster.store.get(res, ns, name);
    return s ? (JSON.parse(s.json) as KubeObject) : undefined;
  }

  private async write(res: string, obj: KubeObject, subresource?: string): Promise<KubeObject> {
    const info = this.info(res);
    if (!info) throw new KubeError('NotFound', 404, `no resource ${res}`);
    return this.cluster.internalWrite(info, obj, MANAGER, subresource);
  }

  private async setStatus(res: string, obj: KubeObject, status: Obj): Promise<void> {
    if (deepEqual(obj.status, status)) return;
    await this.write(res, { ...obj, status }, 'status');
  }

  private async del(
    res: string,
    ns: string,
    name: string,
    propagationPolicy?: 'Background' | 'Foreground' | 'Orphan',
  ): Promise<void> {
    const info = this.info(res);
    if (!info) return;
    try {
      await this.cluster.delete(info, ns, name, {
        internal: true,
        ...(propagationPolicy ? { propagationPolicy } : {}),
      });
    } catch (err) {
      if (!(err instanceof KubeError && err.status === 404)) throw err;
    }
  }

  private owned(res: string, owner: KubeObject): KubeObject[] {
    const out: KubeObject[] = [];
    for (const k of this.dependents.get(owner.metadata.uid ?? '') ?? []) {
      const [r, ns, name] = k.split('|') as [string, string, string];
      if (r !== res) continue;
      const o = this.get(r, ns, name);
      if (o && o.metadata.ownerReferences?.some((x) => x.uid === owner.metadata.uid && x.controller)) out.push(o);
    }
    return out;
  }

  /** Records a core/v1 Event about an object, as the real controllers do (shown by kubectl describe). */
  private async event(
    obj: KubeObject,
    reason: string,
    message: string,
    component: string,
    type = 'Normal',
  ): Promise<void> {
    const ns = obj.metadata.namespace || 'default';
    const now = this.cluster.timestamp();
    await this.write('/events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: `${obj.metadata.name}.${createHash('sha256').update(`${obj.metadata.uid}/${reason}/${message}/${now}/${Math.random()}`).digest('hex').slice(0, 16)}`,
        namespace: ns,
      },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        namespace: obj.metadata.namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
      },
      reason,
      message,
      type,
      source: { component },
      reportingComponent: component,
      reportingInstance: '',
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
  }

  private ownerRef(o: KubeObject): OwnerReference {
    return {
      apiVersion: o.apiVersion,
      kind: o.kind,
      name: o.metadata.name ?? '',
      uid: o.metadata.uid ?? '',
      controller: true,
      blockOwnerDeletion: true,
    };
  }

  private async reconcile(key: string): Promise<void> {
    const parts = key.split('|');
    if (parts[0] === 'gc') return this.gc(parts[1]!, parts[2], parts[3], parts[4]);
    if (parts[0] === 'gcowner') return this.gcOwner(parts[1]!);
    const [res, ns, name] = parts as [string, string, string];
    const obj = this.get(res, ns, name);
    if (!obj) return;
    switch (res) {
      case 'apiextensions.k8s.io/customresourcedefinitions':
        return this.crd(obj);
      case '/namespaces':
        return this.namespace(obj);
      case 'apps/deployments':
        return this.deployment(obj);
      case 'apps/replicasets':
        return this.replicaSet(obj);
      case 'apps/statefulsets':
        return this.statefulSet(obj);
      case 'apps/daemonsets':
        return this.daemonSet(obj);
      case 'batch/jobs':
        return this.job(obj);
      case '/pods':
        return this.pod(obj);
      case '/persistentvolumeclaims':
        return this.pvc(obj);
      case '/services':
        return this.service(obj);
    }
  }

  // ------------------------------------------------------------ garbage collection

  /** After an owner is gone (or is being deleted), handle its dependents per propagation policy. */
  private async gc(uid: string, res?: string, ns?: string, name?: string): Promise<void> {
    const deps = [...(this.dependents.get(uid) ?? [])];
    if (!res) {
      // owner deleted: background deletion of every dependent whose owners are all gone
      for (const d of deps) {
        const [r, dns, dname] = d.split('|') as [string, string, string];
        const o = this.get(r, dns, dname);
        if (!o) continue;
        const alive = (o.metadata.ownerReferences ?? []).some((x) => x.uid !== uid && this.ownerExists(x, dns));
        if (!alive) await this.del(r, dns, dname, 'Background');
      }
      return;
    }
    const owner = this.get(res, ns ?? '', name ?? '');
    if (!owner || !owner.metadata.deletionTimestamp) return;
    const fins = owner.metadata.finalizers ?? [];
    if (fins.includes('orphan')) {
      for (const d of deps) {
        const [r, dns, dname] = d.split('|') as [string, string, string];
        const o = this.get(r, dns, dname);
        if (!o) continue;
        o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((x) => x.uid !== uid);
        if (!o.metadata.ownerReferences.length) delete o.metadata.ownerReferences;
        await this.write(r, o);
      }
      const cur = this.get(res, ns ?? '', name ?? '');
      if (cur) {
        cur.metadata.finalizers = (cur.metadata.finalizers ?? []).filter((f) => f !== 'orphan');
        await this.write(res, cur);
      }
      return;
    }
    if (fins.includes('foregroundDeletion')) {
      for (const d of deps) {
        const [r, dns, dname] = d.split('|') as [string, string, string];
        const o = this.get(r, dns, dname);
        if (o && !o.metadata.deletionTimestamp) await this.del(r, dns, dname, 'Foreground');
      }
      await this.gcOwner(uid, res, ns, name);
    }
  }

  private ownerExists(ref: OwnerReference, ns: string): boolean {
    const g = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0]! : '';
    const v = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[1]! : ref.apiVersion;
    const info = this.cluster.registry.byKind({ group: g, version: v, kind: ref.kind });
    if (!info) return false;
    const o = this.cluster.store.get(resKey(info), info.namespaced ? ns : '', ref.name);
    return !!o && o.obj.metadata.uid === ref.uid;
  }

  /** A foreground-deleting owner loses its finalizer once no dependent blocks it any more. */
  private async gcOwner(uid: string, res?: string, ns?: string, name?: string): Promise<void> {
    let owner: KubeObject | undefined;
    let ores = res;
    if (res) owner = this.get(res, ns ?? '', name ?? '');
    else {
      // find the owner among known kinds by uid (dependents are namespaced; owners share the namespace)
      for (const r of this.cluster.store.resources()) {
        for (const s of this.cluster.store.list(r))
          if (s.obj.metadata.uid === uid) {
            owner = JSON.parse(s.json) as KubeObject;
            ores = r;
          }
        if (owner) break;
      }
    }
    if (
      !owner ||
      !ores ||
      !owner.metadata.deletionTimestamp ||
      !(owner.metadata.finalizers ?? []).includes('foregroundDeletion')
    )
      return;
    const remaining = [...(this.dependents.get(uid) ?? [])].filter((d) => {
      const [r, dns, dname] = d.split('|') as [string, string, string];
      return !!this.cluster.store.get(r, dns, dname);
    });
    if (remaining.length) return;
    owner.metadata.finalizers = (owner.metadata.finalizers ?? []).filter((f) => f !== 'foregroundDeletion');
    await this.write(ores, owner);
  }

  // ------------------------------------------------------------ namespaces and CRDs

  private async namespace(ns: KubeObject): Promise<void> {
    if (!ns.metadata.deletionTimestamp) return;
    const name = ns.metadata.name ?? '';
    let remaining = 0;
    for (const info of this.cluster.registry.all()) {
      if (!info.namespaced) continue;
      for (const s of this.cluster.store.list(resKey(info), name)) {
        remaining++;
        if (!s.obj.metadata.deletionTimestamp)
          await this.del(resKey(info), name, s.obj.metadata.name ?? '', 'Background');
      }
    }
    if (remaining) {
      const status = {
        phase: 'Terminating',
        conditions: [
          cond(
            'NamespaceContentRemaining',
            true,
            'SomeResourcesRemain',
            `Some resources are remaining: ${remaining} objects`,
            this.cluster.timestamp(),
            (ns.status as Obj | undefined)?.conditions as Obj[] | undefined,
          ),
        ],
      };
      await this.setStatus('/namespaces', ns, status);
      return;
    }
    const cur = this.get('/namespaces', '', name);
    if (!cur) return;
    (cur.spec as Obj).finalizers = [];
    await this.write('/namespaces', cur);
  }

  private async crd(crd: KubeObject): Promise<void> {
    const spec = crd.spec as { group: string; names: Obj; versions: { name: string; storage?: boolean }[] };
    if (crd.metadata.deletionTimestamp) {
      for (const info of this.cluster.registry.all()) {
        if (info.group !== spec.group || info.resource !== spec.names.plural) continue;
        for (const s of this.cluster.store.list(resKey(info)))
          await this.del(resKey(info), s.obj.metadata.namespace ?? '', s.obj.metadata.name ?? '');
        break;
      }
      if ((crd.metadata.finalizers ?? []).includes('customresourcecleanup.apiextensions.k8s.io')) {
        const cur = this.get('apiextensions.k8s.io/customresourcedefinitions', '', crd.metadata.name ?? '');
        if (cur) {
          cur.metadata.finalizers = (cur.metadata.finalizers ?? []).filter(
            (f) => f !== 'customresourcecleanup.apiextensions.k8s.io',
          );
          await this.write('apiextensions.k8s.io/customresourcedefinitions', cur);
        }
      }
      return;
    }
    if (!(crd.metadata.finalizers ?? []).includes('customresourcecleanup.apiextensions.k8s.io')) {
      crd.metadata.finalizers = [...(crd.metadata.finalizers ?? []), 'customresourcecleanup.apiextensions.k8s.io'];
      crd = await this.write('apiextensions.k8s.io/customresourcedefinitions', crd);
    }
    const now = this.cluster.timestamp();
    const prev = (crd.status as Obj | undefined)?.conditions as Obj[] | undefined;
    const names = { ...spec.names };
    names.singular ??= String(spec.names.kind).toLowerCase();
    names.listKind ??= `${String(spec.names.kind)}List`;
    await this.setStatus('apiextensions.k8s.io/customresourcedefinitions', crd, {
      acceptedNames: names,
      conditions: [
        cond('NamesAccepted', true, 'NoConflicts', 'no conflicts found', now, prev),
        cond('Established', true, 'InitialNamesAccepted', 'the initial names have been accepted', now, prev),
      ],
      storedVersions: spec.versions.filter((v) => v.storage).map((v) => v.name),
    });
  }

  // ------------------------------------------------------------ workloads

  private async deployment(d: KubeObject): Promise<void> {
    if (d.metadata.deletionTimestamp) return;
    const ns = d.metadata.namespace ?? '';
    const spec = d.spec as Obj;
    const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
    const tpl = clone(spec.template) as Obj;
    const hash = templateHash(tpl);
    const rss = this.owned('apps/replicasets', d);
    const rev = (o: KubeObject) => Number(o.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
    let newRs = rss.find((r) => r.metadata.labels?.['pod-template-hash'] === hash);
    const maxRev = rss.reduce((m, r) => Math.max(m, rev(r)), 0);
    if (newRs && rev(newRs) < maxRev) {
      // a rollback to an old template reuses its ReplicaSet, which becomes the newest revision
      newRs.metadata.annotations = {
        ...(newRs.metadata.annotations ?? {}),
        'deployment.kubernetes.io/revision': String(maxRev + 1),
      };
      newRs = await this.write('apps/replicasets', newRs);
    }
    const revision = newRs ? rev(newRs) : maxRev + 1;
    if (!newRs) {
      const name = `${d.metadata.name}-${hash}`;
      const tm = (tpl.metadata ?? {}) as Obj;
      tm.labels = { ...((tm.labels as Obj | undefined) ?? {}), 'pod-template-hash': hash };
      tpl.metadata = tm;
      const sel = clone(spec.selector) as LabelSelectorObject;
      sel.matchLabels = { ...(sel.matchLabels ?? {}), 'pod-template-hash': hash };
      const existing = this.get('apps/replicasets', ns, name);
      if (existing) return;
      newRs = await this.write('apps/replicasets', {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name,
          namespace: ns,
          labels: tm.labels as Record<string, string>,
          annotations: {
            'deployment.kubernetes.io/desired-replicas': String(replicas),
            'deployment.kubernetes.io/max-replicas': String(replicas + 1),
            'deployment.kubernetes.io/revision': String(revision),
          },
          ownerReferences: [this.ownerRef(d)],
        },
        spec: { replicas, minReadySeconds: spec.minReadySeconds ?? 0, selector: sel, template: tpl },
      });
      await this.event(
        d,
        'ScalingReplicaSet',
        `Scaled up replica set ${name} from 0 to ${replicas}`,
        'deployment-controller',
      );
    } else if ((newRs.spec as Obj).replicas !== replicas) {
      const from = (newRs.spec as Obj).replicas as number;
      await this.event(
        d,
        'ScalingReplicaSet',
        `Scaled ${replicas > from ? 'up' : 'down'} replica set ${newRs.metadata.name} from ${from} to ${replicas}`,
        'deployment-controller',
      );
      newRs.spec = { ...(newRs.spec as Obj), replicas };
      newRs.metadata.annotations = {
        ...(newRs.metadata.annotations ?? {}),
        'deployment.kubernetes.io/desired-replicas': String(replicas),
      };
      newRs = await this.write('apps/replicasets', newRs);
    }
    const nst = (newRs.status ?? {}) as Obj;
    const newAvailable =
      ((nst.availableReplicas as number) ?? 0) >= replicas && nst.observedGeneration === newRs.metadata.generation;
    const old = rss.filter((r) => r.metadata.uid !== newRs!.metadata.uid);
    if (newAvailable) {
      for (const r of old)
        if ((r.spec as Obj).replicas !== 0) {
          r.spec = { ...(r.spec as Obj), replicas: 0 };
          await this.write('apps/replicasets', r);
        }
      const limit = typeof spec.revisionHistoryLimit === 'number' ? spec.revisionHistoryLimit : 10;
      const idle = old
        .filter((r) => (r.spec as Obj).replicas === 0 && !((r.status as Obj | undefined)?.replicas as number))
        .sort((a, b) => rev(a) - rev(b));
      for (const r of idle.slice(0, Math.max(0, idle.length - limit)))
        await this.del('apps/replicasets', ns, r.metadata.name ?? '');
    }
    const all = [newRs, ...old.map((r) => this.get('apps/replicasets', ns, r.metadata.name ?? '') ?? r)];
    const sum = (f: string) => all.reduce((a, r) => a + (((r.status as Obj | undefined)?.[f] as number) ?? 0), 0);
    const total = sum('replicas');
    const available = sum('availableReplicas');
    const ready = sum('readyReplicas');
    const updated = (nst.replicas as number) ?? 0;
    const mu = ((spec.strategy as Obj | undefined)?.rollingUpdate as Obj | undefined)?.maxUnavailable ?? '25%';
    const maxUnavailable =
      typeof mu === 'string' && mu.endsWith('%') ? Math.floor((replicas * Number(mu.slice(0, -1))) / 100) : Number(mu);
    const now = this.cluster.timestamp();
    const prevConds = ((d.status as Obj | undefined)?.conditions as Obj[] | undefined) ?? [];
    const complete =
      updated === replicas &&
      total === replicas &&
      available >= replicas &&
      ((nst.updatedReplicas as number | undefined) ?? updated) >= 0;
    const prevProg = prevConds.find((c) => c.type === 'Progressing');
    const deadline = typeof spec.progressDeadlineSeconds === 'number' ? spec.progressDeadlineSeconds : 600;
    let progressing: Obj;
    if (complete)
      progressing = {
        ...cond(
          'Progressing',
          true,
          'NewReplicaSetAvailable',
          `ReplicaSet "${newRs.metadata.name}" has successfully progressed.`,
          now,
          prevConds,
        ),
        lastUpdateTime: now,
      };
    else {
      const since =
        prevProg && prevProg.reason !== 'NewReplicaSetAvailable' && prevProg.status === 'True'
          ? Date.parse(String(prevProg.lastUpdateTime ?? now))
          : Date.now();
      const exceeded = prevProg?.reason === 'ProgressDeadlineExceeded' || Date.now() - since >= deadline * 1000;
      if (exceeded)
        progressing = {
          ...cond(
            'Progressing',
            false,
            'ProgressDeadlineExceeded',
            `ReplicaSet "${newRs.metadata.name}" has timed out progressing.`,
            now,
            prevConds,
          ),
          lastUpdateTime: prevProg?.reason === 'ProgressDeadlineExceeded' ? prevProg.lastUpdateTime : now,
        };
      else {
        progressing = {
          ...cond(
            'Progressing',
            true,
            'ReplicaSetUpdated',
            `ReplicaSet "${newRs.metadata.name}" is progressing.`,
            now,
            prevConds,
          ),
          lastUpdateTime: prevProg?.reason === 'ReplicaSetUpdated' ? prevProg.lastUpdateTime : now,
        };
        this.later(
          `apps/deployments|${ns}|${d.metadata.name}`,
          Math.max(50, deadline * 1000 - (Date.now() - since) + 10),
        );
      }
    }
    const isAvail = available >= replicas - maxUnavailable;
    const prevAvail = prevConds.find((c) => c.type === 'Available');
    const availableCond = {
      ...cond(
        'Available',
        isAvail,
        isAvail ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
        isAvail ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
        now,
        prevConds,
      ),
      lastUpdateTime: prevAvail && prevAvail.status === (isAvail ? 'True' : 'False') ? prevAvail.lastUpdateTime : now,
    };
    if (prevProg && progressing.status === prevProg.status && progressing.reason === prevProg.reason)
      progressing.lastUpdateTime = prevProg.lastUpdateTime;
    const status: Obj = {
      observedGeneration: d.metadata.generation,
      replicas: total,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: available,
      ...(total - available > 0 ? { unavailableReplicas: total - available } : {}),
      conditions: [availableCond, progressing],
    };
    for (const k of ['readyReplicas', 'availableReplicas', 'updatedReplicas', 'replicas'])
      if (status[k] === 0) delete status[k];
    const cur = this.get('apps/deployments', ns, d.metadata.name ?? '');
    if (!cur) return;
    if (cur.metadata.annotations?.['deployment.kubernetes.io/revision'] !== String(revision)) {
      cur.metadata.annotations = {
        ...(cur.metadata.annotations ?? {}),
        'deployment.kubernetes.io/revision': String(revision),
      };
      await this.write('apps/deployments', cur);
      return this.deployment(this.get('apps/deployments', ns, d.metadata.name ?? '') ?? cur);
    }
    await this.setStatus('apps/deployments', cur, status);
  }

  private podFromTemplate(
    owner: KubeObject,
    tpl: Obj,
    name: string,
    extraLabels: Record<string, string> = {},
  ): KubeObject {
    const tm = (tpl.metadata ?? {}) as { labels?: Record<string, string>; annotations?: Record<string, string> };
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: owner.metadata.namespace!,
        labels: { ...(tm.labels ?? {}), ...extraLabels },
        ...(tm.annotations ? { annotations: tm.annotations } : {}),
        ownerReferences: [this.ownerRef(owner)],
      },
      spec: clone(tpl.spec) as Obj,
    };
  }

  private podStats(pods: KubeObject[]): { ready: number; running: number } {
    let ready = 0;
    let running = 0;
    for (const p of pods) {
      const st = (p.status ?? {}) as Obj;
      if (st.phase === 'Running') running++;
      if (((st.conditions as Obj[] | undefined) ?? []).some((c) => c.type === 'Ready' && c.status === 'True')) ready++;
    }
    return { ready, running };
  }

  private async replicaSet(rs: KubeObject): Promise<void> {
    if (rs.metadata.deletionTimestamp) return;
    const ns = rs.metadata.namespace ?? '';
    const spec = rs.spec as Obj;
    const want = typeof spec.replicas === 'number' ? spec.replicas : 1;
    let pods = this.owned('/pods', rs).filter((p) => !p.metadata.deletionTimestamp);
    for (let i = pods.length; i < want; i++) {
      const p = await this.write(
        '/pods',
        this.podFromTemplate(rs, spec.template as Obj, `${rs.metadata.name}-${randomSuffix(5)}`),
      );
      pods.push(p);
      await this.event(rs, 'SuccessfulCreate', `Created pod: ${p.metadata.name}`, 'replicaset-controller');
    }
    if (pods.length > want) {
      const extra = pods
        .sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)))
        .slice(0, pods.length - want);
      for (const p of extra) {
        await this.del('/pods', ns, p.metadata.name ?? '');
        await this.event(rs, 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, 'replicaset-controller');
      }
      pods = pods.filter((p) => !extra.includes(p));
    }
    const { ready } = this.podStats(pods);
    const cur = this.get('apps/replicasets', ns, rs.metadata.name ?? '');
    if (!cur) return;
    const status: Obj = {
      replicas: pods.length,
      fullyLabeledReplicas: pods.length,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: cur.metadata.generation,
    };
    for (const k of ['readyReplicas', 'availableReplicas', 'fullyLabeledReplicas'])
      if (status[k] === 0) delete status[k];
    await this.setStatus('apps/replicasets', cur, status);
  }

  private async statefulSet(sts: KubeObject): Promise<void> {
    if (sts.metadata.deletionTimestamp) return;
    const ns = sts.metadata.namespace ?? '';
    const name = sts.metadata.name ?? '';
    const spec = sts.spec as Obj;
    const want = typeof spec.replicas === 'number' ? spec.replicas : 1;
    const rev = `${name}-${templateHash(spec.template).slice(0, 8)}`;
    const pods = this.owned('/pods', sts);
    for (const p of pods) {
      const ord = Number(/-(\d+)$/.exec(p.metadata.name ?? '')?.[1] ?? -1);
      if (ord >= want || p.metadata.labels?.['controller-revision-hash'] !== rev)
        await this.del('/pods', ns, p.metadata.name ?? '');
    }
    for (let i = 0; i < want; i++) {
      const pn = `${name}-${i}`;
      if (this.get('/pods', ns, pn)) continue;
      for (const t of (spec.volumeClaimTemplates as KubeObject[] | undefined) ?? []) {
        const cn = `${t.metadata?.name}-${pn}`;
        if (!this.get('/persistentvolumeclaims', ns, cn))
          await this.write('/persistentvolumeclaims', {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            metadata: {
              name: cn,
              namespace: ns,
              labels: (spec.selector as LabelSelectorObject | undefined)?.matchLabels ?? {},
            },
            spec: clone(t.spec) as Obj,
          });
      }
      const pod = this.podFromTemplate(sts, spec.template as Obj, pn, {
        'controller-revision-hash': rev,
        'statefulset.kubernetes.io/pod-name': pn,
        'apps.kubernetes.io/pod-index': String(i),
      });
      const ps = pod.spec as Obj;
      ps.hostname = pn;
      if (spec.serviceName) ps.subdomain = spec.serviceName;
      await this.write('/pods', pod);
    }
    const live = this.owned('/pods', sts).filter((p) => !p.metadata.deletionTimestamp);
    const { ready } = this.podStats(live);
    const cur = this.get('apps/statefulsets', ns, name);
    if (!cur) return;
    const status: Obj = {
      observedGeneration: cur.metadata.generation,
      replicas: live.length,
      readyReplicas: ready,
      currentReplicas: live.length,
      updatedReplicas: live.length,
      availableReplicas: ready,
      currentRevision: rev,
      updateRevision: rev,
      collisionCount: 0,
    };
    for (const k of ['readyReplicas', 'availableReplicas', 'currentReplicas', 'updatedReplicas'])
      if (status[k] === 0) delete status[k];
    await this.setStatus('apps/statefulsets', cur, status);
  }

  private async daemonSet(ds: KubeObject): Promise<void> {
    if (ds.metadata.deletionTimestamp) return;
    const ns = ds.metadata.namespace ?? '';
    const spec = ds.spec as Obj;
    const tpl = spec.template as Obj;
    const hash = templateHash(tpl).slice(0, 10);
    const nodeSelector = ((tpl.spec as Obj | undefined)?.nodeSelector as Record<string, string> | undefined) ?? {};
    const nodes = this.cluster.store
      .list('/nodes')
      .map((s) => s.obj)
      .filter((n) => Object.entries(nodeSelector).every(([k, v]) => n.metadata.labels?.[k] === v));
    const pods = this.owned('/pods', ds).filter((p) => !p.metadata.deletionTimestamp);
    for (const p of pods) {
      const nn = (p.spec as Obj).nodeName;
      if (p.metadata.labels?.['controller-revision-hash'] !== hash || !nodes.some((n) => n.metadata.name === nn))
        await this.del('/pods', ns, p.metadata.name ?? '');
    }
    for (const n of nodes) {
      if (
        pods.some(
          (p) =>
            (p.spec as Obj).nodeName === n.metadata.name && p.metadata.labels?.['controller-revision-hash'] === hash,
        )
      )
        continue;
      const pod = this.podFromTemplate(ds, tpl, `${ds.metadata.name}-${randomSuffix(5)}`, {
        'controller-revision-hash': hash,
        'pod-template-generation': String(ds.metadata.generation ?? 1),
      });
      (pod.spec as Obj).nodeName = n.metadata.name;
      await this.write('/pods', pod);
    }
    const live = this.owned('/pods', ds).filter((p) => !p.metadata.deletionTimestamp);
    const { ready } = this.podStats(live);
    const cur = this.get('apps/daemonsets', ns, ds.metadata.name ?? '');
    if (!cur) return;
    await this.setStatus('apps/daemonsets', cur, {
      currentNumberScheduled: live.length,
      desiredNumberScheduled: nodes.length,
      numberMisscheduled: 0,
      numberReady: ready,
      numberAvailable: ready,
      ...(nodes.length - ready > 0 ? { numberUnavailable: nodes.length - ready } : {}),
      updatedNumberScheduled: live.length,
      observedGeneration: cur.metadata.generation,
    });
  }

  private async job(job: KubeObject): Promise<void> {
    if (job.metadata.deletionTimestamp) return;
    const ns = job.metadata.namespace ?? '';
    const spec = job.spec as Obj;
    const st = (job.status ?? {}) as Obj;
    const conds = (st.conditions as Obj[] | undefined) ?? [];
    if (conds.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')) return;
    if (spec.suspend === true) return;
    const completions = typeof spec.completions === 'number' ? spec.completions : 1;
    const parallelism = typeof spec.parallelism === 'number' ? spec.parallelism : 1;
    const backoff = typeof spec.backoffLimit === 'number' ? spec.backoffLimit : 6;
    const pods = this.owned('/pods', job);
    const phase = (p: KubeObject) => ((p.status as Obj | undefined)?.phase as string | undefined) ?? 'Pending';
    const succeeded = pods.filter((p) => phase(p) === 'Succeeded').length;
    const failed = pods.filter((p) => phase(p) === 'Failed').length;
    let active = pods.filter((p) => phase(p) !== 'Succeeded' && phase(p) !== 'Failed').length;
    const now = this.cluster.timestamp();
    // activeDeadlineSeconds: past it, the Job fails (DeadlineExceeded) and its running pods are deleted
    const deadline = typeof spec.activeDeadlineSeconds === 'number' ? spec.activeDeadlineSeconds : undefined;
    const started = typeof st.startTime === 'string' ? Date.parse(st.startTime) : undefined;
    const left = deadline !== undefined && started !== undefined ? started + deadline * 1000 - Date.now() : undefined;
    const deadlineHit = left !== undefined && left <= 0 && succeeded < completions;
    if (deadlineHit) {
      for (const p of pods)
        if (phase(p) !== 'Succeeded' && phase(p) !== 'Failed' && !p.metadata.deletionTimestamp)
          await this.del('/pods', ns, p.metadata.name ?? '');
      active = 0;
    } else if (left !== undefined && left > 0) this.later(`batch/jobs|${ns}|${job.metadata.name ?? ''}`, left + 5);
    const failedOut = deadlineHit || failed > backoff;
    if (!failedOut && succeeded < completions) {
      const toStart = Math.min(parallelism - active, completions - succeeded - active);
      for (let i = 0; i < toStart; i++) {
        await this.write(
          '/pods',
          this.podFromTemplate(job, spec.template as Obj, `${job.metadata.name}-${randomSuffix(5)}`),
        );
        active++;
      }
    }
    const cur = this.get('batch/jobs', ns, job.metadata.name ?? '');
    if (!cur) return;
    const status: Obj = {
      startTime: st.startTime ?? now,
      ...(active ? { active } : {}),
      ...(succeeded ? { succeeded } : {}),
      ...(failed ? { failed } : {}),
      ready: 0,
      terminating: 0,
      uncountedTerminatedPods: {},
    };
    if (succeeded >= completions) {
      status.completionTime = now;
      await this.event(job, 'Completed', 'Job completed', 'job-controller');
      status.conditions = [
        cond('SuccessCriteriaMet', true, 'CompletionsReached', 'Reached expected number of succeeded pods', now),
        cond('Complete', true, 'CompletionsReached', 'Reached expected number of succeeded pods', now),
      ];
      delete status.active;
    } else if (failedOut) {
      const [reason, message] = deadlineHit
        ? ['DeadlineExceeded', 'Job was active longer than specified deadline']
        : ['BackoffLimitExceeded', 'Job has reached the specified backoff limit'];
      status.conditions = [
        cond('FailureTarget', true, reason, message, now),
        cond('Failed', true, reason, message, now),
      ];
      delete status.active;
    }
    if (deepEqual({ ...(cur.status as Obj), startTime: 0 }, { ...status, startTime: 0 })) return;
    await this.setStatus('batch/jobs', cur, status);
  }

  private async pod(pod: KubeObject): Promise<void> {
    if (pod.metadata.deletionTimestamp) return;
    const ns = pod.metadata.namespace ?? '';
    const spec = pod.spec as Obj;
    if (!spec.nodeName) {
      const cur = clone(pod);
      const node = this.cluster.store.list('/nodes')[0]?.obj.metadata.name ?? 'sandbox-node';
      (cur.spec as Obj).nodeName = node;
      await this.write('/pods', cur);
      await this.event(
        pod,
        'Scheduled',
        `Successfully assigned ${ns}/${pod.metadata.name} to ${node}`,
        'default-scheduler',
      );
      return;
    }
    if (this.executor?.selects(pod)) return this.executor.handle(pod);
    const st = (pod.status ?? {}) as Obj;
    const now = this.cluster.timestamp();
    const containers = (spec.containers as Obj[] | undefined) ?? [];
    const images = containers.map((c) => String(c.image ?? ''));
    const jobOwned = (pod.metadata.ownerReferences ?? []).some((r) => r.kind === 'Job');
    const neverReady = images.some((i) => i.includes('never-ready'));
    const crash = images.some((i) => i.includes('crashloop'));
    const jobFail = jobOwned && images.some((i) => i.includes('job-fail'));
    const prevConds = (st.conditions as Obj[] | undefined) ?? [];
    const started = (st.startTime as string | undefined) ?? now;
    const cs = containers.map((c) => {
      const prev = ((st.containerStatuses as Obj[] | undefined) ?? []).find(
        (x) => x.name === c.name && x.image === c.image,
      );
      const base = {
        name: c.name,
        image: c.image,
        imageID: `docker.io/library/${String(c.image)}@sha256:${createHash('sha256').update(String(c.image)).digest('hex')}`,
        containerID: `sandbox://${createHash('sha256')
          .update(`${pod.metadata.uid}/${String(c.name)}`)
          .digest('hex')
          .slice(0, 32)}`,
        restartCount: 0,
      };
      if (jobOwned && !neverReady) {
        const finishedAt = ((prev?.state as Obj | undefined)?.terminated as Obj | undefined)?.finishedAt ?? now;
        return {
          ...base,
          ready: false,
          started: false,
          state: {
            terminated: {
              exitCode: jobFail ? 1 : 0,
              reason: jobFail ? 'Error' : 'Completed',
              startedAt: started,
              finishedAt,
            },
          },
        };
      }
      if (crash)
        return {
          ...base,
          ready: false,
          started: false,
          restartCount: 1,
          state: {
            waiting: { reason: 'CrashLoopBackOff', message: `back-off restarting failed container ${String(c.name)}` },
          },
          lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: started, finishedAt: started } },
        };
      const startedAt = ((prev?.state as Obj | undefined)?.running as Obj | undefined)?.startedAt ?? now;
      return { ...base, ready: !neverReady, started: true, state: { running: { startedAt } } };
    });
    const ready = !jobOwned && !neverReady && !crash;
    const phase = jobOwned && !neverReady ? (jobFail ? 'Failed' : 'Succeeded') : 'Running';
    const ip =
      (st.podIP as string | undefined) ?? `10.244.${Math.floor(this.podIp / 250) % 250}.${(this.podIp++ % 250) + 2}`;
    const notReadyMsg = `containers with unready status: [${containers.map((c) => String(c.name)).join(' ')}]`;
    const status: Obj = {
      phase,
      conditions: [
        cond('PodReadyToStartContainers', phase === 'Running', '', '', now, prevConds),
        cond('Initialized', true, jobOwned && phase !== 'Running' ? 'PodCompleted' : '', '', now, prevConds),
        cond(
          'Ready',
          ready,
          ready ? '' : jobOwned && phase !== 'Running' ? 'PodCompleted' : 'ContainersNotReady',
          ready || (jobOwned && phase !== 'Running') ? '' : notReadyMsg,
          now,
          prevConds,
        ),
        cond(
          'ContainersReady',
          ready,
          ready ? '' : jobOwned && phase !== 'Running' ? 'PodCompleted' : 'ContainersNotReady',
          ready || (jobOwned && phase !== 'Running') ? '' : notReadyMsg,
          now,
          prevConds,
        ),
        cond('PodScheduled', true, '', '', now, prevConds),
      ],
      hostIP: '127.0.0.1',
      hostIPs: [{ ip: '127.0.0.1' }],
      podIP: ip,
      podIPs: [{ ip }],
      startTime: started,
      containerStatuses: cs,
      qosClass: 'BestEffort',
    };
    for (const c of status.conditions as Obj[]) if (c.lastProbeTime === undefined) c.lastProbeTime = null;
    const cur = this.get('/pods', ns, pod.metadata.name ?? '');
    if (cur) await this.setStatus('/pods', cur, status);
  }

  private async pvc(pvc: KubeObject): Promise<void> {
    if (pvc.metadata.deletionTimestamp) return;
    const st = (pvc.status ?? {}) as Obj;
    if (st.phase === 'Bound') return;
    const spec = pvc.spec as Obj;
    const storage = String(
      (((spec.resources as Obj | undefined)?.requests as Obj | undefined)?.storage as string | undefined) ?? '1Gi',
    );
    const pvName = (spec.volumeName as string | undefined) || `pvc-${pvc.metadata.uid}`;
    if (!this.get('/persistentvolumes', '', pvName)) {
      await this.write('/persistentvolumes', {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: pvName, annotations: { 'pv.kubernetes.io/provisioned-by': 'sandbox.sekisho.dev/hostpath' } },
        spec: {
          capacity: { storage },
          accessModes: spec.accessModes ?? ['ReadWriteOnce'],
          persistentVolumeReclaimPolicy: 'Delete',
          storageClassName: spec.storageClassName ?? 'standard',
          volumeMode: spec.volumeMode ?? 'Filesystem',
          hostPath: { path: `/var/lib/sekisho-sandbox/${pvName}`, type: '' },
          claimRef: {
            kind: 'PersistentVolumeClaim',
            namespace: pvc.metadata.namespace,
            name: pvc.metadata.name,
            uid: pvc.metadata.uid,
            apiVersion: 'v1',
          },
        },
      });
      const pv = this.get('/persistentvolumes', '', pvName);
      if (pv) await this.setStatus('/persistentvolumes', pv, { phase: 'Bound' });
    }
    let cur = this.get('/persistentvolumeclaims', pvc.metadata.namespace ?? '', pvc.metadata.name ?? '');
    if (!cur) return;
    if ((cur.spec as Obj).volumeName !== pvName || !(cur.spec as Obj).storageClassName) {
      cur.spec = {
        ...(cur.spec as Obj),
        volumeName: pvName,
        storageClassName: (cur.spec as Obj).storageClassName ?? 'standard',
      };
      cur.metadata.annotations = {
        ...(cur.metadata.annotations ?? {}),
        'pv.kubernetes.io/bind-completed': 'yes',
        'pv.kubernetes.io/bound-by-controller': 'yes',
      };
      cur = await this.write('/persistentvolumeclaims', cur);
    }
    await this.setStatus('/persistentvolumeclaims', cur, {
      phase: 'Bound',
      accessModes: spec.accessModes ?? ['ReadWriteOnce'],
      capacity: { storage },
    });
  }

  private async service(svc: KubeObject): Promise<void> {
    const spec = svc.spec as Obj | undefined;
    if (spec?.type !== 'LoadBalancer') return;
    await this.setStatus('/services', svc, { loadBalancer: { ingress: [{ ip: '127.0.0.1', ipMode: 'VIP' }] } });
  }
}

export function selectsPod(sel: LabelSelectorObject | undefined, pod: KubeObject): boolean {
  return isObject(sel) && matchesLabelSelectorObject(sel, pod.metadata.labels);
}
