// Pipeline runs, newest first: phase, pipeline, commit/branch, start and duration, steps per phase; phase
// and app-repo filters kept in the URL; live over the CI event stream.
import { Link, useLocation, useSearch } from 'wouter';
import { duration, enc, itemsOf, type RunSummary } from '../api.ts';
import { DataTable } from '../components/DataTable.tsx';
import { Empty, ErrorState, Loading, Time } from '../components/States.tsx';
import { useCiEvents } from '../ci-events.ts';
import { useApi, useDocumentTitle } from '../hooks.ts';

const PHASES = ['', 'Running', 'Succeeded', 'Failed', 'Pending'];

export function PhaseBadge({ phase }: { phase: string }) {
  return (
    <span className={`badge phase-${phase}`} data-testid="phase">
      {phase}
    </span>
  );
}

export function PipelinesView() {
  useDocumentTitle('Pipelines');
  const search = useSearch();
  const [, navigate] = useLocation();
  const sp = new URLSearchParams(search);
  const phase = sp.get('phase') ?? '';
  const repo = sp.get('repo') ?? '';
  const query = (p: string, r: string) => {
    const q = new URLSearchParams();
    if (p) q.set('phase', p);
    if (r) q.set('repo', r);
    const t = q.toString();
    return t ? `?${t}` : '';
  };
  const r = useApi<unknown>(`/pipelineruns${query(phase, repo)}`);
  const all = useApi<unknown>('/pipelineruns');
  const repos = [...new Set(itemsOf<RunSummary>(all.data).map((x) => x.repo ?? ''))].filter(Boolean).sort();
  const items = itemsOf<RunSummary>(r.data);
  // live: any run change reloads the list (and the repos of the filter)
  useCiEvents(
    (e) => e.kind === 'pipelinerun',
    () => {
      r.reload();
      all.reload();
    },
  );
  return (
    <section aria-labelledby="pl-title">
      <div className="view-head">
        <h1 id="pl-title">Pipelines</h1>
        <div className="filters">
          <div className="field">
            <label htmlFor="pl-phase">Phase</label>
            <select id="pl-phase" value={phase} onChange={(e) => navigate(`/pipelines${query(e.target.value, repo)}`)}>
              {PHASES.map((p) => (
                <option key={p} value={p}>
                  {p || 'any'}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="pl-repo">App repo</label>
            <select id="pl-repo" value={repo} onChange={(e) => navigate(`/pipelines${query(phase, e.target.value)}`)}>
              {['', ...(repo && !repos.includes(repo) ? [repo] : []), ...repos].map((x) => (
                <option key={x} value={x}>
                  {x || 'any'}
                </option>
              ))}
            </select>
          </div>
        </div>
      </div>
      {r.error ? (
        <ErrorState error={r.error} retry={r.reload} what="pipeline runs" />
      ) : !r.data ? (
        <Loading what="pipeline runs" />
      ) : items.length === 0 ? (
        <Empty>
          <p>
            <strong>
              No pipeline runs{phase ? ` in phase ${phase}` : ''}
              {repo ? ` of ${repo}` : ''}.
            </strong>{' '}
            A push to an app repo with a <code>.sekisho/pipeline.yaml</code> starts one.
          </p>
        </Empty>
      ) : (
        <DataTable
          caption="Pipeline runs, newest first"
          testId="runs"
          rows={items}
          rowKey={(x) => x.name}
          columns={[
            { header: 'Run', cell: (x) => <Link href={`/pipelines/${enc(x.name)}`}>{x.name}</Link> },
            { header: 'Phase', cell: (x) => <PhaseBadge phase={x.phase} /> },
            { header: 'Pipeline', cell: (x) => x.pipeline },
            {
              header: 'Commit',
              cell: (x) =>
                x.commit ? (
                  <>
                    <code title={x.commit}>{x.commit.slice(0, 12)}</code>
                    {x.branch && <span className="muted small"> on {x.branch}</span>}
                  </>
                ) : (
                  <span className="muted">—</span>
                ),
            },
            { header: 'Started', cell: (x) => <Time iso={x.startTime ?? x.createdAt} /> },
            { header: 'Duration', cell: (x) => duration(x.durationMs) },
            {
              header: 'Steps',
              cell: (x) => (
                <span className="small">
                  {Object.entries(x.steps)
                    .map(([p, n]) => `${n} ${p.toLowerCase()}`)
                    .join(', ')}
                </span>
              ),
            },
          ]}
        />
      )}
    </section>
  );
}
