// Report writers: Trivy-compatible JSON, a text table, SARIF 2.1.0 and CycloneDX 1.5 with vulnerabilities.
import type { Finding } from '../db/scanner.ts';
import { SEVERITIES } from '../db/osv.ts';
import type { Inventory } from '../inventory/types.ts';
import { toCycloneDx, type SbomMeta } from '../sbom/cyclonedx.ts';

export interface ScanResult {
  artifactName: string;
  artifactType: 'filesystem' | 'repository' | 'container_image';
  inventory: Inventory;
  findings: Finding[];
}

const OS_TYPES = new Set(['deb', 'apk', 'rpm']);

/** Trivy's result Class and Type for a package: the OS, or the language file it was read from. */
function classAndType(p: Finding['pkg'], inv: Inventory): { cls: string; type: string } {
  if (OS_TYPES.has(p.type)) return { cls: 'os-pkgs', type: inv.distro?.id ?? p.type };
  const base = p.location.slice(p.location.lastIndexOf('/') + 1);
  const byFile: Record<string, string> = {
    'package-lock.json': 'npm',
    'yarn.lock': 'yarn',
    'pnpm-lock.yaml': 'pnpm',
    'Pipfile.lock': 'pipenv',
    'poetry.lock': 'poetry',
    'uv.lock': 'uv',
    'go.mod': 'gomod',
    'Cargo.lock': 'cargo',
    'Gemfile.lock': 'bundler',
    'composer.lock': 'composer',
    'pom.xml': 'pom',
  };
  const type =
    byFile[base] ??
    (p.type === 'npm'
      ? 'node-pkg'
      : p.type === 'pypi'
        ? /requirements[\w.-]*\.txt$/.test(base)
          ? 'pip'
          : 'python-pkg'
        : p.type === 'golang'
          ? 'gobinary'
          : p.type === 'maven'
            ? 'jar'
            : p.type);
  return { cls: 'lang-pkgs', type };
}

function targetOf(f: Finding, inv: Inventory): string {
  if (OS_TYPES.has(f.pkg.type)) return inv.distro ? `${inv.distro.id} ${inv.distro.versionId}`.trim() : f.pkg.location;
  return f.pkg.location;
}

