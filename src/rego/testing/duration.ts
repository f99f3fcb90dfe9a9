// Go's time.Duration.String() for a count of nanoseconds ("1.234567ms", "500µs", "2.5s", "0s").

function trimFrac(n: number, unit: number, digits: number): string {
  const whole = Math.floor(n / unit);
  const frac = String(n % unit).padStart(digits, '0').replace(/0+$/, '');
  return frac === '' ? String(whole) : `${whole}.${frac}`;
}

export function formatDuration(ns: number): string {
  const n = Math.max(0, Math.round(ns));
  if (n === 0) return '0s';
  if (n < 1e3) return `${n}ns`;
  if (n < 1e6) return `${trimFrac(n, 1e3, 3)}µs`;
  if (n < 1e9) return `${trimFrac(n, 1e6, 6)}ms`;
  let s = n;
  const h = Math.floor(s / 3.6e12);
  s -= h * 3.6e12;
  const m = Math.floor(s / 6e10);
  s -= m * 6e10;
  const sec = trimFrac(s, 1e9, 9);
  if (h > 0) return `${h}h${m}m${sec}s`;
  if (m > 0) return `${m}m${sec}s`;
  return `${sec}s`;
}
