// Checks compareDpkg against the real `dpkg --compare-versions` on generated version pairs (outside CI:
// node --import tsx test/scan/conformance/dpkg-versions.ts [pairs=100000] [seed=1]).
// Pairs are built from epochs, digit runs, letters, `~`, `+`, `.`, `-` revisions and near-misses of each
// other, so the tricky orderings come up often. Prints disagreements and a closing summary line.
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { compareDpkg } from '../../../src/scan/index.ts';

const N = Number(process.argv[2] ?? 100000);
let seed = Number(process.argv[3] ?? 1);
function rnd(n: number): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
}
const pick = <T>(xs: T[]): T => xs[rnd(xs.length)]!;

function upstream(): string {
  let s = String(rnd(4) === 0 ? rnd(100) : rnd(5));
  const parts = rnd(5);
  for (let i = 0; i < parts; i++)
    s +=
      pick(['.', '.', '~', '+', 'a', 'b', '~rc', '~beta', '+dfsg', '+really', 'z', '.0', '0']) +
      (rnd(2) ? String(rnd(12)) : '');
  return s;
}
function version(): string {
  const e = rnd(6) === 0 ? `${rnd(3)}:` : '';
  const r = rnd(3)
    ? `-${rnd(5)}${pick(['', '', '~deb12u1', '+deb12u' + rnd(12), 'ubuntu' + rnd(3), '.1', '~bpo1'])}`
    : '';
  return e + upstream() + r;
}
function mutate(v: string): string {
  const ops = [
    () => v + '~',
    () => v + '+1',
    () => v + '.0',
    () => v.replace(/\d+$/, (d) => String(Number(d) + 1)),
    () => v.replace(/^(\d+):/, ''),
    () => (v.includes(':') ? v : `1:${v}`),
    () => v.replace(/-[^-]*$/, ''),
    () => v.replace(/~/g, ''),
    () => v,
    () => (v.includes(':') ? v : `0:${v}`),
    () => v.replace(/(\d)$/, '$1.0'),
  ];
  return pick(ops)();
}

const pairs: [string, string][] = [];
for (let i = 0; i < N; i++) {
  const a = version();
  pairs.push([a, rnd(2) ? mutate(a) : version()]);
}

// one shell per worker answers many pairs: prints -1/0/1 per line from two dpkg calls
async function dpkgBatch(batch: [string, string][]): Promise<number[]> {
  const script =
    'while IFS=" " read -r a b; do if dpkg --compare-versions "$a" lt "$b"; then echo -1; elif dpkg --compare-versions "$a" eq "$b"; then echo 0; else echo 1; fi; done';
  const p = spawn('sh', ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (c: Buffer) => (out += c.toString()));
  p.stdin.end(batch.map(([a, b]) => `${a} ${b}`).join('\n') + '\n');
  await new Promise((r) => p.on('close', r));
  return out.trim().split('\n').map(Number);
}

const workers = Math.max(1, cpus().length);
const size = Math.ceil(pairs.length / workers);
const t0 = Date.now();
const results = (
  await Promise.all(Array.from({ length: workers }, (_, w) => dpkgBatch(pairs.slice(w * size, (w + 1) * size))))
).flat();
let bad = 0;
pairs.forEach(([a, b], i) => {
  const want = results[i];
  const got = compareDpkg(a, b);
  if (got !== want) {
    bad++;
    if (bad <= 20) console.log(`disagree: ${a} vs ${b}: dpkg ${want}, ours ${got}`);
  }
});
const counts = [-1, 0, 1].map((c) => results.filter((r) => r === c).length);
console.log(
  `${pairs.length} pairs (lt ${counts[0]}, eq ${counts[1]}, gt ${counts[2]}) in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${pairs.length - bad} agree, ${bad} disagree`,
);
process.exitCode = bad ? 1 : 0;
