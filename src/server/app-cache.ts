// The API server's view of Applications: one informer (list + watch) shared by every request and every
// live-update subscriber, so listing 2,000 applications reads memory, and 100 streams cost one watch.
import { Informer, type KubeClient, type KubeObject } from '../kube/index.ts';
import { ServerError } from './errors.ts';
import { APP_API } from './route.ts';

export type AppEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeObject };

export class AppCache {
  private informer?: Informer;
  private synced?: Promise<void>;
  private sorted?: KubeObject[];
  private readonly listeners = new Set<(e: AppEvent) => void>();

  constructor(
    private readonly kube: KubeClient | undefined,
    private readonly syncTimeoutMs = 15_000,
  ) {}

  /** Starts the informer (once); resolves when the first list is in, or fails after the sync timeout. */
  async ready(): Promise<void> {
    if (!this.kube) throw new ServerError('server_upstream_error', 'no cluster is configured');
    if (!this.informer) {
      const inf = new Informer(this.kube, APP_API, 'Application');
      const changed = (type: AppEvent['type']) => (obj: KubeObject) => {
        this.sorted = undefined;
        const e: AppEvent = { type, object: obj };
        for (const l of this.listeners) l(e);
      };
      inf.on('add', changed('ADDED')).on('update', changed('MODIFIED')).on('delete', changed('DELETED'));
      this.informer = inf;
      this.synced = inf.start();
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.synced,
        new Promise<never>((_r, reject) => {
          timer = setTimeout(() => {
            const last = this.informer?.errors.at(-1) as Error | undefined;
            reject(
              new ServerError(
                'server_upstream_error',
                `applications are not readable from the cluster${last ? `: ${last.message}` : ' yet'}`,
              ),
            );
          }, this.syncTimeoutMs);
          timer.unref();
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Every Application, sorted by namespace then name (cached until the next change). */
  all(): KubeObject[] {
    if (!this.informer) return [];
    if (!this.sorted) {
      const keyed = this.informer
        .list()
        .map((a) => [`${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`, a] as const);
      keyed.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
      this.sorted = keyed.map((x) => x[1]);
    }
    return this.sorted;
  }

  get(namespace: string, name: string): KubeObject | undefined {
    return this.informer?.get(name, namespace);
  }

  subscribe(fn: (e: AppEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  close(): void {
    this.informer?.stop();
    this.listeners.clear();
  }
}
