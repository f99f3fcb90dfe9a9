// Check steps: `lint` (Dockerfile rules), `scan` (vulnerabilities), `sbom` and `policy-test` (Conftest
// semantics). Each writes its report (and SARIF where the tool has it) next to the step log and fails the
// step with a summary when the check fails.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import {
  atOrAbove,
  defaultConfig,
  formatFindings,
  lintDockerfile,
  parseHadolintConfig,
  parseSeverity,
  type Finding as LintFinding,
} from '../../lint/index.ts';
import { render as renderPolicy, runTest, type CheckResult } from '../../policy/index.ts';
import {
  AdvisoryDb,
  collectDir,
  collectImage,
  filterFindings,
  inventoryOf,
  matchPackages,
  parseSeverities,
  parseTrivyIgnore,
  toCycloneDx,
  toSarif,
  toSpdx,
  toTable,
  toTrivyJson,
  type FileSet,
  type ScanResult,
} from '../../scan/index.ts';
import { PipelineError } from '../errors.ts';
import type { Annotation, StepContext, StepResult } from '../types.ts';
import { openImage } from './image.ts';
import { Inputs } from './inputs.ts';

const rel = (ctx: StepContext, p: string) => {
  const r = relative(ctx.workspace, p);
  return r.startsWith('..') ? p : r;
};

/** `lint`: hadolint rules over Dockerfiles. Inputs: dockerfile (or dockerfiles), config, ignore, failure-threshold. */
export async function lintStep(ctx: StepContext): Promise<StepResult> {
  const i = new Inputs(ctx);
  const files = i.has('dockerfiles') ? i.list('dockerfiles') : [i.str('dockerfile', 'Dockerfile')];
  const configPath =
    i.optPath('config') ??
    ['.hadolint.yaml', '.hadolint.yml'].map((f) => i.path('__none__', f)).find((f) => existsSync(f));
  const config = configPath ? parseHadolintConfig(readFileSync(configPath, 'utf8'), configPath) : defaultConfig();
  config.ignored.push(...i.list('ignore'));
  config.trustedRegistries.push(...i.list('trusted-registries'));
  if (i.has('failure-threshold'))
    config.failureThreshold = parseSeverity(i.str('failure-threshold'), 'failure-threshold');
  const findings: LintFinding[] = [];
  const names: string[] = [];
  for (const f of files) {
    const abs = i.path('__none__', f);
    let text: string;
    try {
      text = readFileSync(abs, 'utf8');
    } catch (e) {
      throw new PipelineError('pipeline_io_error', `lint: read ${f}: ${(e as Error).message}`, { cause: e });
    }
    const name = rel(ctx, abs);
    names.push(name);
    findings.push(...lintDockerfile(text, name, config));
  }
  const report = ctx.artifact('report.json');
  writeFileSync(report, formatFindings(findings, 'json', names));
  const sarif = ctx.artifact('sarif');
  writeFileSync(sarif, formatFindings(findings, 'sarif', names));
  ctx.log(formatFindings(findings, 'tty', names) || `no findings in ${names.join(', ')}`);
  const failing = findings.filter((x) => atOrAbove(x.level, config.failureThreshold));
  const summary = `${findings.length} finding${findings.length === 1 ? '' : 's'} in ${names.join(', ')}${failing.length ? `, ${failing.length} at or above ${config.failureThreshold}` : ''}`;
  const annotations: Annotation[] = findings.map((f) => ({
    level: f.level === 'error' ? 'error' : f.level === 'warning' ? 'warning' : 'notice',
    file: f.file,
    line: f.line,
    col: f.column,
    rule: f.code,
    message: `${f.code}: ${f.message}`,
  }));
  return {
    report,
    sarif: [sarif],
    summary,
    annotations,
    outputs: { findings: String(findings.length), failing: String(failing.length) },
    ...(failing.length > 0
      ? {
          failure: `lint: ${failing.length} finding(s) at or above ${config.failureThreshold}: ${failing
            .slice(0, 3)
            .map((f) => `${f.file}:${f.line} ${f.code}`)
            .join(', ')}${failing.length > 3 ? ', ...' : ''}`,
        }
      : {}),
  };
}

