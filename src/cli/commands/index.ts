// Registers every verb of the CLI. Each command group lives in its own file and exports `register`.
import type { Command } from 'commander';

type Register = (program: Command) => void;

const groups: Register[] = [];

export function registerCommands(program: Command): void {
  for (const register of groups) register(program);
}
