// OSV range evaluation (https://ossf.github.io/osv-schema/#evaluation): events sorted by version in the
// ecosystem's order, `introduced` opens, `fixed` (inclusive) and `last_affected` (exclusive) close,
// `limit` bounds the range; explicit `versions` always match.
import type { Comparator } from '../version/index.ts';
import type { OsvAffected, OsvEvent } from './osv.ts';

export interface RangeMatch {
  affected: boolean;
  /** The lowest fixed version above the installed one, in the range that matched. */
  fixed?: string;
}

function eventVersion(e: OsvEvent): string {
  return e.introduced ?? e.fixed ?? e.last_affected ?? e.limit ?? '';
}

export function matchAffected(a: OsvAffected, version: string, cmp: Comparator): RangeMatch {
  const safe = (x: string, y: string): number | undefined => {
    try {
      return cmp(x, y);
    } catch {
      return undefined;
    }
  };
  let listed = (a.versions ?? []).some((v) => v === version || safe(v, version) === 0);
  let fixed: string | undefined;
  for (const r of a.ranges ?? []) {
    if (r.type === 'GIT') continue;
    const events = [...r.events].sort((x, y) => {
      if (x.introduced === '0') return -1;
      if (y.introduced === '0') return 1;
      return safe(eventVersion(x), eventVersion(y)) ?? 0;
    });
    let vulnerable = false;
    let closedBy: string | undefined;
    let bad = false;
    for (const e of events) {
      if (e.introduced !== undefined) {
        const c = e.introduced === '0' ? 1 : safe(version, e.introduced);
        if (c === undefined) bad = true;
        else if (c >= 0) {
          vulnerable = true;
          closedBy = undefined;
        }
      } else if (e.fixed !== undefined) {
        const c = safe(version, e.fixed);
        if (c === undefined) bad = true;
        else if (c >= 0) vulnerable = false;
        else if (vulnerable && closedBy === undefined) closedBy = e.fixed;
      } else if (e.last_affected !== undefined) {
        const c = safe(version, e.last_affected);
        if (c === undefined) bad = true;
        else if (c > 0) vulnerable = false;
      } else if (e.limit !== undefined) {
        const c = safe(version, e.limit);
        if (c === undefined) bad = true;
        else if (c >= 0) vulnerable = false;
      }
    }
    if (bad) continue;
    if (vulnerable) {
      listed = true;
      if (closedBy !== undefined && (fixed === undefined || (safe(closedBy, fixed) ?? 0) < 0)) fixed = closedBy;
    }
  }
  return { affected: listed, ...(listed && fixed !== undefined ? { fixed } : {}) };
}
