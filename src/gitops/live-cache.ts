// The live state cache (gitops-engine's cluster cache, reduced): one informer per kind the apps
// manage, across all namespaces, started on first use. Changes to tracked objects are reported by
// tracking id so the controller can compare the owning app again (self-heal reacts to watch events,
// not to the polling period).
import { Informer, type KubeClient, type KubeObject } from '../kube/index.ts';
import { TRACKING_ANNOTATION } from './types.ts';

export class LiveCache {
  private readonly informers = new Map<string, { inf: Informer; ready: Promise<void> }>();
  private closed = false;
  constructor(
    private readonly client: KubeClient,
    private readonly onChange: (trackingId: string, obj: KubeObject) => void,
  ) {}

  private key(apiVersion: string, kind: string): string {
    return `${apiVersion}/${kind}`;
  }

  async ensure(apiVersion: string, kind: string): Promise<Informer> {
    const k = this.key(apiVersion, kind);
    let e = this.informers.get(k);
    // a reconcile still running while the controller closes must not start an informer nobody stops
    if (this.closed) throw new Error('live cache closed');
    if (!e) {
      const inf = new Informer(this.client, apiVersion, kind);
      const fire = (o: KubeObject) => {
        const t = o.metadata?.annotations?.[TRACKING_ANNOTATION];
        if (t) this.onChange(t, o);
      };
      inf.on('update', fire).on('delete', fire);
      e = { inf, ready: inf.start() };
      this.informers.set(k, e);
    }
    await e.ready;
    return e.inf;
  }

  async get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<KubeObject | undefined> {
    const inf = await this.ensure(apiVersion, kind);
    return inf.get(name, namespace);
  }

  close(): void {
    this.closed = true;
    for (const e of this.informers.values()) e.inf.stop();
    this.informers.clear();
  }
}
