// The `sekisho` command. The only place that reads argv and env and prints; every verb lives in
// commands/<verb>.ts and is registered through commands/index.ts.
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index.ts';
import { reportError } from './report-error.ts';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('sekisho')
    .description('The checkpoint between a commit and a cluster: build, inspect, sign, promote, deliver, admit.')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showSuggestionAfterError()
    .exitOverride();
  await registerCommands(program, argv);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0; usage errors with 2 (after the message).
      return err.exitCode === 0 ? 0 : 2;
    }
    return reportError(err);
  }
}

// `sekisho ... | head`: a reader that goes away is the end of the output, not a crash
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
