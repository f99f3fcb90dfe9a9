// OpenAPI v3 (per group-version) and v2 documents for the sandbox, as kubectl reads them for
// `explain`, client-side apply patch metadata and the fieldValidation capability check. Schemas of
// built-in kinds are generated from @kubernetes/client-node's models (types, formats, required fields
// and descriptions from its declarations); patch merge keys come from the list-type table; custom
// resources use their CRD's openAPIV3Schema.
import { createRequire } from 'node:module';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { formatApiVersion, type ResourceInfo } from '../kube/index.ts';
import { builtinListTypes } from './list-types.ts';
import type { Cluster } from './cluster.ts';

type Schema = Record<string, unknown>;
interface Attr {
  name: string;
  baseName: string;
  type: string;
  format: string;
}
type ModelClass = { getAttributeTypeMap?: () => Attr[] };

let models: Record<string, ModelClass> | undefined;
let modelDir = '';

async function loadModels(): Promise<Record<string, ModelClass>> {
  if (models) return models;
  const mod = (await import('@kubernetes/client-node')) as unknown as Record<string, ModelClass>;
  const req = createRequire(import.meta.url);
  modelDir = join(dirname(req.resolve('@kubernetes/client-node')), 'gen', 'models');
  models = mod;
  return mod;
}

interface Docs {
  description: string;
  props: Map<string, { description: string; required: boolean }>;
}
const docsCache = new Map<string, Docs>();

function readDocs(cls: string): Docs {
  let d = docsCache.get(cls);
  if (d) return d;
  d = { description: '', props: new Map() };
  const file = join(modelDir, cls + '.d.ts');
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    const clean = (c: string) =>
      c
        .split('\n')
        .map((l) => l.replace(/^\s*\*\s?/, '').trim())
        .join(' ')
        .replace(/\\'/g, "'")
        .replace(/\\"/g, '"')
        .trim();
    const cm = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*export declare class/.exec(text);
    if (cm) d.description = clean(cm[1]!);
    const re = /(?:\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*)?'([^']+)'(\?)?:/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text))) d.props.set(m[2]!, { description: m[1] ? clean(m[1]) : '', required: !m[3] });
  }
  docsCache.set(cls, d);
  return d;
}

const GROUP_PKG: Record<string, string> = {
  '': 'io.k8s.api.core',
  apps: 'io.k8s.api.apps',
  batch: 'io.k8s.api.batch',
  'networking.k8s.io': 'io.k8s.api.networking',
  'rbac.authorization.k8s.io': 'io.k8s.api.rbac',
  'coordination.k8s.io': 'io.k8s.api.coordination',
  policy: 'io.k8s.api.policy',
  'storage.k8s.io': 'io.k8s.api.storage',
  'admissionregistration.k8s.io': 'io.k8s.api.admissionregistration',
  'apiextensions.k8s.io': 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions',
};

function defName(cls: string, group?: string): string {
  const m = /^(V\d+(?:alpha\d+|beta\d+)?)(.*)$/.exec(cls);
  if (!m) return `io.k8s.sekisho.${cls}`;
  const version = m[1]!.toLowerCase();
  const name = m[2]!;
  if (
    [
      'ObjectMeta',
      'ListMeta',
      'LabelSelector',
      'ManagedFieldsEntry',
      'OwnerReference',
      'Condition',
      'Time',
      'LabelSelectorRequirement',
      'Status',
      'StatusDetails',
      'StatusCause',
    ].includes(name)
  )
    return `io.k8s.apimachinery.pkg.apis.meta.v1.${name}`;
  return `${GROUP_PKG[group ?? ''] ?? 'io.k8s.api.core'}.${version}.${name}`;
}

/** Builds schemas for a model class and everything it references into `defs`. */
function addModel(
  cls: string,
  group: string | undefined,
  defs: Record<string, Schema>,
  names: Map<string, string>,
  ref: (n: string) => string,
): string {
  const known = names.get(cls);
  if (known) return known;
  const name = defName(cls, group);
  names.set(cls, name);
  const model = models?.[cls];
  const attrs = model?.getAttributeTypeMap?.() ?? [];
  const docs = readDocs(cls);
  const props: Record<string, Schema> = {};
  const required: string[] = [];
  const schema: Schema = { type: 'object', description: docs.description };
  defs[name] = schema;
  for (const a of attrs) {
    const d = docs.props.get(a.name);
    let p = typeSchema(a.type, a.format, group, defs, names, ref);
    // like kube-openapi: a described reference is wrapped in allOf (siblings of $ref are ignored)
    if (p.$ref) p = { allOf: [{ $ref: p.$ref }], ...(d?.description ? { description: d.description } : {}) };
    else if (d?.description) p.description = d.description;
    if (d?.required) required.push(a.baseName);
    if (a.type.startsWith('Array<')) {
      const lt =
        a.baseName === 'ports'
          ? cls.endsWith('ServiceSpec')
            ? builtinListTypes(['spec', 'ports'])
            : cls.endsWith('Container')
              ? builtinListTypes(['containers', '[]', 'ports'])
              : { type: 'atomic' as const }
          : builtinListTypes([a.baseName]);
      if (lt.type === 'map') {
        p['x-kubernetes-list-type'] = 'map';
        p['x-kubernetes-list-map-keys'] = lt.keys;
        p['x-kubernetes-patch-merge-key'] = lt.keys[0];
        p['x-kubernetes-patch-strategy'] = 'merge';
      } else if (lt.type === 'set') {
        p['x-kubernetes-list-type'] = 'set';
        p['x-kubernetes-patch-strategy'] = 'merge';
      } else p['x-kubernetes-list-type'] = 'atomic';
    }
    props[a.baseName] = p;
  }
  schema.properties = props;
  if (required.length) schema.required = required;
  return name;
}

