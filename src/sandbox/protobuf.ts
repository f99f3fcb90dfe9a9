// Decoding of the Kubernetes protobuf request encoding for the kinds kubectl's generators send that way
// (`kubectl create namespace|configmap|secret|serviceaccount`): the `k8s\0` envelope
// (runtime.Unknown: typeMeta, raw) and the fields of those kinds (field numbers of
// k8s.io/api/core/v1/generated.proto and apimachinery's ObjectMeta). Other kinds get 415.
import { KubeError, type KubeObject } from '../kube/index.ts';

type Fields = Map<number, (Buffer | number)[]>;

function readVarint(b: Buffer, pos: { i: number }): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos.i >= b.length) throw new Error('truncated varint');
    const byte = b[pos.i++]!;
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return result;
    shift += 7;
  }
}

function fields(b: Buffer): Fields {
  const out: Fields = new Map();
  const pos = { i: 0 };
  while (pos.i < b.length) {
    const key = readVarint(b, pos);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    let v: Buffer | number;
    if (wire === 0) v = readVarint(b, pos);
    else if (wire === 2) {
      const len = readVarint(b, pos);
      v = b.subarray(pos.i, pos.i + len);
      pos.i += len;
    } else if (wire === 1) {
      v = b.subarray(pos.i, pos.i + 8);
      pos.i += 8;
    } else if (wire === 5) {
      v = b.subarray(pos.i, pos.i + 4);
      pos.i += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
    const list = out.get(field) ?? [];
    list.push(v);
    out.set(field, list);
  }
  return out;
}

const str = (f: Fields, n: number): string | undefined => {
  const v = f.get(n)?.[0];
  return Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
};
const strs = (f: Fields, n: number): string[] =>
  (f.get(n) ?? []).filter(Buffer.isBuffer).map((v) => v.toString('utf8'));
const bool = (f: Fields, n: number): boolean | undefined => {
  const v = f.get(n)?.[0];
  return typeof v === 'number' ? v !== 0 : undefined;
};
function map(f: Fields, n: number, bytes = false): Record<string, string> | undefined {
  const entries = f.get(n);
  if (!entries) return undefined;
  const out: Record<string, string> = {};
  for (const e of entries) {
    if (!Buffer.isBuffer(e)) continue;
    const kv = fields(e);
    const k = str(kv, 1) ?? '';
    const v = kv.get(2)?.[0];
    out[k] = Buffer.isBuffer(v) ? (bytes ? v.toString('base64') : v.toString('utf8')) : '';
  }
  return out;
}

function objectMeta(b: Buffer | number | undefined): KubeObject['metadata'] {
  if (!Buffer.isBuffer(b)) return {};
  const f = fields(b);
  const m: KubeObject['metadata'] = {};
  const name = str(f, 1);
  if (name) m.name = name;
  const gen = str(f, 2);
  if (gen) m.generateName = gen;
  const ns = str(f, 3);
  if (ns) m.namespace = ns;
  const rv = str(f, 6);
  if (rv) m.resourceVersion = rv;
  const labels = map(f, 11);
  if (labels) m.labels = labels;
  const ann = map(f, 12);
  if (ann) m.annotations = ann;
  const fin = strs(f, 14);
  if (fin.length) m.finalizers = fin;
  return m;
}

function localRefs(f: Fields, n: number): { name: string }[] | undefined {
  const l = f.get(n);
  if (!l) return undefined;
  return l.filter(Buffer.isBuffer).map((b) => ({ name: str(fields(b), 1) ?? '' }));
}

/** Decodes a protobuf request body into a JSON object, or throws 415 for kinds it does not know. */
export function decodeProtobuf(body: Buffer): KubeObject {
  if (body.length < 4 || body.subarray(0, 4).toString('latin1') !== 'k8s\u0000')
    throw new KubeError('BadRequest', 400, 'protobuf body without the k8s envelope');
  let apiVersion = '';
  let kind = '';
  let raw: Buffer;
  try {
    const env = fields(body.subarray(4));
    const tm = env.get(1)?.[0];
    if (Buffer.isBuffer(tm)) {
      const t = fields(tm);
      apiVersion = str(t, 1) ?? '';
      kind = str(t, 2) ?? '';
    }
    const r = env.get(2)?.[0];
    raw = Buffer.isBuffer(r) ? r : Buffer.alloc(0);
  } catch (err) {
    throw new KubeError('BadRequest', 400, `cannot decode protobuf body: ${(err as Error).message}`, { cause: err });
  }
  const unsupported = () =>
    new KubeError(
      'UnsupportedMediaType',
      415,
      `the sandbox decodes protobuf only for Namespace, ConfigMap, Secret and ServiceAccount (got ${apiVersion} ${kind}); send application/json`,
    );
  if (apiVersion !== 'v1') throw unsupported();
  const f = fields(raw);
  const metadata = objectMeta(f.get(1)?.[0]);
  switch (kind) {
    case 'Namespace': {
      const spec = f.get(2)?.[0];
      const fin = Buffer.isBuffer(spec) ? strs(fields(spec), 1) : [];
      return { apiVersion, kind, metadata, ...(fin.length ? { spec: { finalizers: fin } } : {}) };
    }
    case 'ConfigMap': {
      const data = map(f, 2);
      const binaryData = map(f, 3, true);
      const immutable = bool(f, 4);
      return {
        apiVersion,
        kind,
        metadata,
        ...(data ? { data } : {}),
        ...(binaryData ? { binaryData } : {}),
        ...(immutable !== undefined ? { immutable } : {}),
      };
    }
    case 'Secret': {
      const data = map(f, 2, true);
      const type = str(f, 3);
      const stringData = map(f, 4);
      const immutable = bool(f, 5);
      return {
        apiVersion,
        kind,
        metadata,
        ...(data ? { data } : {}),
        ...(type ? { type } : {}),
        ...(stringData ? { stringData } : {}),
        ...(immutable !== undefined ? { immutable } : {}),
      };
    }
    case 'ServiceAccount': {
      const secrets = localRefs(f, 2);
      const ips = localRefs(f, 3);
      const auto = bool(f, 4);
      return {
        apiVersion,
        kind,
        metadata,
        ...(secrets ? { secrets } : {}),
        ...(ips ? { imagePullSecrets: ips } : {}),
        ...(auto !== undefined ? { automountServiceAccountToken: auto } : {}),
      };
    }
  }
  throw unsupported();
}
