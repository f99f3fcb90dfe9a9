// Change requests opened by promotions, newest first: phase, title, branches, policy check and what-if
// results, approvals; a phase filter kept in the URL.
import { Link, useLocation, useSearch } from 'wouter';
import { enc, itemsOf, type CrSummary } from '../api.ts';
import { DataTable } from '../components/DataTable.tsx';
import { Empty, ErrorState, Loading, Time } from '../components/States.tsx';
import { useCiEvents } from '../ci-events.ts';
import { useApi, useDocumentTitle } from '../hooks.ts';

const PHASES = ['', 'Open', 'Merged', 'Closed'];

export function ResultBadge({ result, testId }: { result: string | undefined; testId?: string }) {
  if (!result) return <span className="muted">—</span>;
  return (
    <span className={`badge result-${result}`} data-testid={testId}>
      {result}
    </span>
  );
}

export function ChangeRequestsView() {
  useDocumentTitle('Change requests');
  const search = useSearch();
  const [, navigate] = useLocation();
  const phase = new URLSearchParams(search).get('phase') ?? '';
  const r = useApi<unknown>(`/changerequests${phase ? `?phase=${enc(phase)}` : ''}`);
  const items = itemsOf<CrSummary>(r.data);
  useCiEvents((e) => e.kind === 'changerequest', r.reload);
  return (
    <section aria-labelledby="crs-title">
      <div className="view-head">
        <h1 id="crs-title">Change requests</h1>
        <div className="filters">
          <div className="field">
            <label htmlFor="cr-phase">Phase</label>
            <select
              id="cr-phase"
              value={phase}
              onChange={(e) => navigate(e.target.value ? `/changes?phase=${enc(e.target.value)}` : '/changes')}
            >
              {PHASES.map((p) => (
                <option key={p} value={p}>
                  {p || 'any'}
                </option>
              ))}
            </select>
          </div>
        </div>
      </div>
      {r.error ? (
        <ErrorState error={r.error} retry={r.reload} what="change requests" />
      ) : !r.data ? (
        <Loading what="change requests" />
      ) : items.length === 0 ? (
        <Empty>
          <p>
            <strong>No change requests{phase ? ` in phase ${phase}` : ''}.</strong> A pipeline&apos;s promote step opens
            one on the config repo.
          </p>
        </Empty>
      ) : (
        <DataTable
          caption="Change requests, newest first"
          testId="change-requests"
          rows={items}
          rowKey={(x) => x.name}
          columns={[
            {
              header: 'Change request',
              cell: (x) => <Link href={`/changes/${enc(x.name)}`}>{x.title || x.name}</Link>,
            },
            { header: 'Phase', cell: (x) => <ResultBadge result={x.phase} /> },
            {
              header: 'Branches',
              cell: (x) => (
                <code className="small">
                  {x.head} → {x.base}
                </code>
              ),
            },
            { header: 'Policy', cell: (x) => <ResultBadge result={x.policy} /> },
            { header: 'What-if', cell: (x) => <ResultBadge result={x.whatIf} /> },
            { header: 'Approvals', cell: (x) => x.approvals },
            { header: 'Opened', cell: (x) => <Time iso={x.createdAt} /> },
          ]}
        />
      )}
    </section>
  );
}