function typeSchema(
  t: string,
  format: string,
  group: string | undefined,
  defs: Record<string, Schema>,
  names: Map<string, string>,
  ref: (n: string) => string,
): Schema {
  const arr = /^Array<(.+)>$/.exec(t);
  if (arr) return { type: 'array', items: typeSchema(arr[1]!, '', group, defs, names, ref) };
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(t);
  if (map) return { type: 'object', additionalProperties: typeSchema(map[1]!, '', group, defs, names, ref) };
  switch (t) {
    case 'string':
      return format ? { type: 'string', format } : { type: 'string' };
    case 'number':
      return { type: format === 'double' ? 'number' : 'integer', ...(format ? { format } : {}) };
    case 'boolean':
      return { type: 'boolean' };
    case 'Date':
      return { type: 'string', format: 'date-time' };
    case 'IntOrString':
      return { 'x-kubernetes-int-or-string': true, format: 'int-or-string' };
    case 'any':
    case 'object':
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  }
  if (models?.[t]?.getAttributeTypeMap) return { $ref: ref(addModel(t, group, defs, names, ref)) };
  return { type: 'object' };
}

function classFor(info: ResourceInfo): string {
  return info.version.charAt(0).toUpperCase() + info.version.slice(1) + info.kind;
}

function customSchema(cluster: Cluster, info: ResourceInfo, ref: (n: string) => string): Schema {
  const crd = cluster.crdInfo(info);
  const s: Schema = structuredClone(crd?.schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  const props = (s.properties ?? (s.properties = {})) as Record<string, Schema>;
  props.apiVersion = {
    type: 'string',
    description: 'APIVersion defines the versioned schema of this representation of an object.',
  };
  props.kind = {
    type: 'string',
    description: 'Kind is a string value representing the REST resource this object represents.',
  };
  props.metadata = {
    $ref: ref('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'),
    description: 'Standard object metadata.',
  };
  return s;
}

function customDefName(info: ResourceInfo): string {
  return `${info.group.split('.').reverse().join('.')}.${info.version}.${info.kind}`;
}

/** The schemas (named definitions) of the given resources. */
export async function schemasFor(
  cluster: Cluster,
  resources: ResourceInfo[],
  ref: (n: string) => string,
): Promise<{ defs: Record<string, Schema>; top: Map<ResourceInfo, string> }> {
  await loadModels();
  const defs: Record<string, Schema> = {};
  const names = new Map<string, string>();
  const top = new Map<ResourceInfo, string>();
  addModel('V1ObjectMeta', '', defs, names, ref);
  for (const info of resources) {
    const gvk = [{ group: info.group, version: info.version, kind: info.kind }];
    if (cluster.crdInfo(info)) {
      const n = customDefName(info);
      defs[n] = { ...customSchema(cluster, info, ref), 'x-kubernetes-group-version-kind': gvk };
      top.set(info, n);
      continue;
    }
    const cls = classFor(info);
    if (!models?.[cls]?.getAttributeTypeMap) continue;
    const n = addModel(cls, info.group, defs, names, ref);
    defs[n]!['x-kubernetes-group-version-kind'] = gvk;
    top.set(info, n);
  }
  return { defs, top };
}

const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation'].map((name) => ({
  name,
  in: 'query',
  schema: { type: 'string', uniqueItems: true },
}));

