// Matches an inventory against the advisory database: each package is looked up in its OSV ecosystem
// (distro packages by their source package, as distro advisories name them) and compared with that
// ecosystem's version ordering.
import type { Package } from '../inventory/types.ts';
import { comparatorFor } from '../version/index.ts';
import type { AdvisoryDb } from './advisory-db.ts';
import { matchAffected } from './match.ts';
import { severityOf, type Severity } from './osv.ts';

export interface Finding {
  id: string;
  aliases: string[];
  pkg: Package;
  installed: string;
  fixed?: string;
  status: 'fixed' | 'affected';
  severity: Severity;
  title: string;
  description?: string;
  references: string[];
  primaryUrl?: string;
}

/** The CVE a record is about (its id or a CVE alias), so one vulnerability from two feeds is reported once. */
function cveKey(id: string, aliases: string[]): string {
  return [id, ...aliases].find((x) => /^CVE-\d+-\d+$/.test(x)) ?? id;
}

const DISTRO_FEEDS = new Set(['debian-security-tracker', 'alpine-secdb']);

export function matchPackages(db: AdvisoryDb, packages: Package[]): Finding[] {
  const out: Finding[] = [];
  for (const pkg of packages) {
    const found: Finding[] = [];
    const cmp = comparatorFor(pkg.ecosystem);
    if (!cmp) continue;
    const name = pkg.type === 'deb' || pkg.type === 'apk' ? (pkg.source?.name ?? pkg.name) : pkg.name;
    const version = pkg.type === 'deb' ? (pkg.source?.version ?? pkg.version) : pkg.version;
    const seen = new Set<string>();
    // what the distro's own feed says of a CVE (affected or not) overrides other records of it
    const distroVerdict = new Map<string, string | null>();
    for (const { record, idx } of db.lookup(pkg.ecosystem, name)) {
      const a = record.affected?.[idx];
      if (!a || seen.has(record.id)) continue;
      const m = matchAffected(a, version, cmp);
      const fromDistro = DISTRO_FEEDS.has(String(record.database_specific?.source ?? ''));
      if (fromDistro) distroVerdict.set(cveKey(record.id, record.aliases ?? []), m.affected ? record.id : null);
      if (!m.affected) continue;
      seen.add(record.id);
      const refs = (record.references ?? []).map((r) => r.url);
      found.push({
        id: record.id,
        aliases: record.aliases ?? [],
        pkg,
        installed: pkg.version,
        ...(m.fixed !== undefined ? { fixed: m.fixed } : {}),
        status: m.fixed !== undefined ? 'fixed' : 'affected',
        severity: severityOf(record, a),
        title: record.summary ?? (record.details ? record.details.split('\n')[0]!.slice(0, 120) : record.id),
        ...(record.details ? { description: record.details } : {}),
        references: refs,
        ...(refs[0] ? { primaryUrl: refs.find((u) => u.includes(record.id)) ?? refs[0] } : {}),
      });
    }
    // the same CVE from two feeds: the distro feed's verdict, else the first record that knows a fix
    const byCve = new Map<string, Finding>();
    for (const f of found) {
      const k = cveKey(f.id, f.aliases);
      const prev = byCve.get(k);
      if (!prev || (prev.fixed === undefined && f.fixed !== undefined)) byCve.set(k, f);
    }
    out.push(
      ...found.filter((f) => {
        const k = cveKey(f.id, f.aliases);
        const verdict = distroVerdict.get(k);
        return verdict === undefined ? byCve.get(k) === f : verdict === f.id;
      }),
    );
  }
  return out;
}
