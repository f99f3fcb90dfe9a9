// The table layout `opa eval --format pretty` prints (OPA uses olekukonko/tablewriter): a bordered table,
// headers centred, cells left-aligned, cell text longer than 30 columns wrapped at spaces with the same
// minimum-raggedness line breaking, so output can be compared with OPA's byte for byte.

const MAX_CELL_WIDTH = 30;

/** Display width in terminal columns: East Asian wide and fullwidth characters take two. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (c === 0 || (c < 0x20 && c !== 0x09) || (c >= 0x7f && c < 0xa0)) continue;
    if (c >= 0x300 && c <= 0x36f) continue; // combining marks
    w += isWide(c) ? 2 : 1;
  }
  return w;
}

function isWide(c: number): boolean {
  return (
    (c >= 0x1100 && c <= 0x115f) ||
    (c >= 0x2e80 && c <= 0x303e) ||
    (c >= 0x3041 && c <= 0x33ff) ||
    (c >= 0x3400 && c <= 0x4dbf) ||
    (c >= 0x4e00 && c <= 0x9fff) ||
    (c >= 0xa000 && c <= 0xa4cf) ||
    (c >= 0xac00 && c <= 0xd7a3) ||
    (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0xfe30 && c <= 0xfe4f) ||
    (c >= 0xff00 && c <= 0xff60) ||
    (c >= 0xffe0 && c <= 0xffe6) ||
    (c >= 0x1f300 && c <= 0x1f64f) ||
    (c >= 0x1f900 && c <= 0x1f9ff) ||
    (c >= 0x20000 && c <= 0x3fffd)
  );
}

/** Breaks words into lines of at most `limit` columns, minimising the squared slack (tablewriter's WrapWords). */
function wrapWords(words: string[], limit: number): string[][] {
  const n = words.length;
  const widths = words.map(displayWidth);
  const lengthOf = (i: number, j: number): number => {
    let l = widths[i] as number;
    for (let k = i + 1; k <= j; k++) l += 1 + (widths[k] as number);
    return l;
  };
  const PENALTY = 1e5;
  const cost = new Array<number>(n).fill(2 ** 31 - 1);
  const brk = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    if (lengthOf(i, n - 1) <= limit) {
      cost[i] = 0;
      brk[i] = n;
    } else {
      for (let j = i + 1; j < n; j++) {
        const len = lengthOf(i, j - 1);
        const d = limit - len;
        let c = d * d + (cost[j] as number);
        if (len > limit) c += PENALTY;
        if (c < (cost[i] as number)) {
          cost[i] = c;
          brk[i] = j;
        }
      }
    }
  }
  const lines: string[][] = [];
  for (let i = 0; i < n;) {
    const j = brk[i] as number;
    lines.push(words.slice(i, j));
    i = j;
  }
  return lines;
}

function wrapString(s: string, limit: number): string[] {
  const words = s.replace(/\n/g, ' ').split(' ');
  let lim = limit;
  for (const w of words) lim = Math.max(lim, displayWidth(w));
  return wrapWords(words, lim).map((l) => l.join(' '));
}

/** A cell's lines after wrapping, and the width it needs. */
function layoutCell(text: string): { lines: string[]; width: number } {
  const raw = text.split('\n');
  let width = Math.min(Math.max(0, ...raw.map(displayWidth)), MAX_CELL_WIDTH);
  const lines = wrapString(raw.join(' '), width);
  for (const l of lines) width = Math.max(width, displayWidth(l));
  return { lines, width };
}

function padRight(s: string, width: number): string {
  const gap = width - displayWidth(s);
  return gap > 0 ? s + ' '.repeat(gap) : s;
}

function padCenter(s: string, width: number): string {
  const gap = width - displayWidth(s);
  if (gap <= 0) return s;
  const left = Math.floor(gap / 2);
  return ' '.repeat(left) + s + ' '.repeat(gap - left);
}

/** Renders a table with a header row; every line ends with a newline. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths: number[] = header.map(() => 0);
  const fit = (col: number, w: number): void => {
    if ((widths[col] ?? 0) < w || widths[col] === undefined) widths[col] = w;
  };
  const head = header.map((h, i) => {
    const c = layoutCell(h);
    fit(i, c.width);
    return c.lines;
  });
  const body = rows.map((r) =>
    r.map((cell, i) => {
      const c = layoutCell(cell);
      fit(i, c.width);
      return c.lines;
    }),
  );
  const rule = '+' + widths.map((w) => '-'.repeat(w + 2) + '+').join('') + '\n';
  let out = rule;
  const headHeight = Math.max(1, ...head.map((l) => l.length));
  for (let x = 0; x < headHeight; x++) {
    out += '|' + widths.map((w, y) => ' ' + padCenter(head[y]?.[x] ?? '', w) + ' |').join('') + '\n';
  }
  out += rule;
  for (const row of body) {
    const height = Math.max(0, ...row.map((l) => l.length));
    for (let x = 0; x < height; x++) {
      // tablewriter fills the missing lines of shorter cells with two spaces
      out += '|' + row.map((lines, y) => ' ' + padRight(lines[x] ?? '  ', widths[y] ?? 0) + ' |').join('') + '\n';
    }
  }
  out += rule;
  return out;
}
