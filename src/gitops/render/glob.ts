// Glob patterns as Argo CD's directory include/exclude take them: `*`, `?`, `**`, `[...]` and
// `{a,b}` alternatives, matched against the path relative to the source path.
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
        if (glob[i + 1] === '/') i++;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      re += '(?:';
      depth++;
    } else if (c === '}' && depth > 0) {
      re += ')';
      depth--;
    } else if (c === ',' && depth > 0) re += '|';
    else if (c === '[') {
      const j = glob.indexOf(']', i);
      if (j < 0) re += '\\[';
      else {
        re += '[' + glob.slice(i + 1, j).replace(/^!/, '^') + ']';
        i = j;
      }
    } else re += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp('^' + re + '$');
}

/** True when `path` (or its base name, for patterns without a slash) matches the pattern. */
export function matchGlob(pattern: string, path: string): boolean {
  const re = globToRegExp(pattern);
  if (re.test(path)) return true;
  if (!pattern.includes('/')) return re.test(path.slice(path.lastIndexOf('/') + 1));
  return false;
}
