// Opt-in pod execution for the sandbox cluster: selected Pods (owned by a Job, or annotated
// `sekisho.dev/execute: "true"`) really run. The container runtime (image pull + unpack, one process in a
// root filesystem) is passed in from above as a PodRuntime — the sandbox does not import src/build; the CLI
// and tests hand it src/build's runc/bubblewrap executor (src/pipeline/runners/pod-runtime.ts), which keeps
// unpacked images in a cache under <dir>/images and gives each container an overlay over it; the executor
// calls the runtime's release(rootfs) before it removes a container's folder, and close() when it stops.
//
// Behaviour, and where it differs from a kubelet:
//   - init containers run in order, then the main containers one after another (sequentially, not side by
//     side); a container exiting non-zero fails the pod (no in-pod restarts: restartPolicy is treated as Never,
//     the Job controller's backoff makes new pods instead);
//   - volumes: emptyDir (a directory per pod), hostPath (the path on this machine; the sandbox's own
//     provisioned PVs, /var/lib/sekisho-sandbox/<pv>, map to <dir>/volumes/<pv>), persistentVolumeClaim (the
//     bound PV's hostPath, as above), configMap and secret (files, `items` and `defaultMode` honoured);
//     `subPath` and `readOnly` on mounts;
//   - env: the image's, then `env` (value, secretKeyRef, configMapKeyRef, fieldRef metadata.name/namespace/uid,
//     spec.nodeName, status.podIP) and `envFrom`;
//   - securityContext: runAsUser/runAsGroup, and `privileged: true` (the runtime runs the container as
//     `docker run --privileged` does, e.g. for a build with RUN inside the pod);
//   - status: Pending → Running → Succeeded/Failed, containerStatuses[].state running/terminated{exitCode,
//     reason, startedAt, finishedAt}; activeDeadlineSeconds kills the pod (reason DeadlineExceeded);
//   - logs (stdout and stderr together) are files per container, served by the pods/log subresource with
//     `container`, `follow` and `tailLines`;
//   - deleting the pod kills its container; a pod found Running after a sandbox restart is marked Failed
//     (reason NodeRestart), as a kubelet that lost its containers would.
import { EventEmitter } from 'node:events';
import {
  chmodSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { Writable } from 'node:stream';
import { KubeError, type KubeObject } from '../kube/index.ts';
import type { Cluster } from './cluster.ts';

type Obj = Record<string, unknown>;

export interface PodMount {
  source: string;
  target: string;
  readonly?: boolean;
}

export interface PodImageConfig {
  env: string[];
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  user?: string;
}

export interface PodRunSpec {
  rootfs: string;
  argv: string[];
  env: string[];
  cwd: string;
  /** `uid[:gid]` or a user name */
  user: string;
  mounts: PodMount[];
  /** `securityContext.privileged: true` on the container: run as `docker run --privileged` does */
  privileged?: boolean;
  stdout: Writable;
  stderr: Writable;
  signal: AbortSignal;
}

/** The container runtime the executor uses, passed in from above. */
export interface PodRuntime {
  /** Pulls `image` and unpacks its layers into `rootfs` (an empty directory); returns the image config. */
  pull(image: string, rootfs: string, signal: AbortSignal): Promise<PodImageConfig>;
  /** Runs one container process; resolves with its exit code, rejects when it could not start. */
  run(spec: PodRunSpec): Promise<{ exitCode: number }>;
  /**
   * The executor's pods directory, told once before the first pull (a runtime with an image cache keeps it
   * under `<dir>/images` unless configured otherwise).
   */
  init?(podsDir: string): void;
  /** Gives up a container's rootfs before its folder is removed (unmounts a copy-on-write snapshot). */
  release?(rootfs: string): void;
  /** The sandbox is closing: release every rootfs still held. */
  close?(): Promise<void>;
}

export interface ExecutePodsOptions {
  runtime: PodRuntime;
  /** where pod root filesystems, volumes and logs live (default <dataDir>/pods) */
  dir?: string;
}

export const EXECUTE_ANNOTATION = 'sekisho.dev/execute';
const PV_HOST_PREFIX = '/var/lib/sekisho-sandbox/';
const MANAGER = 'sekisho-kubelet';

interface Running {
  abort: AbortController;
  done: Promise<void>;
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Appends to a log file and tells followers that it grew. */
class LogSink extends Writable {
  private readonly fd: number;
  constructor(
    path: string,
    private readonly grew: () => void,
  ) {
    super();
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    try {
      writeSync(this.fd, chunk);
      this.grew();
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
  override _final(cb: (err?: Error | null) => void): void {
    closeSync(this.fd);
    cb();
  }
}

export class PodExecutor {
  private readonly running = new Map<string, Running>();
  private readonly events = new EventEmitter();
  readonly dir: string;
  private stopped = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly opts: ExecutePodsOptions,
    dataDir: string,
  ) {
    this.dir = opts.dir ?? join(dataDir, 'pods');
    this.events.setMaxListeners(0);
    opts.runtime.init?.(this.dir);
  }

  /** Lets the runtime give up a container's rootfs (an overlay mount) before its folder is removed. */
  private release(rootfs: string): void {
    try {
      this.opts.runtime.release?.(rootfs);
    } catch (err) {
      console.error(`sandbox pod executor: releasing ${rootfs}:`, err);
    }
  }

  /** Whether this executor runs the pod (instead of the simulated status). */
  selects(pod: KubeObject): boolean {
    if (pod.metadata.annotations?.[EXECUTE_ANNOTATION] === 'true') return true;
    return (pod.metadata.ownerReferences ?? []).some((r) => r.kind === 'Job' && r.apiVersion.startsWith('batch/'));
  }

  /** Called by the controllers for a scheduled, selected pod (not being deleted). */
  async handle(pod: KubeObject): Promise<void> {
    const uid = pod.metadata.uid ?? '';
    if (this.stopped || this.running.has(uid)) return;
    const st = (pod.status ?? {}) as Obj;
    if (st.phase === 'Succeeded' || st.phase === 'Failed') return;
    if (st.phase === 'Running') {
      await this.finish(pod, 'Failed', 'NodeRestart', 'the sandbox restarted while the pod was running', []);
      return;
    }
    const abort = new AbortController();
    const entry: Running = { abort, done: Promise.resolve() };
    this.running.set(uid, entry);
    entry.done = this.execute(pod, abort.signal)
      .catch((err) => {
        if (!(err instanceof KubeError && err.status === 404))
          console.error(`sandbox pod executor: ${pod.metadata.namespace}/${pod.metadata.name}:`, err);
      })
      .finally(() => {
        this.running.delete(uid);
        this.events.emit(`done:${uid}`);
      });
  }

  /** The pod is going away: kill its containers (the pod directory goes when the run ends). */
  kill(pod: KubeObject): void {
    const r = this.running.get(pod.metadata.uid ?? '');
    r?.abort.abort(new Error('pod deleted'));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const r of this.running.values()) r.abort.abort(new Error('sandbox stopping'));
    await Promise.all([...this.running.values()].map((r) => r.done));
    await this.opts.runtime.close?.();
  }

  private podDir(pod: KubeObject): string {
    return join(this.dir, pod.metadata.uid ?? 'unknown');
  }

  logPath(pod: KubeObject, container: string): string {
    return join(this.podDir(pod), 'logs', `${container.replace(/[^A-Za-z0-9_.-]/g, '_')}.log`);
  }

  /** Whether the container may still write to its log. */
  private live(pod: KubeObject, container: string): boolean {
    if (!this.running.has(pod.metadata.uid ?? '')) return false;
    const cur = this.current(pod);
    const statuses = [
      ...(((cur?.status as Obj | undefined)?.initContainerStatuses as Obj[] | undefined) ?? []),
      ...(((cur?.status as Obj | undefined)?.containerStatuses as Obj[] | undefined) ?? []),
    ];
    const s = statuses.find((x) => x.name === container);
    return !(s && (s.state as Obj | undefined)?.terminated);
  }

  /**
   * The log of one container as kube serves it: the last `tailLines` lines (all when unset), then, with
   * `follow`, what the container writes until it ends or `signal` aborts. undefined: this pod was not run here.
   */
  logs(
    pod: KubeObject,
    container: string,
    o: { follow?: boolean; tailLines?: number; signal?: AbortSignal },
  ): AsyncIterable<Buffer> | undefined {
    const path = this.logPath(pod, container);
    if (!existsSync(path) && !this.running.has(pod.metadata.uid ?? '')) return undefined;
    const events = this.events;
    const isLive = (p: KubeObject, c: string) => this.live(p, c);
    const uid = pod.metadata.uid ?? '';
    return (async function* () {
      let offset = 0;
      if (existsSync(path)) {
        const all = readFileSync(path);
        let start = 0;
        if (o.tailLines !== undefined) {
          let lines = 0;
          let i = all.length;
          if (i > 0 && all[i - 1] === 0x0a) i--;
          while (i > 0) {
            if (all[i - 1] === 0x0a && ++lines >= o.tailLines) break;
            i--;
          }
          start = o.tailLines <= 0 ? all.length : i;
        }
        if (start < all.length) yield all.subarray(start);
        offset = all.length;
      }
      if (!o.follow) return;
      for (;;) {
        const waiter = new Promise<void>((resolve) => {
          const done = () => {
            events.off(`log:${uid}`, done);
            events.off(`done:${uid}`, done);
            o.signal?.removeEventListener('abort', done);
            resolve();
          };
          events.on(`log:${uid}`, done);
          events.on(`done:${uid}`, done);
          o.signal?.addEventListener('abort', done);
        });
        const live = isLive(pod, container);
        const size = existsSync(path) ? statSync(path).size : 0;
        if (size > offset) {
          for await (const c of createReadStream(path, { start: offset, end: size - 1 })) yield c as Buffer;
          offset = size;
          continue;
        }
        if (!live || o.signal?.aborted) return;
        await waiter;
      }
    })();
  }

  private podsInfo() {
    return this.cluster.registry.byResource('', 'v1', 'pods')!;
  }

  private current(pod: KubeObject): KubeObject | undefined {
    const s = this.cluster.getStored(this.podsInfo(), pod.metadata.namespace ?? '', pod.metadata.name ?? '');
    if (!s || s.obj.metadata.uid !== pod.metadata.uid) return undefined;
    return JSON.parse(s.json) as KubeObject;
  }

  /** Writes the pod status (re-reading on conflict); false when the pod is gone. */
  private async writeStatus(pod: KubeObject, status: (prev: Obj) => Obj): Promise<boolean> {
    for (let i = 0; i < 20; i++) {
      const cur = this.current(pod);
      if (!cur) return false;
      try {
        await this.cluster.internalWrite(
          this.podsInfo(),
          { ...cur, status: status((cur.status ?? {}) as Obj) },
          MANAGER,
          'status',
        );
        return true;
      } catch (err) {
        if (err instanceof KubeError && err.status === 409) continue;
        if (err instanceof KubeError && err.status === 404) return false;
        throw err;
      }
    }
    return false;
  }

  private async finish(
    pod: KubeObject,
    phase: 'Succeeded' | 'Failed',
    reason: string,
    message: string,
    statuses: Obj[],
  ): Promise<void> {
    const now = this.cluster.timestamp();
    await this.writeStatus(pod, (prev) => ({
      ...prev,
      phase,
      ...(reason ? { reason } : {}),
      ...(message ? { message } : {}),
      conditions: conditions(false, now, true),
      ...(statuses.length ? {} : { containerStatuses: prev.containerStatuses ?? [] }),
    }));
  }

  private lookup(res: string, ns: string, name: string): KubeObject | undefined {
    const [group, resource] = res.split('/') as [string, string];
    const info = this.cluster.registry.all().find((r) => r.group === group && r.resource === resource);
    if (!info) return undefined;
    const s = this.cluster.getStored(info, ns, name);
    return s ? (JSON.parse(s.json) as KubeObject) : undefined;
  }

  private hostPath(p: string): string {
    const n = normalize(p);
    if (n.startsWith(PV_HOST_PREFIX)) return join(this.dir, 'volumes', n.slice(PV_HOST_PREFIX.length));
    return n;
  }

  /** A PVC's bound volume directory, waiting (on store events) for the binding. */
  private async claimDir(ns: string, claim: string, signal: AbortSignal): Promise<string> {
    for (;;) {
      const pvc = this.lookup('/persistentvolumeclaims', ns, claim);
      if (!pvc) throw new Error(`persistentvolumeclaim "${claim}" not found`);
      const vn = (pvc.spec as Obj | undefined)?.volumeName as string | undefined;
      const pv = vn ? this.lookup('/persistentvolumes', '', vn) : undefined;
      const hp = ((pv?.spec as Obj | undefined)?.hostPath as Obj | undefined)?.path as string | undefined;
      if (hp && (pvc.status as Obj | undefined)?.phase === 'Bound') return this.hostPath(hp);
      if (signal.aborted) throw signal.reason;
      await new Promise<void>((resolve) => {
        const un = this.cluster.store.subscribe((e) => {
          if (e.res === '/persistentvolumeclaims' || e.res === '/persistentvolumes') done();
        });
        const done = () => {
          un();
          signal.removeEventListener('abort', done);
          resolve();
        };
        signal.addEventListener('abort', done);
      });
    }
  }

  private writeKeys(dir: string, data: Record<string, Buffer>, vol: Obj): void {
    mkdirSync(dir, { recursive: true });
    const items = vol.items as Obj[] | undefined;
    const mode = typeof vol.defaultMode === 'number' ? vol.defaultMode : 0o644;
    const entries: [string, Buffer, number][] = items
      ? items.map((it) => {
          const k = String(it.key);
          const v = data[k];
          if (!v) throw new Error(`key "${k}" not found`);
          return [String(it.path), v, typeof it.mode === 'number' ? it.mode : mode];
        })
      : Object.entries(data).map(([k, v]) => [k, v, mode]);
    for (const [p, v, m] of entries) {
      if (isAbsolute(p) || normalize(p).startsWith('..')) throw new Error(`item path "${p}" leaves the volume`);
      const f = join(dir, p);
      mkdirSync(dirname(f), { recursive: true });
      writeFileSync(f, v);
      chmodSync(f, m);
    }
  }

  private async volumes(pod: KubeObject, signal: AbortSignal): Promise<Map<string, string>> {
    const ns = pod.metadata.namespace ?? '';
    const out = new Map<string, string>();
    const base = join(this.podDir(pod), 'volumes');
    for (const v of ((pod.spec as Obj).volumes as Obj[] | undefined) ?? []) {
      const name = String(v.name);
      const dir = join(base, name);
      if (v.emptyDir !== undefined) {
        mkdirSync(dir, { recursive: true, mode: 0o777 });
        chmodSync(dir, 0o777);
        out.set(name, dir);
      } else if (v.hostPath) {
        const hp = this.hostPath(String((v.hostPath as Obj).path));
        const type = String((v.hostPath as Obj).type ?? '');
        if (type === 'DirectoryOrCreate' || hp.startsWith(join(this.dir, 'volumes')))
          mkdirSync(hp, { recursive: true });
        out.set(name, hp);
      } else if (v.persistentVolumeClaim) {
        const d = await this.claimDir(ns, String((v.persistentVolumeClaim as Obj).claimName), signal);
        mkdirSync(d, { recursive: true, mode: 0o777 });
        out.set(name, d);
      } else if (v.configMap) {
        const cmName = String((v.configMap as Obj).name);
        const cm = this.lookup('/configmaps', ns, cmName);
        if (!cm) throw new Error(`configmap "${cmName}" not found`);
        const data: Record<string, Buffer> = {};
        for (const [k, s] of Object.entries((cm.data as Record<string, string> | undefined) ?? {}))
          data[k] = Buffer.from(s);
        for (const [k, s] of Object.entries((cm.binaryData as Record<string, string> | undefined) ?? {}))
          data[k] = Buffer.from(s, 'base64');
        this.writeKeys(dir, data, v.configMap as Obj);
        out.set(name, dir);
      } else if (v.secret) {
        const sName = String((v.secret as Obj).secretName);
        const s = this.lookup('/secrets', ns, sName);
        if (!s) throw new Error(`secret "${sName}" not found`);
        const data: Record<string, Buffer> = {};
        for (const [k, x] of Object.entries((s.data as Record<string, string> | undefined) ?? {}))
          data[k] = Buffer.from(x, 'base64');
        this.writeKeys(dir, data, { defaultMode: 0o644, ...(v.secret as Obj) });
        out.set(name, dir);
      } else
        throw new Error(
          `volume "${name}": only emptyDir, hostPath, persistentVolumeClaim, configMap and secret run in the sandbox`,
        );
    }
    return out;
  }

  private env(pod: KubeObject, c: Obj, image: PodImageConfig): string[] {
    const ns = pod.metadata.namespace ?? '';
    const env = new Map<string, string>();
    for (const e of image.env) {
      const i = e.indexOf('=');
      if (i > 0) env.set(e.slice(0, i), e.slice(i + 1));
    }
    if (!env.has('PATH')) env.set('PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    env.set('HOSTNAME', pod.metadata.name ?? '');
    const keyOf = (kind: 'configmaps' | 'secrets', ref: Obj): string | undefined => {
      const o = this.lookup(`/${kind}`, ns, String(ref.name));
      const key = String(ref.key);
      const v =
        kind === 'secrets'
          ? (o?.data as Record<string, string> | undefined)?.[key] !== undefined
            ? Buffer.from((o!.data as Record<string, string>)[key]!, 'base64').toString('utf8')
            : undefined
          : (o?.data as Record<string, string> | undefined)?.[key];
      if (v === undefined && ref.optional !== true)
        throw new Error(`${kind === 'secrets' ? 'secret' : 'configmap'} "${String(ref.name)}" has no key "${key}"`);
      return v;
    };
    for (const f of (c.envFrom as Obj[] | undefined) ?? []) {
      const prefix = String(f.prefix ?? '');
      const src = f.configMapRef ? 'configmaps' : f.secretRef ? 'secrets' : undefined;
      if (!src) continue;
      const ref = (f.configMapRef ?? f.secretRef) as Obj;
      const o = this.lookup(`/${src}`, ns, String(ref.name));
      if (!o) {
        if (ref.optional === true) continue;
        throw new Error(`${src === 'secrets' ? 'secret' : 'configmap'} "${String(ref.name)}" not found`);
      }
      for (const [k, v] of Object.entries((o.data as Record<string, string> | undefined) ?? {}))
        env.set(prefix + k, src === 'secrets' ? Buffer.from(v, 'base64').toString('utf8') : v);
    }
    for (const e of (c.env as Obj[] | undefined) ?? []) {
      const name = String(e.name);
      if (e.value !== undefined) {
        env.set(
          name,
          String(e.value).replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, n: string) => env.get(n) ?? m),
        );
        continue;
      }
      const vf = (e.valueFrom ?? {}) as Obj;
      let v: string | undefined;
      if (vf.secretKeyRef) v = keyOf('secrets', vf.secretKeyRef as Obj);
      else if (vf.configMapKeyRef) v = keyOf('configmaps', vf.configMapKeyRef as Obj);
      else if (vf.fieldRef) {
        const path = String((vf.fieldRef as Obj).fieldPath);
        const fields: Record<string, string | undefined> = {
          'metadata.name': pod.metadata.name,
          'metadata.namespace': ns,
          'metadata.uid': pod.metadata.uid,
          'spec.nodeName': (pod.spec as Obj).nodeName as string | undefined,
          'spec.serviceAccountName': (pod.spec as Obj).serviceAccountName as string | undefined,
          'status.podIP': '127.0.0.1',
          'status.hostIP': '127.0.0.1',
        };
        v = fields[path];
      } else v = '';
      if (v !== undefined) env.set(name, v);
    }
    return [...env].map(([k, v]) => `${k}=${v}`);
  }

  /**
   * The container's termination message as a kubelet reads it: the file at terminationMessagePath (default
   * /dev/termination-log), looked up through the container's volume mounts, then its root filesystem; at most
   * 4096 bytes.
   */
  private terminationMessage(c: Obj, rootfs: string, mounts: PodMount[]): string {
    const path = normalize(String(c.terminationMessagePath ?? '/dev/termination-log'));
    let host: string | undefined;
    let best = -1;
    for (const m of mounts) {
      const t = normalize(m.target).replace(/\/+$/, '');
      if ((path === t || path.startsWith(t + '/')) && t.length > best) {
        best = t.length;
        host = join(m.source, path.slice(t.length));
      }
    }
    host ??= join(rootfs, path);
    try {
      return readFileSync(host).subarray(0, 4096).toString('utf8');
    } catch {
      return '';
    }
  }

  private async execute(pod: KubeObject, signal: AbortSignal): Promise<void> {
    const spec = pod.spec as Obj;
    const inits = (spec.initContainers as Obj[] | undefined) ?? [];
    const mains = (spec.containers as Obj[] | undefined) ?? [];
    const all = [...inits.map((c) => ({ c, init: true })), ...mains.map((c) => ({ c, init: false }))];
    const startTime = this.cluster.timestamp();
    const waiting = (c: Obj, reason: string): Obj => ({
      name: c.name,
      image: c.image,
      imageID: '',
      ready: false,
      started: false,
      restartCount: 0,
      state: { waiting: { reason } },
    });
    const statuses = new Map<string, Obj>();
    for (const { c, init } of all)
      statuses.set(String(c.name), waiting(c, init ? 'PodInitializing' : 'PodInitializing'));
    const publish = (phase: string, extra: Obj = {}) =>
      this.writeStatus(pod, (prev) => ({
        ...prev,
        phase,
        hostIP: '127.0.0.1',
        hostIPs: [{ ip: '127.0.0.1' }],
        podIP: '127.0.0.1',
        podIPs: [{ ip: '127.0.0.1' }],
        startTime,
        qosClass: 'BestEffort',
        conditions: conditions(
          phase === 'Running',
          this.cluster.timestamp(),
          phase !== 'Running' && phase !== 'Pending',
        ),
        ...(inits.length ? { initContainerStatuses: inits.map((c) => statuses.get(String(c.name))) } : {}),
        containerStatuses: mains.map((c) => statuses.get(String(c.name))),
        ...extra,
      }));
    if (!(await publish('Pending'))) return;
    const deadline = typeof spec.activeDeadlineSeconds === 'number' ? spec.activeDeadlineSeconds : undefined;
    const local = new AbortController();
    const onAbort = () => local.abort(signal.reason);
    signal.addEventListener('abort', onAbort);
    let deadlineHit = false;
    const timer =
      deadline !== undefined
        ? setTimeout(() => {
            deadlineHit = true;
            local.abort(new Error(`pod was active longer than ${deadline}s`));
          }, deadline * 1000)
        : undefined;
    timer?.unref();
    const podDir = this.podDir(pod);
    let phase: 'Succeeded' | 'Failed' = 'Succeeded';
    let reason = '';
    let message = '';
    try {
      let vols: Map<string, string>;
      try {
        vols = await this.volumes(pod, local.signal);
      } catch (err) {
        phase = 'Failed';
        reason = local.signal.aborted && deadlineHit ? 'DeadlineExceeded' : 'VolumeError';
        message = errMessage(err);
        for (const { c } of all) statuses.set(String(c.name), waiting(c, 'CreateContainerConfigError'));
        return;
      }
      for (const { c } of all) {
        const name = String(c.name);
        const rootfs = join(podDir, 'containers', name, 'rootfs');
        this.release(rootfs);
        rmSync(rootfs, { recursive: true, force: true });
        mkdirSync(rootfs, { recursive: true });
        let image: PodImageConfig;
        try {
          image = await this.opts.runtime.pull(String(c.image ?? ''), rootfs, local.signal);
        } catch (err) {
          phase = 'Failed';
          reason = deadlineHit ? 'DeadlineExceeded' : '';
          message = errMessage(err);
          statuses.set(name, {
            ...waiting(c, 'ErrImagePull'),
            state: { waiting: { reason: 'ErrImagePull', message: errMessage(err) } },
          });
          return;
        }
        let sink: LogSink | undefined;
        const startedAt = this.cluster.timestamp();
        let exitCode: number;
        let termReason: string;
        let termMessage = '';
        try {
          const env = this.env(pod, c, image);
          const mounts: PodMount[] = [];
          for (const m of (c.volumeMounts as Obj[] | undefined) ?? []) {
            const src = vols.get(String(m.name));
            if (!src) throw new Error(`volumeMount "${String(m.name)}" names no volume of the pod`);
            const sub = m.subPath ? String(m.subPath) : '';
            if (sub && (isAbsolute(sub) || normalize(sub).startsWith('..')))
              throw new Error(`subPath "${sub}" leaves the volume`);
            const source = sub ? join(src, sub) : src;
            if (sub && !existsSync(source)) mkdirSync(source, { recursive: true });
            mounts.push({ source, target: String(m.mountPath), ...(m.readOnly === true ? { readonly: true } : {}) });
          }
          const command = (c.command as string[] | undefined) ?? image.entrypoint ?? [];
          const args = (c.args as string[] | undefined) ?? (c.command ? [] : (image.cmd ?? []));
          const expand = (s: string) =>
            s.replace(
              /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
              (m, n: string) => env.find((e) => e.startsWith(`${n}=`))?.slice(n.length + 1) ?? m,
            );
          const argv = [...command, ...args].map(expand);
          if (!argv.length) throw new Error(`container "${name}" has no command and its image no entrypoint`);
          const sc = (c.securityContext ?? {}) as Obj;
          const psc = (spec.securityContext ?? {}) as Obj;
          const uid = sc.runAsUser ?? psc.runAsUser;
          const gid = sc.runAsGroup ?? psc.runAsGroup;
          const user =
            uid !== undefined ? `${String(uid)}${gid !== undefined ? `:${String(gid)}` : ''}` : image.user || '0:0';
          statuses.set(name, { ...statuses.get(name), ready: false, started: true, state: { running: { startedAt } } });
          await publish('Running');
          const uidKey = pod.metadata.uid ?? '';
          sink = new LogSink(this.logPath(pod, name), () => this.events.emit(`log:${uidKey}`));
          const r = await this.opts.runtime.run({
            rootfs,
            argv,
            env,
            cwd: String(c.workingDir ?? image.workingDir ?? '/') || '/',
            user,
            mounts,
            ...(sc.privileged === true ? { privileged: true } : {}),
            stdout: sink,
            stderr: sink,
            signal: local.signal,
          });
          exitCode = r.exitCode;
          termReason = exitCode === 0 ? 'Completed' : 'Error';
        } catch (err) {
          if (local.signal.aborted) {
            exitCode = 137;
            termReason = deadlineHit ? 'DeadlineExceeded' : 'Killed';
            termMessage = errMessage(local.signal.reason);
          } else {
            exitCode = 128;
            termReason = 'StartError';
            termMessage = errMessage(err);
          }
        } finally {
          if (sink) await new Promise<void>((resolve) => sink!.end(resolve));
          termMessage ||= this.terminationMessage(c, rootfs, mountsOf(c, vols));
          this.release(rootfs);
          rmSync(join(podDir, 'containers', name), { recursive: true, force: true });
        }
        statuses.set(name, {
          ...statuses.get(name),
          ready: false,
          started: false,
          state: {
            terminated: {
              exitCode,
              reason: termReason,
              ...(termMessage ? { message: termMessage } : {}),
              startedAt,
              finishedAt: this.cluster.timestamp(),
            },
          },
        });
        if (exitCode !== 0) {
          phase = 'Failed';
          if (deadlineHit) {
            reason = 'DeadlineExceeded';
            message = `Pod was active on the node longer than the specified deadline`;
          }
          return;
        }
      }
    } finally {
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      for (const { c } of all) {
        const s = statuses.get(String(c.name))!;
        if (
          phase === 'Failed' &&
          (s.state as Obj).waiting &&
          (s.state as Obj as { waiting: Obj }).waiting.reason === 'PodInitializing'
        )
          statuses.set(String(c.name), {
            ...s,
            state: {
              terminated: {
                exitCode: 137,
                reason: 'ContainerStatusUnknown',
                message: 'not started: an earlier container failed',
                startedAt: null,
                finishedAt: null,
              },
            },
          });
      }
      if (!signal.aborted || deadlineHit)
        await publish(phase, { ...(reason ? { reason } : {}), ...(message ? { message } : {}) });
      // volumes of the pod itself (emptyDir, configMap/secret copies) go with the run; logs stay for kubectl logs
      rmSync(join(podDir, 'volumes'), { recursive: true, force: true });
      for (const { c } of all) this.release(join(podDir, 'containers', String(c.name), 'rootfs'));
      rmSync(join(podDir, 'containers'), { recursive: true, force: true });
      if (signal.aborted && !this.current(pod)) rmSync(podDir, { recursive: true, force: true });
    }
  }
}

function mountsOf(c: Obj, vols: Map<string, string>): PodMount[] {
  const out: PodMount[] = [];
  for (const m of (c.volumeMounts as Obj[] | undefined) ?? []) {
    const src = vols.get(String(m.name));
    if (src) out.push({ source: m.subPath ? join(src, String(m.subPath)) : src, target: String(m.mountPath) });
  }
  return out;
}

function conditions(ready: boolean, now: string, completed: boolean): Obj[] {
  const c = (type: string, status: boolean, reason = ''): Obj => ({
    type,
    status: status ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: now,
    ...(reason ? { reason } : {}),
  });
  return [
    c('PodReadyToStartContainers', !completed),
    c('Initialized', true, completed ? 'PodCompleted' : ''),
    c('Ready', ready, ready ? '' : completed ? 'PodCompleted' : 'ContainersNotReady'),
    c('ContainersReady', ready, ready ? '' : completed ? 'PodCompleted' : 'ContainersNotReady'),
    c('PodScheduled', true),
  ];
}
