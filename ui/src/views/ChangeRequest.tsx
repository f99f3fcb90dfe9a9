// One change request: what it changes in the config repo (per-file diff, Secret values masked by the
// server), its policy results with file and line, the what-if preview (per-object action and diff,
// admission denials), approvals, conflicts, and Approve / Merge / Close for developers and admins.
import { useState } from 'react';
import { Link, useParams } from 'wouter';
import { api, ApiError, canChange, enc, imageHref, type CrDetail } from '../api.ts';
import { DataTable } from '../components/DataTable.tsx';
import { ErrorState, Loading, Time } from '../components/States.tsx';
import { UnifiedDiff } from '../components/UnifiedDiff.tsx';
import { useCiEvents } from '../ci-events.ts';
import { useApi, useDocumentTitle } from '../hooks.ts';
import { useSession } from '../session.tsx';
import { ResultBadge } from './ChangeRequests.tsx';

const decode = (s: string | undefined): string => {
  try {
    return decodeURIComponent(s ?? '');
  } catch {
    return s ?? '';
  }
};
const objName = (o: { kind: string; namespace?: string; name: string }) =>
  `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;

function Actions({ cr, onDone }: { cr: CrDetail; onDone: () => void }) {
  const { session } = useSession();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  if (!canChange(session, cr.projects) || cr.phase !== 'Open') return null;
  const act = async (verb: 'approve' | 'merge' | 'close') => {
    setBusy(verb);
    setError(null);
    try {
      await api('POST', `/changerequests/${enc(cr.name)}/${verb}`, verb === 'merge' ? {} : undefined);
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(null);
      onDone();
    }
  };
  const approved = (cr.changeRequest.status?.approvals ?? []).some((a) => a.by === session?.user);
  return (
    <div className="actions" role="group" aria-label="Change request actions">
      <button type="button" disabled={busy !== null || approved} onClick={() => void act('approve')}>
        {approved ? 'Approved' : busy === 'approve' ? 'Approving…' : 'Approve'}
      </button>
      <button type="button" className="primary" disabled={busy !== null} onClick={() => void act('merge')}>
        {busy === 'merge' ? 'Merging…' : 'Merge'}
      </button>
      <button type="button" className="danger" disabled={busy !== null} onClick={() => void act('close')}>
        Close
      </button>
      {error && (
        <p className="error-text" role="alert" data-testid="action-error">
          {error.message}
          {error instanceof ApiError ? ` (${error.status})` : ''}
        </p>
      )}
    </div>
  );
}

function Policy({ cr }: { cr: CrDetail }) {
  const p = cr.changeRequest.status?.policy;
  return (
    <section aria-labelledby="pol-title">
      <h2 id="pol-title">
        Policy check <ResultBadge result={p?.result ?? 'NotRun'} testId="policy-result" />
      </h2>
      {p?.message && <p className="note">{p.message}</p>}
      {!p || p.results.length === 0 ? (
        <p className="muted">{p ? 'No findings.' : 'The policy check has not run.'}</p>
      ) : (
        <DataTable
          caption="Policy findings"
          testId="policy-findings"
          rows={p.results}
          rowKey={(_x, i) => String(i)}
          rowClass={(x) => (x.level === 'failure' ? 'warn' : undefined)}
          columns={[
            { header: 'Level', cell: (x) => x.level },
            {
              header: 'Where',
              cell: (x) => (
                <code>
                  {x.file}
                  {x.line ? `:${x.line}` : ''}
                </code>
              ),
            },
            { header: 'Message', cell: (x) => x.message },
            { header: 'Namespace', cell: (x) => x.namespace ?? '—' },
          ]}
        />
      )}
    </section>
  );
}

function WhatIfPanel({ cr }: { cr: CrDetail }) {
  const w = cr.changeRequest.status?.whatIf;
  return (
    <section aria-labelledby="wi-title">
      <h2 id="wi-title">
        What-if preview <ResultBadge result={w?.result} testId="whatif-result" />
      </h2>
      {!w ? (
        <p className="muted">No what-if preview was recorded for this change request.</p>
      ) : (
        <>
          <p className="muted small">
            Commit <code>{(w.commit ?? '').slice(0, 12)}</code> dry-run against {w.cluster ?? 'the cluster'}
            {w.checkedAt ? ', ' : ''}
            {w.checkedAt && <Time iso={w.checkedAt} />}
          </p>
          {w.message && <p className="note">{w.message}</p>}
          {w.denials.length > 0 && (
            <>
              <h3>Admission denials</h3>
              <DataTable
                caption="Objects admission would deny"
                testId="denials"
                rows={w.denials}
                rowKey={(x, i) => `${objName(x)}-${i}`}
                rowClass={() => 'warn'}
                columns={[
                  { header: 'Object', cell: (x) => objName(x) },
                  { header: 'Denied by', cell: (x) => x.webhook ?? '—' },
                  { header: 'Message', cell: (x) => x.message },
                ]}
              />
            </>
          )}
          <h3>Objects</h3>
          {w.resources.length === 0 ? (
            <p className="muted">No objects rendered.</p>
          ) : (
            w.resources.map((x) => (
              <details key={objName(x)} open={x.action !== 'unchanged' && w.resources.length <= 5}>
                <summary>
                  <span className={`badge action-${x.action}`}>{x.action}</span> {objName(x)}
                </summary>
                {x.diff ? <UnifiedDiff text={x.diff} label={`What-if diff of ${objName(x)}`} /> : null}
              </details>
            ))
          )}
        </>
      )}
    </section>
  );
}

function RepoDiff({ cr }: { cr: CrDetail }) {
  const d = cr.diff;
  return (
    <section aria-labelledby="diff-title">
      <h2 id="diff-title">Changes in the config repo</h2>
      {!d ? (
        <p className="muted">No diff.</p>
      ) : d.error ? (
        <p className="note">{d.error}</p>
      ) : d.files.length === 0 ? (
        <p className="muted">The head branch changes no files.</p>
      ) : (
        <div data-testid="repo-diff">
          {d.files.map((f) => (
            <details key={f.path} open>
              <summary>
                <code>{f.oldPath ? `${f.oldPath} → ${f.path}` : f.path}</code>{' '}
                <span className="muted small">
                  {{ A: 'added', M: 'modified', D: 'deleted', R: 'renamed' }[f.status] ?? f.status}
                </span>
              </summary>
              {f.note ? <p className="muted">{f.note}</p> : <UnifiedDiff text={f.diff} label={`Diff of ${f.path}`} />}
            </details>
          ))}
        </div>
      )}
    </section>
  );
}

export function ChangeRequestView() {
  const params = useParams<{ name: string }>();
  const name = decode(params.name);
  useDocumentTitle(`Change request ${name}`);
  const r = useApi<CrDetail>(`/changerequests/${enc(name)}`);
  // live: policy results, what-if, approvals and merges recorded by others appear without a reload
  useCiEvents((e) => e.kind === 'changerequest' && e.changeRequest.name === name, r.reload);
  if (r.error) return <ErrorState error={r.error} retry={r.reload} what={`change request ${name}`} />;
  if (!r.data) return <Loading what="change request" />;
  const cr = r.data;
  const st = cr.changeRequest.status;
  return (
    <section aria-labelledby="cr-title">
      <nav className="crumbs" aria-label="Breadcrumb">
        <ol>
          <li>
            <Link href="/changes">Change requests</Link>
          </li>
          <li aria-current="page">{name}</li>
        </ol>
      </nav>
      <h1 id="cr-title">
        {cr.title || name} <ResultBadge result={cr.phase} testId="cr-phase" />
      </h1>
      <Actions cr={cr} onDone={r.reload} />
      <dl className="facts">
        <div>
          <dt>Config repo</dt>
          <dd className="break">{cr.repo}</dd>
        </div>
        <div>
          <dt>Branches</dt>
          <dd>
            <code>
              {cr.head} → {cr.base}
            </code>
          </dd>
        </div>
        {cr.pipelineRun && (
          <div>
            <dt>Pipeline run</dt>
            <dd>
              <Link href={`/pipelines/${enc(cr.pipelineRun)}`}>{cr.pipelineRun}</Link>
            </dd>
          </div>
        )}
        <div>
          <dt>Images</dt>
          <dd>
            {cr.images.length ? (
              cr.images.map((i) => {
                const href = imageHref(i);
                return href ? (
                  <Link key={i} href={href} className="break mono small">
                    {i}
                  </Link>
                ) : (
                  <code key={i} className="break">
                    {i}
                  </code>
                );
              })
            ) : (
              <span className="muted">—</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Approvals</dt>
          <dd data-testid="approvals">
            {(st?.approvals ?? []).map((a) => a.by).join(', ') || <span className="muted">none</span>}
          </dd>
        </div>
        {cr.mergeCommit && (
          <div>
            <dt>Merge commit</dt>
            <dd>
              <code title={cr.mergeCommit} data-testid="merge-commit">
                {cr.mergeCommit.slice(0, 12)}
              </code>
            </dd>
          </div>
        )}
      </dl>
      {st?.message && !(st.conflicts ?? []).length && <p className="note">{st.message}</p>}
      {(st?.conflicts ?? []).length > 0 && (
        <div className="state error" role="alert" data-testid="conflicts">
          <p>
            <strong>Merge conflicts</strong> in {(st?.conflicts ?? []).join(', ')}: update the branch and merge again.
          </p>
        </div>
      )}
      <RepoDiff cr={cr} />
      <Policy cr={cr} />
      <WhatIfPanel cr={cr} />
    </section>
  );
}
