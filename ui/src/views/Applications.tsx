// Applications: tiles or a list, filtered and searched on the server, loaded a page at a time as the user
// scrolls, and rendered through a virtualiser so 2,000+ applications cost no more than one screenful.
// Filters live in the URL (?search=&project=&sync=&health=&labels=&view=) so every state has an address.
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, startTransition, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { api, appPath, appQueryString, type AppPage, type AppQuery, type AppSummary } from '../api.ts';
import { Empty, ErrorState, HealthBadge, Loading, SyncBadge } from '../components/States.tsx';
import { useAppEvents, useDocumentTitle } from '../hooks.ts';

const PAGE = 200;
const SYNC = ['Synced', 'OutOfSync', 'Unknown'];
const HEALTH = ['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown'];
const LIST_ROW = 44;
const TILE_ROW = 132;
const TILE_MIN = 260;

interface Filters {
  search: string;
  project: string;
  sync: string;
  health: string;
  labels: string;
  sort: string;
  view: 'tiles' | 'list';
}

const SORTS: [string, string][] = [
  ['', 'name'],
  ['-name', 'name, Z to A'],
  ['project', 'project'],
  ['sync', 'sync status'],
  ['health', 'health'],
  ['-reconciledAt', 'last reconciled'],
];

function readFilters(search: string): Filters {
  const p = new URLSearchParams(search);
  return {
    search: p.get('search') ?? '',
    project: p.get('project') ?? '',
    sync: p.get('sync') ?? '',
    health: p.get('health') ?? '',
    labels: p.get('labels') ?? '',
    sort: p.get('sort') ?? '',
    view: p.get('view') === 'tiles' ? 'tiles' : 'list',
  };
}

