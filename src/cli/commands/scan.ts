// `sekisho scan fs|rootfs|repo|image TARGET` (Trivy's shape) and `sekisho scan db import`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { openImage } from '../image-target.ts';
import {
  AdvisoryDb,
  ScanError,
  collectDir,
  collectImage,
  filterFindings,
  inventoryOf,
  matchPackages,
  parseSeverities,
  parseTrivyIgnore,
  toCycloneDx,
  toCycloneDxWithVulns,
  toSarif,
  toSpdx,
  toTable,
  toTrivyJson,
  type FileSet,
  type ScanResult,
} from '../../scan/index.ts';

interface ScanOpts {
  format: string;
  output?: string;
  severity?: string;
  ignoreUnfixed?: boolean;
  ignorefile: string;
  exitCode: string;
  db?: string;
  insecure?: boolean;
}

const FORMATS = ['table', 'json', 'cyclonedx', 'spdx', 'sarif'];

function defaultDbDir(): string {
  return process.env.SEKISHO_DB || join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sekisho', 'db');
}

async function run(kind: 'fs' | 'rootfs' | 'repo' | 'image', target: string, o: ScanOpts): Promise<void> {
  if (!FORMATS.includes(o.format))
    throw new ScanError('FORMAT_UNKNOWN', `unknown format ${JSON.stringify(o.format)} (want ${FORMATS.join(', ')})`);
  const exitCode = Number(o.exitCode);
  if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255)
    throw new ScanError('FORMAT_UNKNOWN', `--exit-code must be 0..255, got ${o.exitCode}`);
  const severities = o.severity ? parseSeverities(o.severity) : undefined;
  let files: FileSet;
  if (kind === 'image') {
    const { store, ref } = await openImage(target, o.insecure === true);
    files = await collectImage(store, ref);
  } else files = await collectDir(target);
  const inventory = inventoryOf(files);
  const now = new Date();
  const timestamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const meta = { name: target, timestamp };
  const sbomOnly = o.format === 'spdx' || (o.format === 'cyclonedx' && o.db === undefined);
  let text: string;
  let findingsCount = 0;
  if (sbomOnly) {
    text = JSON.stringify(o.format === 'spdx' ? toSpdx(inventory, meta) : toCycloneDx(inventory, meta), null, 2) + '\n';
  } else {
    const db = AdvisoryDb.open(o.db ?? defaultDbDir(), { readonly: true });
    let findings;
    try {
      findings = matchPackages(db, inventory.packages);
    } finally {
      db.close();
    }
    const ignores = existsSync(o.ignorefile) ? parseTrivyIgnore(readFileSync(o.ignorefile, 'utf8'), o.ignorefile) : [];
    findings = filterFindings(findings, {
      ...(severities ? { severities } : {}),
      ignoreUnfixed: o.ignoreUnfixed === true,
      ignores,
      today: timestamp.slice(0, 10),
    });
    findingsCount = findings.length;
    const result: ScanResult = {
      artifactName: target,
      artifactType: kind === 'image' ? 'container_image' : kind === 'repo' ? 'repository' : 'filesystem',
      inventory,
      findings,
    };
    text =
      o.format === 'table'
        ? toTable(result)
        : JSON.stringify(
            o.format === 'json'
              ? toTrivyJson(result, timestamp)
              : o.format === 'sarif'
                ? toSarif(result)
                : toCycloneDxWithVulns(result, meta),
            null,
            2,
          ) + '\n';
  }
  if (o.output) writeFileSync(o.output, text);
  else process.stdout.write(text);
  if (findingsCount > 0 && exitCode !== 0) process.exitCode = exitCode;
}

function targetCommand(scan: Command, kind: 'fs' | 'rootfs' | 'repo' | 'image', desc: string): void {
  const cmd = scan
    .command(`${kind} <target>`)
    .description(desc)
    .option('-f, --format <format>', `output format: ${FORMATS.join(', ')}`, 'table')
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('-s, --severity <list>', 'severities to report, comma-separated (UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL)')
    .option('--ignore-unfixed', 'report only vulnerabilities with a fixed version')
    .option('--ignorefile <file>', 'ignore file (ids, `exp:YYYY-MM-DD`)', '.trivyignore')
    .option('--exit-code <n>', 'exit status when vulnerabilities are reported', '0')
    .option('--db <dir>', 'advisory database folder (default $SEKISHO_DB or ~/.cache/sekisho/db)');
  if (kind === 'image') cmd.option('--insecure', 'talk plain HTTP to the registry');
  cmd.action((target: string, o: ScanOpts) => run(kind, target, o));
}

export function register(program: Command): void {
  const scan = program
    .command('scan')
    .description('package inventory, SBOMs and vulnerability scan (Trivy-compatible)');
  targetCommand(scan, 'fs', 'scan a directory (lockfiles, installed packages, package databases)');
  targetCommand(scan, 'rootfs', 'scan an unpacked root filesystem');
  targetCommand(scan, 'repo', 'scan a repository checkout');
  targetCommand(scan, 'image', 'scan an image: oci:DIR[:TAG|@DIGEST], docker-archive:FILE or a registry reference');
  const db = scan.command('db').description('the offline advisory database');
  db.command('import <paths...>')
    .description('import OSV records (JSON files, directories of them, or zip archives)')
    .option('--db <dir>', 'advisory database folder (default $SEKISHO_DB or ~/.cache/sekisho/db)')
    .action((paths: string[], o: { db?: string }) => {
      const d = AdvisoryDb.open(o.db ?? defaultDbDir(), { create: true });
      try {
        let records = 0;
        let files = 0;
        for (const p of paths) {
          const r = d.importPath(p);
          records += r.records;
          files += r.files;
        }
        process.stdout.write(
          `imported ${records} advisories from ${files} files into ${d.path} (${d.count()} in total)\n`,
        );
      } finally {
        d.close();
      }
    });
}