async function collect(
  ctx: StepContext,
  i: Inputs,
): Promise<{ files: FileSet; name: string; type: ScanResult['artifactType'] }> {
  if (i.has('image')) {
    const img = await openImage(
      i.str('image'),
      ctx.services,
      ctx.workspace,
      i.has('insecure') ? { insecure: i.bool('insecure', false) } : {},
    );
    return { files: await collectImage(img.store, img.ref), name: img.display, type: 'container_image' };
  }
  const p = i.path('path', '.');
  return { files: await collectDir(p), name: rel(ctx, p) || '.', type: 'filesystem' };
}

/**
 * `scan`: vulnerabilities of an image (`image:`) or a directory (`path:`) against the offline advisory db.
 * Inputs: db, severity (reported), fail-on (severities that fail the step, default HIGH,CRITICAL; "none"),
 * ignore-unfixed, ignorefile.
 */
export async function scanStep(ctx: StepContext): Promise<StepResult> {
  const i = new Inputs(ctx);
  const dbDir = i.optPath('db') ?? ctx.services.scanDb;
  if (!dbDir)
    throw new PipelineError(
      'pipeline_invalid',
      `step ${ctx.step.id}: no advisory database (input db, or the runner's default)`,
    );
  const failOnText = i.str('fail-on', 'HIGH,CRITICAL');
  const failOn = failOnText.toLowerCase() === 'none' ? [] : parseSeverities(failOnText);
  const severities = i.has('severity') ? parseSeverities(i.str('severity')) : undefined;
  const { files, name, type } = await collect(ctx, i);
  const inventory = inventoryOf(files);
  if (!existsSync(dbDir))
    throw new PipelineError(
      'pipeline_io_error',
      `scan: advisory database ${dbDir} does not exist (sekisho scan db import)`,
    );
  const db = AdvisoryDb.open(dbDir, { readonly: true });
  let findings;
  try {
    findings = matchPackages(db, inventory.packages);
  } finally {
    db.close();
  }
  const timestamp = ctx.services
    .now()
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z');
  const ignorefile = i.path('ignorefile', '.trivyignore');
  findings = filterFindings(findings, {
    ...(severities ? { severities } : {}),
    ignoreUnfixed: i.bool('ignore-unfixed', false),
    ignores: existsSync(ignorefile) ? parseTrivyIgnore(readFileSync(ignorefile, 'utf8'), ignorefile) : [],
    today: timestamp.slice(0, 10),
  });
  const result: ScanResult = { artifactName: name, artifactType: type, inventory, findings };
  const report = ctx.artifact('report.json');
  writeFileSync(report, JSON.stringify(toTrivyJson(result, timestamp), null, 2) + '\n');
  const sarif = ctx.artifact('sarif');
  writeFileSync(sarif, JSON.stringify(toSarif(result), null, 2) + '\n');
  ctx.log(toTable(result));
  const bySev = new Map<string, number>();
  for (const f of findings) bySev.set(f.severity, (bySev.get(f.severity) ?? 0) + 1);
  const counts = [...bySev].map(([s, n]) => `${s}: ${n}`).join(', ');
  const failing = findings.filter((f) => failOn.includes(f.severity));
  const summary = `${inventory.packages.length} packages, ${findings.length} vulnerabilit${findings.length === 1 ? 'y' : 'ies'}${counts ? ` (${counts})` : ''}`;
  return {
    report,
    sarif: [sarif],
    summary,
    annotations: failing.slice(0, 50).map((f) => ({
      level: 'error' as const,
      message: `${f.id} (${f.severity}) in ${f.pkg.name} ${f.installed}${f.fixed ? `, fixed in ${f.fixed}` : ''}: ${f.title}`,
      rule: f.id,
    })),
    outputs: {
      vulnerabilities: String(findings.length),
      failing: String(failing.length),
      packages: String(inventory.packages.length),
    },
    ...(failing.length > 0
      ? {
          failure: `scan: ${failing.length} vulnerabilit${failing.length === 1 ? 'y' : 'ies'} at ${failOn.join('/')}: ${[...new Set(failing.map((f) => f.id))].slice(0, 5).join(', ')}`,
        }
      : {}),
  };
}

