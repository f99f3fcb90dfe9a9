// ChangeRequest (ci.sekisho.dev/v1alpha1): a proposed change to a config repo branch, its policy check
// result, approvals and merge. Stored as JSON files under the data dir, or as objects in a cluster.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeClient, KubeObject } from '../../kube/index.ts';
import { PipelineError } from '../errors.ts';
import { API_VERSION } from '../model.ts';

export interface PolicyFinding {
  level: 'failure' | 'warning';
  file: string;
  line?: number;
  message: string;
  namespace: string;
}

export interface PolicyCheck {
  result: 'Passed' | 'Failed' | 'Error' | 'NotRun';
  commit: string;
  checkedAt: string;
  results: PolicyFinding[];
  /** files that were checked (rendered outputs are kept under the data dir) */
  files: string[];
  message?: string;
}

/** The what-if preview: the head revision rendered and applied with a server-side dry-run to the target cluster. */
export interface WhatIfResult {
  /** Passed: every object accepted; Denied: admission refused at least one; Error: could not run */
  result: 'Passed' | 'Denied' | 'Error';
  /** the head commit that was rendered */
  commit: string;
  checkedAt: string;
  /** the cluster the dry-run went to (API server URL) */
  cluster: string;
  resources: Array<{
    apiVersion: string;
    kind: string;
    namespace?: string;
    name: string;
    action: 'create' | 'update' | 'unchanged' | 'delete';
    /** unified YAML diff, live → dry-run result, Secret values masked */
    diff?: string;
  }>;
  denials: Array<{
    apiVersion: string;
    kind: string;
    namespace?: string;
    name: string;
    message: string;
    webhook?: string;
  }>;
  message?: string;
}

export interface ChangeRequest {
  apiVersion: string;
  kind: 'ChangeRequest';
  metadata: {
    name: string;
    namespace?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    resourceVersion?: string;
    [k: string]: unknown;
  };
  spec: {
    /** config repo (path or URL) */
    repo: string;
    base: string;
    head: string;
    title: string;
    description: string;
    images: Array<{ name: string; image: string }>;
    /** the promoted paths (rendered and policy-checked) */
    paths: string[];
    pipelineRun?: string;
    /** the check's policies, namespaces and data files (host paths; default: policy/ in the config repo) */
    policy?: { paths: string[]; namespaces: string[]; data?: string[] };
  };
  status?: {
    phase: 'Open' | 'Merged' | 'Closed';
    headCommit: string;
    baseCommit: string;
    changedFiles: string[];
    approvals: Array<{ by: string; at: string }>;
    policy?: PolicyCheck;
    whatIf?: WhatIfResult;
    mergeCommit?: string;
    mergedAt?: string;
    conflicts?: string[];
    message?: string;
    updatedAt?: string;
    /** the pull request on a hosted git service, when the change request was published there */
    external?: {
      provider: 'github' | 'gitlab';
      url: string;
      number: number;
      checkedCommit?: string;
      checkRunId?: number;
      commentId?: number;
    };
  };
}

export interface ChangeRequestStore {
  readonly name: string;
  get(name: string): Promise<ChangeRequest | undefined>;
  list(): Promise<ChangeRequest[]>;
  create(cr: ChangeRequest): Promise<ChangeRequest>;
  update(cr: ChangeRequest): Promise<ChangeRequest>;
}

export function changeRequestName(s: string): string {
  const n = s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  return n.slice(0, 63).replace(/-$/, '');
}

/** Change requests as `<dir>/<name>.json`, each written by temp file + rename. */
export class FileChangeRequestStore implements ChangeRequestStore {
  readonly name: string;
  constructor(readonly dir: string) {
    this.name = `file:${dir}`;
  }
  private file(name: string): string {
    if (changeRequestName(name) !== name)
      throw new PipelineError('cr_not_found', `invalid change request name ${JSON.stringify(name)}`);
    return join(this.dir, `${name}.json`);
  }
  private write(cr: ChangeRequest): void {
    mkdirSync(this.dir, { recursive: true });
    const f = this.file(cr.metadata.name);
    const tmp = `${f}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(cr, null, 2) + '\n');
    renameSync(tmp, f);
  }
  async get(name: string): Promise<ChangeRequest | undefined> {
    const f = this.file(name);
    if (!existsSync(f)) return undefined;
    return JSON.parse(readFileSync(f, 'utf8')) as ChangeRequest;
  }
  async list(): Promise<ChangeRequest[]> {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as ChangeRequest)
      .sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)));
  }
  async create(cr: ChangeRequest): Promise<ChangeRequest> {
    if (existsSync(this.file(cr.metadata.name)))
      throw new PipelineError('cr_state', `change request ${cr.metadata.name} already exists`);
    this.write(cr);
    return cr;
  }
  async update(cr: ChangeRequest): Promise<ChangeRequest> {
    if (!existsSync(this.file(cr.metadata.name)))
      throw new PipelineError('cr_not_found', `no change request ${cr.metadata.name}`);
    this.write(cr);
    return cr;
  }
}

/** Change requests as ChangeRequest objects in a cluster (the CRD must be installed: `sekisho ci crds`). */
export class KubeChangeRequestStore implements ChangeRequestStore {
  readonly name: string;
  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
  ) {
    this.name = `cluster:${namespace}`;
  }
  async get(name: string): Promise<ChangeRequest | undefined> {
    try {
      return (await this.client.get(API_VERSION, 'ChangeRequest', name, this.namespace)) as unknown as ChangeRequest;
    } catch (e) {
      if ((e as { status?: number }).status === 404 || /not ?found/i.test((e as Error).message)) return undefined;
      throw e;
    }
  }
  async list(): Promise<ChangeRequest[]> {
    const l = await this.client.listAll(API_VERSION, 'ChangeRequest', { namespace: this.namespace });
    return (l.items as unknown as ChangeRequest[]).sort((a, b) =>
      String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)),
    );
  }
  private async writeStatus(obj: KubeObject, status: ChangeRequest['status']): Promise<ChangeRequest> {
    if (!status) return obj as unknown as ChangeRequest;
    return (await this.client.replace({ ...obj, status }, { subresource: 'status' })) as unknown as ChangeRequest;
  }
  async create(cr: ChangeRequest): Promise<ChangeRequest> {
    const { status, ...rest } = cr;
    const created = await this.client.create({
      ...rest,
      metadata: { ...rest.metadata, namespace: this.namespace },
    } as unknown as KubeObject);
    return this.writeStatus(created, status);
  }
  async update(cr: ChangeRequest): Promise<ChangeRequest> {
    const current = (await this.client
      .get(API_VERSION, 'ChangeRequest', cr.metadata.name, this.namespace)
      .catch(() => undefined)) as KubeObject | undefined;
    if (!current) throw new PipelineError('cr_not_found', `no change request ${cr.metadata.name}`);
    const updated = await this.client.replace({
      ...current,
      spec: cr.spec,
      metadata: { ...current.metadata, labels: cr.metadata.labels ?? {} },
    });
    return this.writeStatus(updated, cr.status);
  }
}
