// Whether a package URL named in an ignore entry or a VEX statement covers a package: equal without
// qualifiers and subpath, or, when the pattern has no version, any version of that package.
export function purlCovers(pattern: string, purl: string): boolean {
  const p = pattern.replace(/[?#].*$/, '');
  const q = purl.replace(/[?#].*$/, '');
  if (p === q) return true;
  return !p.slice(p.lastIndexOf('/') + 1).includes('@') && q.startsWith(p + '@');
}
