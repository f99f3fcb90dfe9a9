// One application: its state at a glance (sync, health, revision, operation, why it is OutOfSync), and
// tabs with a URL each — resource tree, diff, history (with rollback), events and conditions. Changes
// arrive over the server-sent event stream and refresh what is on screen without a reload.
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { Link, useLocation, useParams, useSearch } from 'wouter';
import {
  api,
  ApiError,
  appPath,
  enc,
  itemsOf,
  type AppDetail,
  type DiffItem,
  type HistoryEntry,
  type KubeEvent,
  type ResourceStatus,
  type TreeNode,
} from '../api.ts';
import { Empty, ErrorState, HealthBadge, Loading, SyncBadge, Time } from '../components/States.tsx';
import { Dialog } from '../components/Dialog.tsx';
import { useApi, useAppEvents, useDocumentTitle } from '../hooks.ts';
import { useSession } from '../session.tsx';
import { changedPaths, lineDiff, maskSecret, parseUnified, toYaml, type DiffLine } from '../text-diff.ts';

const TABS = [
  { id: 'tree', label: 'Resources' },
  { id: 'diff', label: 'Diff' },
  { id: 'history', label: 'History' },
  { id: 'events', label: 'Events' },
] as const;

type ResKey = string;
const resKey = (r: { group?: string; kind: string; namespace?: string; name: string }): ResKey =>
  `${r.group ?? ''}/${r.kind}/${r.namespace ?? ''}/${r.name}`;
