// Registers every verb of the CLI. Each command group lives in its own file and exports `register`.
import type { Command } from 'commander';

import { register as registry } from './registry.ts';
import { register as image } from './image.ts';
import { register as rego } from './rego.ts';
import { register as cluster } from './cluster.ts';

import { register as policy } from './policy.ts';
import { register as admission } from './admission.ts';
import { register as app } from './app.ts';
import { register as controller } from './controller.ts';
import { register as sign } from './sign.ts';
import { register as up } from './up.ts';
import { register as scan } from './scan.ts';
import { register as lint } from './lint.ts';

type Register = (program: Command) => void;

const groups: Register[] = [registry, image, cluster, policy, rego, admission, up, sign, lint, app, controller, scan];

export function registerCommands(program: Command): void {
  for (const register of groups) register(program);
}
