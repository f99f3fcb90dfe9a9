// OpenVEX (https://github.com/openvex/spec, v0.0.1 and v0.2.0) as a scan filter: a statement whose status
// is `not_affected` or `fixed` for a vulnerability (by id or alias) and a product (a purl, matched without
// qualifiers; a purl without a version matches every version) removes the finding. `affected` and
// `under_investigation` keep it.
import { ScanError } from '../errors.ts';
import type { Finding } from '../db/scanner.ts';
import { isObj, parseJson } from '../inventory/parse-json.ts';
import { purlCovers } from './purl-match.ts';

export interface VexStatement {
  vulnerability: string;
  aliases: string[];
  products: string[];
  status: 'not_affected' | 'affected' | 'fixed' | 'under_investigation';
  justification?: string;
}

const STATUSES = new Set(['not_affected', 'affected', 'fixed', 'under_investigation']);

export function parseOpenVex(text: string, file: string): VexStatement[] {
  const doc = parseJson(text, file);
  if (
    !isObj(doc) ||
    !Array.isArray(doc.statements) ||
    typeof doc['@context'] !== 'string' ||
    !doc['@context'].includes('openvex')
  )
    throw new ScanError(
      'PARSE_ERROR',
      `${file}: not an OpenVEX document (want @context https://openvex.dev/ns/... and statements)`,
    );
  return doc.statements.map((s, i) => {
    if (!isObj(s)) throw new ScanError('PARSE_ERROR', `${file}: statements[${i}] is not an object`);
    const v = s.vulnerability;
    const name = typeof v === 'string' ? v : isObj(v) ? (v.name ?? v['@id']) : undefined;
    if (typeof name !== 'string')
      throw new ScanError('PARSE_ERROR', `${file}: statements[${i}] has no vulnerability name`);
    const aliases =
      isObj(v) && Array.isArray(v.aliases) ? v.aliases.filter((a): a is string => typeof a === 'string') : [];
    const products: string[] = [];
    for (const p of Array.isArray(s.products) ? s.products : []) {
      if (typeof p === 'string') products.push(p);
      else if (isObj(p)) {
        if (typeof p['@id'] === 'string') products.push(p['@id']);
        if (isObj(p.identifiers) && typeof p.identifiers.purl === 'string') products.push(p.identifiers.purl);
        for (const sc of Array.isArray(p.subcomponents) ? p.subcomponents : [])
          if (isObj(sc) && typeof sc['@id'] === 'string') products.push(sc['@id']);
      }
    }
    if (typeof s.status !== 'string' || !STATUSES.has(s.status))
      throw new ScanError('PARSE_ERROR', `${file}: statements[${i}]: unknown status ${JSON.stringify(s.status)}`);
    return {
      vulnerability: name,
      aliases,
      products,
      status: s.status as VexStatement['status'],
      ...(typeof s.justification === 'string' ? { justification: s.justification } : {}),
    };
  });
}

/** The findings no VEX statement marks as not affecting or fixed. */
export function applyVex(findings: Finding[], statements: VexStatement[]): Finding[] {
  const suppress = statements.filter((s) => s.status === 'not_affected' || s.status === 'fixed');
  return findings.filter(
    (f) =>
      !suppress.some(
        (s) =>
          [s.vulnerability, ...s.aliases].some((id) => id === f.id || f.aliases.includes(id)) &&
          s.products.some((p) => purlCovers(p, f.pkg.purl)),
      ),
  );
}
