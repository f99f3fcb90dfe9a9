// One pipeline run: the steps as a graph (a column per `needs` level, a box per step coloured by phase with
// its duration, lines from each step to the ones it needs), the selected step's facts, findings, outputs
// and live log (server-sent events while it runs), and the run's artifacts (reports, SBOM, SARIF).
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useLocation, useParams } from 'wouter';
import { api, duration, enc, runPath, stepPath, type RunDetail, type RunStep } from '../api.ts';
import { DataTable } from '../components/DataTable.tsx';
import { ErrorState, Loading, Time } from '../components/States.tsx';
import { useCiEvents } from '../ci-events.ts';
import { useApi, useDocumentTitle } from '../hooks.ts';
import { PhaseBadge } from './Pipelines.tsx';

const W = 176;
const H = 58;
const GAP_X = 56;
const GAP_Y = 14;

const decode = (s: string | undefined): string => {
  try {
    return decodeURIComponent(s ?? '');
  } catch {
    return s ?? '';
  }
};

function Graph({ run, selected, onSelect }: { run: RunDetail; selected: string; onSelect: (id: string) => void }) {
  const pos = useMemo(() => {
    const rows = new Map<number, number>();
    const out = new Map<string, { x: number; y: number }>();
    for (const s of run.steps) {
      const r = rows.get(s.level) ?? 0;
      rows.set(s.level, r + 1);
      out.set(s.id, { x: s.level * (W + GAP_X), y: r * (H + GAP_Y) });
    }
    return out;
  }, [run.steps]);
  const width = Math.max(...[...pos.values()].map((p) => p.x + W), W) + 2;
  const height = Math.max(...[...pos.values()].map((p) => p.y + H), H) + 2;
  return (
    <div className="dag-scroll">
      <div className="dag" style={{ width, height }} data-testid="dag">
        <svg width={width} height={height} aria-hidden="true" focusable="false">
          {run.steps.flatMap((s) =>
            s.needs.map((n) => {
              const a = pos.get(n);
              const b = pos.get(s.id);
              if (!a || !b) return null;
              const x1 = a.x + W;
              const y1 = a.y + H / 2;
              const x2 = b.x;
              const y2 = b.y + H / 2;
              const mx = (x1 + x2) / 2;
              return (
                <path
                  key={`${n}->${s.id}`}
                  d={`M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`}
                  className="dag-edge"
                />
              );
            }),
          )}
        </svg>
        {run.steps.map((s) => {
          const p = pos.get(s.id)!;
          return (
            <button
              key={s.id}
              type="button"
              className={`dag-node phase-${s.phase}`}
              style={{ left: p.x, top: p.y, width: W, height: H }}
              aria-current={s.id === selected ? 'step' : undefined}
              data-testid={`step-${s.id}`}
              onClick={() => onSelect(s.id)}
            >
              <span className="dag-name">{s.id}</span>
              <span className="dag-meta">
                {s.phase}
                {s.durationMs !== undefined ? ` · ${duration(s.durationMs)}` : ''}
              </span>
            </button>
          );
        })}
      </div>
    </div>
  );
}

function StepLog({ run, step }: { run: string; step: RunStep }) {
  const [text, setText] = useState('');
  const [state, setState] = useState<'following' | 'ended' | 'unavailable'>('following');
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    setText('');
    setState('following');
    if (typeof EventSource === 'undefined') return;
    const es = new EventSource(`/api/v1${stepPath(run, step.id)}/log?follow=1`);
    es.addEventListener('log', (m) => {
      try {
        const t = (JSON.parse((m as MessageEvent<string>).data) as { text: string }).text;
        setText((x) => x + t);
      } catch {
        // a malformed event is skipped
      }
    });
    es.addEventListener('end', () => {
      setState('ended');
      es.close();
    });
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED) setState('unavailable');
    };
    return () => es.close();
  }, [run, step.id]);
  useEffect(() => {
    const el = pre.current;
    if (el && state === 'following') el.scrollTop = el.scrollHeight;
  }, [text, state]);
  return (
    <section aria-labelledby="log-title">
      <h3 id="log-title">
        Log{' '}
        <span className="muted small" role="status">
          {state === 'following' ? '(live)' : state === 'ended' ? '' : '(not available)'}
        </span>
      </h3>
      <pre ref={pre} className="raw log" tabIndex={0} aria-label={`Log of step ${step.id}`} data-testid="step-log">
        {text || (state === 'ended' ? '(empty)' : '')}
      </pre>
    </section>
  );
}

type Obj = Record<string, unknown>;
const rec = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const txt = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

