// A minimal process that runs the sandbox exactly as `sekisho cluster serve` does, without loading the
// rest of the CLI (so these tests do not depend on other command groups): prints `listening on <url>`.
import { startSandbox } from '../../src/sandbox/index.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const sb = await startSandbox({ dataDir: arg('data-dir', '.sekisho/cluster'), listen: arg('listen', '127.0.0.1:0') });
process.stdout.write(`listening on ${sb.url}\n`);
process.on('SIGTERM', () => void sb.close().then(() => process.exit(0)));
