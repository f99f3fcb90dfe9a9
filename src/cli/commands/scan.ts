// `sekisho scan fs|rootfs|repo|image|sbom TARGET` (Trivy's shape), `sekisho sbom fs|rootfs|repo|image TARGET`
// (SBOM generation) and `sekisho db import|push|pull` (the offline advisory database; `scan db import` is
// kept as an alias).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { manifestDescriptor, pushArtifact, type ImageStore } from '../../oci/index.ts';
import {
  AdvisoryDb,
  ScanError,
  applyVex,
  collectDir,
  collectImage,
  filterFindings,
  inventoryFromSbom,
  inventoryOf,
  matchPackages,
  parseOpenVex,
  parseSeverities,
  parseTrivyIgnore,
  parseTrivyIgnoreYaml,
  pullDb,
  pushDb,
  toCycloneDx,
  toCycloneDxWithVulns,
  toSarif,
  toSpdx,
  toTable,
  toTrivyJson,
  type Inventory,
  type ScanResult,
} from '../../scan/index.ts';
import { openImage } from '../image-target.ts';
import type { Signer } from '../../sign/index.ts';
import { reportError } from '../report-error.ts';

type Kind = 'fs' | 'rootfs' | 'repo' | 'image' | 'sbom';

interface ScanOpts {
  format: string;
  output?: string;
  severity?: string;
  ignoreUnfixed?: boolean;
  ignorefile?: string;
  vex?: string[];
  exitCode: string;
  db?: string;
  insecure?: boolean;
  attach?: boolean;
  attest?: boolean;
  key?: string;
  newBundleFormat?: boolean;
}

const FORMATS = ['table', 'json', 'cyclonedx', 'spdx', 'sarif'];

/** The artifactType a report is attached to its image with. */
const ARTIFACT_TYPES: Record<string, string> = {
  cyclonedx: 'application/vnd.cyclonedx+json',
  spdx: 'application/spdx+json',
  json: 'application/vnd.sekisho.scan-report.v1+json',
  sarif: 'application/sarif+json',
};

function defaultDbDir(): string {
  return process.env.SEKISHO_DB || join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sekisho', 'db');
}

function collect(list: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), list];
}

/** The inventory of a target, and for images the store and reference it came from. */
async function inventoryOfTarget(
  kind: Kind,
  target: string,
  insecure: boolean,
): Promise<{ inventory: Inventory; image?: { store: ImageStore; ref: string } }> {
  if (kind === 'sbom') {
    if (!existsSync(target)) throw new ScanError('TARGET_NOT_FOUND', `${target}: no such SBOM file`);
    return { inventory: inventoryFromSbom(readFileSync(target, 'utf8'), target) };
  }
  if (kind === 'image') {
    const image = await openImage(target, insecure);
    return { inventory: inventoryOf(await collectImage(image.store, image.ref)), image };
  }
  return { inventory: inventoryOf(await collectDir(target)) };
}

/** The ignore entries: the file given, or `.trivyignore` / `.trivyignore.yaml` when present. */
function loadIgnores(file: string | undefined): ReturnType<typeof parseTrivyIgnore> {
  const path = file ?? ['.trivyignore', '.trivyignore.yaml', '.trivyignore.yml'].find((f) => existsSync(f));
  if (path === undefined) return [];
  if (!existsSync(path)) throw new ScanError('TARGET_NOT_FOUND', `${path}: no such ignore file`);
  const text = readFileSync(path, 'utf8');
  return /\.ya?ml$/.test(path) ? parseTrivyIgnoreYaml(text, path) : parseTrivyIgnore(text, path);
}

