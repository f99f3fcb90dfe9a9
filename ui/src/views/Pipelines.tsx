// Pipeline runs, newest first: phase, pipeline, commit/branch, start and duration, steps per phase; phase
// and app-repo filters kept in the URL; live over the CI event stream.
import { Link } from 'wouter';
import { duration, enc, itemsOf, type RunSummary } from '../api.ts';
import { ListPage, useUrlFilters } from '../components/ListPage.tsx';
import { Time } from '../components/States.tsx';
import { useCiEvents } from '../ci-events.ts';
import { useApi, useDocumentTitle } from '../hooks.ts';

const PHASES = ['Running', 'Succeeded', 'Failed', 'Pending'];

export function PhaseBadge({ phase }: { phase: string }) {
  return (
    <span className={`badge phase-${phase}`} data-testid="phase">
      {phase}
    </span>
  );
}

export function PipelinesView() {
  useDocumentTitle('Pipelines');
  const f = useUrlFilters('/pipelines', ['phase', 'repo']);
  const { phase, repo } = f.values;
  const r = useApi<unknown>(`/pipelineruns${f.query}`);
  const all = useApi<unknown>('/pipelineruns');
  const repos = [...new Set(itemsOf<RunSummary>(all.data).map((x) => x.repo ?? ''))].filter(Boolean).sort();
  // live: any run change reloads the list (and the repos of the filter)
  useCiEvents(
    (e) => e.kind === 'pipelinerun',
    () => {
      r.reload();
      all.reload();
    },
  );
  return (
    <ListPage<RunSummary>
      title="Pipelines"
      titleId="pl-title"
      filters={[
        { id: 'pl-phase', label: 'Phase', value: phase, options: PHASES, onChange: (v) => f.set('phase', v) },
        {
          id: 'pl-repo',
          label: 'App repo',
          value: repo,
          options: [...(repo && !repos.includes(repo) ? [repo] : []), ...repos],
          onChange: (v) => f.set('repo', v),
        },
      ]}
      list={r}
      what="pipeline runs"
      empty={
        <p>
          <strong>
            No pipeline runs{phase ? ` in phase ${phase}` : ''}
            {repo ? ` of ${repo}` : ''}.
          </strong>{' '}
          A push to an app repo with a <code>.sekisho/pipeline.yaml</code> starts one.
        </p>
      }
      caption="Pipeline runs, newest first"
      testId="runs"
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
  );
}
