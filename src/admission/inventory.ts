// Referential data: objects synced into `data.inventory` in Gatekeeper's layout,
// `cluster[apiVersion][kind][name]` and `namespace[ns][apiVersion][kind][name]`.

import { fromJS, RObject, type Value } from '../rego/index.ts';
import { isObj, str, type Obj } from './yaml-load.ts';

export class Inventory {
  private readonly objects = new Map<string, Obj>();
  private cached: Value | undefined;

  private static key(o: Obj): string {
    const m = isObj(o.metadata) ? o.metadata : {};
    return [str(o.apiVersion) ?? '', str(o.kind) ?? '', str(m.namespace) ?? '', str(m.name) ?? ''].join('\u0000');
  }

  upsert(o: Obj): void {
    this.objects.set(Inventory.key(o), o);
    this.cached = undefined;
  }

  remove(o: Obj): void {
    if (this.objects.delete(Inventory.key(o))) this.cached = undefined;
  }

  clear(): void {
    this.objects.clear();
    this.cached = undefined;
  }

  get size(): number {
    return this.objects.size;
  }

  all(): Obj[] {
    return [...this.objects.values()];
  }

  /** The Namespace object of that name, if synced. */
  namespace(name: string): Obj | undefined {
    return this.objects.get(['v1', 'Namespace', '', name].join('\u0000'));
  }

  /** `data.inventory` as a Rego value (cached until the next change). */
  value(): Value {
    if (this.cached) return this.cached;
    const root: Record<string, Record<string, unknown>> = { cluster: {}, namespace: {} };
    for (const o of this.objects.values()) {
      const m = isObj(o.metadata) ? o.metadata : {};
      const apiVersion = str(o.apiVersion) ?? '';
      const kind = str(o.kind) ?? '';
      const name = str(m.name) ?? '';
      const ns = str(m.namespace);
      let base: Record<string, unknown> = root.cluster as Record<string, unknown>;
      if (ns) base = ((root.namespace as Record<string, unknown>)[ns] ??= {}) as Record<string, unknown>;
      const byVersion = (base[apiVersion] ??= {}) as Record<string, unknown>;
      const byKind = (byVersion[kind] ??= {}) as Record<string, unknown>;
      byKind[name] = o;
    }
    const v = fromJS(root);
    this.cached = v instanceof RObject ? v : new RObject();
    return this.cached;
  }
}