const resLabel = (r: { kind: string; namespace?: string; name: string }): string =>
  `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;

function shortRev(r: string | undefined): string {
  if (!r) return '—';
  return /^[0-9a-f]{40}$/.test(r) ? r.slice(0, 8) : r;
}

function canWrite(role: string | undefined): boolean {
  return role === 'admin' || role === 'developer';
}

// ---------------------------------------------------------------------------------------------------------
// resource tree

interface TNode {
  node: TreeNode;
  children: TNode[];
}

function buildTree(nodes: TreeNode[]): TNode[] {
  const byUid = new Map<string, TNode>();
  const byKey = new Map<string, TNode>();
  const all: TNode[] = nodes.map((n) => ({ node: n, children: [] }));
  for (const t of all) {
    if (t.node.uid) byUid.set(t.node.uid, t);
    byKey.set(`${t.node.kind}/${t.node.namespace ?? ''}/${t.node.name}`, t);
  }
  const roots: TNode[] = [];
  for (const t of all) {
    let parent: TNode | undefined;
    for (const p of t.node.parentRefs ?? []) {
      parent =
        (p.uid ? byUid.get(p.uid) : undefined) ??
        byKey.get(`${p.kind}/${p.namespace ?? t.node.namespace ?? ''}/${p.name}`);
      if (parent) break;
    }
    if (parent && parent !== t) parent.children.push(t);
    else roots.push(t);
  }
  const order = (a: TNode, b: TNode) =>
    a.node.kind.localeCompare(b.node.kind) || a.node.name.localeCompare(b.node.name);
  const sort = (l: TNode[]) => {
    l.sort(order);
    for (const t of l) sort(t.children);
  };
  sort(roots);
  return roots;
}

function nodeSync(n: TreeNode): string | undefined {
  if (typeof n.sync === 'string') return n.sync;
  if (n.sync && typeof n.sync === 'object') return n.sync.status;
  return n.status;
}

function TreeItem({
  t,
  base,
  level,
  onInspect,
}: {
  t: TNode;
  base: string;
  level: number;
  onInspect: (n: TreeNode) => void;
}) {
  const [open, setOpen] = useState(true);
  const n = t.node;
  const sync = nodeSync(n);
  const label = resLabel(n);
  return (
    <li className="tree-item" data-kind={n.kind} data-name={n.name}>
      <div className="tree-node">
        {t.children.length > 0 ? (
          <button
            type="button"
            className="twisty"
            aria-expanded={open}
            aria-label={`${open ? 'Collapse' : 'Expand'} ${label}`}
            onClick={() => setOpen((o) => !o)}
          >
            <span aria-hidden="true">{open ? '▾' : '▸'}</span>
          </button>
        ) : (
          <span className="twisty" aria-hidden="true" />
        )}
        <span className="kind">{n.kind}</span>
        <span className="name">{n.name}</span>
        {n.namespace && <span className="muted small">{n.namespace}</span>}
        {n.health?.status && <HealthBadge status={n.health.status} />}
        {sync && <SyncBadge status={sync} />}
        {n.health?.status !== 'Missing' && (
          <button
            type="button"
            className="link small"
            onClick={() => onInspect(n)}
            aria-label={`Live state of ${label}`}
          >
            Live
          </button>
        )}
        {level === 0 && (
          <Link className="small" href={`${base}/diff?resource=${enc(resKey(n))}`} aria-label={`Diff of ${label}`}>
            Diff
          </Link>
        )}
      </div>
      {n.health?.message && <p className="muted small tree-msg">{n.health.message}</p>}
      {open && t.children.length > 0 && (
        <ul>
          {t.children.map((c) => (
            <TreeItem
              key={`${resKey(c.node)}/${c.node.uid ?? ''}`}
              t={c}
              base={base}
              level={level + 1}
              onInspect={onInspect}
            />
          ))}
        </ul>
      )}
    </li>
  );
}

/** managedFields are noise for a person reading the object (kubectl hides them too) */
function withoutManagedFields(o: unknown): unknown {
  const m = (o as { metadata?: Record<string, unknown> } | null)?.metadata;
  if (!m || !('managedFields' in m)) return o;
  const { managedFields: _drop, ...rest } = m;
  return { ...(o as object), metadata: rest };
}

function resourceQuery(n: TreeNode): string {
  const q = new URLSearchParams({ group: n.group ?? '', kind: n.kind, name: n.name });
  if (n.version) q.set('version', n.version);
  if (n.namespace) q.set('namespace', n.namespace);
  return q.toString();
}

/** The live object of one node of the tree (Secret data masked by the server) and its events. */
function ResourceDialog({ app, node, onClose }: { app: AppDetail; node: TreeNode | null; onClose: () => void }) {
  const base = `/applications/${enc(app.namespace)}/${enc(app.name)}/resource`;
  const q = node ? resourceQuery(node) : '';
  const live = useApi<{ object: unknown }>(node ? `${base}?${q}` : null);
  const events = useApi<unknown>(node ? `${base}/events?${q}` : null);
  const evs = itemsOf<KubeEvent>(events.data);
  return (
    <Dialog
      open={node !== null}
      title={node ? resLabel(node) : ''}
      onClose={onClose}
      wide
      actions={
        <button type="button" onClick={onClose}>
          Close
        </button>
      }
    >
      <h3>Live manifest</h3>
      {live.error ? (
        <ErrorState error={live.error} retry={live.reload} what="the live object" />
      ) : !live.data ? (
        <Loading what="live object" />
      ) : (
        <pre className="raw" tabIndex={0} aria-label="Live manifest" data-testid="live-manifest">
          {toYaml(withoutManagedFields(maskSecret(live.data.object)))}
        </pre>
      )}
      <h3>Events</h3>
      {events.error ? (
        <ErrorState error={events.error} retry={events.reload} what="events" />
      ) : !events.data ? (
        <Loading what="events" />
      ) : evs.length === 0 ? (
        <p className="muted">No events.</p>
      ) : (
        <ul className="small">
          {evs.map((e, i) => (
            <li key={i} className={e.type === 'Warning' ? 'warn-text' : ''}>
              <strong>{e.reason}</strong> {e.message} <Time iso={e.lastTimestamp ?? e.eventTime} />
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  );
}

function TreePanel({ app, base, version }: { app: AppDetail; base: string; version: number }) {
  const [inspect, setInspect] = useState<TreeNode | null>(null);
  const path = `/applications/${enc(app.namespace)}/${enc(app.name)}/tree`;
  const tree = useApi<unknown>(path);
  const { reload } = tree;
  useEffect(() => {
    if (version > 0) reload();
  }, [version, reload]);
  const fromStatus = useMemo<TreeNode[]>(
    () =>
      (app.object?.status?.resources ?? []).map((r) => ({
        ...r,
        namespace: r.namespace ?? '',
        sync: r.status ?? 'Unknown',
      })) as TreeNode[],
    [app],
  );
  const missing = tree.error instanceof ApiError && tree.error.missing;
  const nodes = tree.data
    ? itemsOf<TreeNode>(tree.data).length
      ? itemsOf<TreeNode>(tree.data)
      : itemsOf<TreeNode>(tree.data, 'nodes')
    : missing
      ? fromStatus
      : [];
  // the server's tree holds live objects; per-resource sync comes from the application's status
  const syncOf = useMemo(() => {
    const m = new Map<string, string>();
    for (const r of app.object?.status?.resources ?? [])
      m.set(`${r.kind}/${r.namespace ?? ''}/${r.name}`, r.status ?? 'Unknown');
    return m;
  }, [app]);
  const roots = useMemo(
    () =>
      buildTree(
        nodes.map((n) => (nodeSync(n) ? n : { ...n, sync: syncOf.get(`${n.kind}/${n.namespace ?? ''}/${n.name}`) })),
      ),
    [nodes, syncOf],
  );
  if (tree.error && !missing) return <ErrorState error={tree.error} retry={tree.reload} what="the resource tree" />;
  if (!tree.data && !missing) return <Loading what="resource tree" />;
  return (
    <section aria-labelledby="tree-title">
      <h2 id="tree-title">Resource tree</h2>
      {missing && (
        <p className="note" role="note">
          This server has no resource-tree endpoint; showing the application's managed resources without their children.
        </p>
      )}
      {roots.length === 0 ? (
        <Empty>
          <p>This application manages no resources yet.</p>
        </Empty>
      ) : (
        <div className="tree-box">
          <p className="tree-root">
            <span className="kind">Application</span> <span className="name">{app.name}</span>{' '}
            <HealthBadge status={app.health.status} /> <SyncBadge status={app.sync.status} />
          </p>
          <ul className="tree" aria-label={`Resources of ${app.name}`} data-testid="resource-tree">
            {roots.map((t) => (
              <TreeItem
                key={`${resKey(t.node)}/${t.node.uid ?? ''}`}
                t={t}
                base={base}
                level={0}
                onInspect={setInspect}
              />
            ))}
          </ul>
        </div>
      )}
      <ResourceDialog app={app} node={inspect} onClose={() => setInspect(null)} />
    </section>
  );
}

// ---------------------------------------------------------------------------------------------------------
// diff

function diffLines(d: DiffItem): DiffLine[] {
  const live = d.live ?? d.liveState;
  const desired = d.desired ?? d.targetState;
  if ((live === undefined || live === null) && (desired === undefined || desired === null) && d.diff)
    return parseUnified(d.diff);
  return lineDiff(toYaml(maskSecret(live)), toYaml(maskSecret(desired)));
}

const CONTEXT = 3;

/** Runs of unchanged lines longer than 2×CONTEXT+2, away from changes, fold into an expander. */
function fold(lines: DiffLine[], open: Set<number>): (DiffLine | { fold: number; count: number })[] {
  if (!lines.some((l) => l.op !== ' ')) return lines;
  const out: (DiffLine | { fold: number; count: number })[] = [];
  let i = 0;
  while (i < lines.length) {
    if (lines[i]!.op !== ' ') {
      out.push(lines[i]!);
      i++;
      continue;
    }
    let j = i;
    while (j < lines.length && lines[j]!.op === ' ') j++;
    const head = i === 0 ? 0 : CONTEXT;
    const tail = j === lines.length ? 0 : CONTEXT;
    if (j - i > head + tail + 2 && !open.has(i)) {
      out.push(...lines.slice(i, i + head), { fold: i, count: j - i - head - tail }, ...lines.slice(j - tail, j));
    } else out.push(...lines.slice(i, j));
    i = j;
  }
  return out;
}

function DiffView({ d }: { d: DiffItem }) {
  const lines = useMemo(() => diffLines(d), [d]);
  const [open, setOpen] = useState<Set<number>>(new Set());
  const shown = useMemo(() => fold(lines, open), [lines, open]);
  const changed = lines.filter((l) => l.op !== ' ').length;
  const live = d.live ?? d.liveState;
  const desired = d.desired ?? d.targetState;
  return (
    <div className="diff" data-testid="diff">
      <p className="muted small">
        {live === undefined || live === null
          ? 'Not in the cluster yet: the whole object will be created.'
          : desired === undefined || desired === null
            ? 'Not in git any more: the object would be pruned.'
            : changed === 0
              ? 'Live and desired state are the same.'
              : `${changed} changed line${changed === 1 ? '' : 's'} (− live, + desired).`}
      </p>
      <pre className="diff-text" tabIndex={0} aria-label={`Diff of ${resLabel(d)}: live against desired`}>
        {shown.map((l, i) =>
          'fold' in l ? (
            <span key={`f${l.fold}`} className="fold">
              <button type="button" className="link" onClick={() => setOpen(new Set(open).add(l.fold))}>
                Show {l.count} unchanged lines
              </button>
              {'\n'}
            </span>
          ) : (
            <span key={i} className={l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'ctx'}>
              <span className="op" aria-hidden="true">
                {l.op}
              </span>
              <span className="sr-only">{l.op === '+' ? 'added: ' : l.op === '-' ? 'removed: ' : ''}</span>
              {l.text}
              {'\n'}
            </span>
          ),
        )}
      </pre>
    </div>
  );
}

function diffReason(d: DiffItem): string {
  const live = d.live ?? d.liveState;
  const desired = d.desired ?? d.targetState;
  if (live === undefined || live === null) return 'the resource is in git but not in the cluster.';
  if (desired === undefined || desired === null)
    return 'the resource is in the cluster but no longer in git (prune removes it).';
  const paths = changedPaths(live, desired, 8);
  if (paths.length === 0) return 'the live object differs from git.';
  return `${paths.length >= 8 ? 'these and more fields' : paths.length === 1 ? 'this field differs' : 'these fields differ'}: ${paths.join(', ')}.`;
}

function itemSync(d: DiffItem): string {
  if (d.status) return d.status;
  if (d.modified === true) return 'OutOfSync';
  if (d.modified === false) return 'Synced';
  return 'Unknown';
}

function DiffPanel({ app, version }: { app: AppDetail; version: number }) {
  const search = useSearch();
  const [location, navigate] = useLocation();
  const selected = new URLSearchParams(search).get('resource') ?? '';
  const path = `/applications/${enc(app.namespace)}/${enc(app.name)}/diff`;
  const diff = useApi<unknown>(path);
  const { reload } = diff;
  useEffect(() => {
    if (version > 0) reload();
  }, [version, reload]);
  const items = useMemo(() => {
    const l = itemsOf<DiffItem>(diff.data);
    return l.length ? l : itemsOf<DiffItem>(diff.data, 'resources');
  }, [diff.data]);
  const [onlyChanged, setOnlyChanged] = useState(false);
  if (diff.error) return <ErrorState error={diff.error} retry={diff.reload} what="the diff" />;
  if (!diff.data) return <Loading what="diff" />;
  const shown = items.filter((d) => !onlyChanged || itemSync(d) !== 'Synced' || resKey(d) === selected);
  const current = items.find((d) => resKey(d) === selected) ?? shown.find((d) => itemSync(d) !== 'Synced') ?? shown[0];
  return (
    <section aria-labelledby="diff-title" className="diff-panel">
      <h2 id="diff-title">Live and desired state</h2>
      {items.length === 0 ? (
        <Empty>
          <p>No resources to compare.</p>
        </Empty>
      ) : (
        <div className="split">
          <div className="split-list">
            <label className="check">
              <input type="checkbox" checked={onlyChanged} onChange={(e) => setOnlyChanged(e.target.checked)} /> Only
              out-of-sync
            </label>
            <ul className="res-list" aria-label="Resources">
              {shown.map((d) => {
                const k = resKey(d);
                const active = current && resKey(current) === k;
                return (
                  <li key={k}>
                    <Link
                      href={`${location}?resource=${enc(k)}`}
                      aria-current={active ? 'true' : undefined}
                      className={active ? 'active' : ''}
                      onClick={(e) => {
                        e.preventDefault();
                        navigate(`${location}?resource=${enc(k)}`, { replace: true });
                      }}
                    >
                      <span className="kind">{d.kind}</span> {d.name} <SyncBadge status={itemSync(d)} />
                    </Link>
                  </li>
                );
              })}
            </ul>
          </div>
          <div className="split-main">
            {current ? (
              <>
                <h3>{resLabel(current)}</h3>
                {itemSync(current) === 'OutOfSync' && (
                  <p className="reason" data-testid="diff-reason">
                    <strong>Why OutOfSync:</strong> {current.reason ?? diffReason(current)}
                  </p>
                )}
                <DiffView key={resKey(current)} d={current} />
              </>
            ) : (
              <p className="muted">Pick a resource.</p>
            )}
          </div>
        </div>
      )}
    </section>
  );
}

// ---------------------------------------------------------------------------------------------------------
// history and rollback

function HistoryPanel({ app, onChanged }: { app: AppDetail; onChanged: () => void }) {
  const { session } = useSession();
  const path = `/applications/${enc(app.namespace)}/${enc(app.name)}/history`;
  const h = useApi<unknown>(path);
  const missing = h.error instanceof ApiError && h.error.missing;
  const entries = useMemo(() => {
    const l = h.data ? itemsOf<HistoryEntry>(h.data) : missing ? (app.object?.status?.history ?? []) : [];
    return [...l].sort((a, b) => b.id - a.id);
  }, [h.data, missing, app]);
  const { reload } = h;
  const historyLen = app.object?.status?.history?.length ?? 0;
  useEffect(() => {
    reload();
  }, [historyLen, reload]);
  const [target, setTarget] = useState<HistoryEntry | null>(null);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const current = entries[0]?.id;
  const rollback = async () => {
    if (!target) return;
    setBusy(true);
    setErr(null);
    try {
      await api('POST', `/applications/${enc(app.namespace)}/${enc(app.name)}/rollback`, { id: target.id });
      setDone(`Rollback to revision ${shortRev(target.revision)} (history ${target.id}) started.`);
      setTarget(null);
      onChanged();
    } catch (e) {
      setErr((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  if (h.error && !missing) return <ErrorState error={h.error} retry={h.reload} what="the history" />;
  if (!h.data && !missing) return <Loading what="history" />;
  return (
    <section aria-labelledby="hist-title">
      <h2 id="hist-title">Deployment history</h2>
      {done && (
        <p role="status" className="note">
          {done}
        </p>
      )}
      {entries.length === 0 ? (
        <Empty>
          <p>Nothing deployed yet.</p>
        </Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Deployments of {app.name}, newest first</caption>
            <thead>
              <tr>
                <th scope="col">ID</th>
                <th scope="col">Revision</th>
                <th scope="col">Deployed</th>
                <th scope="col">By</th>
                <th scope="col">Source</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id} data-testid="history-row">
                  <td>{e.id}</td>
                  <td>
                    <code title={e.revision}>{shortRev(e.revision)}</code>
                  </td>
                  <td>
                    <Time iso={e.deployedAt} />
                  </td>
                  <td>{e.initiatedBy?.automated ? 'automated' : (e.initiatedBy?.username ?? '—')}</td>
                  <td className="muted small">{e.source?.path ?? e.source?.targetRevision ?? ''}</td>
                  <td>
                    {e.id === current ? (
                      <span className="muted small">current</span>
                    ) : (
                      <button
                        type="button"
                        disabled={!canWrite(session?.role)}
                        onClick={() => {
                          setErr(null);
                          setTarget(e);
                        }}
                        aria-label={`Roll back to history ${e.id} (${shortRev(e.revision)})`}
                      >
                        Roll back
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Dialog
        open={target !== null}
        title="Roll back"
        onClose={() => setTarget(null)}
        actions={
          <>
            <button type="button" onClick={() => setTarget(null)}>
              Cancel
            </button>
            <button type="button" className="danger" onClick={() => void rollback()} disabled={busy}>
              {busy ? 'Rolling back…' : 'Roll back'}
            </button>
          </>
        }
      >
        <p>
          Deploy revision <code>{shortRev(target?.revision)}</code> (history {target?.id}) of <b>{app.name}</b> again?
        </p>
        <p className="muted small">Automated sync, when enabled, may bring the application back to git's state.</p>
        {err && (
          <p role="alert" className="error-text">
            {err}
          </p>
        )}
      </Dialog>
    </section>
  );
}

// ---------------------------------------------------------------------------------------------------------
// events and conditions

function EventsPanel({ app, version }: { app: AppDetail; version: number }) {
  const path = `/applications/${enc(app.namespace)}/${enc(app.name)}/events`;
  const ev = useApi<unknown>(path);
  const { reload } = ev;
  useEffect(() => {
    if (version > 0) reload();
  }, [version, reload]);
  const conditions = app.object?.status?.conditions ?? [];
  const events = itemsOf<KubeEvent>(ev.data);
  const missing = ev.error instanceof ApiError && ev.error.missing;
  return (
    <>
      <section aria-labelledby="cond-title">
        <h2 id="cond-title">Conditions</h2>
        {conditions.length === 0 ? (
          <p className="muted">No conditions: nothing is wrong with the application's spec or source.</p>
        ) : (
          <ul className="conditions">
            {conditions.map((c, i) => (
              <li key={i} className={/Error|Warning/.test(c.type) ? 'cond-bad' : ''}>
                <strong>{c.type}</strong>: {c.message} <Time iso={c.lastTransitionTime} />
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="ev-title">
        <h2 id="ev-title">Events</h2>
        {ev.error && !missing ? (
          <ErrorState error={ev.error} retry={ev.reload} what="events" />
        ) : missing ? (
          <ErrorState error={ev.error!} what="events" />
        ) : !ev.data ? (
          <Loading what="events" />
        ) : events.length === 0 ? (
          <p className="muted">No events.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Events of {app.name} and its resources</caption>
              <thead>
                <tr>
                  <th scope="col">Type</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Object</th>
                  <th scope="col">Message</th>
                  <th scope="col">Count</th>
                  <th scope="col">Last seen</th>
                </tr>
              </thead>
              <tbody>
                {events.map((e, i) => (
                  <tr key={e.metadata?.name ?? i} className={e.type === 'Warning' ? 'warn' : ''}>
                    <td>{e.type ?? '—'}</td>
                    <td>{e.reason ?? '—'}</td>
                    <td>
                      {e.involvedObject?.kind} {e.involvedObject?.name}
                    </td>
                    <td>{e.message}</td>
                    <td>{e.count ?? 1}</td>
                    <td>
                      <Time iso={e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}

// ---------------------------------------------------------------------------------------------------------
// sync dialog

const SYNC_OPTIONS = [
  { id: 'ApplyOutOfSyncOnly=true', label: 'Apply out-of-sync resources only' },
  { id: 'ServerSideApply=true', label: 'Server-side apply' },
  { id: 'CreateNamespace=true', label: 'Create the namespace' },
  { id: 'Replace=true', label: 'Replace instead of apply' },
  { id: 'PruneLast=true', label: 'Prune last' },
] as const;

function SyncDialog({
  app,
  open,
  onClose,
  onStarted,
}: {
  app: AppDetail;
  open: boolean;
  onClose: () => void;
  onStarted: (msg: string) => void;
}) {
  const resources: ResourceStatus[] = useMemo(() => app.object?.status?.resources ?? [], [app]);
  const [prune, setPrune] = useState(false);
  const [dryRun, setDryRun] = useState(false);
  const [opts, setOpts] = useState<Set<string>>(new Set());
  const [sel, setSel] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string | null>(null);
  // each time the dialog opens: every resource selected, no option set — decided while rendering (React's
  // state-from-props pattern), so the first frame of the open dialog already shows it, not one frame later
  const [wasOpen, setWasOpen] = useState(false);
  if (open !== wasOpen) {
    setWasOpen(open);
    if (open) {
      setSel(new Set(resources.map(resKey)));
      setPrune(false);
      setDryRun(false);
      setOpts(new Set());
      setErr(null);
    }
  }
  const all = sel.size === resources.length;
  const submit = async () => {
    setBusy(true);
    setErr(null);
    try {
      const body: Record<string, unknown> = { prune, dryRun };
      if (opts.size) body.syncOptions = [...opts];
      if (!all)
        body.resources = resources
          .filter((r) => sel.has(resKey(r)))
          .map((r) => ({ group: r.group ?? '', kind: r.kind, name: r.name, namespace: r.namespace ?? '' }));
      await api('POST', `/applications/${enc(app.namespace)}/${enc(app.name)}/sync`, body);
      onStarted(dryRun ? 'Dry-run sync started.' : 'Sync started.');
      onClose();
    } catch (e) {
      setErr((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      open={open}
      title={`Sync ${app.name}`}
      onClose={onClose}
      actions={
        <>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="primary"
            onClick={() => void submit()}
            disabled={busy || (resources.length > 0 && sel.size === 0)}
          >
            {busy ? 'Starting…' : dryRun ? 'Dry run' : 'Synchronize'}
          </button>
        </>
      }
    >
      <p className="muted small">
        Revision: <code>{shortRev(app.source?.targetRevision ?? 'HEAD')}</code>
      </p>
      <fieldset>
        <legend>Options</legend>
        <label className="check">
          <input type="checkbox" checked={prune} onChange={(e) => setPrune(e.target.checked)} /> Prune (delete resources
          no longer in git)
        </label>
        <label className="check">
          <input type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} /> Dry run
        </label>
        {SYNC_OPTIONS.map((o) => (
          <label className="check" key={o.id}>
            <input
              type="checkbox"
              checked={opts.has(o.id)}
              onChange={(e) => {
                const n = new Set(opts);
                if (e.target.checked) n.add(o.id);
                else n.delete(o.id);
                setOpts(n);
              }}
            />{' '}
            {o.label}
          </label>
        ))}
      </fieldset>
      {resources.length > 0 && (
        <fieldset className="res-select">
          <legend>Resources</legend>
          <label className="check">
            <input
              type="checkbox"
              checked={all}
              onChange={(e) => setSel(e.target.checked ? new Set(resources.map(resKey)) : new Set())}
            />{' '}
            All ({resources.length})
          </label>
          <ul>
            {resources.map((r) => {
              const k = resKey(r);
              return (
                <li key={k}>
                  <label className="check">
                    <input
                      type="checkbox"
                      checked={sel.has(k)}
                      onChange={(e) => {
                        const n = new Set(sel);
                        if (e.target.checked) n.add(k);
                        else n.delete(k);
                        setSel(n);
                      }}
                    />{' '}
                    {resLabel(r)} <SyncBadge status={r.status} />
                  </label>
                </li>
              );
            })}
          </ul>
        </fieldset>
      )}
      {err && (
        <p role="alert" className="error-text">
          {err}
        </p>
      )}
    </Dialog>
  );
}

// ---------------------------------------------------------------------------------------------------------
// the view

function Summary({ app, children }: { app: AppDetail; children?: ReactNode }) {
  const st = app.object?.status;
  const op = app.operation ?? st?.operationState;
  const outOfSync = (st?.resources ?? []).filter((r) => r.status === 'OutOfSync');
  return (
    <div className="summary" aria-label="Status">
      <dl className="facts">
        <div>
          <dt>Sync</dt>
          <dd data-testid="app-sync">
            <SyncBadge status={app.sync.status} />
          </dd>
        </div>
        <div>
          <dt>Health</dt>
          <dd data-testid="app-health">
            <HealthBadge status={app.health.status} />
            {st?.health?.message && <span className="muted small"> {st.health.message}</span>}
          </dd>
        </div>
        <div>
          <dt>Revision</dt>
          <dd>
            <code title={app.sync.revision}>{shortRev(app.sync.revision)}</code>
          </dd>
        </div>
        <div>
          <dt>Project</dt>
          <dd>{app.project}</dd>
        </div>
        <div>
          <dt>Source</dt>
          <dd className="ellipsis">
            {app.source?.repoURL ?? '—'}
            {app.source?.path ? ` · ${app.source.path}` : ''}
          </dd>
        </div>
        <div>
          <dt>Destination</dt>
          <dd>{app.destination?.namespace ?? app.destination?.name ?? '—'}</dd>
        </div>
        <div>
          <dt>Last operation</dt>
          <dd data-testid="app-operation">
            {op ? (
              <>
                <span className={`op-${op.phase}`}>
                  {st?.operationState?.operation?.sync?.dryRun ? 'dry run ' : ''}
                  {op.phase}
                </span>
                {op.message && <span className="muted small"> {op.message}</span>}
              </>
            ) : (
              <span className="muted">none</span>
            )}
          </dd>
        </div>
      </dl>
      {app.sync.status === 'OutOfSync' && (
        <div className="reason" data-testid="outofsync-reason">
          <strong>Why OutOfSync: </strong>
          {outOfSync.length === 0
            ? 'the desired state differs from the live state.'
            : `${outOfSync.length} resource${outOfSync.length === 1 ? ' differs' : 's differ'} from git — `}
          {outOfSync.slice(0, 5).map((r, i) => (
            <span key={resKey(r)}>
              {i > 0 && ', '}
              <Link href={`${appPath(app.namespace, app.name)}/diff?resource=${enc(resKey(r))}`}>
                {resLabel(r)}
                {r.requiresPruning ? ' (to prune)' : ''}
                {r.health?.status === 'Missing' ? ' (not in the cluster)' : ''}
              </Link>
            </span>
          ))}
          {outOfSync.length > 5 && ` and ${outOfSync.length - 5} more`}
        </div>
      )}
      {children}
    </div>
  );
}

export function ApplicationView() {
  const params = useParams<{ namespace: string; name: string; tab?: string }>();
  const ns = params.namespace;
  const name = params.name;
  const tab = TABS.find((t) => t.id === params.tab)?.id ?? 'tree';
  const base = appPath(ns, name);
  useDocumentTitle(`${name} (${TABS.find((t) => t.id === tab)!.label})`);
  const { session } = useSession();
  const detail = useApi<AppDetail>(base);
  const [app, setApp] = useState<AppDetail | undefined>(undefined);
  useEffect(() => {
    if (detail.data) setApp(detail.data);
  }, [detail.data]);
  const [version, setVersion] = useState(0);
  const [syncOpen, setSyncOpen] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [refreshing, setRefreshing] = useState(false);
  // "Sync started" gives way to the result once an operation newer than the one on screen then has ended
  const op = app?.operation ?? app?.object?.status?.operationState;
  const noticeOp = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (noticeOp.current === undefined || !op?.phase || op.phase === 'Running') return;
    if ((op.startedAt ?? '') !== noticeOp.current) {
      noticeOp.current = undefined;
      setNotice(null);
    }
  }, [op?.phase, op?.startedAt]);
  const started = (m: string) => {
    noticeOp.current = op?.startedAt ?? '';
    setNotice(m);
  };
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const { reload } = detail;
  const refresh = useCallback(() => {
    clearTimeout(reloadTimer.current);
    reloadTimer.current = setTimeout(() => {
      reload();
      setVersion((v) => v + 1);
    }, 150);
  }, [reload]);
  useEffect(() => () => clearTimeout(reloadTimer.current), []);
  useAppEvents((ev) => {
    if (ev.application.name !== name || ev.application.namespace !== ns) return;
    if (ev.type === 'DELETED') {
      setNotice('This application was deleted.');
      return;
    }
    // the summary changes at once; details (tree, diff, operation) follow with one reload
    setApp((old) => (old ? { ...old, ...(ev.application as unknown as Partial<AppDetail>), object: old.object } : old));
    refresh();
  });
  const hardRefresh = () => {
    setRefreshing(true);
    reload();
    setVersion((v) => v + 1);
  };
  useEffect(() => {
    if (!detail.loading) setRefreshing(false);
  }, [detail.loading]);
  if (detail.error && !app)
    return (
      <section aria-labelledby="app-title">
        <h1 id="app-title">{name}</h1>
        {detail.error instanceof ApiError && detail.error.status === 404 ? (
          <Empty>
            <p>
              There is no application <b>{name}</b> in namespace <b>{ns}</b>.
            </p>
            <p>
              <Link href="/applications">Back to the applications</Link>
            </p>
          </Empty>
        ) : (
          <ErrorState error={detail.error} retry={detail.reload} what="the application" />
        )}
      </section>
    );
  if (!app) return <Loading what="application" />;
  return (
    <section aria-labelledby="app-title" className="app-view">
      <nav aria-label="Breadcrumb" className="crumbs">
        <ol>
          <li>
            <Link href="/applications">Applications</Link>
          </li>
          <li>
            <span aria-current="page">
              {ns}/{name}
            </span>
          </li>
        </ol>
      </nav>
      <div className="view-head">
        <h1 id="app-title">{name}</h1>
        <div className="actions">
          <button type="button" onClick={hardRefresh} disabled={refreshing}>
            {refreshing ? 'Refreshing…' : 'Refresh'}
          </button>
          <button
            type="button"
            className="primary"
            onClick={() => setSyncOpen(true)}
            disabled={!canWrite(session?.role)}
            title={canWrite(session?.role) ? undefined : 'needs role developer or admin'}
          >
            Sync…
          </button>
        </div>
      </div>
      {notice && (
        <p role="status" className="note">
          {notice}{' '}
          <button type="button" className="link" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </p>
      )}
      <Summary app={app} />
      <nav aria-label="Application views" className="tabs">
        <ul>
          {TABS.map((t) => (
            <li key={t.id}>
              <Link
                href={t.id === 'tree' ? base : `${base}/${t.id}`}
                aria-current={tab === t.id ? 'page' : undefined}
                className={tab === t.id ? 'active' : ''}
              >
                {t.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div className="tab-body">
        {tab === 'tree' && <TreePanel app={app} base={base} version={version} />}
        {tab === 'diff' && <DiffPanel app={app} version={version} />}
        {tab === 'history' && <HistoryPanel app={app} onChanged={refresh} />}
        {tab === 'events' && <EventsPanel app={app} version={version} />}
      </div>
      <SyncDialog app={app} open={syncOpen} onClose={() => setSyncOpen(false)} onStarted={started} />
    </section>
  );
}