function writeFilters(f: Filters): string {
  const p = new URLSearchParams();
  for (const k of ['search', 'project', 'sync', 'health', 'labels', 'sort'] as const) if (f[k]) p.set(k, f[k]);
  if (f.view === 'tiles') p.set('view', 'tiles');
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** A label selector as the server takes it ("a=b,c!=d,e"); used to re-check items that arrive live. */
function matchesLabels(sel: string, labels: Record<string, string> | undefined): boolean {
  for (const raw of sel.split(',')) {
    const t = raw.trim();
    if (!t) continue;
    const ne = /^([^!=]+)!=(.*)$/.exec(t);
    const eq = /^([^!=]+)==?(.*)$/.exec(t);
    if (ne) {
      if (labels?.[ne[1]!.trim()] === ne[2]!.trim()) return false;
    } else if (eq) {
      if (labels?.[eq[1]!.trim()] !== eq[2]!.trim()) return false;
    } else if (t.startsWith('!')) {
      if (labels && t.slice(1) in labels) return false;
    } else if (!labels || !(t in labels)) return false;
  }
  return true;
}

function matches(a: AppSummary, f: Filters): boolean {
  if (f.project && a.project !== f.project) return false;
  if (f.sync && a.sync.status !== f.sync) return false;
  if (f.health && a.health.status !== f.health) return false;
  if (f.search) {
    const s = f.search.toLowerCase();
    if (!a.name.toLowerCase().includes(s)) return false;
  }
  // set-based selectors ("env in (a,b)") are left to the server's next page
  if (f.labels && !f.labels.includes('(') && !matchesLabels(f.labels, a.labels)) return false;
  return true;
}

const key = (a: { namespace: string; name: string }) => `${a.namespace}/${a.name}`;

/** Pages of applications for one filter set: first page at once, next pages on demand. */
function useAppPages(f: Filters) {
  const [items, setItems] = useState<AppSummary[]>([]);
  const [cont, setCont] = useState<string | undefined>(undefined);
  const [total, setTotal] = useState<number | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const inflight = useRef<AbortController | null>(null);
  const q: AppQuery = useMemo(
    () => ({
      search: f.search,
      project: f.project,
      sync: f.sync,
      health: f.health,
      labels: f.labels,
      sort: f.sort,
      limit: PAGE,
    }),
    [f.search, f.project, f.sync, f.health, f.labels, f.sort],
  );
  useEffect(() => {
    inflight.current?.abort();
    const ac = new AbortController();
    inflight.current = ac;
    setLoading(true);
    setError(undefined);
    api<AppPage>('GET', `/applications${appQueryString(q)}`, undefined, ac.signal)
      .then((p) => {
        setItems(p.items);
        setCont(p.continue);
        setTotal(p.total);
      })
      .catch((e: unknown) => {
        if ((e as Error).name !== 'AbortError') setError(e as Error);
      })
      .finally(() => {
        if (!ac.signal.aborted) setLoading(false);
      });
    return () => ac.abort();
  }, [q, tick]);
  const loadMore = useCallback(() => {
    if (!cont || loading) return;
    const ac = new AbortController();
    inflight.current = ac;
    setLoading(true);
    api<AppPage>('GET', `/applications${appQueryString({ ...q, continue: cont })}`, undefined, ac.signal)
      .then((p) => {
        // a low-priority update: React renders the longer list in slices between frames
        startTransition(() => {
          setItems((old) => {
            const seen = new Set(old.map(key));
            return [...old, ...p.items.filter((a) => !seen.has(key(a)))];
          });
          setCont(p.continue);
          if (p.total !== undefined) setTotal(p.total);
          setLoading(false);
        });
      })
      .catch((e: unknown) => {
        if ((e as Error).name === 'AbortError') return;
        setError(e as Error);
        setLoading(false);
      });
  }, [cont, loading, q]);
  useAppEvents((ev) => {
    const a = ev.application as unknown as AppSummary;
    if (!a?.name) return;
    setItems((old) => {
      const i = old.findIndex((x) => key(x) === key(a));
      if (ev.type === 'DELETED') return i < 0 ? old : [...old.slice(0, i), ...old.slice(i + 1)];
      const ok = matches(a, f);
      if (i >= 0) {
        if (!ok) return [...old.slice(0, i), ...old.slice(i + 1)];
        const n = old.slice();
        n[i] = { ...old[i]!, ...a };
        return n;
      }
      // a new application shows up live once every page is loaded (otherwise its page brings it)
      if (ev.type === 'ADDED' && ok && !cont) return [...old, a];
      return old;
    });
  });
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { items, more: cont !== undefined, total, error, loading, loadMore, reload };
}

const ListRow = memo(function ListRow({ a, index }: { a: AppSummary; index: number }) {
  return (
    <div role="row" aria-rowindex={index + 2} className="app-row">
      <div role="cell" className="c-name">
        <Link href={appPath(a.namespace, a.name)}>{a.name}</Link>
      </div>
      <div role="cell" className="c-ns">
        {a.namespace}
      </div>
      <div role="cell" className="c-project">
        {a.project}
      </div>
      <div role="cell" className="c-sync">
        <SyncBadge status={a.sync.status} />
      </div>
      <div role="cell" className="c-health">
        <HealthBadge status={a.health.status} />
      </div>
      <div role="cell" className="c-source muted">
        {a.source?.repoURL ? `${a.source.repoURL}${a.source.path ? ` · ${a.source.path}` : ''}` : '—'}
      </div>
    </div>
  );
});

const Tile = memo(function Tile({ a }: { a: AppSummary }) {
  return (
    <div role="listitem" className={`tile tile-${a.health.status} tsync-${a.sync.status}`}>
      <h2 className="tile-name">
        <Link href={appPath(a.namespace, a.name)}>{a.name}</Link>
      </h2>
      <p className="muted small">
        {a.namespace} · project {a.project}
      </p>
      <p>
        <SyncBadge status={a.sync.status} /> <HealthBadge status={a.health.status} />
      </p>
      <p className="muted small ellipsis">{a.source?.repoURL ?? ''}</p>
    </div>
  );
});

function useWidth(ref: React.RefObject<HTMLElement | null>): number {
  const [w, setW] = useState(1000);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setW(el.clientWidth);
    const ro = new ResizeObserver(() => setW(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return w;
}

function AppGrid({
  items,
  view,
  more,
  loading,
  loadMore,
  total,
}: {
  items: AppSummary[];
  view: Filters['view'];
  more: boolean;
  loading: boolean;
  loadMore: () => void;
  total: number | undefined;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const width = useWidth(scroller);
  const cols = view === 'tiles' ? Math.max(1, Math.floor((width - 16) / TILE_MIN)) : 1;
  const rows = Math.ceil(items.length / cols);
  const v = useVirtualizer({
    count: rows,
    getScrollElement: () => scroller.current,
    estimateSize: () => (view === 'tiles' ? TILE_ROW : LIST_ROW),
    overscan: view === 'tiles' ? 3 : 10,
  });
  const virtualRows = v.getVirtualItems();
  const last = virtualRows[virtualRows.length - 1];
  useEffect(() => {
    // fetch the next page when the last loaded rows come into view
    if (more && !loading && last && last.index >= rows - 10) loadMore();
  }, [more, loading, last, rows, loadMore]);
  useEffect(() => {
    scroller.current?.scrollTo({ top: 0 });
  }, [view]);
  const body = (
    <div style={{ height: v.getTotalSize(), position: 'relative' }} role={view === 'list' ? 'rowgroup' : 'none'}>
      {virtualRows.map((r) => {
        const style = {
          position: 'absolute' as const,
          top: 0,
          left: 0,
          right: 0,
          height: r.size,
          transform: `translateY(${r.start}px)`,
        };
        if (view === 'list') {
          const a = items[r.index]!;
          return (
            <div key={key(a)} style={style} role="none">
              <ListRow a={a} index={r.index} />
            </div>
          );
        }
        const slice = items.slice(r.index * cols, r.index * cols + cols);
        return (
          <div
            key={r.index}
            style={{ ...style, gridTemplateColumns: `repeat(${cols}, minmax(0, 1fr))` }}
            className="tile-row"
            role="none"
          >
            {slice.map((a) => (
              <Tile key={key(a)} a={a} />
            ))}
          </div>
        );
      })}
    </div>
  );
  return (
    <div
      className="app-scroll"
      ref={scroller}
      tabIndex={0}
      aria-label="Applications (scrollable)"
      role="region"
      data-testid="app-scroll"
    >
      {view === 'list' ? (
        <div role="table" aria-label="Applications" aria-rowcount={(total ?? items.length) + 1} className="app-table">
          <div role="rowgroup" className="app-head">
            <div role="row" aria-rowindex={1} className="app-row">
              <div role="columnheader" className="c-name">
                Name
              </div>
              <div role="columnheader" className="c-ns">
                Namespace
              </div>
              <div role="columnheader" className="c-project">
                Project
              </div>
              <div role="columnheader" className="c-sync">
                Sync
              </div>
              <div role="columnheader" className="c-health">
                Health
              </div>
              <div role="columnheader" className="c-source">
                Source
              </div>
            </div>
          </div>
          {body}
        </div>
      ) : (
        <div role="list" aria-label="Applications">
          {body}
        </div>
      )}
      {more && (
        <p className="muted small load-more" role="status">
          {loading ? 'Loading more…' : 'Scroll for more'}
        </p>
      )}
    </div>
  );
}

export function ApplicationsView() {
  useDocumentTitle('Applications');
  const search = useSearch();
  const [, navigate] = useLocation();
  const f = useMemo(() => readFilters(search), [search]);
  const [text, setText] = useState(f.search);
  const set = useCallback(
    (patch: Partial<Filters>) => navigate(`/applications${writeFilters({ ...f, ...patch })}`, { replace: true }),
    [f, navigate],
  );
  // search as you type, once typing pauses
  useEffect(() => {
    if (text === f.search) return;
    const t = setTimeout(() => set({ search: text }), 250);
    return () => clearTimeout(t);
  }, [text, f.search, set]);
  const pages = useAppPages(f);
  const filtered = !!(f.search || f.project || f.sync || f.health || f.labels);
  const shown = pages.total ?? pages.items.length;
  return (
    <section aria-labelledby="apps-title" className="apps">
      <div className="view-head">
        <h1 id="apps-title">Applications</h1>
        <p className="muted" role="status" aria-live="polite" data-testid="app-count">
          {pages.loading && pages.items.length === 0
            ? 'Loading…'
            : `${shown}${pages.more && pages.total === undefined ? '+' : ''} application${shown === 1 ? '' : 's'}${filtered ? ' match' : ''}`}
        </p>
      </div>
      <form className="filters" role="search" aria-label="Filter applications" onSubmit={(e) => e.preventDefault()}>
        <div className="field grow">
          <label htmlFor="f-search">Search</label>
          <input
            id="f-search"
            type="search"
            placeholder="application name"
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="f-project">Project</label>
          <input id="f-project" value={f.project} onChange={(e) => set({ project: e.target.value })} size={10} />
        </div>
        <div className="field">
          <label htmlFor="f-sync">Sync</label>
          <select id="f-sync" value={f.sync} onChange={(e) => set({ sync: e.target.value })}>
            <option value="">any</option>
            {SYNC.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-health">Health</label>
          <select id="f-health" value={f.health} onChange={(e) => set({ health: e.target.value })}>
            <option value="">any</option>
            {HEALTH.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-labels">Labels</label>
          <input
            id="f-labels"
            placeholder="team=web,tier!=db"
            value={f.labels}
            onChange={(e) => set({ labels: e.target.value })}
            size={14}
          />
        </div>
        <div className="field">
          <label htmlFor="f-sort">Sort by</label>
          <select id="f-sort" value={f.sort} onChange={(e) => set({ sort: e.target.value })}>
            {SORTS.map(([v, label]) => (
              <option key={v} value={v}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div className="field view-toggle" role="group" aria-label="Layout">
          <button type="button" aria-pressed={f.view === 'list'} onClick={() => set({ view: 'list' })}>
            List
          </button>
          <button type="button" aria-pressed={f.view === 'tiles'} onClick={() => set({ view: 'tiles' })}>
            Tiles
          </button>
        </div>
        {filtered && (
          <button
            type="button"
            className="link"
            onClick={() => {
              setText('');
              set({ search: '', project: '', sync: '', health: '', labels: '' });
            }}
          >
            Clear filters
          </button>
        )}
      </form>
      {pages.error && pages.items.length === 0 ? (
        <ErrorState error={pages.error} retry={pages.reload} what="applications" />
      ) : pages.loading && pages.items.length === 0 ? (
        <Loading what="applications" />
      ) : pages.items.length === 0 ? (
        <Empty>
          {filtered ? (
            <p>No application matches these filters.</p>
          ) : (
            <>
              <p>
                <strong>No applications yet.</strong>
              </p>
              <p className="muted">
                Create one with <code>kubectl apply</code> (kind Application, gitops.sekisho.dev/v1alpha1) or run{' '}
                <code>sekisho demo</code>.
              </p>
            </>
          )}
        </Empty>
      ) : (
        <AppGrid
          items={pages.items}
          view={f.view}
          more={pages.more}
          loading={pages.loading}
          loadMore={pages.loadMore}
          total={pages.total}
        />
      )}
    </section>
  );
}
