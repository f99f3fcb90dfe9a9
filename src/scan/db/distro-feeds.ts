// Distro security feeds converted to OSV records at import, so one matcher serves them all:
// - Debian's security tracker JSON (https://security-tracker.debian.org/tracker/data/json): source package →
//   CVE → release codename → {status, fixed_version, urgency}; "resolved" with fixed_version "0" means the
//   release was never affected, "open" means affected with no fix yet.
// - Alpine's secdb (https://secdb.alpinelinux.org/v3.19/main.json): distroversion and, per package,
//   `secfixes` mapping a fixed version to the CVEs it fixes ("0" = never affected).
import { ScanError } from '../errors.ts';
import type { OsvRecord } from './osv.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Debian release codenames and their version numbers (the OSV ecosystem is `Debian:<number>`). */
const DEBIAN_RELEASES: Record<string, string> = {
  jessie: '8',
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
};

const URGENCY: Record<string, string> = {
  unimportant: 'LOW',
  low: 'LOW',
  'low*': 'LOW',
  'low**': 'LOW',
  medium: 'MEDIUM',
  'medium*': 'MEDIUM',
  'medium**': 'MEDIUM',
  high: 'HIGH',
  'high*': 'HIGH',
  'high**': 'HIGH',
};

function looksLikeDebianTracker(doc: Obj): boolean {
  const first = Object.values(doc)[0];
  if (!isObj(first)) return false;
  const cve = Object.entries(first)[0];
  return cve !== undefined && /^(CVE|TEMP)-/.test(cve[0]) && isObj(cve[1]) && isObj(cve[1].releases);
}

function fromDebianTracker(doc: Obj): OsvRecord[] {
  const out: OsvRecord[] = [];
  for (const [srcPkg, cves] of Object.entries(doc)) {
    if (!isObj(cves)) continue;
    for (const [cve, info] of Object.entries(cves)) {
      if (!isObj(info) || !isObj(info.releases) || !cve.startsWith('CVE-')) continue;
      for (const [codename, rel] of Object.entries(info.releases)) {
        const number = DEBIAN_RELEASES[codename];
        if (!number || !isObj(rel)) continue;
        const fixed = typeof rel.fixed_version === 'string' ? rel.fixed_version : undefined;
        if (rel.status === 'resolved' && (fixed === undefined || fixed === '0')) continue; // never affected
        if (rel.status !== 'resolved' && rel.status !== 'open') continue; // "undetermined": nothing to say
        const severity = URGENCY[typeof rel.urgency === 'string' ? rel.urgency : ''];
        out.push({
          id: `DEBIAN-${cve}-${number}-${srcPkg}`,
          aliases: [cve],
          ...(typeof info.description === 'string' ? { summary: info.description } : {}),
          affected: [
            {
              package: { ecosystem: `Debian:${number}`, name: srcPkg },
              ranges: [
                {
                  type: 'ECOSYSTEM',
                  events: [{ introduced: '0' }, ...(rel.status === 'resolved' && fixed ? [{ fixed }] : [])],
                },
              ],
              ...(severity ? { ecosystem_specific: { severity } } : {}),
            },
          ],
          database_specific: { source: 'debian-security-tracker' },
        });
      }
    }
  }
  return out;
}

function fromAlpineSecdb(doc: Obj, file: string): OsvRecord[] {
  const m = /^v?(\d+\.\d+)/.exec(String(doc.distroversion));
  if (!m)
    throw new ScanError('DB_INVALID', `${file}: secdb distroversion ${JSON.stringify(doc.distroversion)} is not vX.Y`);
  const eco = `Alpine:v${m[1]}`;
  const out: OsvRecord[] = [];
  for (const entry of Array.isArray(doc.packages) ? doc.packages : []) {
    const pkg = isObj(entry) && isObj(entry.pkg) ? entry.pkg : undefined;
    if (!pkg || typeof pkg.name !== 'string' || !isObj(pkg.secfixes)) continue;
    for (const [fixed, ids] of Object.entries(pkg.secfixes)) {
      if (fixed === '0' || !Array.isArray(ids)) continue;
      for (const raw of ids) {
        // entries may carry several ids: "CVE-2023-1 CVE-2023-2" or "CVE-2023-1 GHSA-..."
        for (const id of String(raw)
          .split(/\s+/)
          .filter((x) => /^CVE-\d+-\d+$/.test(x)))
          out.push({
            id: `ALPINE-${id}-${m[1]}-${pkg.name}`,
            aliases: [id],
            affected: [
              {
                package: { ecosystem: eco, name: pkg.name },
                ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
              },
            ],
            database_specific: { source: 'alpine-secdb' },
          });
      }
    }
  }
  return out;
}

/** The OSV records of a distro feed document, or undefined when the document is not one. */
export function distroFeedRecords(doc: unknown, file: string): OsvRecord[] | undefined {
  if (!isObj(doc)) return undefined;
  if (typeof doc.distroversion === 'string' && Array.isArray(doc.packages)) return fromAlpineSecdb(doc, file);
  if (doc.id === undefined && looksLikeDebianTracker(doc)) return fromDebianTracker(doc);
  return undefined;
}
