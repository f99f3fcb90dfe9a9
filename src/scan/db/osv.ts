// The parts of the OSV schema (https://ossf.github.io/osv-schema/) the matcher uses, and the severity
// of a record.
import { ScanError } from '../errors.ts';
import { cvss3BaseScore, ratingOf } from './cvss.ts';

export type Severity = 'UNKNOWN' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
export const SEVERITIES: Severity[] = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}

export interface OsvRange {
  type: 'SEMVER' | 'ECOSYSTEM' | 'GIT';
  events: OsvEvent[];
}

export interface OsvAffected {
  package?: { ecosystem: string; name: string; purl?: string };
  ranges?: OsvRange[];
  versions?: string[];
  ecosystem_specific?: Record<string, unknown>;
  database_specific?: Record<string, unknown>;
}

export interface OsvRecord {
  id: string;
  modified?: string;
  summary?: string;
  details?: string;
  aliases?: string[];
  severity?: { type: string; score: string }[];
  affected?: OsvAffected[];
  references?: { type: string; url: string }[];
  database_specific?: Record<string, unknown>;
}

export function validateOsv(doc: unknown, file: string): OsvRecord {
  const o = doc as Partial<OsvRecord> | null;
  if (!o || typeof o !== 'object' || typeof o.id !== 'string' || o.id === '')
    throw new ScanError('DB_INVALID', `${file}: not an OSV record (no "id")`);
  if (o.affected !== undefined && !Array.isArray(o.affected))
    throw new ScanError('DB_INVALID', `${file}: "affected" must be an array`);
  for (const a of o.affected ?? [])
    for (const r of a.ranges ?? [])
      if (!Array.isArray(r.events)) throw new ScanError('DB_INVALID', `${file}: ${o.id}: a range without "events"`);
  return o as OsvRecord;
}

function normalize(s: unknown): Severity | undefined {
  if (typeof s !== 'string') return undefined;
  const u = s.toUpperCase();
  if (u === 'MODERATE') return 'MEDIUM';
  if (u === 'IMPORTANT') return 'HIGH';
  return (SEVERITIES as string[]).includes(u) ? (u as Severity) : undefined;
}

/** Severity of a record: a database-specific rating (GHSA, distro) first, else the CVSS v3 vector's rating. */
export function severityOf(rec: OsvRecord, affected?: OsvAffected): Severity {
  const explicit =
    normalize(affected?.ecosystem_specific?.severity) ??
    normalize(affected?.database_specific?.severity) ??
    normalize(rec.database_specific?.severity);
  if (explicit) return explicit;
  for (const s of rec.severity ?? []) {
    if (s.type !== 'CVSS_V3') continue;
    const score = cvss3BaseScore(s.score);
    if (score !== undefined) {
      const r = ratingOf(score);
      return r === 'NONE' ? 'UNKNOWN' : r;
    }
  }
  return 'UNKNOWN';
}
