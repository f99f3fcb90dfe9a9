// Server-side printing: kubectl asks for `application/json;as=Table;g=meta.k8s.io;v=v1` and prints the
// columns the server returns. The columns here follow kube-apiserver's printers for the common kinds,
// custom resources use their additionalPrinterColumns.
import { formatSelector, getPath, isObject, type KubeObject, type ResourceInfo } from '../kube/index.ts';

export interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

type Cell = string | number | boolean | null;
type Printer = { columns: [string, string, number?][]; row: (o: KubeObject, now: number) => Cell[] };

export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 192) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

const age = (o: KubeObject, now: number): string =>
  o.metadata.creationTimestamp ? humanDuration(now - Date.parse(o.metadata.creationTimestamp)) : '<unknown>';
const s = (o: unknown, path: string): Record<string, unknown> =>
  isObject(getPath(o, path.split('.'))) ? (getPath(o, path.split('.')) as Record<string, unknown>) : {};
const n = (v: unknown): number => (typeof v === 'number' ? v : 0);
const containers = (spec: unknown): Record<string, unknown>[] =>
  Array.isArray(s(spec, 'template.spec').containers)
    ? (s(spec, 'template.spec').containers as Record<string, unknown>[])
    : [];
const names = (cs: Record<string, unknown>[]) => cs.map((c) => String(c.name)).join(',');
const images = (cs: Record<string, unknown>[]) => cs.map((c) => String(c.image)).join(',');

function podStatus(o: KubeObject): { ready: string; status: string; restarts: number } {
  const spec = s(o, 'spec');
  const st = s(o, 'status');
  const cs = Array.isArray(st.containerStatuses) ? (st.containerStatuses as Record<string, unknown>[]) : [];
  const total = Array.isArray(spec.containers) ? spec.containers.length : 0;
  const ready = cs.filter((c) => c.ready === true).length;
  let status = String(st.phase ?? 'Pending');
  for (const c of cs) {
    const w = s(c, 'state.waiting');
    const t = s(c, 'state.terminated');
    if (w.reason) status = String(w.reason);
    else if (st.phase !== 'Running' && (t.reason || t.exitCode !== undefined))
      status = t.reason ? String(t.reason) : `ExitCode:${String(t.exitCode)}`;
  }
  if (o.metadata.deletionTimestamp) status = 'Terminating';
  return { ready: `${ready}/${total}`, status, restarts: cs.reduce((a, c) => a + n(c.restartCount), 0) };
}

