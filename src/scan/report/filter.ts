// Report filters: severities, --ignore-unfixed and .trivyignore (one id per line, `#` comments, an
// optional `exp:YYYY-MM-DD` after which the entry no longer applies).
import { ScanError } from '../errors.ts';
import type { Finding } from '../db/scanner.ts';
import { SEVERITIES, type Severity } from '../db/osv.ts';

export interface IgnoreEntry {
  id: string;
  expires?: string;
  row: number;
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
  const active = (o.ignores ?? []).filter((e) => !e.expires || e.expires >= o.today);
  return findings.filter((f) => {
    if (o.severities && !o.severities.includes(f.severity)) return false;
    if (o.ignoreUnfixed && f.fixed === undefined) return false;
    if (active.some((e) => e.id === f.id || f.aliases.includes(e.id))) return false;
    return true;
  });
}
