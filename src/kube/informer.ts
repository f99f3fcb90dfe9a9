// A small informer: list, then watch from the list's resourceVersion, keeping an in-memory cache and
// calling handlers on add/update/delete; relists on 410 Gone or a dropped stream.
import { KubeError } from './errors.ts';
import type { KubeClient } from './client.ts';
import { objectKey, type KubeObject } from './object.ts';

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export type InformerHandler = (obj: KubeObject, old?: KubeObject) => void;

export class Informer {
  private readonly cache = new Map<string, KubeObject>();
  private readonly handlers = {
    add: [] as InformerHandler[],
    update: [] as InformerHandler[],
    delete: [] as InformerHandler[],
  };
  private abort?: AbortController;
  private stopped = false;
  private syncedResolve?: () => void;
  private readonly synced: Promise<void>;
  private lastRv = '';
  /** errors seen by the loop (the loop keeps going) */
  readonly errors: unknown[] = [];

  constructor(
    private readonly client: KubeClient,
    private readonly apiVersion: string,
    private readonly kind: string,
    private readonly opts: InformerOptions = {},
  ) {
    this.synced = new Promise((r) => (this.syncedResolve = r));
  }

  on(event: 'add' | 'update' | 'delete', fn: InformerHandler): this {
    this.handlers[event].push(fn);
    return this;
  }

  /** Starts the list-watch loop; resolves once the first list is in the cache. */
  start(): Promise<void> {
    void this.loop();
    return this.synced;
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  get(name: string, namespace?: string): KubeObject | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  list(): KubeObject[] {
    return [...this.cache.values()];
  }

  get resourceVersion(): string {
    return this.lastRv;
  }

  private emit(event: 'add' | 'update' | 'delete', obj: KubeObject, old?: KubeObject): void {
    for (const h of this.handlers[event]) {
      try {
        h(obj, old);
      } catch (err) {
        this.errors.push(err);
      }
    }
  }

  private async relist(): Promise<void> {
    const list = await this.client.listAll(this.apiVersion, this.kind, {
      ...(this.opts.namespace !== undefined ? { namespace: this.opts.namespace } : { namespace: '' }),
      ...(this.opts.labelSelector ? { labelSelector: this.opts.labelSelector } : {}),
      ...(this.opts.fieldSelector ? { fieldSelector: this.opts.fieldSelector } : {}),
    });
    const seen = new Set<string>();
    for (const item of list.items) {
      item.apiVersion ??= this.apiVersion;
      item.kind ??= this.kind;
      const k = objectKey(item);
      seen.add(k);
      const old = this.cache.get(k);
      this.cache.set(k, item);
      if (!old) this.emit('add', item);
      else if (old.metadata.resourceVersion !== item.metadata.resourceVersion) this.emit('update', item, old);
    }
    for (const [k, o] of this.cache)
      if (!seen.has(k)) {
        this.cache.delete(k);
        this.emit('delete', o);
      }
    this.lastRv = list.metadata.resourceVersion ?? '';
  }

  private async loop(): Promise<void> {
    let needList = true;
    let failures = 0;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
          this.syncedResolve?.();
        }
        this.abort = new AbortController();
        for await (const ev of this.client.watch(this.apiVersion, this.kind, {
          ...(this.opts.namespace !== undefined ? { namespace: this.opts.namespace } : { namespace: '' }),
          ...(this.opts.labelSelector ? { labelSelector: this.opts.labelSelector } : {}),
          ...(this.opts.fieldSelector ? { fieldSelector: this.opts.fieldSelector } : {}),
          resourceVersion: this.lastRv,
          allowWatchBookmarks: true,
          signal: this.abort.signal,
        })) {
          failures = 0;
          if (ev.type === 'ERROR') {
            const st = ev.object as unknown as { code?: number };
            if (st.code === 410) needList = true;
            break;
          }
          const obj = ev.object;
          if (obj.metadata?.resourceVersion) this.lastRv = obj.metadata.resourceVersion;
          if (ev.type === 'BOOKMARK') continue;
          const k = objectKey(obj);
          const old = this.cache.get(k);
          if (ev.type === 'DELETED') {
            this.cache.delete(k);
            this.emit('delete', obj);
          } else {
            this.cache.set(k, obj);
            this.emit(old ? 'update' : 'add', obj, old);
          }
        }
      } catch (err) {
        if (this.stopped) return;
        this.errors.push(err);
        if (err instanceof KubeError && err.status === 410) needList = true;
        failures++;
        // back off before retrying a failing server (bounded, not used for timing anything)
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** failures)));
      }
    }
  }
}
