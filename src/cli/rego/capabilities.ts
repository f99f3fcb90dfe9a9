// `--capabilities FILE` for `rego eval` and `rego check` (OPA's flag), and `sekisho rego capabilities`, which
// prints this engine's capabilities in OPA's format — a starting point to trim into a project's own file.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { currentCapabilities, parseCapabilities, type Capabilities } from '../../rego/index.ts';
import { LoadError } from './loader.ts';

export function loadCapabilities(path: string | undefined): Capabilities | undefined {
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new LoadError(
      `capabilities file ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`,
    );
  }
  return parseCapabilities(text, path);
}

export function registerCapabilities(rego: Command): void {
  rego
    .command('capabilities')
    .description("Print the builtins and features this engine supports, in OPA's capabilities format")
    .option('--current', 'the capabilities of this version (the only ones there are; accepted for OPA compatibility)')
    .addHelpText(
      'after',
      `
Trim the output to the builtins your policies may call, then pass it with --capabilities to
\`rego eval\` or \`rego check\`: calls to anything else fail with "undefined function". An "allow_net"
list limits http.send and net.lookup_ip_addr to those hosts ([] blocks the network).

Example:
  $ sekisho rego capabilities > caps.json && sekisho rego check --capabilities caps.json policies/`,
    )
    .action(() => {
      process.stdout.write(JSON.stringify(currentCapabilities(), null, 2) + '\n');
    });
}
