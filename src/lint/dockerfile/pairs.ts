// Key/value pairs of ENV and LABEL (both `k=v k2="v 2"` and the legacy `ENV k v` form).
/** Splits on unquoted whitespace; `escapes` = backslash escapes (ENV/LABEL) or literal backslashes (COPY/ADD paths). */
export function splitWords(s: string, escapes = true): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let q: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (q) {
      if (escapes && c === '\\' && q === '"' && i + 1 < s.length) {
        cur += s[++i];
        continue;
      }
      if (c === q) q = undefined;
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      q = c;
      inWord = true;
      continue;
    }
    if (escapes && c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
      continue;
    }
    if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    cur += c;
    inWord = true;
  }
  if (inWord) out.push(cur);
  return out;
}

export function parsePairs(args: string): Array<[string, string]> {
  const words = splitWords(args);
  const first = words[0];
  if (first !== undefined && !first.includes('=')) {
    const m = /^\s*\S+\s+([\s\S]*)$/.exec(args);
    return [[first, (m?.[1] ?? '').trim()]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    return eq < 0 ? [w, ''] : [w.slice(0, eq), w.slice(eq + 1)];
  });
}
