// `input.review` as Gatekeeper builds it: the AdmissionRequest (as Go's admission/v1 JSON encodes it, with
// empty uid/operation/resource/userInfo for plain objects), plus `namespaceObject` and `source`.

import { isObj, str, type Obj } from './yaml-load.ts';

export interface AdmissionRequest {
  uid?: string;
  kind?: { group?: string; version?: string; kind?: string };
  resource?: { group?: string; version?: string; resource?: string };
  subResource?: string;
  requestKind?: unknown;
  requestResource?: unknown;
  requestSubResource?: string;
  name?: string;
  namespace?: string;
  operation?: string;
  userInfo?: Obj;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
  options?: unknown;
  [k: string]: unknown;
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** The AdmissionRequest Gatekeeper makes for a plain object (gator, audit). */
export function requestForObject(obj: Obj): AdmissionRequest {
  const { group, version } = splitApiVersion(str(obj.apiVersion) ?? '');
  const meta = isObj(obj.metadata) ? obj.metadata : {};
  const req: AdmissionRequest = {
    uid: '',
    kind: { group, version, kind: str(obj.kind) ?? '' },
    resource: { group: '', version: '', resource: '' },
  };
  const name = str(meta.name);
  if (name) req.name = name;
  const ns = str(meta.namespace);
  if (ns) req.namespace = ns;
  req.operation = '';
  req.userInfo = {};
  req.object = obj;
  return req;
}

/** Normalises an AdmissionRequest into Go's JSON shape (required fields present). */
export function normaliseRequest(r: AdmissionRequest): AdmissionRequest {
  const out: AdmissionRequest = { ...r };
  out.uid ??= '';
  out.kind = { group: r.kind?.group ?? '', version: r.kind?.version ?? '', kind: r.kind?.kind ?? '' };
  out.resource = {
    group: r.resource?.group ?? '',
    version: r.resource?.version ?? '',
    resource: r.resource?.resource ?? '',
  };
  out.operation ??= '';
  out.userInfo ??= {};
  if (out.object === null) delete out.object;
  if (out.oldObject === null) delete out.oldObject;
  return out;
}

/** The object the review is about: object, or oldObject when there is none (DELETE). */
export function reviewedObject(r: AdmissionRequest): Obj | undefined {
  if (isObj(r.object)) return r.object;
  if (isObj(r.oldObject)) return r.oldObject;
  return undefined;
}
