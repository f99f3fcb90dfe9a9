// Timing helpers shared by the bench/rego scripts.

export interface Stats {
  median: number;
  p90: number;
  n: number;
  /** Mean CPU time (user + system) per call in µs: robust when other processes compete for the cores. */
  cpu: number;
}

function stats(samplesNs: number[], cpuMicros: number): Stats {
  const s = [...samplesNs].sort((a, b) => a - b);
  const at = (q: number): number => (s[Math.min(s.length - 1, Math.floor(q * s.length))] as number) / 1000;
  return { median: at(0.5), p90: at(0.9), n: s.length, cpu: cpuMicros / s.length };
}

/**
 * Runs f for a warm-up (up to `warmup` calls or a quarter of the time budget), then times each call until both
 * `minIters` calls and `minMs` milliseconds have passed.
 */
export function measure(f: () => void, warmup: number, minIters: number, minMs: number): Stats {
  const warmStart = performance.now();
  for (let i = 0; i < warmup && performance.now() - warmStart < minMs / 4; i++) f();
  const samples: number[] = [];
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  while (samples.length < minIters || performance.now() - start < minMs) {
    const t0 = process.hrtime.bigint();
    f();
    samples.push(Number(process.hrtime.bigint() - t0));
    if (samples.length >= 1_000_000) break;
  }
  const cpu = process.cpuUsage(cpu0);
  return stats(samples, cpu.user + cpu.system);
}

export function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}
