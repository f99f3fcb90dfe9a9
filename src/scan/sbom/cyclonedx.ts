// CycloneDX 1.5 JSON (https://cyclonedx.org/docs/1.5/json/): one component per package with its purl,
// the layer and file it came from as properties, the distro as an operating-system component.
import { randomUUID } from 'node:crypto';
import type { Inventory } from '../inventory/types.ts';

export interface SbomMeta {
  /** What was scanned (path or image reference). */
  name: string;
  /** ISO timestamp (passed in so output can be reproducible). */
  timestamp: string;
  toolVersion?: string;
  serial?: string;
}

export function toCycloneDx(inv: Inventory, meta: SbomMeta): Record<string, unknown> {
  const components: Record<string, unknown>[] = [];
  if (inv.distro)
    components.push({
      'bom-ref': `os:${inv.distro.id}@${inv.distro.versionId}`,
      type: 'operating-system',
      name: inv.distro.id,
      version: inv.distro.versionId,
    });
  const seen = new Set<string>();
  for (const p of inv.packages) {
    let ref = p.purl;
    for (let i = 2; seen.has(ref); i++) ref = `${p.purl}#${i}`;
    seen.add(ref);
    const props = [
      { name: 'sekisho:package:type', value: p.type },
      { name: 'sekisho:location', value: p.location },
      ...(p.layer ? [{ name: 'sekisho:layer:digest', value: p.layer }] : []),
      ...(p.source
        ? [
            { name: 'sekisho:source:name', value: p.source.name },
            { name: 'sekisho:source:version', value: p.source.version },
          ]
        : []),
    ];
    components.push({
      'bom-ref': ref,
      type: 'library',
      name: p.name,
      version: p.version,
      purl: p.purl,
      ...(p.licenses?.length ? { licenses: p.licenses.map((l) => ({ license: { name: l } })) } : {}),
      ...(p.dev ? { scope: 'optional' } : {}),
      properties: props,
    });
  }
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: `urn:uuid:${meta.serial ?? randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: meta.timestamp,
      tools: { components: [{ type: 'application', name: 'sekisho', version: meta.toolVersion ?? '0.1.0' }] },
      component: { 'bom-ref': 'root', type: 'container', name: meta.name },
    },
    components,
  };
}
