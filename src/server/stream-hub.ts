// Fan-out of live updates to server-sent-event subscribers: each event is serialised once and written
// to every open stream; a subscriber that stops reading (more than `maxBuffered` bytes queued) is
// dropped rather than letting memory grow.
import type { ServerResponse } from 'node:http';

export interface Subscriber {
  res: ServerResponse;
  /** only events passing this filter are written */
  filter: (data: unknown) => boolean;
}

export class StreamHub {
  private readonly subs = new Set<Subscriber>();
  private nextId = 0;
  dropped = 0;

  constructor(private readonly maxBuffered = 4 * 1024 * 1024) {}

  get size(): number {
    return this.subs.size;
  }

  add(s: Subscriber): () => void {
    this.subs.add(s);
    return () => this.subs.delete(s);
  }

  /** Writes `event` with JSON `data` to every subscriber whose filter accepts it. */
  publish(event: string, data: unknown): void {
    if (this.subs.size === 0) return;
    const frame = `id: ${++this.nextId}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const s of this.subs) {
      if (!s.filter(data)) continue;
      if (s.res.writableLength > this.maxBuffered) {
        this.subs.delete(s);
        this.dropped++;
        s.res.destroy();
        continue;
      }
      s.res.write(frame);
    }
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