/** `sbom`: CycloneDX (default) or SPDX JSON of an image or directory; output: path of the SBOM. */
export async function sbomStep(ctx: StepContext): Promise<StepResult> {
  const i = new Inputs(ctx);
  const format = i.str('format', 'cyclonedx');
  if (format !== 'cyclonedx' && format !== 'spdx')
    throw new PipelineError('pipeline_invalid', `sbom: format must be cyclonedx or spdx, not ${format}`);
  const { files, name } = await collect(ctx, i);
  const inventory = inventoryOf(files);
  const meta = {
    name,
    timestamp: ctx.services
      .now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z'),
  };
  const doc = format === 'spdx' ? toSpdx(inventory, meta) : toCycloneDx(inventory, meta);
  const out = i.optPath('output') ?? ctx.artifact(`${format}.json`);
  writeFileSync(out, JSON.stringify(doc, null, 2) + '\n');
  ctx.log(`${format} SBOM of ${name}: ${inventory.packages.length} packages -> ${out}`);
  return {
    report: out,
    summary: `${inventory.packages.length} packages`,
    outputs: { path: out, format, packages: String(inventory.packages.length) },
  };
}

/**
 * `policy-test`: Conftest semantics. Inputs: files (list), policy (dirs, default policy), namespace(s),
 * all-namespaces, combine, data, parser. Fails on any failure (deny/violation).
 */
export async function policyTestStep(ctx: StepContext): Promise<StepResult> {
  const i = new Inputs(ctx);
  const files = i.list('files').map((f) => i.path('__none__', f));
  if (files.length === 0) throw new PipelineError('pipeline_invalid', `step ${ctx.step.id}: input files is required`);
  const policies = (i.has('policy') ? i.list('policy') : ['policy']).map((p) => i.path('__none__', p));
  const namespaces = i.has('namespace') ? i.list('namespace') : ['main'];
  const run = await runTest(files, {
    policyPaths: policies,
    dataPaths: i.list('data').map((p) => i.path('__none__', p)),
    namespaces,
    allNamespaces: i.bool('all-namespaces', false),
    combine: i.bool('combine', false),
    ...(i.has('parser') ? { parser: i.str('parser') } : {}),
  });
  return policyResult(
    ctx,
    run.results,
    run.errors.map((e) => e.message),
  );
}

const lineOf = (l: string | number | undefined) => (l !== undefined && Number(l) > 0 ? { line: Number(l) } : {});

export function policyResult(ctx: StepContext, results: CheckResult[], errors: string[]): StepResult {
  const report = ctx.artifact('report.json');
  writeFileSync(report, renderPolicy('json', results));
  const sarif = ctx.artifact('sarif');
  writeFileSync(sarif, renderPolicy('sarif', results));
  ctx.log(renderPolicy('stdout', results, { noColor: true }));
  for (const e of errors) ctx.log(`error: ${e}`);
  const annotations: Annotation[] = [];
  let failures = 0;
  let warnings = 0;
  for (const r of results) {
    for (const f of r.failures ?? []) {
      failures++;
      annotations.push({ level: 'error', file: rel(ctx, r.filename), ...lineOf(f.loc?.line), message: f.msg });
    }
    for (const w of r.warnings ?? []) {
      warnings++;
      annotations.push({ level: 'warning', file: rel(ctx, r.filename), ...lineOf(w.loc?.line), message: w.msg });
    }
  }
  const summary = `${results.length} file check(s), ${failures} failure(s), ${warnings} warning(s)`;
  return {
    report,
    sarif: [sarif],
    summary,
    annotations,
    outputs: { failures: String(failures), warnings: String(warnings) },
    ...(failures > 0 || errors.length > 0
      ? {
          failure: `policy: ${failures} failure(s)${errors.length ? `, ${errors.length} unreadable file(s)` : ''}: ${annotations
            .filter((a) => a.level === 'error')
            .slice(0, 3)
            .map((a) => `${a.file}${a.line ? `:${a.line}` : ''} ${a.message}`)
            .join('; ')}`,
        }
      : {}),
  };
}