/** A report as a table when its shape is known (Trivy-style scan results, Dockerfile lint findings). */
function ReportTable({ doc, step }: { doc: unknown; step: string }) {
  const results = rec(doc).Results;
  if (Array.isArray(results)) {
    const rows = results.flatMap((r) =>
      ((rec(r).Vulnerabilities as unknown[] | undefined) ?? []).map((v) => ({ target: txt(rec(r).Target), v: rec(v) })),
    );
    if (rows.length === 0) return <p className="muted">No vulnerabilities found.</p>;
    return (
      <DataTable
        caption={`Vulnerabilities found by step ${step}`}
        testId="report-table"
        rows={rows}
        rowKey={(x, i) => `${txt(x.v.VulnerabilityID)}-${i}`}
        columns={[
          {
            header: 'Severity',
            cell: (x) => <span className={`badge sev-${txt(x.v.Severity)}`}>{txt(x.v.Severity)}</span>,
          },
          { header: 'Vulnerability', cell: (x) => txt(x.v.VulnerabilityID) },
          { header: 'Package', cell: (x) => txt(x.v.PkgName) },
          { header: 'Installed', cell: (x) => <code>{txt(x.v.InstalledVersion)}</code> },
          { header: 'Fixed in', cell: (x) => (x.v.FixedVersion ? <code>{txt(x.v.FixedVersion)}</code> : '—') },
          { header: 'Target', cell: (x) => x.target },
        ]}
      />
    );
  }
  if (Array.isArray(doc) && doc.every((f) => typeof rec(f).code === 'string' && rec(f).line !== undefined)) {
    if (doc.length === 0) return <p className="muted">No findings.</p>;
    return (
      <DataTable
        caption={`Findings in the report of step ${step}`}
        testId="report-table"
        rows={doc.map(rec)}
        rowKey={(_f, i) => String(i)}
        columns={[
          { header: 'Level', cell: (f) => txt(f.level) },
          { header: 'Where', cell: (f) => <code>{`${txt(f.file)}:${txt(f.line)}`}</code> },
          { header: 'Rule', cell: (f) => txt(f.code) },
          { header: 'Message', cell: (f) => txt(f.message) },
        ]}
      />
    );
  }
  return null;
}

function Report({ run, step }: { run: string; step: RunStep }) {
  const [open, setOpen] = useState(false);
  const [doc, setDoc] = useState<{ value: unknown } | null>(null);
  const [err, setErr] = useState<Error | null>(null);
  useEffect(() => {
    if (!open || doc !== null) return;
    const ac = new AbortController();
    api<unknown>('GET', `${stepPath(run, step.id)}/report`, undefined, ac.signal)
      .then((x) => setDoc({ value: x }))
      .catch((e: unknown) => (e as Error).name !== 'AbortError' && setErr(e as Error));
    return () => ac.abort();
  }, [open, doc, run, step.id]);
  return (
    <details onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>Report {step.files.report}</summary>
      {err ? (
        <ErrorState error={err} what="the report" />
      ) : doc === null ? (
        <Loading what="report" />
      ) : (
        <>
          <ReportTable doc={doc.value} step={step.id} />
          <details>
            <summary>As recorded (JSON)</summary>
            <pre className="raw" tabIndex={0} data-testid="step-report">
              {JSON.stringify(doc.value, null, 2)}
            </pre>
          </details>
        </>
      )}
    </details>
  );
}

function StepPanel({ run, step }: { run: string; step: RunStep }) {
  const outputs = Object.entries(step.outputs ?? {});
  return (
    <section aria-labelledby="step-title" className="step-panel" data-testid="step-panel">
      <h2 id="step-title">
        Step {step.id} <PhaseBadge phase={step.phase} />
      </h2>
      <dl className="facts">
        <div>
          <dt>Uses</dt>
          <dd>{step.uses}</dd>
        </div>
        <div>
          <dt>Needs</dt>
          <dd>{step.needs.join(', ') || '—'}</dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>
            <Time iso={step.startTime} />
          </dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{duration(step.durationMs)}</dd>
        </div>
        <div>
          <dt>Attempts</dt>
          <dd>{step.attempts ?? 0}</dd>
        </div>
        {step.exitCode !== undefined && (
          <div>
            <dt>Exit code</dt>
            <dd>{step.exitCode}</dd>
          </div>
        )}
      </dl>
      {step.message && (
        <p className={step.phase === 'Failed' ? 'note error-text' : 'note'} data-testid="step-message">
          {step.message}
        </p>
      )}
      {(step.annotations ?? []).length > 0 && (
        <>
          <h3>Findings</h3>
          <DataTable
            caption={`Findings of step ${step.id}`}
            testId="findings"
            rows={step.annotations ?? []}
            rowKey={(_a, i) => String(i)}
            rowClass={(a) => (a.level === 'error' ? 'warn' : undefined)}
            columns={[
              { header: 'Level', cell: (a) => a.level },
              {
                header: 'Where',
                cell: (a) =>
                  a.file ? (
                    <code>
                      {a.file}
                      {a.line ? `:${a.line}` : ''}
                      {a.col ? `:${a.col}` : ''}
                    </code>
                  ) : (
                    '—'
                  ),
              },
              { header: 'Rule', cell: (a) => a.rule ?? '—' },
              { header: 'Message', cell: (a) => a.message },
            ]}
          />
        </>
      )}
      {outputs.length > 0 && (
        <>
          <h3>Outputs</h3>
          <dl className="facts">
            {outputs.map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd>
                  <code className="break">{v}</code>
                </dd>
              </div>
            ))}
          </dl>
        </>
      )}
      {step.files.report && <Report key={`${run}/${step.id}`} run={run} step={step} />}
      <StepLog run={run} step={step} />
    </section>
  );
}

