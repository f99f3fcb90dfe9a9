// Registers the verbs of the CLI. Each command group lives in its own file and exports `register`; a group's
// module is loaded only when its verb is used (or for help and unknown verbs, all of them), so a `rego eval`
// does not pay for loading the cluster, registry and build code. index.test.ts checks the verb lists.
import type { Command } from 'commander';

type Register = (program: Command) => void;

export interface CommandGroup {
  /** The top-level verbs the group's `register` adds. */
  verbs: readonly string[];
  load: () => Promise<{ register: Register }>;
}

export const groups: readonly CommandGroup[] = [
  { verbs: ['registry'], load: () => import('./registry.ts') },
  { verbs: ['image'], load: () => import('./image.ts') },
  { verbs: ['cluster'], load: () => import('./cluster.ts') },
  { verbs: ['policy'], load: () => import('./policy.ts') },
  { verbs: ['rego'], load: () => import('./rego.ts') },
  { verbs: ['admission'], load: () => import('./admission.ts') },
  { verbs: ['up'], load: () => import('./up.ts') },
  { verbs: ['key', 'sign', 'verify', 'manifest', 'attest', 'verify-attestation'], load: () => import('./sign.ts') },
  { verbs: ['lint'], load: () => import('./lint.ts') },
  { verbs: ['app'], load: () => import('./app.ts') },
  { verbs: ['controller'], load: () => import('./controller.ts') },
  { verbs: ['scan', 'sbom', 'db'], load: () => import('./scan.ts') },
  { verbs: ['build'], load: () => import('./build.ts') },
  { verbs: ['ci'], load: () => import('./ci.ts') },
  { verbs: ['promote', 'cr'], load: () => import('./promote.ts') },
  { verbs: ['demo'], load: () => import('./demo.ts') },
];

/** Registers the group that owns the verb in `argv` (the first non-option word), or every group. */
export async function registerCommands(program: Command, argv: readonly string[]): Promise<void> {
  const verb = argv.find((a) => !a.startsWith('-'));
  const chosen = groups.filter((g) => verb !== undefined && g.verbs.includes(verb));
  for (const g of chosen.length > 0 ? chosen : groups) (await g.load()).register(program);
}
