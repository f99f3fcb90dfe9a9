import type { Command } from 'commander';
/** `rego fmt` (not yet registered). */
export function registerFmt(_rego: Command): void {}
