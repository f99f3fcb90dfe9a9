// /etc/os-release (os-release(5)): KEY=value lines, values optionally quoted.
import type { Distro } from './types.ts';

export function parseOsRelease(text: string): Distro | undefined {
  const kv: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2]!;
    if (/^(["']).*\1$/.test(v)) v = v.slice(1, -1).replace(/\\(["'$`\\])/g, '$1');
    kv[m[1]!] = v;
  }
  if (!kv.ID) return undefined;
  return { id: kv.ID, versionId: kv.VERSION_ID ?? '', ...(kv.PRETTY_NAME ? { prettyName: kv.PRETTY_NAME } : {}) };
}
