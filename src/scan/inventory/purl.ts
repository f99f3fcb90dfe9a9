// Package URL construction (purl-spec): type/namespace/name@version?qualifiers, percent-encoded.
function enc(s: string): string {
  return encodeURIComponent(s).replace(/%3A/gi, ':');
}

export function purl(
  type: string,
  namespace: string | undefined,
  name: string,
  version: string,
  qualifiers: Record<string, string | undefined> = {},
): string {
  let out = `pkg:${type}/`;
  if (namespace) out += namespace.split('/').map(enc).join('/') + '/';
  out += `${enc(name)}@${enc(version)}`;
  const q = Object.entries(qualifiers)
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${enc(v)}`);
  return q.length ? `${out}?${q.join('&')}` : out;
}
