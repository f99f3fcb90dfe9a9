// The API machinery of the sandbox cluster, independent of HTTP: create, get, list, update, patch,
// server-side apply, delete with finalizers and propagation, status subresources, defaults, CRD schema
// handling, admission webhooks, optimistic concurrency and field management.
import { randomUUID } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import {
  KubeError,
  ResourceRegistry,
  clone,
  deepEqual,
  formatApiVersion,
  groupResourceString,
  invalid,
  isObject,
  matchesFieldSelector,
  matchesSelector,
  notFound,
  parseApiVersion,
  parseFieldSelector,
  parseLabelSelector,
  type KubeObject,
  type ResourceInfo,
  type StatusCause,
} from '../kube/index.ts';
import { WebhookAdmission, type AdmissionSources } from './admission.ts';
import { applyDefaults } from './defaults.ts';
import { builtinListTypes, schemaListTypes, type ListTypeResolver } from './list-types.ts';
import { serverSideApply, updateManagedFields } from './managed-fields.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patch.ts';
import { defaultAndPrune, unknownFields, validateSchema } from './schema-validate.ts';
import { Store, type StoredObject } from './store.ts';
import { builtinUnknownFields } from './openapi.ts';

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  /** kubectl/1.32 … : used to name the field manager when none is given */
  userAgent?: string;
  force?: boolean;
  fieldValidation?: string;
  /** internal writers (simulated controllers) skip admission webhooks */
  internal?: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
  internal?: boolean;
}

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface CrdVersionInfo {
  schema?: Record<string, unknown>;
  printerColumns: {
    name: string;
    type: string;
    jsonPath: string;
    priority?: number;
    description?: string;
    format?: string;
  }[];
  lists: ListTypeResolver;
  served: boolean;
  storage: boolean;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function resKey(info: { group: string; resource: string }): string {
  return `${info.group}/${info.resource}`;
}

export class Cluster {
  readonly registry = new ResourceRegistry();
  /** group/version/resource → CRD version details */
  readonly crdVersions = new Map<string, CrdVersionInfo>();
  readonly admission: WebhookAdmission;
  private nextServiceIp = 10;
  private readonly now: () => Date;

  constructor(
    readonly store: Store,
    opts: { now?: () => Date; resolveService?: AdmissionSources['resolveService'] } = {},
  ) {
    this.now = opts.now ?? (() => new Date());
    this.admission = new WebhookAdmission({
      mutating: () =>
        this.store
          .list('admissionregistration.k8s.io/mutatingwebhookconfigurations')
          .map((s) => s.obj)
          .sort(byName),
      validating: () =>
        this.store
          .list('admissionregistration.k8s.io/validatingwebhookconfigurations')
          .map((s) => s.obj)
          .sort(byName),
      namespaceLabels: (ns) => this.store.get('/namespaces', '', ns)?.obj.metadata.labels,
      ...(opts.resolveService ? { resolveService: opts.resolveService } : {}),
    });
    for (const s of this.store.list('apiextensions.k8s.io/customresourcedefinitions')) this.registerCrd(s.obj);
    for (const s of this.store.list('/services')) {
      const ip = (s.obj.spec as { clusterIP?: string } | undefined)?.clusterIP;
      const m = ip ? /^10\.96\.(\d+)\.(\d+)$/.exec(ip) : null;
      if (m) this.nextServiceIp = Math.max(this.nextServiceIp, Number(m[1]) * 256 + Number(m[2]) + 1);
    }
  }

  timestamp(): string {
    return this.now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
  }

  // ---------------------------------------------------------------- CRDs

  registerCrd(crd: KubeObject): void {
    const spec = crd.spec as {
      group: string;
      names: {
        plural: string;
        singular?: string;
        kind: string;
        listKind?: string;
        shortNames?: string[];
        categories?: string[];
      };
      scope: string;
      versions: {
        name: string;
        served: boolean;
        storage: boolean;
        schema?: { openAPIV3Schema?: Record<string, unknown> };
        subresources?: { status?: unknown; scale?: unknown };
        additionalPrinterColumns?: CrdVersionInfo['printerColumns'];
      }[];
    };
    this.unregisterCrd(crd);
    for (const v of spec.versions ?? []) {
      const info: ResourceInfo = {
        group: spec.group,
        version: v.name,
        kind: spec.names.kind,
        resource: spec.names.plural,
        singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
        namespaced: spec.scope !== 'Cluster',
        shortNames: spec.names.shortNames ?? [],
        verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
        subresources: [...(v.subresources?.status ? ['status'] : []), ...(v.subresources?.scale ? ['scale'] : [])],
        categories: spec.names.categories ?? [],
        listKind: spec.names.listKind ?? spec.names.kind + 'List',
      };
      const schema = v.schema?.openAPIV3Schema;
      this.crdVersions.set(`${spec.group}/${v.name}/${spec.names.plural}`, {
        ...(schema ? { schema } : {}),
        printerColumns: v.additionalPrinterColumns ?? [],
        lists: schemaListTypes(schema),
        served: v.served !== false,
        storage: !!v.storage,
      });
      if (v.served !== false) this.registry.add(info);
    }
  }

  unregisterCrd(crd: KubeObject): void {
    const spec = crd.spec as { group?: string; names?: { plural?: string }; versions?: { name: string }[] } | undefined;
    if (!spec?.group || !spec.names?.plural) return;
    for (const [k] of this.crdVersions)
      if (k.startsWith(`${spec.group}/`) && k.endsWith(`/${spec.names.plural}`)) this.crdVersions.delete(k);
    for (const r of this.registry.all())
      if (r.group === spec.group && r.resource === spec.names.plural)
        this.registry.remove(r.group, r.version, r.resource);
  }

  crdInfo(info: ResourceInfo): CrdVersionInfo | undefined {
    return this.crdVersions.get(`${info.group}/${info.version}/${info.resource}`);
  }

  listTypes(info: ResourceInfo): ListTypeResolver {
    return this.crdInfo(info)?.lists ?? builtinListTypes;
  }

  // ---------------------------------------------------------------- reads

  /** Presents a stored object in the requested version (custom resources: conversion strategy None). */
  private present(info: ResourceInfo, s: StoredObject): KubeObject {
    const o = JSON.parse(s.json) as KubeObject;
    o.apiVersion = formatApiVersion(info);
    return o;
  }

  presentJson(info: ResourceInfo, s: StoredObject): string {
    const av = formatApiVersion(info);
    if (s.obj.apiVersion === av) return s.json;
    return JSON.stringify(this.present(info, s));
  }

  get(info: ResourceInfo, ns: string, name: string): KubeObject {
    const s = this.store.get(resKey(info), info.namespaced ? ns : '', name);
    if (!s) throw notFound(info.resource, name, info.group);
    return this.present(info, s);
  }

  getStored(info: ResourceInfo, ns: string, name: string): StoredObject | undefined {
    return this.store.get(resKey(info), info.namespaced ? ns : '', name);
  }

  /** Lists with selectors and pagination; returns stored objects and the continue token. */
  list(
    info: ResourceInfo,
    ns: string | undefined,
    q: ListQuery,
  ): { items: StoredObject[]; rv: number; continue?: string; remaining?: number } {
    const label = q.labelSelector ? parseLabelSelector(q.labelSelector) : undefined;
    const field = q.fieldSelector ? parseFieldSelector(q.fieldSelector) : undefined;
    let all = this.store.list(resKey(info), info.namespaced ? ns : undefined);
    let rv = this.store.resourceVersion;
    if (q.continue) {
      let tok: { rv: number; start: string };
      try {
        tok = JSON.parse(Buffer.from(q.continue, 'base64url').toString('utf8')) as { rv: number; start: string };
      } catch {
        throw new KubeError('BadRequest', 400, 'continue key is not valid: illegal base64 data');
      }
      if (typeof tok.start !== 'string') throw new KubeError('BadRequest', 400, 'continue key is not valid');
      // the store's lists are sorted by namespace/name: resume after the last key handed out
      let lo = 0;
      let hi = all.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (keyOf(all[mid]!.obj) <= tok.start) lo = mid + 1;
        else hi = mid;
      }
      all = all.slice(lo);
      rv = tok.rv;
    }
    const out: StoredObject[] = [];
    let i = 0;
    for (; i < all.length; i++) {
      const s = all[i]!;
      if (label && !matchesSelector(label, s.obj.metadata.labels)) continue;
      if (field && !matchesFieldSelector(field, s.obj)) continue;
      if (q.limit && out.length >= q.limit) break;
      out.push(s);
    }
    if (q.limit && i < all.length) {
      const last = out[out.length - 1];
      const token = last
        ? Buffer.from(JSON.stringify({ rv, start: keyOf(last.obj) })).toString('base64url')
        : undefined;
      return {
        items: out,
        rv,
        ...(token ? { continue: token, remaining: label || field ? undefined : all.length - i } : {}),
      } as {
        items: StoredObject[];
        rv: number;
        continue?: string;
        remaining?: number;
      };
    }
    return { items: out, rv };
  }

  // ---------------------------------------------------------------- writes

  private managerName(o: WriteOptions, fallbackSuffix = ''): string {
    if (o.fieldManager) return o.fieldManager;
    const ua = o.userAgent ?? '';
    const base = ua.split('/')[0] || 'unknown';
    return base + fallbackSuffix;
  }

  private checkBody(info: ResourceInfo, body: unknown, ns: string, name?: string): KubeObject {
    if (!isObject(body)) throw new KubeError('BadRequest', 400, 'the request body must be a JSON or YAML object');
    const o = body as KubeObject;
    if (!isObject(o.metadata)) o.metadata = {};
    const gv = parseApiVersion(typeof o.apiVersion === 'string' ? o.apiVersion : '');
    if (o.kind !== undefined && o.kind !== info.kind)
      throw new KubeError(
        'BadRequest',
        400,
        `the API version in the data (${String(o.apiVersion)}) does not match the expected API version (${formatApiVersion(info)}) or kind ${String(o.kind)} is not ${info.kind}`,
      );
    if (o.apiVersion !== undefined && (gv.group !== info.group || gv.version !== info.version))
      throw new KubeError(
        'BadRequest',
        400,
        `the API version in the data (${String(o.apiVersion)}) does not match the expected API version (${formatApiVersion(info)})`,
      );
    o.apiVersion = formatApiVersion(info);
    o.kind = info.kind;
    if (info.namespaced) {
      if (o.metadata.namespace && o.metadata.namespace !== ns)
        throw new KubeError(
          'BadRequest',
          400,
          `the namespace of the provided object does not match the namespace sent on the request`,
        );
      o.metadata.namespace = ns;
    } else delete o.metadata.namespace;
    if (name !== undefined) {
      if (o.metadata.name && o.metadata.name !== name)
        throw new KubeError(
          'BadRequest',
          400,
          `the name of the object (${o.metadata.name}) does not match the name on the URL (${name})`,
        );
      o.metadata.name = name;
    }
    return o;
  }

  private validate(info: ResourceInfo, o: KubeObject): void {
    const causes: StatusCause[] = [];
    const name = o.metadata.name ?? '';
    if (!name)
      causes.push({
        reason: 'FieldValueRequired',
        field: 'metadata.name',
        message: 'Required value: name or generateName is required',
      });
    else if (
      name.length > 253 ||
      !(DNS1123_SUBDOMAIN.test(name) || (info.group === 'rbac.authorization.k8s.io' && !/[/%]/.test(name)))
    )
      causes.push({
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
        message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      });
    for (const [k, v] of Object.entries(o.metadata.labels ?? {})) {
      if (typeof v !== 'string')
        causes.push({
          reason: 'FieldValueInvalid',
          field: `metadata.labels`,
          message: `Invalid value: ${JSON.stringify(v)}: label ${k} must be a string`,
        });
      else if (v.length > 63 || (v && !/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(v)))
        causes.push({
          reason: 'FieldValueInvalid',
          field: 'metadata.labels',
          message: `Invalid value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'`,
        });
    }
    const spec = o.spec as Record<string, unknown> | undefined;
    if (info.group === 'apps' && ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet'].includes(info.kind) && spec) {
      if (!isObject(spec.selector))
        causes.push({ reason: 'FieldValueRequired', field: 'spec.selector', message: 'Required value' });
      else {
        const tl =
          (spec.template as { metadata?: { labels?: Record<string, string> } } | undefined)?.metadata?.labels ?? {};
        const sel = spec.selector as { matchLabels?: Record<string, string> };
        for (const [k, v] of Object.entries(sel.matchLabels ?? {}))
          if (tl[k] !== v) {
            causes.push({
              reason: 'FieldValueInvalid',
              field: 'spec.template.metadata.labels',
              message: `Invalid value: ${JSON.stringify(tl)}: \`selector\` does not match template \`labels\``,
            });
            break;
          }
      }
    }
    if (
      info.group === '' &&
      info.kind === 'Pod' &&
      spec &&
      (!Array.isArray(spec.containers) || spec.containers.length === 0)
    )
      causes.push({ reason: 'FieldValueRequired', field: 'spec.containers', message: 'Required value' });
    const crd = this.crdInfo(info);
    if (crd?.schema) validateSchema(o, crd.schema, '', causes);
    if (causes.length) throw invalid(info.kind, name, causes, info.group);
  }

  private generationView(o: KubeObject): unknown {
    const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
    return rest;
  }

  /**
   * The common write path: metadata, status-subresource rules, defaults, generation, field management,
   * admission, validation, concurrency check and commit (or dry-run).
   */
  private async commit(
    info: ResourceInfo,
    old: StoredObject | undefined,
    next: KubeObject,
    o: WriteOptions & { subresource?: string; manager: string; applied?: boolean },
  ): Promise<{ obj: KubeObject; warnings: string[]; created: boolean }> {
    const key = resKey(info);
    const ns = info.namespaced ? (next.metadata.namespace ?? '') : '';
    const oldObj = old ? (JSON.parse(old.json) as KubeObject) : undefined;
    const hasStatusSub = info.subresources.includes('status');
    const now = this.timestamp();
    if (!oldObj) {
      if (next.metadata.generateName && !next.metadata.name)
        next.metadata.name = next.metadata.generateName + randomSuffix(5);
      if (info.namespaced) {
        const nsObj = this.store.get('/namespaces', '', ns);
        if (!nsObj) throw notFound('namespaces', ns);
        if (nsObj.obj.metadata.deletionTimestamp)
          throw new KubeError(
            'Forbidden',
            403,
            `${info.resource}${info.group ? '.' + info.group : ''} "${next.metadata.name ?? ''}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
          );
      }
      next.metadata.uid = randomUUID();
      next.metadata.creationTimestamp = now;
      if (tracksGeneration(info, next, !!this.crdInfo(info))) next.metadata.generation = 1;
      else delete next.metadata.generation;
      delete next.metadata.deletionTimestamp;
      delete next.metadata.resourceVersion;
      if (hasStatusSub && info.kind !== 'Namespace' && !o.internal) delete next.status;
    } else {
      const rv = next.metadata.resourceVersion;
      if (rv && rv !== oldObj.metadata.resourceVersion)
        throw new KubeError(
          'Conflict',
          409,
          `Operation cannot be fulfilled on ${groupResourceString(info.group, info.resource)} "${oldObj.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
          { details: { name: oldObj.metadata.name ?? '', group: info.group, kind: info.resource } },
        );
      next.metadata.uid = oldObj.metadata.uid!;
      next.metadata.creationTimestamp = oldObj.metadata.creationTimestamp!;
      if (oldObj.metadata.generation !== undefined) next.metadata.generation = oldObj.metadata.generation;
      else delete next.metadata.generation;
      if (oldObj.metadata.deletionTimestamp) {
        next.metadata.deletionTimestamp = oldObj.metadata.deletionTimestamp;
        next.metadata.deletionGracePeriodSeconds = oldObj.metadata.deletionGracePeriodSeconds ?? 0;
      } else if (!o.internal) {
        delete next.metadata.deletionTimestamp;
        delete next.metadata.deletionGracePeriodSeconds;
      }
      if (hasStatusSub) {
        if (o.subresource === 'status') {
          const status = next.status;
          const keepMeta = next.metadata;
          next = clone(oldObj);
          next.metadata.managedFields = keepMeta.managedFields ?? oldObj.metadata.managedFields ?? [];
          if (!keepMeta.managedFields) delete next.metadata.managedFields;
          if (status === undefined) delete next.status;
          else next.status = status;
        } else if (!o.internal || o.subresource !== 'status') {
          if (!o.internal) {
            if (oldObj.status === undefined) delete next.status;
            else next.status = clone(oldObj.status);
          }
        }
      }
    }
    if (info.group === '' && info.kind === 'Service' && !oldObj) this.allocateClusterIp(next);
    if (info.group === '' && info.kind === 'Service' && oldObj) {
      const os = oldObj.spec as { clusterIP?: string; clusterIPs?: string[] } | undefined;
      const spec = (next.spec ?? (next.spec = {})) as { clusterIP?: string; clusterIPs?: string[] };
      if (os?.clusterIP && !spec.clusterIP) {
        spec.clusterIP = os.clusterIP;
        if (os.clusterIPs) spec.clusterIPs = os.clusterIPs;
      }
    }
    const crd = this.crdInfo(info);
    const fieldWarnings: string[] = [];
    if (crd?.schema && !o.internal && (o.fieldValidation === 'Strict' || o.fieldValidation === 'Warn')) {
      const unknown = unknownFields(next, crd.schema);
      if (unknown.length && o.fieldValidation === 'Strict')
        throw new KubeError(
          'BadRequest',
          400,
          `${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: strict decoding error: ${unknown.map((u) => `unknown field "${u}"`).join(', ')}`,
        );
      for (const u of unknown) fieldWarnings.push(`unknown field "${u}"`);
    }
    if (!crd && !o.internal) {
      const unknown = await builtinUnknownFields(this, info, next, true);
      if (unknown.length && o.fieldValidation === 'Strict')
        throw new KubeError(
          'BadRequest',
          400,
          `${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: strict decoding error: ${unknown.map((u) => `unknown field "${u}"`).join(', ')}`,
        );
      if (o.fieldValidation === 'Warn') for (const u of unknown) fieldWarnings.push(`unknown field "${u}"`);
    }
    if (crd?.schema) defaultAndPrune(next, crd.schema);
    else applyDefaults(next);
    if (
      oldObj &&
      oldObj.metadata.generation !== undefined &&
      !deepEqual(this.generationView(oldObj), this.generationView(next))
    )
      next.metadata.generation = oldObj.metadata.generation + 1;
    const lists = this.listTypes(info);
    if (!o.applied) {
      updateManagedFields(oldObj, next, {
        manager: o.manager,
        apiVersion: formatApiVersion(info),
        now,
        lists,
        ...(o.subresource ? { subresource: o.subresource } : {}),
        withStatus: !hasStatusSub || o.subresource === 'status',
      });
    }
    let warnings: string[] = fieldWarnings;
    if (!o.internal) {
      const r = await this.admission.admit({
        operation: oldObj ? 'UPDATE' : 'CREATE',
        info,
        subresource: o.subresource ?? '',
        namespace: ns,
        name: next.metadata.name ?? '',
        object: next,
        ...(oldObj ? { oldObject: oldObj } : {}),
        dryRun: !!o.dryRun,
        username: 'sekisho-admin',
      });
      if (r.object) next = r.object;
      warnings = [...fieldWarnings, ...r.warnings];
    }
    this.validate(info, next);
    // concurrency: the object must not have changed while webhooks ran
    const cur = this.store.get(key, ns, next.metadata.name ?? '');
    if (!oldObj && cur) throw alreadyExists(info, next.metadata.name ?? '');
    if (oldObj && (!cur || cur.rv !== old!.rv)) {
      if (!cur) throw notFound(info.resource, next.metadata.name ?? '', info.group);
      throw new KubeError(
        'Conflict',
        409,
        `Operation cannot be fulfilled on ${groupResourceString(info.group, info.resource)} "${next.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    if (
      oldObj &&
      next.metadata.deletionTimestamp &&
      (next.metadata.finalizers ?? []).length === 0 &&
      !isNamespaceWaiting(next)
    ) {
      if (o.dryRun) return { obj: next, warnings, created: false };
      const removed = this.store.remove(key, ns, next.metadata.name ?? '');
      return { obj: removed ? this.present(info, removed) : next, warnings, created: false };
    }
    if (o.dryRun) {
      if (oldObj) next.metadata.resourceVersion = oldObj.metadata.resourceVersion!;
      return { obj: next, warnings, created: !oldObj };
    }
    // A no-op update (nothing but managedFields timestamps differs) is not written: the resourceVersion stays
    // and no watch event fires, as kube-apiserver does. Controllers that write status on every event rely on it.
    if (old && oldObj && deepEqual(withoutVolatileMeta(oldObj), withoutVolatileMeta(next)))
      return { obj: this.present(info, old), warnings, created: false };
    const stored = this.store.put(key, next);
    return { obj: this.present(info, stored), warnings, created: !oldObj };
  }

  private allocateClusterIp(svc: KubeObject): void {
    const spec = (svc.spec ?? (svc.spec = {})) as Record<string, unknown>;
    if (spec.type === 'ExternalName') return;
    if (spec.clusterIP === 'None') {
      spec.clusterIPs = ['None'];
      return;
    }
    if (!spec.clusterIP) {
      const n = this.nextServiceIp++;
      spec.clusterIP = `10.96.${Math.floor(n / 256) % 256}.${n % 256}`;
    }
    spec.clusterIPs = [spec.clusterIP];
  }

  async create(
    info: ResourceInfo,
    ns: string,
    body: unknown,
    o: WriteOptions = {},
  ): Promise<{ obj: KubeObject; warnings: string[] }> {
    const obj = this.checkBody(info, body, ns);
    if (!obj.metadata.name && !obj.metadata.generateName) {
      throw invalid(
        info.kind,
        '',
        [
          {
            reason: 'FieldValueRequired',
            field: 'metadata.name',
            message: 'Required value: name or generateName is required',
          },
        ],
        info.group,
      );
    }
    if (obj.metadata.name && this.getStored(info, ns, obj.metadata.name)) throw alreadyExists(info, obj.metadata.name);
    delete obj.metadata.managedFields;
    return this.commit(info, undefined, obj, { ...o, manager: this.managerName(o) });
  }

  async update(
    info: ResourceInfo,
    ns: string,
    name: string,
    body: unknown,
    o: WriteOptions & { subresource?: string } = {},
  ): Promise<{ obj: KubeObject; warnings: string[] }> {
    const obj = this.checkBody(info, body, ns, name);
    const old = this.getStored(info, ns, name);
    if (!old) throw notFound(info.resource, name, info.group);
    if (!o.internal) obj.metadata.managedFields = old.obj.metadata.managedFields ?? [];
    if (!obj.metadata.managedFields?.length) delete obj.metadata.managedFields;
    return this.commit(info, old, obj, { ...o, manager: this.managerName(o) });
  }

  async patch(
    info: ResourceInfo,
    ns: string,
    name: string,
    contentType: string,
    raw: string,
    o: WriteOptions & { subresource?: string } = {},
  ): Promise<{ obj: KubeObject; warnings: string[]; created: boolean }> {
    const ct = contentType.split(';')[0]!.trim();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.patchOnce(info, ns, name, ct, raw, o);
      } catch (err) {
        // retry internal conflicts (object changed while webhooks ran) unless the client pinned a version
        if (
          err instanceof KubeError &&
          err.status === 409 &&
          err.reason === 'Conflict' &&
          !err.causes &&
          attempt < 5 &&
          !/"resourceVersion"/.test(raw)
        )
          continue;
        throw err;
      }
    }
  }

  private async patchOnce(
    info: ResourceInfo,
    ns: string,
    name: string,
    ct: string,
    raw: string,
    o: WriteOptions & { subresource?: string },
  ) {
    const old = this.getStored(info, ns, name);
    const lists = this.listTypes(info);
    if (ct === 'application/apply-patch+yaml' || ct === 'application/apply-patch+cbor') {
      if (!o.fieldManager)
        throw new KubeError(
          'BadRequest',
          400,
          'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
        );
      let cfg: unknown;
      try {
        cfg = parseYaml(raw);
      } catch (err) {
        throw new KubeError('BadRequest', 400, `error decoding YAML: ${(err as Error).message}`, { cause: err });
      }
      const config = this.checkBody(info, cfg, ns, name);
      if (!config.apiVersion || !config.kind)
        throw new KubeError('BadRequest', 400, 'apiVersion and kind must be set in an apply configuration');
      const live = old ? (JSON.parse(old.json) as KubeObject) : undefined;
      if (live && o.subresource !== 'status' && info.subresources.includes('status')) delete config.status;
      const rv = config.metadata.resourceVersion;
      delete config.metadata.managedFields;
      const merged = serverSideApply(live, config, {
        manager: o.fieldManager,
        force: !!o.force,
        apiVersion: formatApiVersion(info),
        now: this.timestamp(),
        lists,
        ...(o.subresource ? { subresource: o.subresource } : {}),
      });
      if (rv) merged.metadata.resourceVersion = rv;
      else if (live) merged.metadata.resourceVersion = live.metadata.resourceVersion!;
      if (!live && o.subresource) throw notFound(info.resource, name, info.group);
      return this.commit(info, old, merged, { ...o, manager: o.fieldManager, applied: true });
    }
    if (!old) throw notFound(info.resource, name, info.group);
    let patch: unknown;
    try {
      patch = JSON.parse(raw);
    } catch (err) {
      // kubectl may send YAML for merge patches typed by hand
      try {
        patch = parseYaml(raw);
      } catch {
        throw new KubeError('BadRequest', 400, `error decoding patch: ${(err as Error).message}`, { cause: err });
      }
    }
    const cur = JSON.parse(old.json) as KubeObject;
    cur.apiVersion = formatApiVersion(info);
    let next: unknown;
    if (ct === 'application/json-patch+json') next = applyJsonPatch(cur, patch);
    else if (ct === 'application/merge-patch+json') next = applyMergePatch(cur, patch);
    else if (ct === 'application/strategic-merge-patch+json') {
      if (this.crdInfo(info))
        throw new KubeError(
          'UnsupportedMediaType',
          415,
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
        );
      next = applyStrategicMergePatch(cur, patch, lists);
    } else
      throw new KubeError(
        'UnsupportedMediaType',
        415,
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
      );
    const obj = this.checkBody(info, next, ns, name);
    if (
      !isObject(patch) ||
      !isObject((patch as { metadata?: unknown }).metadata) ||
      (patch as { metadata: { resourceVersion?: unknown } }).metadata.resourceVersion === undefined
    ) {
      if (ct !== 'application/json-patch+json') obj.metadata.resourceVersion = old.obj.metadata.resourceVersion!;
    }
    return this.commit(info, old, obj, { ...o, manager: this.managerName(o) });
  }

  async delete(info: ResourceInfo, ns: string, name: string, o: DeleteOptions = {}): Promise<KubeObject> {
    const key = resKey(info);
    const nsKey = info.namespaced ? ns : '';
    const old = this.store.get(key, nsKey, name);
    if (!old) throw notFound(info.resource, name, info.group);
    const obj = JSON.parse(old.json) as KubeObject;
    if (o.preconditions?.uid && o.preconditions.uid !== obj.metadata.uid)
      throw new KubeError(
        'Conflict',
        409,
        `Precondition failed: UID in precondition: ${o.preconditions.uid}, UID in object meta: ${obj.metadata.uid}`,
      );
    if (o.preconditions?.resourceVersion && o.preconditions.resourceVersion !== obj.metadata.resourceVersion)
      throw new KubeError(
        'Conflict',
        409,
        `Precondition failed: ResourceVersion in precondition: ${o.preconditions.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`,
      );
    if (!o.internal) {
      await this.admission.admit({
        operation: 'DELETE',
        info,
        subresource: '',
        namespace: nsKey,
        name,
        oldObject: obj,
        dryRun: !!o.dryRun,
        username: 'sekisho-admin',
      });
    }
    if (o.dryRun) return this.present(info, old);
    const policy = o.propagationPolicy ?? (o.orphanDependents ? 'Orphan' : undefined);
    const fin = new Set(obj.metadata.finalizers ?? []);
    if (policy === 'Foreground') fin.add('foregroundDeletion');
    if (policy === 'Orphan') fin.add('orphan');
    const isNs = info.group === '' && info.kind === 'Namespace';
    if (fin.size > 0 || isNs) {
      const cur = this.store.get(key, nsKey, name)!;
      const next = JSON.parse(cur.json) as KubeObject;
      if (fin.size) next.metadata.finalizers = [...fin];
      next.metadata.deletionTimestamp ??= this.timestamp();
      next.metadata.deletionGracePeriodSeconds = 0;
      if (isNs) next.status = { ...(isObject(next.status) ? next.status : {}), phase: 'Terminating' };
      if (deepEqual(next, cur.obj)) return this.present(info, cur);
      return this.present(info, this.store.put(key, next));
    }
    const removed = this.store.remove(key, nsKey, name)!;
    return this.present(info, removed);
  }

  /** Writes from simulated controllers: no admission, status allowed, retried on conflict by the caller. */
  async internalWrite(info: ResourceInfo, obj: KubeObject, manager: string, subresource?: string): Promise<KubeObject> {
    const ns = obj.metadata.namespace ?? '';
    const old = this.getStored(info, ns, obj.metadata.name ?? '');
    if (!old) {
      const body = clone(obj);
      return (await this.commit(info, undefined, this.checkBody(info, body, ns), { internal: true, manager })).obj;
    }
    const body = this.checkBody(info, clone(obj), ns, obj.metadata.name);
    if (!body.metadata.managedFields) body.metadata.managedFields = old.obj.metadata.managedFields ?? [];
    if (!body.metadata.managedFields.length) delete body.metadata.managedFields;
    return (await this.commit(info, old, body, { internal: true, manager, ...(subresource ? { subresource } : {}) }))
      .obj;
  }
}

/** Kinds whose spec changes bump metadata.generation (workloads, CRDs, custom resources; not core kinds). */
function tracksGeneration(info: ResourceInfo, o: KubeObject, custom: boolean): boolean {
  if (custom) return true;
  if (info.group === '' || info.group === 'rbac.authorization.k8s.io' || info.group === 'coordination.k8s.io')
    return false;
  return true;
}

function isNamespaceWaiting(o: KubeObject): boolean {
  return (
    o.kind === 'Namespace' &&
    o.apiVersion === 'v1' &&
    Array.isArray((o.spec as { finalizers?: unknown[] } | undefined)?.finalizers) &&
    (o.spec as { finalizers: unknown[] }).finalizers.length > 0
  );
}

function alreadyExists(info: ResourceInfo, name: string): KubeError {
  return new KubeError(
    'AlreadyExists',
    409,
    `${groupResourceString(info.group, info.resource)} "${name}" already exists`,
    { details: { name, group: info.group, kind: info.resource } },
  );
}

function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

function byName(a: KubeObject, b: KubeObject): number {
  return (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

const ALNUM = 'bcdfghjklmnpqrstvwxz2456789';
export function randomSuffix(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALNUM[Math.floor(Math.random() * ALNUM.length)];
  return s;
}

/** The object without what an update may change even when it changes nothing: resourceVersion and managedFields times. */
function withoutVolatileMeta(obj: KubeObject): KubeObject {
  const c = clone(obj);
  delete c.metadata.resourceVersion;
  for (const m of (c.metadata.managedFields ?? []) as { time?: string }[]) delete m.time;
  return c;
}
