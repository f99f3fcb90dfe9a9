// SPDX 2.3 JSON (https://spdx.github.io/spdx-spec/v2.3/): one package per inventory entry with a purl
// external reference, DESCRIBES from the document and CONTAINS from the scanned target.
import { createHash, randomUUID } from 'node:crypto';
import type { Inventory } from '../inventory/types.ts';
import type { SbomMeta } from './cyclonedx.ts';

function spdxId(s: string): string {
  return 'SPDXRef-' + s.replace(/[^A-Za-z0-9.-]/g, '-');
}

export function toSpdx(inv: Inventory, meta: SbomMeta): Record<string, unknown> {
  const root = spdxId('Target-' + meta.name);
  const packages: Record<string, unknown>[] = [
    {
      SPDXID: root,
      name: meta.name,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose: 'CONTAINER',
    },
  ];
  const relationships: Record<string, unknown>[] = [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: root },
  ];
  const seen = new Set<string>();
  for (const p of inv.packages) {
    const h = createHash('sha256').update(`${p.purl}\0${p.location}`).digest('hex').slice(0, 16);
    let id = spdxId(`Package-${p.type}-${p.name}-${h}`);
    for (let i = 2; seen.has(id); i++) id = `${id}-${i}`;
    seen.add(id);
    packages.push({
      SPDXID: id,
      name: p.name,
      versionInfo: p.version,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'NOASSERTION',
      copyrightText: 'NOASSERTION',
      primaryPackagePurpose: 'LIBRARY',
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: p.purl }],
      ...(p.layer || p.location ? { sourceInfo: `${p.layer ? `layer ${p.layer}, ` : ''}file ${p.location}` } : {}),
    });
    relationships.push({ spdxElementId: root, relationshipType: 'CONTAINS', relatedSpdxElement: id });
  }
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: meta.name,
    documentNamespace: `https://sekisho.dev/spdx/${encodeURIComponent(meta.name)}-${meta.serial ?? randomUUID()}`,
    creationInfo: { created: meta.timestamp, creators: [`Tool: sekisho-${meta.toolVersion ?? '0.1.0'}`] },
    packages,
    relationships,
  };
}
