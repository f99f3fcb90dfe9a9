// Change requests opened by promotions, newest first: phase, title, branches, policy check and what-if
// results, approvals; a phase filter kept in the URL.
import { Link } from 'wouter';
import { enc, type CrSummary } from '../api.ts';
import { ListPage, useUrlFilters } from '../components/ListPage.tsx';
import { Time } from '../components/States.tsx';
import { useCiEvents } from '../ci-events.ts';
import { useApi, useDocumentTitle } from '../hooks.ts';

const PHASES = ['Open', 'Merged', 'Closed'];

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
  const f = useUrlFilters('/changes', ['phase']);
  const { phase } = f.values;
  const r = useApi<unknown>(`/changerequests${f.query}`);
  useCiEvents((e) => e.kind === 'changerequest', r.reload);
  return (
    <ListPage<CrSummary>
      title="Change requests"
      titleId="crs-title"
      filters={[{ id: 'cr-phase', label: 'Phase', value: phase, options: PHASES, onChange: (v) => f.set('phase', v) }]}
      list={r}
      what="change requests"
      empty={
        <p>
          <strong>No change requests{phase ? ` in phase ${phase}` : ''}.</strong> A pipeline&apos;s promote step opens
          one on the config repo.
        </p>
      }
      caption="Change requests, newest first"
      testId="change-requests"
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
  );
}
