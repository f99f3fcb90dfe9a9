// One job at a time per key (repository + branch), keys in parallel; idle() waits until every queue is empty.
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();
  private pending = 0;
  private waiters: Array<() => void> = [];

  /** Runs `job` after the jobs queued before it under `key`; its errors go to `onError`. */
  add(key: string, job: () => Promise<void>, onError: (e: unknown) => void): void {
    this.pending++;
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(job).catch(onError);
    const tail = next.finally(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
      if (--this.pending === 0) for (const w of this.waiters.splice(0)) w();
    });
    this.tails.set(key, tail);
  }

  get size(): number {
    return this.pending;
  }

  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }
}