async function attach(image: { store: ImageStore; ref: string }, format: string, text: string): Promise<string> {
  const artifactType = ARTIFACT_TYPES[format];
  if (!artifactType)
    throw new ScanError('FORMAT_UNKNOWN', `--attach needs -f ${Object.keys(ARTIFACT_TYPES).join('|')}`);
  const subject = await manifestDescriptor(image.store, image.ref);
  const desc = await pushArtifact(image.store, {
    artifactType,
    blobs: [{ bytes: Buffer.from(text), mediaType: artifactType }],
    subject,
    annotations: { 'org.opencontainers.image.created': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') },
  });
  return desc.digest;
}

async function run(kind: Kind, target: string, o: ScanOpts): Promise<void> {
  if (!FORMATS.includes(o.format))
    throw new ScanError('FORMAT_UNKNOWN', `unknown format ${JSON.stringify(o.format)} (want ${FORMATS.join(', ')})`);
  const exitCode = Number(o.exitCode);
  if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255)
    throw new ScanError('FORMAT_UNKNOWN', `--exit-code must be 0..255, got ${o.exitCode}`);
  if (o.attach && kind !== 'image') throw new ScanError('FORMAT_UNKNOWN', '--attach needs an image target');
  const startedOn = new Date();
  // --attest: signed attestations need the key (and its password) before the scan starts
  let attest:
    { sign: typeof import('./sign.ts'); lib: typeof import('../../sign/index.ts'); signer: Signer } | undefined;
  if (o.attest) {
    if (kind !== 'image') throw new ScanError('FORMAT_UNKNOWN', '--attest needs an image target');
    if (/^(oci|docker-archive):/.test(target))
      throw new ScanError('FORMAT_UNKNOWN', '--attest attaches to an image in a registry, not to a local layout');
    if (!o.key) throw new ScanError('FORMAT_UNKNOWN', '--attest signs the attestations: give --key');
    const sign = await import('./sign.ts');
    attest = { sign, lib: await import('../../sign/index.ts'), signer: await sign.loadSigner(o.key) };
  }
  const severities = o.severity ? parseSeverities(o.severity) : undefined;
  const vex = (o.vex ?? []).flatMap((f) => {
    if (!existsSync(f)) throw new ScanError('TARGET_NOT_FOUND', `${f}: no such VEX file`);
    return parseOpenVex(readFileSync(f, 'utf8'), f);
  });
  const { inventory, image } = await inventoryOfTarget(kind, target, o.insecure === true);
  const timestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const meta = { name: target, timestamp };
  const sbomOnly = o.format === 'spdx' || (o.format === 'cyclonedx' && o.db === undefined);
  let text: string;
  let findingsCount = 0;
  let report: unknown;
  let dbVersion = '';
  if (sbomOnly) {
    text = JSON.stringify(o.format === 'spdx' ? toSpdx(inventory, meta) : toCycloneDx(inventory, meta), null, 2) + '\n';
  } else {
    const db = AdvisoryDb.open(o.db ?? defaultDbDir(), { readonly: true });
    let findings;
    try {
      dbVersion = `${db.count()} advisories`;
      findings = matchPackages(db, inventory.packages);
    } finally {
      db.close();
    }
    findings = filterFindings(applyVex(findings, vex), {
      ...(severities ? { severities } : {}),
      ignoreUnfixed: o.ignoreUnfixed === true,
      ignores: loadIgnores(o.ignorefile),
      today: timestamp.slice(0, 10),
    });
    findingsCount = findings.length;
    const result: ScanResult = {
      artifactName: target,
      artifactType: kind === 'image' ? 'container_image' : kind === 'repo' ? 'repository' : 'filesystem',
      inventory,
      findings,
    };
    if (attest) report = toTrivyJson(result, timestamp);
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
  if (o.attach && image)
    process.stderr.write(`attached ${o.format} report to ${target} as ${await attach(image, o.format, text)}\n`);
  if (attest) {
    const finishedOn = new Date();
    const { t } = attest.sign.target(target.replace(/^docker:\/\//, ''), o.insecure);
    const { CYCLONEDX_PREDICATE_TYPE, SPDX_PREDICATE_TYPE, VULN_PREDICATE_TYPE, vulnPredicate } = attest.lib;
    const predicates: [string, unknown][] = [
      [CYCLONEDX_PREDICATE_TYPE, toCycloneDx(inventory, meta)],
      [SPDX_PREDICATE_TYPE, toSpdx(inventory, meta)],
    ];
    if (report !== undefined)
      predicates.push([
        VULN_PREDICATE_TYPE,
        vulnPredicate({
          scanner: { uri: 'https://sekisho.dev/scan', version: process.env.npm_package_version ?? '0.1.0' },
          db: { uri: 'osv', version: dbVersion },
          result: report,
          startedOn,
          finishedOn,
        }),
      ]);
    for (const [type, predicate] of predicates) {
      const where = await attest.sign.attachPredicate(t, attest.signer, type, predicate, o.newBundleFormat === true);
      process.stderr.write(`attested ${type} to ${where}\n`);
    }
  }
  if (findingsCount > 0 && exitCode !== 0) process.exitCode = exitCode;
}

const action =
  (kind: Kind) =>
  async (target: string, o: ScanOpts): Promise<void> => {
    try {
      await run(kind, target, o);
    } catch (err) {
      process.exitCode = reportError(err);
    }
  };

function scanCommand(scan: Command, kind: Kind, desc: string): void {
  const cmd = scan
    .command(`${kind} <target>`)
    .description(desc)
    .option('-f, --format <format>', `output format: ${FORMATS.join(', ')}`, 'table')
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('-s, --severity <list>', 'severities to report, comma-separated (UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL)')
    .option('--ignore-unfixed', 'report only vulnerabilities with a fixed version')
    .option(
      '--ignorefile <file>',
      "ignore file: ids with `exp:YYYY-MM-DD`, or Trivy's YAML form (default .trivyignore or .trivyignore.yaml)",
    )
    .option('--vex <file>', 'OpenVEX document; not_affected/fixed statements remove findings (repeatable)', collect)
    .option('--exit-code <n>', 'exit status when vulnerabilities are reported', '0')
    .option('--db <dir>', 'advisory database folder (default $SEKISHO_DB or ~/.cache/sekisho/db)');
  if (kind === 'image')
    cmd
      .option('--insecure', 'talk plain HTTP to the registry')
      .option('--attach', 'attach the report to the image as an OCI referrer (json, sarif, cyclonedx, spdx)')
      .option(
        '--attest',
        'attach signed attestations: CycloneDX and SPDX SBOMs, and the vulnerability report (cosign vuln predicate) unless -f cyclonedx/spdx',
      )
      .option('--key <file>', 'private key for --attest (cosign.key, PKCS#8; password from COSIGN_PASSWORD)')
      .option('--new-bundle-format', 'with --attest: Sigstore bundle referrers instead of the .att tag');
  cmd.action(action(kind));
}

function sbomCommand(sbom: Command, kind: Exclude<Kind, 'sbom'>, desc: string): void {
  const cmd = sbom
    .command(`${kind} <target>`)
    .description(desc)
    .option('-f, --format <format>', 'cyclonedx or spdx', 'cyclonedx')
    .option('-o, --output <file>', 'write the SBOM to a file instead of stdout');
  if (kind === 'image')
    cmd
      .option('--insecure', 'talk plain HTTP to the registry')
      .option('--attach', 'attach the SBOM to the image as an OCI referrer');
  cmd.action(async (target: string, o: { format: string; output?: string; insecure?: boolean; attach?: boolean }) => {
    if (o.format !== 'cyclonedx' && o.format !== 'spdx') {
      process.exitCode = reportError(
        new ScanError('FORMAT_UNKNOWN', `unknown SBOM format ${JSON.stringify(o.format)} (want cyclonedx or spdx)`),
      );
      return;
    }
    await action(kind)(target, { ...o, exitCode: '0' });
  });
}

function dbImport(dbCmd: Command): void {
  dbCmd
    .command('import <paths...>')
    .description('import OSV records (JSON files, directories of them, or zip archives)')
    .option('--db <dir>', 'advisory database folder (default $SEKISHO_DB or ~/.cache/sekisho/db)')
    .action((paths: string[], o: { db?: string }) => {
      try {
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
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}

export function register(program: Command): void {
  const scan = program
    .command('scan')
    .description('package inventory, SBOMs and vulnerability scan (Trivy-compatible)');
  scanCommand(scan, 'fs', 'scan a directory (lockfiles, installed packages, package databases)');
  scanCommand(scan, 'rootfs', 'scan an unpacked root filesystem');
  scanCommand(scan, 'repo', 'scan a repository checkout');
  scanCommand(scan, 'image', 'scan an image: oci:DIR[:TAG|@DIGEST], docker-archive:FILE or a registry reference');
  scanCommand(scan, 'sbom', 'scan the packages of a CycloneDX or SPDX JSON SBOM');
  dbImport(scan.command('db').description('the offline advisory database (also `sekisho db`)'));

  const sbom = program.command('sbom').description('software bill of materials (CycloneDX 1.5 or SPDX 2.3 JSON)');
  sbomCommand(sbom, 'fs', 'SBOM of a directory');
  sbomCommand(sbom, 'rootfs', 'SBOM of an unpacked root filesystem');
  sbomCommand(sbom, 'repo', 'SBOM of a repository checkout');
  sbomCommand(sbom, 'image', 'SBOM of an image: oci:DIR[:TAG|@DIGEST], docker-archive:FILE or a registry reference');

  const db = program
    .command('db')
    .description('the offline advisory database: import OSV data, publish and fetch it as an OCI artifact');
  dbImport(db);
  db.command('push <reference>')
    .description('publish the database as an OCI artifact (registry reference or oci:DIR:TAG)')
    .option('--db <dir>', 'advisory database folder (default $SEKISHO_DB or ~/.cache/sekisho/db)')
    .option('--insecure', 'talk plain HTTP to the registry')
    .action(async (reference: string, o: { db?: string; insecure?: boolean }) => {
      try {
        const { store, ref } = await openImage(reference, o.insecure === true, { create: true });
        const tag = ref.startsWith('sha256:') ? 'latest' : ref;
        const r = await pushDb(o.db ?? defaultDbDir(), store, tag, new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'));
        process.stdout.write(
          `pushed ${r.advisories} advisories (${r.bytes} bytes) to ${store.name}:${tag} as ${r.digest}\n`,
        );
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
  db.command('pull <reference>')
    .description('fetch the database from an OCI artifact and replace the local one atomically')
    .option('--db <dir>', 'advisory database folder (default $SEKISHO_DB or ~/.cache/sekisho/db)')
    .option('--insecure', 'talk plain HTTP to the registry')
    .action(async (reference: string, o: { db?: string; insecure?: boolean }) => {
      try {
        const { store, ref } = await openImage(reference, o.insecure === true);
        const r = await pullDb(store, ref, o.db ?? defaultDbDir());
        process.stdout.write(`pulled ${r.advisories} advisories from ${store.name} (${r.digest})\n`);
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}