function sortFindings(fs: Finding[]): Finding[] {
  return [...fs].sort(
    (a, b) =>
      (a.pkg.name < b.pkg.name ? -1 : a.pkg.name > b.pkg.name ? 1 : 0) ||
      SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

export function toTrivyJson(r: ScanResult, createdAt: string): Record<string, unknown> {
  const groups = new Map<string, { cls: string; type: string; vulns: Finding[] }>();
  for (const f of sortFindings(r.findings)) {
    const t = targetOf(f, r.inventory);
    let g = groups.get(t);
    if (!g) groups.set(t, (g = { ...classAndType(f.pkg, r.inventory), vulns: [] }));
    g.vulns.push(f);
  }
  return {
    SchemaVersion: 2,
    CreatedAt: createdAt,
    ArtifactName: r.artifactName,
    ArtifactType: r.artifactType,
    ...(r.inventory.distro
      ? { Metadata: { OS: { Family: r.inventory.distro.id, Name: r.inventory.distro.versionId } } }
      : {}),
    Results: [...groups].map(([target, g]) => ({
      Target: target,
      Class: g.cls,
      Type: g.type,
      Vulnerabilities: g.vulns.map((f) => ({
        VulnerabilityID: f.id,
        PkgName: f.pkg.name,
        PkgIdentifier: { PURL: f.pkg.purl },
        InstalledVersion: f.installed,
        ...(f.fixed !== undefined ? { FixedVersion: f.fixed } : {}),
        Status: f.status,
        ...(f.pkg.layer ? { Layer: { Digest: f.pkg.layer } } : {}),
        SeveritySource: 'osv',
        ...(f.primaryUrl ? { PrimaryURL: f.primaryUrl } : {}),
        Title: f.title,
        ...(f.description ? { Description: f.description } : {}),
        Severity: f.severity,
        References: f.references,
        ...(f.aliases.length ? { VendorIDs: f.aliases } : {}),
      })),
    })),
  };
}

export function toTable(r: ScanResult): string {
  const rows = sortFindings(r.findings).map((f) => [
    f.pkg.name,
    f.id,
    f.severity,
    f.status,
    f.installed,
    f.fixed ?? '',
    f.title,
  ]);
  const head = ['Library', 'Vulnerability', 'Severity', 'Status', 'Installed Version', 'Fixed Version', 'Title'];
  const counts = SEVERITIES.map((s) => `${s}: ${r.findings.filter((f) => f.severity === s).length}`).join(', ');
  let out = `${r.artifactName} (${r.inventory.packages.length} packages)\nTotal: ${r.findings.length} (${counts})\n`;
  if (rows.length === 0) return out;
  const all = [head, ...rows];
  const w = head.map((_, i) => Math.min(60, Math.max(...all.map((row) => row[i]!.length))));
  const line = (row: string[]): string =>
    row
      .map((c, i) => (c.length > w[i]! ? c.slice(0, w[i]! - 1) + '…' : c.padEnd(w[i]!)))
      .join(' │ ')
      .trimEnd();
  out += '\n' + line(head) + '\n' + w.map((n) => '─'.repeat(n)).join('─┼─') + '\n';
  for (const row of rows) out += line(row) + '\n';
  return out;
}

const SARIF_LEVEL: Record<string, string> = {
  CRITICAL: 'error',
  HIGH: 'error',
  MEDIUM: 'warning',
  LOW: 'note',
  UNKNOWN: 'note',
};
const SARIF_SCORE: Record<string, string> = { CRITICAL: '9.5', HIGH: '8.0', MEDIUM: '5.5', LOW: '2.0', UNKNOWN: '0.0' };

export function toSarif(r: ScanResult): Record<string, unknown> {
  const rules = new Map<string, Finding>();
  for (const f of r.findings) if (!rules.has(f.id)) rules.set(f.id, f);
  const ruleIds = [...rules.keys()].sort();
  return {
    version: '2.1.0',
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    runs: [
      {
        tool: {
          driver: {
            name: 'sekisho',
            informationUri: 'https://sekisho.dev',
            rules: ruleIds.map((id) => {
              const f = rules.get(id)!;
              return {
                id,
                name: 'OsPackageVulnerability',
                shortDescription: { text: f.title },
                ...(f.primaryUrl ? { helpUri: f.primaryUrl } : {}),
                properties: {
                  'security-severity': SARIF_SCORE[f.severity],
                  tags: ['vulnerability', 'security', f.severity],
                },
              };
            }),
          },
        },
        results: sortFindings(r.findings).map((f) => ({
          ruleId: f.id,
          ruleIndex: ruleIds.indexOf(f.id),
          level: SARIF_LEVEL[f.severity],
          message: {
            text: `Package: ${f.pkg.name}\nInstalled Version: ${f.installed}\nVulnerability ${f.id}\nSeverity: ${f.severity}\nFixed Version: ${f.fixed ?? ''}`,
          },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: f.pkg.location, uriBaseId: 'ROOTPATH' },
                region: { startLine: 1 },
              },
            },
          ],
        })),
      },
    ],
  };
}

export function toCycloneDxWithVulns(r: ScanResult, meta: SbomMeta): Record<string, unknown> {
  const bom = toCycloneDx(r.inventory, meta);
  bom.vulnerabilities = sortFindings(r.findings).map((f) => ({
    id: f.id,
    source: { name: 'osv' },
    ratings: [
      { severity: f.severity.toLowerCase() === 'unknown' ? 'unknown' : f.severity.toLowerCase(), method: 'other' },
    ],
    ...(f.description ? { description: f.description } : {}),
    ...(f.fixed !== undefined ? { recommendation: `Upgrade ${f.pkg.name} to ${f.fixed}` } : {}),
    affects: [{ ref: f.pkg.purl, versions: [{ version: f.installed, status: 'affected' }] }],
  }));
  return bom;
}