export async function openApiV3ForGroupVersion(
  cluster: Cluster,
  group: string,
  version: string,
): Promise<Schema | undefined> {
  const resources = cluster.registry.all().filter((r) => r.group === group && r.version === version);
  if (!resources.length) return undefined;
  const ref = (n: string) => `#/components/schemas/${n}`;
  const { defs, top } = await schemasFor(cluster, resources, ref);
  const paths: Record<string, unknown> = {};
  const prefix = group ? `/apis/${group}/${version}` : `/api/${version}`;
  for (const r of resources) {
    const n = top.get(r);
    const gvk = { group: r.group, version: r.version, kind: r.kind };
    const body = n ? { content: { 'application/json': { schema: { $ref: ref(n) } } } } : undefined;
    const ok = n
      ? { '200': { description: 'OK', content: { 'application/json': { schema: { $ref: ref(n) } } } } }
      : { '200': { description: 'OK' } };
    const base = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.resource}` : `${prefix}/${r.resource}`;
    const op = (action: string, params: unknown[] = []) => ({
      operationId: `${action}${r.kind}`,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
      parameters: params,
      responses: ok,
    });
    paths[base] = {
      get: op('list'),
      post: { ...op('post', WRITE_PARAMS), ...(body ? { requestBody: body } : {}) },
      delete: op('deletecollection'),
    };
    const patchParams = [
      ...WRITE_PARAMS,
      { name: 'force', in: 'query', schema: { type: 'boolean', uniqueItems: true } },
    ];
    paths[`${base}/{name}`] = {
      get: op('get'),
      put: { ...op('put', WRITE_PARAMS), ...(body ? { requestBody: body } : {}) },
      patch: {
        ...op('patch', patchParams),
        requestBody: {
          content: {
            'application/json-patch+json': { schema: { type: 'object' } },
            'application/merge-patch+json': { schema: { type: 'object' } },
            'application/strategic-merge-patch+json': { schema: { type: 'object' } },
            'application/apply-patch+yaml': { schema: { type: 'object' } },
          },
        },
      },
      delete: op('delete', [{ name: 'dryRun', in: 'query', schema: { type: 'string' } }]),
    };
    for (const sub of r.subresources) {
      if (sub !== 'status' && sub !== 'scale') continue;
      paths[`${base}/{name}/${sub}`] = {
        get: op('get'),
        put: op('put', WRITE_PARAMS),
        patch: op('patch', patchParams),
      };
    }
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas: defs } };
}

export function openApiV3Index(cluster: Cluster, hashOf: (gv: string) => string): Schema {
  const paths: Record<string, unknown> = {};
  for (const [group, versions] of cluster.registry.groups()) {
    for (const v of versions) {
      const p = group ? `apis/${group}/${v}` : `api/${v}`;
      paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hashOf(formatApiVersion({ group, version: v }))}` };
    }
  }
  return { paths };
}

export async function openApiV2(cluster: Cluster): Promise<Schema> {
  const ref = (n: string) => `#/definitions/${n}`;
  const { defs } = await schemasFor(cluster, cluster.registry.all(), ref);
  // v2 has no int-or-string keyword of its own: kube writes `type: string, format: int-or-string`
  return { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths: {}, definitions: defs };
}

export function contentHash(s: string): string {
  return createHash('sha512').update(s).digest('hex').slice(0, 64).toUpperCase();
}

const builtinDefs = new Map<string, { defs: Record<string, Schema>; top: string | undefined }>();

/**
 * Fields of a built-in object that its schema does not declare (what `fieldValidation=Strict` rejects
 * and `Warn` reports), from the same generated schemas the OpenAPI documents serve.
 */
export async function builtinUnknownFields(cluster: Cluster, info: ResourceInfo, obj: unknown, prune = false): Promise<string[]> {
  const key = `${info.group}/${info.version}/${info.kind}`;
  let entry = builtinDefs.get(key);
  if (!entry) {
    const ref = (n: string) => `#/definitions/${n}`;
    const { defs, top } = await schemasFor(cluster, [info], ref);
    entry = { defs, top: top.get(info) };
    builtinDefs.set(key, entry);
  }
  const { defs, top } = entry;
  if (!top) return [];
  const out: string[] = [];
  const resolve = (s: Schema | undefined): Schema | undefined => {
    let cur = s;
    for (let i = 0; i < 5 && cur; i++) {
      if (typeof cur.$ref === 'string') cur = defs[cur.$ref.slice('#/definitions/'.length)];
      else if (Array.isArray(cur.allOf) && cur.allOf.length === 1) cur = cur.allOf[0] as Schema;
      else break;
    }
    return cur;
  };
  const walk = (v: unknown, s: Schema | undefined, path: string) => {
    const sch = resolve(s);
    if (!sch) return;
    if (Array.isArray(v)) {
      if (sch.items) v.forEach((x, i) => walk(x, sch.items as Schema, `${path}[${i}]`));
      return;
    }
    if (typeof v !== 'object' || v === null) return;
    if (sch['x-kubernetes-preserve-unknown-fields'] === true) return;
    const props = sch.properties as Record<string, Schema> | undefined;
    const addl = sch.additionalProperties as Schema | undefined;
    if (!props && !addl) return;
    for (const [k, x] of Object.entries(v)) {
      const p = path ? `${path}.${k}` : k;
      const child = props?.[k] ?? addl;
      if (!child) {
        out.push(p);
        // like decoding into the typed struct: fields the kind does not have are dropped
        if (prune) delete (v as Record<string, unknown>)[k];
      } else walk(x, child, p);
    }
  };
  walk(obj, defs[top], '');
  return out;
}
