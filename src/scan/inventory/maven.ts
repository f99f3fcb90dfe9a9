// Java: Maven pom.xml `<dependencies>` (versions resolved from `<properties>`, `${project.version}` and the
// parent's version; unresolvable ones are left out) and the `META-INF/maven/**/pom.properties` that Maven
// puts into every jar it builds (including jars nested in war/ear files' WEB-INF/lib is out of scope).
import { XMLParser } from 'fast-xml-parser';
import { ScanError } from '../errors.ts';
import { zipEntries } from '../zip.ts';
import { isObj, type Obj } from './parse-json.ts';
import { purl } from './purl.ts';
import type { Package } from './types.ts';

function mavenPackage(
  group: string,
  artifact: string,
  version: string,
  file: string,
  layer?: string,
  dev = false,
): Package {
  return {
    type: 'maven',
    name: `${group}:${artifact}`,
    version,
    purl: purl('maven', group, artifact, version),
    ecosystem: 'Maven',
    location: file,
    ...(dev ? { dev } : {}),
    ...(layer ? { layer } : {}),
  };
}

const str = (v: unknown): string | undefined =>
  typeof v === 'string' || typeof v === 'number' ? String(v).trim() : undefined;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

export function parsePom(text: string, file: string, layer?: string): Package[] {
  let doc: Obj;
  try {
    doc = new XMLParser({ ignoreAttributes: true, parseTagValue: false, processEntities: false }).parse(
      text,
      true,
    ) as Obj;
  } catch (e) {
    const m = /Line: (\d+)/.exec((e as Error).message);
    const row = m ? Number(m[1]) : 1;
    throw new ScanError('PARSE_ERROR', `${file}:${row}:1: invalid XML: ${(e as Error).message}`, {
      location: { file, row, col: 1 },
      cause: e,
    });
  }
  const project = isObj(doc.project) ? doc.project : undefined;
  if (!project) return [];
  const parent = isObj(project.parent) ? project.parent : {};
  const props = new Map<string, string>();
  for (const [k, v] of Object.entries(isObj(project.properties) ? project.properties : {})) {
    const s = str(v);
    if (s !== undefined) props.set(k, s);
  }
  const projectVersion = str(project.version) ?? str(parent.version);
  if (projectVersion) props.set('project.version', projectVersion).set('pom.version', projectVersion);
  const groupId = str(project.groupId) ?? str(parent.groupId);
  if (groupId) props.set('project.groupId', groupId);
  const resolve = (s: string | undefined, depth = 0): string | undefined => {
    if (s === undefined || depth > 10) return undefined;
    const out = s.replace(/\$\{([^}]+)\}/g, (_, k: string) => props.get(k) ?? '\0');
    if (out.includes('\0')) return undefined;
    return out.includes('${') ? resolve(out, depth + 1) : out;
  };
  const deps = isObj(project.dependencies) ? list(project.dependencies.dependency) : [];
  const out: Package[] = [];
  for (const d of deps) {
    if (!isObj(d)) continue;
    const g = resolve(str(d.groupId));
    const a = resolve(str(d.artifactId));
    const v = resolve(str(d.version));
    // a range such as [1.0,2.0) is not one installed version
    if (!g || !a || !v || /^[[(]/.test(v)) continue;
    out.push(mavenPackage(g, a, v, file, layer, str(d.scope) === 'test'));
  }
  return out;
}

function parseProperties(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const l = line.trim();
    if (l === '' || l.startsWith('#') || l.startsWith('!')) continue;
    const i = l.search(/[=:]/);
    if (i > 0) m.set(l.slice(0, i).trim(), l.slice(i + 1).trim());
  }
  return m;
}

/** Packages a jar declares in its Maven pom.properties files. */
export function jarPackages(jar: Buffer, file: string, layer?: string): Package[] {
  const out: Package[] = [];
  const want = (n: string): boolean => /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/.test(n);
  for (const e of zipEntries(jar, file, { want, code: 'PARSE_ERROR', maxEntryBytes: 1 << 20 })) {
    const p = parseProperties(e.data.toString('utf8'));
    const g = p.get('groupId');
    const a = p.get('artifactId');
    const v = p.get('version');
    if (g && a && v) out.push(mavenPackage(g, a, v, file, layer));
  }
  return out;
}
