// Presenting a PipelineRun: the final table, progress lines, GitHub Actions workflow commands
// (::error annotations) and the step-summary markdown. Pure functions; the CLI prints them.
import { formatMs } from './runner.ts';
import type { Annotation, PipelineRun, StepStatus } from './types.ts';

const SYMBOL: Record<StepStatus['phase'], string> = {
  Pending: '·',
  Running: '▶',
  Succeeded: '✓',
  Failed: '✗',
  Skipped: '○',
};

const COLOR: Record<StepStatus['phase'], string> = {
  Pending: '\x1b[2m',
  Running: '\x1b[36m',
  Succeeded: '\x1b[32m',
  Failed: '\x1b[31m',
  Skipped: '\x1b[2m',
};

export function progressLine(s: StepStatus, color: boolean, attempt?: number): string {
  const sym = SYMBOL[s.phase];
  const dur = s.durationMs !== undefined ? ` ${formatMs(s.durationMs)}` : '';
  const att = attempt !== undefined && attempt > 1 ? ` (attempt ${attempt})` : '';
  const msg = s.message && s.phase !== 'Running' ? `: ${s.message}` : '';
  const text = `${sym} ${s.id} ${s.phase.toLowerCase()}${att}${dur}${msg}`;
  return color ? `${COLOR[s.phase]}${text}\x1b[0m` : text;
}

function pad(s: string, n: number): string {
  return s + ' '.repeat(Math.max(0, n - [...s].length));
}

/** The closing table: step, uses, phase, duration, attempts, message. */
export function runTable(run: PipelineRun, opts: { color?: boolean; width?: number } = {}): string {
  const rows = run.status.steps.map((s) => [
    s.id,
    s.uses,
    s.phase,
    s.durationMs !== undefined ? formatMs(s.durationMs) : '-',
    String(s.attempts),
    s.message ?? '',
  ]);
  const head = ['STEP', 'USES', 'PHASE', 'DURATION', 'TRIES', 'MESSAGE'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => [...r[i]!].length)));
  const maxMsg = Math.max(20, (opts.width ?? 160) - widths.slice(0, 5).reduce((a, b) => a + b + 2, 0));
  const line = (r: string[], phase?: StepStatus['phase']) => {
    const cells = r.map((c, i) =>
      i === 5 ? (c.length > maxMsg ? c.slice(0, maxMsg - 1) + '…' : c) : pad(c, widths[i]!),
    );
    const text = cells.join('  ').trimEnd();
    return opts.color && phase ? `${COLOR[phase]}${text}\x1b[0m` : text;
  };
  const total =
    run.status.startTime && run.status.completionTime
      ? formatMs(Date.parse(run.status.completionTime) - Date.parse(run.status.startTime))
      : '-';
  return [
    line(head),
    ...rows.map((r, i) => line(r, run.status.steps[i]!.phase)),
    '',
    `run ${run.metadata.name}: ${run.status.phase.toLowerCase()} in ${total}${run.status.message ? ` (${run.status.message})` : ''}`,
    `logs and reports: ${run.status.runDir}`,
    '',
  ].join('\n');
}

const escData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escProp = (s: string) => escData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** GitHub Actions workflow commands for one annotation. */
export function githubAnnotation(a: Annotation, step: string): string {
  const props = [
    ...(a.file ? [`file=${escProp(a.file)}`] : []),
    ...(a.line ? [`line=${a.line}`] : []),
    ...(a.col ? [`col=${a.col}`] : []),
    `title=${escProp(`${step}${a.rule ? ` ${a.rule}` : ''}`)}`,
  ];
  return `::${a.level} ${props.join(',')}::${escData(a.message)}`;
}

/** Annotations of a run as workflow commands: each step's findings, and one ::error per failed step. */
export function githubCommands(run: PipelineRun): string[] {
  const out: string[] = [];
  for (const s of run.status.steps) {
    for (const a of s.annotations ?? []) out.push(githubAnnotation(a, s.id));
    if (s.phase === 'Failed')
      out.push(
        githubAnnotation(
          { level: s.continueOnError ? 'warning' : 'error', message: `step ${s.id} failed: ${s.message ?? ''}` },
          s.id,
        ),
      );
  }
  return out;
}

/** Markdown for $GITHUB_STEP_SUMMARY. */
export function stepSummary(run: PipelineRun): string {
  const icon = (p: StepStatus['phase']) =>
    p === 'Succeeded' ? '✅' : p === 'Failed' ? '❌' : p === 'Skipped' ? '⏭️' : '⏳';
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [
    `### Sekisho pipeline \`${run.spec.pipelineRef.name}\`: ${run.status.phase}`,
    '',
    '| step | uses | phase | duration | details |',
    '| --- | --- | --- | --- | --- |',
    ...run.status.steps.map(
      (s) =>
        `| ${cell(s.id)} | ${s.uses} | ${icon(s.phase)} ${s.phase} | ${s.durationMs !== undefined ? formatMs(s.durationMs) : '-'} | ${cell(s.message ?? '')} |`,
    ),
    '',
    `Run \`${run.metadata.name}\``,
    '',
  ];
  return lines.join('\n');
}