function Artifacts({ run }: { run: RunDetail }) {
  const rows = run.steps.flatMap((s) => [
    ...(s.files.report
      ? [{ step: s.id, name: s.files.report, href: `/api/v1${stepPath(run.name, s.id)}/report` }]
      : []),
    ...Array.from({ length: s.files.sarif }, (_x, i) => ({
      step: s.id,
      name: `SARIF${s.files.sarif > 1 ? ` ${i + 1}` : ''}`,
      href: `/api/v1${stepPath(run.name, s.id)}/report?sarif=${i}`,
    })),
  ]);
  return (
    <section aria-labelledby="art-title">
      <h2 id="art-title">Artifacts</h2>
      {rows.length === 0 ? (
        <p className="muted">No reports, SBOMs or SARIF files recorded.</p>
      ) : (
        <DataTable
          caption="Artifacts of the run"
          testId="artifacts"
          rows={rows}
          rowKey={(r) => r.href}
          columns={[
            { header: 'Step', cell: (r) => r.step },
            {
              header: 'File',
              cell: (r) => (
                <a href={r.href} target="_blank" rel="noreferrer">
                  {r.name}
                </a>
              ),
            },
          ]}
        />
      )}
    </section>
  );
}

/** The step shown when none is asked for: the first failed one, else the first running one, else the first. */
function pickStep(run: RunDetail): RunStep | undefined {
  return run.steps.find((s) => s.phase === 'Failed') ?? run.steps.find((s) => s.phase === 'Running') ?? run.steps[0];
}

export function PipelineRunView() {
  const params = useParams<{ name: string; step?: string }>();
  const name = decode(params.name);
  const [, navigate] = useLocation();
  useDocumentTitle(`Run ${name}`);
  const r = useApi<RunDetail>(runPath(name));
  const run = r.data;
  // live: changes of this run (steps starting and ending) and of the change requests it opens
  useCiEvents((e) => (e.kind === 'pipelinerun' ? e.run.name === name : e.changeRequest.pipelineRun === name), r.reload);
  const defaultStep = run && !params.step ? pickStep(run)?.id : undefined;
  // the default choice goes into the URL, so it stays selected when the run changes under it
  useEffect(() => {
    if (defaultStep) navigate(`/pipelines/${enc(name)}/${enc(defaultStep)}`, { replace: true });
  }, [defaultStep, name, navigate]);
  if (r.error) return <ErrorState error={r.error} retry={r.reload} what={`pipeline run ${name}`} />;
  if (!run) return <Loading what="pipeline run" />;
  const chosen = run.steps.find((s) => s.id === decode(params.step)) ?? pickStep(run);
  return (
    <section aria-labelledby="run-title">
      <nav className="crumbs" aria-label="Breadcrumb">
        <ol>
          <li>
            <Link href="/pipelines">Pipelines</Link>
          </li>
          <li aria-current="page">{name}</li>
        </ol>
      </nav>
      <h1 id="run-title">
        {name} <PhaseBadge phase={run.phase} />
      </h1>
      <dl className="facts">
        <div>
          <dt>Pipeline</dt>
          <dd>{run.pipeline}</dd>
        </div>
        {run.commit && (
          <div>
            <dt>Commit</dt>
            <dd>
              <code title={run.commit}>{run.commit.slice(0, 12)}</code>
              {run.branch ? ` on ${run.branch}` : ''}
            </dd>
          </div>
        )}
        <div>
          <dt>Started</dt>
          <dd>
            <Time iso={run.startTime} />
          </dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{duration(run.durationMs)}</dd>
        </div>
        {(run.changeRequests ?? []).length > 0 && (
          <div>
            <dt>Change requests</dt>
            <dd>
              {(run.changeRequests ?? []).map((c) => (
                <Link key={c} href={`/changes/${enc(c)}`} className="break">
                  {c}
                </Link>
              ))}
            </dd>
          </div>
        )}
        {run.logsArtifact && (
          <div>
            <dt>Logs artifact</dt>
            <dd className="small break">
              {run.logsArtifact.error ? (
                <span className="error-text">{run.logsArtifact.error}</span>
              ) : (
                `${run.logsArtifact.image}${run.logsArtifact.digest ? `@${run.logsArtifact.digest}` : ''}`
              )}
            </dd>
          </div>
        )}
      </dl>
      {run.message && <p className="note">{run.message}</p>}
      <h2>Steps</h2>
      {run.steps.length === 0 && <p className="muted">No step ran.</p>}
      {run.steps.length > 0 && (
        <Graph
          run={run}
          selected={chosen?.id ?? ''}
          onSelect={(id) => navigate(`/pipelines/${enc(name)}/${enc(id)}`, { replace: true })}
        />
      )}
      {chosen && <StepPanel run={name} step={chosen} />}
      <Artifacts run={run} />
    </section>
  );
}
