// Public surface of the scan area: inventory (packages) → SBOM → advisory db → matcher → report.
export { ScanError, type ScanErrorCode, type ScanErrorLocation } from './errors.ts';
export * from './version/index.ts';
export { inventoryOf, isInterestingPath, purl, type Distro, type FileSet, type Inventory, type Package, type PackageType } from './inventory/index.ts';
export { collectDir } from './source/dir.ts';
export { collectImage, type ImageFiles } from './source/image.ts';
export { applyLayer, safeEntryPath, type LayerLimits } from './source/layers.ts';
