// Conftest's table output (tablewriter's box drawing): RESULT | FILE | NAMESPACE | MESSAGE, one row per
// success, exception, warning, skipped and failure; nothing at all when there are no rows.
import type { Reporter } from './reporter.ts';

function width(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    w += cp >= 0x1100 && (cp <= 0x115f || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0x1f300 && cp <= 0x1faff)) ? 2 : 1;
  }
  return w;
}

function center(s: string, w: number): string {
  const total = w - width(s);
  const left = Math.floor(total / 2);
  return ' '.repeat(left) + s + ' '.repeat(total - left);
}

export const tableReporter: Reporter = (results) => {
  const rows: string[][] = [];
  for (const r of results) {
    for (let i = 0; i < r.successes; i++) rows.push(['success', r.filename, r.namespace, 'SUCCESS']);
    for (const x of r.exceptions ?? []) rows.push(['exception', r.filename, r.namespace, x.msg]);
    for (const x of r.warnings ?? []) rows.push(['warning', r.filename, r.namespace, x.msg]);
    for (const x of r.skipped ?? []) rows.push(['skipped', r.filename, r.namespace, x.msg]);
    for (const x of r.failures ?? []) rows.push(['failure', r.filename, r.namespace, x.msg]);
  }
  if (rows.length === 0) return '';
  const header = ['RESULT', 'FILE', 'NAMESPACE', 'MESSAGE'];
  const widths = header.map((h) => width(h));
  const split = rows.map((row) => row.map((cell) => cell.split('\n')));
  for (const row of split) row.forEach((lines, i) => lines.forEach((l) => (widths[i] = Math.max(widths[i] ?? 0, width(l)))));
  const line = (l: string, m: string, r: string) => l + widths.map((w) => '─'.repeat(w + 2)).join(m) + r + '\n';
  let out = line('┌', '┬', '┐');
  out += '│' + header.map((h, i) => ` ${center(h, widths[i] ?? 0)} `).join('│') + '│\n';
  out += line('├', '┼', '┤');
  for (const row of split) {
    const height = Math.max(...row.map((c) => c.length));
    for (let k = 0; k < height; k++) {
      out += '│' + row.map((c, i) => { const s = c[k] ?? ''; return ` ${s}${' '.repeat((widths[i] ?? 0) - width(s))} `; }).join('│') + '│\n';
    }
  }
  out += line('└', '┴', '┘');
  return out;
};
