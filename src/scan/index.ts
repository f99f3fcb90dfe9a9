// Public surface of the scan area: inventory (packages) → SBOM → advisory db → matcher → report.
export { ScanError, type ScanErrorCode, type ScanErrorLocation } from './errors.ts';
export * from './version/index.ts';
export {
  inventoryOf,
  isInterestingPath,
  purl,
  type Distro,
  type FileSet,
  type Inventory,
  type Package,
  type PackageType,
} from './inventory/index.ts';
export { collectDir } from './source/dir.ts';
export { collectImage, type ImageFiles } from './source/image.ts';
export { applyLayer, type LayerLimits } from './source/layers.ts';
export { toCycloneDx, type SbomMeta } from './sbom/cyclonedx.ts';
export { inventoryFromSbom, parsePurl } from './source/sbom.ts';
export { parseOpenVex, applyVex, type VexStatement } from './report/vex.ts';
export { toSpdx } from './sbom/spdx.ts';
export { AdvisoryDb, DB_FILE, type ImportResult } from './db/advisory-db.ts';
export { matchAffected, type RangeMatch } from './db/match.ts';
export { matchPackages, type Finding } from './db/scanner.ts';
export { severityOf, SEVERITIES, type Severity, type OsvRecord } from './db/osv.ts';
export { cvss3BaseScore } from './db/cvss.ts';
export { zipEntries } from './zip.ts';
export { pushDb, pullDb, DB_ARTIFACT_TYPE } from './db/distribute.ts';
export {
  filterFindings,
  parseSeverities,
  parseTrivyIgnore,
  parseTrivyIgnoreYaml,
  type FilterOptions,
  type IgnoreEntry,
} from './report/filter.ts';
export { toTable, toTrivyJson, toSarif, toCycloneDxWithVulns, type ScanResult } from './report/formats.ts';