const PRINTERS: Record<string, Printer> = {
  '/pods': {
    columns: [
      ['Ready', 'string'],
      ['Status', 'string'],
      ['Restarts', 'string'],
      ['Age', 'string'],
      ['IP', 'string', 1],
      ['Node', 'string', 1],
      ['Nominated Node', 'string', 1],
      ['Readiness Gates', 'string', 1],
    ],
    row: (o, now) => {
      const p = podStatus(o);
      return [
        p.ready,
        p.status,
        String(p.restarts),
        age(o, now),
        String(s(o, 'status').podIP ?? '<none>'),
        String(s(o, 'spec').nodeName ?? '<none>'),
        '<none>',
        '<none>',
      ];
    },
  },
  'apps/deployments': {
    columns: [
      ['Ready', 'string'],
      ['Up-to-date', 'string'],
      ['Available', 'string'],
      ['Age', 'string'],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
      ['Selector', 'string', 1],
    ],
    row: (o, now) => {
      const st = s(o, 'status');
      const cs = containers(o.spec);
      return [
        `${n(st.readyReplicas)}/${n(s(o, 'spec').replicas)}`,
        n(st.updatedReplicas),
        n(st.availableReplicas),
        age(o, now),
        names(cs),
        images(cs),
        formatSelector(s(o, 'spec.selector')),
      ];
    },
  },
  'apps/replicasets': {
    columns: [
      ['Desired', 'integer'],
      ['Current', 'integer'],
      ['Ready', 'integer'],
      ['Age', 'string'],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
      ['Selector', 'string', 1],
    ],
    row: (o, now) => {
      const st = s(o, 'status');
      const cs = containers(o.spec);
      return [
        n(s(o, 'spec').replicas),
        n(st.replicas),
        n(st.readyReplicas),
        age(o, now),
        names(cs),
        images(cs),
        formatSelector(s(o, 'spec.selector')),
      ];
    },
  },
  'apps/statefulsets': {
    columns: [
      ['Ready', 'string'],
      ['Age', 'string'],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
    ],
    row: (o, now) => {
      const cs = containers(o.spec);
      return [`${n(s(o, 'status').readyReplicas)}/${n(s(o, 'spec').replicas)}`, age(o, now), names(cs), images(cs)];
    },
  },
  'apps/daemonsets': {
    columns: [
      ['Desired', 'integer'],
      ['Current', 'integer'],
      ['Ready', 'integer'],
      ['Up-to-date', 'integer'],
      ['Available', 'integer'],
      ['Node Selector', 'string'],
      ['Age', 'string'],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
      ['Selector', 'string', 1],
    ],
    row: (o, now) => {
      const st = s(o, 'status');
      const cs = containers(o.spec);
      const nsel = Object.entries(s(o, 'spec.template.spec.nodeSelector'))
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(',');
      return [
        n(st.desiredNumberScheduled),
        n(st.currentNumberScheduled),
        n(st.numberReady),
        n(st.updatedNumberScheduled),
        n(st.numberAvailable),
        nsel || '<none>',
        age(o, now),
        names(cs),
        images(cs),
        formatSelector(s(o, 'spec.selector')),
      ];
    },
  },
  'batch/jobs': {
    columns: [
      ['Status', 'string'],
      ['Completions', 'string'],
      ['Duration', 'string'],
      ['Age', 'string'],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
      ['Selector', 'string', 1],
    ],
    row: (o, now) => {
      const st = s(o, 'status');
      const conds = Array.isArray(st.conditions) ? (st.conditions as Record<string, unknown>[]) : [];
      const done = conds.some((c) => c.type === 'Complete' && c.status === 'True');
      const failed = conds.some((c) => c.type === 'Failed' && c.status === 'True');
      const start = st.startTime ? Date.parse(String(st.startTime)) : undefined;
      const end = st.completionTime ? Date.parse(String(st.completionTime)) : now;
      const cs = containers(o.spec);
      return [
        done ? 'Complete' : failed ? 'Failed' : 'Running',
        `${n(st.succeeded)}/${n(s(o, 'spec').completions)}`,
        start ? humanDuration(end - start) : '',
        age(o, now),
        names(cs),
        images(cs),
        formatSelector(s(o, 'spec.selector')),
      ];
    },
  },
  '/services': {
    columns: [
      ['Type', 'string'],
      ['Cluster-IP', 'string'],
      ['External-IP', 'string'],
      ['Port(s)', 'string'],
      ['Age', 'string'],
      ['Selector', 'string', 1],
    ],
    row: (o, now) => {
      const spec = s(o, 'spec');
      const ports = Array.isArray(spec.ports) ? (spec.ports as Record<string, unknown>[]) : [];
      const ext = (s(o, 'status.loadBalancer').ingress as Record<string, unknown>[] | undefined)
        ?.map((i) => String(i.ip ?? i.hostname))
        .join(',');
      const sel = Object.entries(isObject(spec.selector) ? spec.selector : {})
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(',');
      return [
        String(spec.type ?? 'ClusterIP'),
        String(spec.clusterIP ?? '<none>'),
        ext || (spec.type === 'LoadBalancer' ? '<pending>' : '<none>'),
        ports
          .map((p) => `${String(p.port)}${p.nodePort ? ':' + String(p.nodePort) : ''}/${String(p.protocol ?? 'TCP')}`)
          .join(',') || '<none>',
        age(o, now),
        sel || '<none>',
      ];
    },
  },
  '/namespaces': {
    columns: [
      ['Status', 'string'],
      ['Age', 'string'],
    ],
    row: (o, now) => [String(s(o, 'status').phase ?? 'Active'), age(o, now)],
  },
  '/nodes': {
    columns: [
      ['Status', 'string'],
      ['Roles', 'string'],
      ['Age', 'string'],
      ['Version', 'string'],
      ['Internal-IP', 'string', 1],
      ['OS-Image', 'string', 1],
    ],
    row: (o, now) => {
      const conds = (s(o, 'status').conditions as Record<string, unknown>[] | undefined) ?? [];
      const ready = conds.find((c) => c.type === 'Ready')?.status === 'True';
      return [
        ready ? 'Ready' : 'NotReady',
        'control-plane',
        age(o, now),
        String(s(o, 'status.nodeInfo').kubeletVersion ?? ''),
        '127.0.0.1',
        'Sekisho sandbox',
      ];
    },
  },
  '/configmaps': {
    columns: [
      ['Data', 'integer'],
      ['Age', 'string'],
    ],
    row: (o, now) => [Object.keys(s(o, 'data')).length + Object.keys(s(o, 'binaryData')).length, age(o, now)],
  },
  '/secrets': {
    columns: [
      ['Type', 'string'],
      ['Data', 'integer'],
      ['Age', 'string'],
    ],
    row: (o, now) => [String(o.type ?? 'Opaque'), Object.keys(s(o, 'data')).length, age(o, now)],
  },
  '/persistentvolumeclaims': {
    columns: [
      ['Status', 'string'],
      ['Volume', 'string'],
      ['Capacity', 'string'],
      ['Access Modes', 'string'],
      ['StorageClass', 'string'],
      ['Age', 'string'],
    ],
    row: (o, now) => {
      const spec = s(o, 'spec');
      const st = s(o, 'status');
      return [
        String(st.phase ?? 'Pending'),
        String(spec.volumeName ?? ''),
        String(s(o, 'status.capacity').storage ?? ''),
        abbrevModes(st.accessModes),
        String(spec.storageClassName ?? ''),
        age(o, now),
      ];
    },
  },
  'apiextensions.k8s.io/customresourcedefinitions': {
    columns: [['Created At', 'date']],
    row: (o) => [o.metadata.creationTimestamp ?? ''],
  },
};

