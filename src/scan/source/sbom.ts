// SBOMs as scan input: the packages of a CycloneDX (1.4+) or SPDX 2.x JSON document, rebuilt from their
// package URLs, so `scan sbom` matches them against the advisory database like any other target. The
// distro comes from an operating-system component or from the purls' `distro` qualifier; a deb's source
// package from Sekisho's or Trivy's properties or the purl's `upstream` qualifier.
import { ScanError } from '../errors.ts';
import { isObj, parseJson, type Obj } from '../inventory/parse-json.ts';
import type { Distro, Inventory, Package, PackageType } from '../inventory/types.ts';

interface ParsedPurl {
  type: string;
  namespace?: string;
  name: string;
  version: string;
  qualifiers: Record<string, string>;
}

export function parsePurl(s: string): ParsedPurl | undefined {
  const m = /^pkg:([a-zA-Z][a-zA-Z0-9.+-]*)\/([^@?#]+)@([^?#]+)(?:\?([^#]*))?(?:#.*)?$/.exec(s.trim());
  if (!m) return undefined;
  const parts = m[2]!.split('/').map(decodeURIComponent);
  const name = parts.pop()!;
  const qualifiers: Record<string, string> = {};
  for (const kv of (m[4] ?? '').split('&')) {
    const i = kv.indexOf('=');
    if (i > 0) qualifiers[kv.slice(0, i).toLowerCase()] = decodeURIComponent(kv.slice(i + 1));
  }
  return {
    type: m[1]!.toLowerCase(),
    ...(parts.length ? { namespace: parts.join('/') } : {}),
    name,
    version: decodeURIComponent(m[3]!),
    qualifiers,
  };
}

function distroFrom(q: string | undefined, fallback: Distro | undefined): Distro | undefined {
  // `debian-12.5`, `alpine-3.19.1`, `rocky-9.2`
  const m = q ? /^([a-z]+)-(.+)$/.exec(q) : null;
  return m ? { id: m[1]!, versionId: m[2]! } : fallback;
}

const LANG: Record<string, { type: PackageType; ecosystem: string }> = {
  npm: { type: 'npm', ecosystem: 'npm' },
  pypi: { type: 'pypi', ecosystem: 'PyPI' },
  golang: { type: 'golang', ecosystem: 'Go' },
  cargo: { type: 'cargo', ecosystem: 'crates.io' },
  gem: { type: 'gem', ecosystem: 'RubyGems' },
  composer: { type: 'composer', ecosystem: 'Packagist' },
  maven: { type: 'maven', ecosystem: 'Maven' },
};

function packageOf(
  purl: string,
  props: Map<string, string>,
  location: string,
  distro: Distro | undefined,
): Package | undefined {
  const p = parsePurl(purl);
  if (!p) return undefined;
  const base = { purl, location, version: p.version };
  const srcName = props.get('sekisho:source:name') ?? props.get('aquasecurity:trivy:SrcName') ?? p.qualifiers.upstream;
  const srcVersion = props.get('sekisho:source:version') ?? props.get('aquasecurity:trivy:SrcVersion') ?? p.version;
  const source = srcName ? { source: { name: srcName, version: srcVersion } } : {};
  const arch = p.qualifiers.arch ? { arch: p.qualifiers.arch } : {};
  if (p.type === 'deb') {
    const d = distroFrom(p.qualifiers.distro, distro);
    const eco = (d?.id ?? p.namespace) === 'ubuntu' ? 'Ubuntu' : 'Debian';
    const major = d?.versionId.split('.')[0];
    return { ...base, type: 'deb', name: p.name, ecosystem: major ? `${eco}:${major}` : eco, ...source, ...arch };
  }
  if (p.type === 'apk') {
    const d = distroFrom(
      p.qualifiers.distro ? `alpine-${p.qualifiers.distro.replace(/^alpine-/, '')}` : undefined,
      distro,
    );
    const minor = d?.versionId.split('.').slice(0, 2).join('.');
    return { ...base, type: 'apk', name: p.name, ecosystem: minor ? `Alpine:v${minor}` : 'Alpine', ...source, ...arch };
  }
  if (p.type === 'rpm') {
    const epoch = p.qualifiers.epoch ? `${p.qualifiers.epoch}:` : '';
    return { ...base, version: epoch + p.version, type: 'rpm', name: p.name, ecosystem: 'rpm', ...source, ...arch };
  }
  const lang = LANG[p.type];
  if (!lang) return undefined;
  const name =
    p.type === 'maven' ? `${p.namespace ?? ''}:${p.name}` : p.namespace ? `${p.namespace}/${p.name}` : p.name;
  return { ...base, type: lang.type, name, ecosystem: lang.ecosystem };
}

function propsOf(c: Obj): Map<string, string> {
  const m = new Map<string, string>();
  for (const p of Array.isArray(c.properties) ? c.properties : [])
    if (isObj(p) && typeof p.name === 'string' && typeof p.value === 'string') m.set(p.name, p.value);
  return m;
}

function fromCycloneDx(doc: Obj, file: string): Inventory {
  const components: Obj[] = [];
  const walk = (list: unknown): void => {
    for (const c of Array.isArray(list) ? list : []) {
      if (!isObj(c)) continue;
      components.push(c);
      walk(c.components);
    }
  };
  walk(doc.components);
  let distro: Distro | undefined;
  for (const c of components)
    if (c.type === 'operating-system' && typeof c.name === 'string' && typeof c.version === 'string')
      distro = { id: c.name.toLowerCase(), versionId: c.version };
  const packages: Package[] = [];
  for (const c of components) {
    if (typeof c.purl !== 'string') continue;
    const props = propsOf(c);
    const pkg = packageOf(c.purl, props, props.get('sekisho:location') ?? file, distro);
    if (!pkg) continue;
    const layer = props.get('sekisho:layer:digest');
    packages.push({ ...pkg, ...(layer ? { layer } : {}), ...(c.scope === 'optional' ? { dev: true } : {}) });
  }
  return { ...(distro ? { distro } : {}), packages };
}

function fromSpdx(doc: Obj, file: string): Inventory {
  const packages: Package[] = [];
  let distro: Distro | undefined;
  for (const p of Array.isArray(doc.packages) ? doc.packages : []) {
    if (!isObj(p)) continue;
    if (
      p.primaryPackagePurpose === 'OPERATING-SYSTEM' &&
      typeof p.name === 'string' &&
      typeof p.versionInfo === 'string'
    )
      distro = { id: p.name.toLowerCase(), versionId: p.versionInfo };
  }
  for (const p of Array.isArray(doc.packages) ? doc.packages : []) {
    if (!isObj(p)) continue;
    const ref = (Array.isArray(p.externalRefs) ? p.externalRefs : []).find(
      (r): r is Obj => isObj(r) && r.referenceType === 'purl' && typeof r.referenceLocator === 'string',
    );
    if (!ref) continue;
    const pkg = packageOf(ref.referenceLocator as string, new Map(), file, distro);
    if (pkg) packages.push(pkg);
  }
  return { ...(distro ? { distro } : {}), packages };
}

/** The inventory an SBOM describes. */
export function inventoryFromSbom(text: string, file: string): Inventory {
  const doc = parseJson(text, file);
  if (isObj(doc) && doc.bomFormat === 'CycloneDX') return fromCycloneDx(doc, file);
  if (isObj(doc) && typeof doc.spdxVersion === 'string') return fromSpdx(doc, file);
  throw new ScanError(
    'PARSE_ERROR',
    `${file}: neither a CycloneDX (bomFormat) nor an SPDX (spdxVersion) JSON document`,
  );
}
