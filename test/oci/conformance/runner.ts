// Runs the ported distribution-spec conformance workflows against a registry and prints one line per
// failing or unsupported case and a closing `N passed, N failed, N unsupported` line.
//   node --import tsx test/oci/conformance/runner.ts http://127.0.0.1:5000 [--verbose]
//   node --import tsx test/oci/conformance/runner.ts --embedded | --distribution
import { ConformanceSuite, summarize, type CaseResult } from './suite.ts';
import { startDistribution, startEmbedded } from '../helpers.ts';

export function report(label: string, results: CaseResult[], verbose = false): string {
  const lines: string[] = [];
  const byTop = new Map<string, { pass: number; fail: number; unsupported: number }>();
  for (const r of results) {
    const top = r.name.split('/')[0]!;
    const s = byTop.get(top) ?? { pass: 0, fail: 0, unsupported: 0 };
    s[r.status]++;
    byTop.set(top, s);
    if (verbose || r.status !== 'pass')
      lines.push(`  ${r.status.padEnd(11)} ${r.name}${r.message ? ': ' + r.message : ''}`);
  }
  const head = [...byTop].map(([k, s]) => `  ${k}: ${s.pass} passed, ${s.fail} failed, ${s.unsupported} unsupported`);
  const t = summarize(results);
  return [`${label}`, ...head, ...lines, `${t.pass} passed, ${t.fail} failed, ${t.unsupported} unsupported`].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const verbose = args.includes('--verbose');
  let url = args.find((a) => !a.startsWith('--'));
  let close: (() => Promise<void>) | undefined;
  if (args.includes('--embedded')) {
    const r = await startEmbedded();
    url = r.url;
    close = r.close;
  } else if (args.includes('--distribution')) {
    const r = await startDistribution();
    url = r.url;
    close = r.close;
  }
  if (!url) {
    process.stderr.write('usage: runner.ts <registry-url> | --embedded | --distribution [--verbose]\n');
    process.exit(2);
  }
  const results = await new ConformanceSuite(url).run();
  process.stdout.write(report(url, results, verbose) + '\n');
  await close?.();
  process.exitCode = summarize(results).fail > 0 ? 1 : 0;
}
