// apk database lib/apk/db/installed: one package per blank-line-separated block of `X:value` lines
// (P name, V version, A arch, L license, o origin).
import { ScanError } from '../errors.ts';
import { purl } from './purl.ts';
import type { Distro, Package } from './types.ts';

export function parseApkInstalled(text: string, file: string, distro: Distro | undefined, layer?: string): Package[] {
  const pkgs: Package[] = [];
  let cur: Record<string, string> = {};
  let start = 1;
  const lines = text.split('\n');
  const flush = (): void => {
    if (cur.P || cur.V) {
      if (!cur.P || !cur.V)
        throw new ScanError('PARSE_ERROR', `${file}:${start}: package without P: or V:`, {
          location: { file, row: start, col: 1 },
        });
      const minor = distro?.versionId ? distro.versionId.split('.').slice(0, 2).join('.') : '';
      pkgs.push({
        type: 'apk',
        name: cur.P,
        version: cur.V,
        purl: purl('apk', 'alpine', cur.P, cur.V, { arch: cur.A, distro: distro?.versionId }),
        ecosystem: minor ? `Alpine:v${minor}` : 'Alpine',
        ...(cur.o ? { source: { name: cur.o, version: cur.V } } : {}),
        ...(cur.A ? { arch: cur.A } : {}),
        ...(cur.L ? { licenses: [cur.L] } : {}),
        location: file,
        ...(layer ? { layer } : {}),
      });
    }
    cur = {};
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line === '') {
      flush();
      start = i + 2;
      continue;
    }
    if (line.length < 2 || line[1] !== ':')
      throw new ScanError('PARSE_ERROR', `${file}:${i + 1}: expected "X:value"`, {
        location: { file, row: i + 1, col: 1 },
      });
    const k = line[0]!;
    if (!(k in cur)) cur[k] = line.slice(2);
  }
  flush();
  return pkgs;
}
