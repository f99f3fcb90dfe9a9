// Storage of the sandbox cluster: every object lives in SQLite (WAL) and in memory. Each write takes the
// next value of one global resourceVersion counter and is committed (with the counter) in one SQLite
// transaction before the API answers, so an acknowledged write survives a crash. Recent changes are kept
// in an in-memory event window for watches; a watch from before the window gets 410 Gone.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../kube/index.ts';

export interface StoredObject {
  obj: KubeObject;
  json: string;
  rv: number;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  rv: number;
  /** `group/resource` */
  res: string;
  ns: string;
  name: string;
  obj: KubeObject;
  json: string;
  /** the object before the change (MODIFIED, DELETED) */
  old?: KubeObject;
}

export type Durability = 'full' | 'normal';

export interface StoreOptions {
  dataDir: string;
  /** `full` (default) fsyncs every commit; `normal` survives process crashes but not power loss. */
  durability?: Durability;
  /** how many recent events watches can resume from */
  windowSize?: number;
  /** how long a commit waits for more writes to share its fsync (default 2 ms with full durability) */
  commitDelayMs?: number;
}

export class Store {
  private readonly db: Database.Database;
  private readonly buckets = new Map<string, Map<string, StoredObject>>();
  /** sorted keys per bucket, rebuilt lazily after inserts/deletes */
  private readonly sorted = new Map<string, string[]>();
  /** writes applied in memory, waiting for the group commit */
  private pending: {
    op: 'put' | 'del';
    res: string;
    ns: string;
    name: string;
    rv: number;
    json?: string;
    event: StoreEvent;
  }[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushScheduled = false;
  private closed = false;
  private readonly commitDelayMs: number;
  private readonly window: StoreEvent[] = [];
  private readonly windowSize: number;
  /** Events older than or equal to this rv are no longer in the window. */
  private compactedRv: number;
  private rv: number;
  private readonly listeners = new Set<(e: StoreEvent) => void>();
  private readonly stmtPut: Database.Statement;
  private readonly stmtDel: Database.Statement;
  private readonly stmtRv: Database.Statement;
  private readonly txBatch: (ops: Store['pending'], rv: number) => void;

  constructor(opts: StoreOptions) {
    mkdirSync(opts.dataDir, { recursive: true });
    this.db = new Database(join(opts.dataDir, 'cluster.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${opts.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS objects (res TEXT NOT NULL, ns TEXT NOT NULL, name TEXT NOT NULL,
        rv INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (res, ns, name)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    `);
    this.windowSize = opts.windowSize ?? 100_000;
    this.commitDelayMs = opts.commitDelayMs ?? (opts.durability === 'normal' ? 0 : 2);
    this.stmtPut = this.db.prepare('INSERT OR REPLACE INTO objects (res, ns, name, rv, data) VALUES (?, ?, ?, ?, ?)');
    this.stmtDel = this.db.prepare('DELETE FROM objects WHERE res = ? AND ns = ? AND name = ?');
    this.stmtRv = this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('rv', ?)");
    // group commit: every write of one event-loop turn goes into one transaction (one fsync)
    this.txBatch = this.db.transaction((ops: Store['pending'], rv: number) => {
      for (const o of ops) {
        if (o.op === 'put') this.stmtPut.run(o.res, o.ns, o.name, o.rv, o.json!);
        else this.stmtDel.run(o.res, o.ns, o.name);
      }
      this.stmtRv.run(String(rv));
    });
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'rv'").get() as { value: string } | undefined;
    this.rv = row ? Number(row.value) : 0;
    for (const r of this.db.prepare('SELECT res, ns, name, rv, data FROM objects').iterate() as Iterable<{
      res: string;
      ns: string;
      name: string;
      rv: number;
      data: string;
    }>) {
      this.bucket(r.res).set(key(r.ns, r.name), { obj: JSON.parse(r.data) as KubeObject, json: r.data, rv: r.rv });
      if (r.rv > this.rv) this.rv = r.rv;
    }
    this.compactedRv = this.rv;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.db.close();
  }

  /** Resolves once every write made so far is committed to disk. */
  flushed(): Promise<void> {
    if (this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private schedule(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // like PostgreSQL's commit_delay: wait a moment so that concurrent requests share one fsync
    if (this.commitDelayMs > 0) setTimeout(() => this.flush(), this.commitDelayMs);
    else setImmediate(() => this.flush());
  }

  /** Commits pending writes in one transaction, then publishes their events in order. */
  flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0 || this.closed) return;
    const ops = this.pending;
    const waiters = this.waiters;
    this.pending = [];
    this.waiters = [];
    try {
      this.txBatch(ops, ops[ops.length - 1]!.rv);
    } catch (err) {
      // memory is ahead of disk now: fail the waiting requests and stop accepting writes
      this.closed = true;
      for (const w of waiters) w.reject(err);
      throw err;
    }
    for (const o of ops) this.emit(o.event);
    for (const w of waiters) w.resolve();
  }

  get resourceVersion(): number {
    return this.rv;
  }

  get oldestWatchableRv(): number {
    return this.compactedRv;
  }

  private bucket(res: string): Map<string, StoredObject> {
    let b = this.buckets.get(res);
    if (!b) this.buckets.set(res, (b = new Map()));
    return b;
  }

  get(res: string, ns: string, name: string): StoredObject | undefined {
    return this.buckets.get(res)?.get(key(ns, name));
  }

  /** Objects of a resource (in one namespace when given), sorted by namespace/name. */
  list(res: string, ns?: string): StoredObject[] {
    const b = this.buckets.get(res);
    if (!b) return [];
    let keys = this.sorted.get(res);
    if (!keys) this.sorted.set(res, (keys = [...b.keys()].sort()));
    let lo = 0;
    let hi = keys.length;
    if (ns !== undefined) {
      const prefix = ns + '/';
      lo = lowerBound(keys, prefix);
      hi = lowerBound(keys, ns + '0'); // '0' sorts right after '/'
    }
    const out: StoredObject[] = new Array(hi - lo);
    for (let i = lo; i < hi; i++) out[i - lo] = b.get(keys[i]!)!;
    return out;
  }

  resources(): string[] {
    return [...this.buckets.keys()];
  }

  count(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.size;
    return n;
  }

  /** Stores an object with the next resourceVersion (written into metadata) and emits the event. */
  put(res: string, obj: KubeObject): StoredObject {
    const ns = obj.metadata.namespace ?? '';
    const name = obj.metadata.name ?? '';
    const b = this.bucket(res);
    const prev = b.get(key(ns, name));
    const rv = this.rv + 1;
    obj.metadata.resourceVersion = String(rv);
    if (this.closed) throw new Error('the store is closed');
    const json = JSON.stringify(obj);
    this.rv = rv;
    const stored = { obj, json, rv };
    b.set(key(ns, name), stored);
    if (!prev) this.sorted.delete(res);
    this.pending.push({
      op: 'put',
      res,
      ns,
      name,
      rv,
      json,
      event: { type: prev ? 'MODIFIED' : 'ADDED', rv, res, ns, name, obj, json, ...(prev ? { old: prev.obj } : {}) },
    });
    this.schedule();
    return stored;
  }

  /** Removes an object; the DELETED event carries the final state with a new resourceVersion. */
  remove(res: string, ns: string, name: string): StoredObject | undefined {
    const b = this.buckets.get(res);
    const prev = b?.get(key(ns, name));
    if (!b || !prev) return undefined;
    if (this.closed) throw new Error('the store is closed');
    const rv = this.rv + 1;
    this.rv = rv;
    b.delete(key(ns, name));
    this.sorted.delete(res);
    const obj = JSON.parse(prev.json) as KubeObject;
    obj.metadata.resourceVersion = String(rv);
    const json = JSON.stringify(obj);
    this.pending.push({
      op: 'del',
      res,
      ns,
      name,
      rv,
      event: { type: 'DELETED', rv, res, ns, name, obj, json, old: prev.obj },
    });
    this.schedule();
    return { obj, json, rv };
  }

  private emit(e: StoreEvent): void {
    this.window.push(e);
    if (this.window.length > this.windowSize) {
      const dropped = this.window.splice(0, this.window.length - this.windowSize);
      this.compactedRv = dropped[dropped.length - 1]!.rv;
    }
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // a failing listener must not break the write that has already been committed
      }
    }
  }

  /** Events after `rv`, or 'gone' when some of them have left the window. */
  eventsSince(rv: number): StoreEvent[] | 'gone' {
    if (rv < this.compactedRv) return 'gone';
    // binary search for the first event with e.rv > rv
    let lo = 0;
    let hi = this.window.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.window[mid]!.rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return this.window.slice(lo);
  }

  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

function lowerBound(keys: string[], target: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function key(ns: string, name: string): string {
  return `${ns}/${name}`;
}
