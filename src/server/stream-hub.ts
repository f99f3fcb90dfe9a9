// Fan-out of live updates to server-sent-event subscribers: each event is serialised once and written
// to every open stream whose filter accepts it; a subscriber that stops reading (more than `maxBuffered`
// bytes queued) is dropped rather than letting memory grow. The last `historySize` events are kept so a
// client that reconnects with `Last-Event-ID` (browsers' EventSource does so by itself) gets what it
// missed; ids carry this hub's epoch, so an id from before a restart asks the client to list again.
import type { ServerResponse } from 'node:http';

export interface Subscriber {
  res: ServerResponse;
  /** only events passing this filter are written */
  filter: (data: unknown) => boolean;
}

interface Sent {
  n: number;
  data: unknown;
  frame: string;
}

export class StreamHub {
  private readonly subs = new Set<Subscriber>();
  private readonly history: Sent[] = [];
  private nextId = 0;
  /** identifies this hub's ids; ids are `<epoch>-<n>` */
  readonly epoch = Date.now().toString(36);
  dropped = 0;

  constructor(
    private readonly maxBuffered = 4 * 1024 * 1024,
    private readonly historySize = 1000,
  ) {}

  get size(): number {
    return this.subs.size;
  }

  add(s: Subscriber): () => void {
    this.subs.add(s);
    return () => this.subs.delete(s);
  }

  private write(s: Subscriber, frame: string): void {
    if (s.res.writableLength > this.maxBuffered) {
      this.subs.delete(s);
      this.dropped++;
      s.res.destroy();
      return;
    }
    s.res.write(frame);
  }

  /** Writes `event` with JSON `data` to every subscriber whose filter accepts it. */
  publish(event: string, data: unknown): void {
    const n = ++this.nextId;
    const frame = `id: ${this.epoch}-${n}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    this.history.push({ n, data, frame });
    if (this.history.length > this.historySize) this.history.shift();
    for (const s of this.subs) if (s.filter(data)) this.write(s, frame);
  }

  /**
   * Writes to `s` the events after `lastEventId` that its filter accepts. Returns false when they are
   * not all known any more (another epoch, or older than the history): the client must list again.
   */
  replay(s: Subscriber, lastEventId: string): boolean {
    const m = /^([0-9a-z]+)-(\d+)$/.exec(lastEventId.trim());
    if (!m || m[1] !== this.epoch) return false;
    const last = Number(m[2]);
    if (last > this.nextId) return false;
    const oldest = this.history[0]?.n ?? this.nextId + 1;
    if (last < oldest - 1) return false;
    for (const e of this.history) if (e.n > last && s.filter(e.data)) this.write(s, e.frame);
    return true;
  }

  /** A comment line to every subscriber (keeps proxies from closing idle streams). */
  heartbeat(): void {
    for (const s of this.subs) s.res.write(': keep-alive\n\n');
  }

  closeAll(): void {
    for (const s of this.subs) s.res.end();
    this.subs.clear();
  }
}
