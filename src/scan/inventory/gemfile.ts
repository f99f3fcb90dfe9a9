// Ruby: Gemfile.lock, the `specs:` of its GEM sections (`    name (version[-platform])`, four spaces;
// deeper lines are each gem's own requirements).
import { purl } from './purl.ts';
import type { Package } from './types.ts';

export function parseGemfileLock(text: string, file: string, layer?: string): Package[] {
  const out: Package[] = [];
  let inGem = false;
  let inSpecs = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (/^\S/.test(line)) {
      inGem = line === 'GEM';
      inSpecs = false;
      continue;
    }
    if (inGem && line === '  specs:') {
      inSpecs = true;
      continue;
    }
    const m = inGem && inSpecs ? /^ {4}([^\s(]+) \(([^)]+)\)$/.exec(line) : null;
    if (!m) continue;
    const version = m[2]!.replace(/-(x86|x64|arm|aarch64|universal|java|mswin|mingw|darwin|linux|musl)[\w.-]*$/, '');
    out.push({
      type: 'gem',
      name: m[1]!,
      version,
      purl: purl('gem', undefined, m[1]!, version),
      ecosystem: 'RubyGems',
      location: file,
      ...(layer ? { layer } : {}),
    });
  }
  return out;
}
