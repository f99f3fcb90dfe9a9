// Parsing of WWW-Authenticate challenges (RFC 7235 auth-params, as registries send them).
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  const re = /\s*([A-Za-z][\w-]*)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*)))?\s*(,)?/y;
  let cur: Challenge | undefined;
  let i = 0;
  while (i < header.length) {
    re.lastIndex = i;
    const m = re.exec(header);
    if (!m || m[0] === '') break;
    i = re.lastIndex;
    const name = m[1]!;
    const quoted = m[2];
    const bare = m[3];
    if (quoted === undefined && bare === undefined) {
      // a token without '=' starts a new challenge (scheme), possibly followed by params
      cur = { scheme: name.toLowerCase(), params: {} };
      out.push(cur);
      continue;
    }
    if (cur) cur.params[name.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (bare ?? '');
  }
  // "Bearer realm=..." parses as scheme token followed by params without a comma: handled above since
  // the scheme has no '='. A scheme immediately followed by a param is split by the regex on whitespace.
  return out;
}
