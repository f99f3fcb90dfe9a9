// Report filters: severities, --ignore-unfixed and the ignore files: `.trivyignore` (one id per line, `#`
// comments, an optional `exp:YYYY-MM-DD` after which the entry no longer applies) and Trivy's YAML form
// `.trivyignore.yaml` (`vulnerabilities: [{id, paths, purls, expired_at, statement}]`), where `paths`
// (globs over the file a package was read from) and `purls` narrow what an entry ignores.
import { parse as parseYaml, YAMLError } from 'yaml';
import { ScanError } from '../errors.ts';
import { pathGlobToRegExp } from '../../oci/index.ts';
import { isObj } from '../inventory/parse-json.ts';
import { purlCovers } from './purl-match.ts';
import type { Finding } from '../db/scanner.ts';
import { SEVERITIES, type Severity } from '../db/osv.ts';

export interface IgnoreEntry {
  id: string;
  expires?: string;
  row: number;
  /** Only findings in packages read from these files (globs: `*` within a segment, `**` across). */
  paths?: string[];
  /** Only findings in these packages (a purl without a version matches every version). */
  purls?: string[];
  statement?: string;
}

const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;

/** Trivy's YAML ignore file. */
export function parseTrivyIgnoreYaml(text: string, file: string): IgnoreEntry[] {
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true });
  } catch (e) {
    const pos = e instanceof YAMLError ? e.linePos?.[0] : undefined;
    throw new ScanError(
      'PARSE_ERROR',
      `${file}:${pos?.line ?? 1}:${pos?.col ?? 1}: ${(e as Error).message.split('\n')[0]}`,
      {
        location: { file, row: pos?.line ?? 1, col: pos?.col ?? 1 },
        cause: e,
      },
    );
  }
  if (doc === null || doc === undefined) return [];
  if (!isObj(doc)) throw new ScanError('PARSE_ERROR', `${file}: want a mapping with a vulnerabilities list`);
  const out: IgnoreEntry[] = [];
  for (const section of ['vulnerabilities', 'misconfigurations', 'secrets', 'licenses']) {
    const list = doc[section];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new ScanError('PARSE_ERROR', `${file}: ${section} must be a list`);
    list.forEach((e, i) => {
      if (!isObj(e) || typeof e.id !== 'string')
        throw new ScanError('PARSE_ERROR', `${file}: ${section}[${i}] needs an id`);
      const exp = e.expired_at instanceof Date ? e.expired_at.toISOString().slice(0, 10) : e.expired_at;
      if (exp !== undefined && (typeof exp !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(exp)))
        throw new ScanError('PARSE_ERROR', `${file}: ${section}[${i}].expired_at must be YYYY-MM-DD`);
      const paths = strings(e.paths);
      const purls = strings(e.purls);
      out.push({
        id: e.id,
        row: i + 1,
        ...(exp ? { expires: exp } : {}),
        ...(paths ? { paths } : {}),
        ...(purls ? { purls } : {}),
        ...(typeof e.statement === 'string' ? { statement: e.statement } : {}),
      });
    });
  }
  return out;
}

/** An ignore entry with its path globs compiled once, not per finding. */
interface ActiveEntry {
  entry: IgnoreEntry;
  paths?: RegExp[];
}

function entryCovers({ entry: e, paths }: ActiveEntry, f: Finding): boolean {
  if (e.id !== f.id && !f.aliases.includes(e.id)) return false;
  if (paths && !paths.some((re) => re.test(f.pkg.location.replace(/^\//, '')))) return false;
  return !e.purls || e.purls.some((p) => purlCovers(p, f.pkg.purl));
}

export function parseTrivyIgnore(text: string, file: string): IgnoreEntry[] {
  const out: IgnoreEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const [id, ...rest] = line.split(/\s+/);
    let expires: string | undefined;
    for (const r of rest) {
      const m = /^exp:(\d{4}-\d{2}-\d{2})$/.exec(r);
      if (!m)
        throw new ScanError('PARSE_ERROR', `${file}:${i + 1}: unexpected ${JSON.stringify(r)} (want exp:YYYY-MM-DD)`, {
          location: { file, row: i + 1, col: raw.indexOf(r) + 1 },
        });
      expires = m[1];
    }
    out.push({ id: id!, row: i + 1, ...(expires ? { expires } : {}) });
  });
  return out;
}

export function parseSeverities(list: string): Severity[] {
  return list.split(',').map((s) => {
    const u = s.trim().toUpperCase();
    if (!(SEVERITIES as string[]).includes(u))
      throw new ScanError('FORMAT_UNKNOWN', `unknown severity ${JSON.stringify(s)} (want ${SEVERITIES.join(',')})`);
    return u as Severity;
  });
}

export interface FilterOptions {
  severities?: Severity[];
  ignoreUnfixed?: boolean;
  ignores?: IgnoreEntry[];
  /** Today as YYYY-MM-DD (passed in: the clock belongs to the caller). */
  today: string;
}

export function filterFindings(findings: Finding[], o: FilterOptions): Finding[] {
  const active: ActiveEntry[] = (o.ignores ?? [])
    .filter((e) => !e.expires || e.expires >= o.today)
    .map((entry) => ({
      entry,
      ...(entry.paths ? { paths: entry.paths.map((p) => pathGlobToRegExp(p.replace(/^\//, ''))) } : {}),
    }));
  return findings.filter((f) => {
    if (o.severities && !o.severities.includes(f.severity)) return false;
    if (o.ignoreUnfixed && f.fixed === undefined) return false;
    if (active.some((e) => entryCovers(e, f))) return false;
    return true;
  });
}