function abbrevModes(m: unknown): string {
  const map: Record<string, string> = {
    ReadWriteOnce: 'RWO',
    ReadOnlyMany: 'ROX',
    ReadWriteMany: 'RWX',
    ReadWriteOncePod: 'RWOP',
  };
  return Array.isArray(m) ? m.map((x) => map[String(x)] ?? String(x)).join(',') : '';
}

/** Evaluates the simple JSONPath expressions used by additionalPrinterColumns. */
export function evalJsonPath(obj: unknown, expr: string): unknown {
  let path = expr.trim();
  if (path.startsWith('{') && path.endsWith('}')) path = path.slice(1, -1);
  if (path.startsWith('$')) path = path.slice(1);
  const tokens = path.match(/\.[^.[]+|\[[^\]]*\]/g) ?? [];
  let cur: unknown[] = [obj];
  for (const t of tokens) {
    const next: unknown[] = [];
    for (const c of cur) {
      if (t.startsWith('.')) {
        if (isObject(c) && c[t.slice(1)] !== undefined) next.push(c[t.slice(1)]);
      } else if (Array.isArray(c)) {
        const inner = t.slice(1, -1);
        const f = /^\?\(@\.([\w.-]+)\s*==\s*["']?([^"')]*)["']?\)$/.exec(inner);
        if (f) {
          for (const x of c) if (isObject(x) && String(getPath(x, f[1]!.split('.'))) === f[2]) next.push(x);
        } else if (inner === '*') next.push(...c);
        else if (c[Number(inner)] !== undefined) next.push(c[Number(inner)]);
      }
    }
    cur = next;
  }
  return cur.length === 0 ? undefined : cur.length === 1 ? cur[0] : cur;
}

export interface CustomColumns {
  name: string;
  type: string;
  jsonPath: string;
  priority?: number;
  description?: string;
  format?: string;
}

export function buildTable(
  info: ResourceInfo,
  objects: KubeObject[],
  opts: { resourceVersion: string; continue?: string; includeObject: string; custom?: CustomColumns[]; now?: number },
): Record<string, unknown> {
  const now = opts.now ?? Date.now();
  const desc = (name: string) => (name === 'Name' ? 'Name must be unique within a namespace.' : name);
  const columns: Column[] = [{ name: 'Name', type: 'string', format: 'name', description: desc('Name'), priority: 0 }];
  let row: (o: KubeObject) => Cell[];
  const printer = PRINTERS[`${info.group}/${info.resource}`];
  if (opts.custom) {
    const custom = opts.custom;
    const hasAge = custom.some((c) => c.name.toLowerCase() === 'age');
    for (const c of custom)
      columns.push({
        name: c.name,
        type: c.type,
        format: c.format ?? '',
        description: c.description ?? '',
        priority: c.priority ?? 0,
      });
    if (!custom.length || (!hasAge && !custom.length))
      columns.push({ name: 'Age', type: 'date', format: '', description: 'age', priority: 0 });
    row = (o) => [
      ...custom.map((c) => {
        const v = evalJsonPath(o, c.jsonPath);
        if (v === undefined) return null;
        if (c.type === 'date' && typeof v === 'string') return humanDuration(now - Date.parse(v));
        return typeof v === 'object' ? JSON.stringify(v) : (v as Cell);
      }),
      ...(!custom.length ? [age(o, now)] : []),
    ];
  } else if (printer) {
    for (const [name, type, priority] of printer.columns)
      columns.push({ name, type, format: '', description: desc(name), priority: priority ?? 0 });
    row = (o) => printer.row(o, now);
  } else {
    columns.push({
      name: 'Age',
      type: 'string',
      format: '',
      description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
      priority: 0,
    });
    row = (o) => [age(o, now)];
  }
  const rows = objects.map((o) => {
    const r: Record<string, unknown> = { cells: [o.metadata.name ?? '', ...row(o)] };
    if (opts.includeObject === 'Object') r.object = o;
    else if (opts.includeObject !== 'None')
      r.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
    return r;
  });
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: opts.resourceVersion, ...(opts.continue ? { continue: opts.continue } : {}) },
    columnDefinitions: columns,
    rows,
  };
}
