// Registers every verb of the CLI. Each command group lives in its own file and exports `register`.
import type { Command } from 'commander';

import { register as registry } from './registry.ts';

type Register = (program: Command) => void;

const groups: Register[] = [registry];

export function registerCommands(program: Command): void {
  for (const register of groups) register(program);
}
