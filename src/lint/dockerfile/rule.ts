// Rule model: a rule sees the whole parsed Dockerfile and returns the lines it flags.
import { parseFrom, runScript, type BaseImage, type Instruction, type ParsedDockerfile } from './parse.ts';
import { parseShell, type ParsedShell } from './shell.ts';

export type Severity = 'error' | 'warning' | 'info' | 'style' | 'ignore';

export type LabelType = 'text' | 'url' | 'rfc3339' | 'spdx' | 'hash' | 'semver' | 'email';

export interface RuleContext {
  file: ParsedDockerfile;
  trustedRegistries: string[];
  /** hadolint's `label-schema`: required labels and the format of their values. */
  labelSchema: Record<string, LabelType>;
  /** hadolint's `strict-labels`: labels outside the schema are flagged (DL3050). */
  strictLabels: boolean;
}

/** A flagged line, with a message of its own when the rule's message depends on the finding (DL3049…). */
export type Hit = number | { line: number; message: string };

export interface Rule {
  code: string;
  severity: Severity;
  message: string;
  check(ctx: RuleContext): Hit[];
}

export interface RunView {
  ins: Instruction;
  line: number;
  shell: ParsedShell;
  mounts: Array<Record<string, string>>;
}

const shellCache = new WeakMap<Instruction, ParsedShell>();

export function shellOf(ins: Instruction): ParsedShell {
  let s = shellCache.get(ins);
  if (!s) {
    s = parseShell(runScript(ins));
    shellCache.set(ins, s);
  }
  return s;
}

export function mountsOf(ins: Instruction): Array<Record<string, string>> {
  return ins.flags
    .filter((f) => f.name === 'mount')
    .map((f) => Object.fromEntries(f.value.split(',').map((kv) => [kv.split('=')[0]!, kv.split('=').slice(1).join('=')])));
}

/** Whether a RUN has a cache or tmpfs mount whose target contains `frag`. */
export function hasCacheOrTmpfsMountWith(frag: string, ins: Instruction): boolean {
  return mountsOf(ins).some(
    (m) => (m.type === 'cache' || m.type === 'tmpfs') && (m.target ?? m.dst ?? m.destination ?? '').includes(frag),
  );
}

/** Top-level instructions (ONBUILD wrappers skipped). */
export function* topLevel(ctx: RuleContext): Generator<Instruction> {
  for (const ins of ctx.file.instructions) if (!ins.inner) yield ins;
}

/** Instructions wrapped in ONBUILD, carrying the ONBUILD's line. */
export function* onbuildInner(ctx: RuleContext): Generator<Instruction> {
  for (const ins of ctx.file.instructions) if (ins.inner) yield { ...ins.inner, line: ins.line };
}

/** A stateful check run over the top-level instructions and, separately, over ONBUILD contents (hadolint's `rule <> onbuild rule`). */
export function stateful(
  code: string,
  severity: Severity,
  message: string,
  fn: (list: Instruction[]) => number[],
  onbuild: boolean,
): Rule {
  return {
    code,
    severity,
    message,
    check(ctx) {
      const out = fn([...topLevel(ctx)]);
      if (onbuild) out.push(...fn([...onbuildInner(ctx)]));
      return out;
    },
  };
}

/** Instructions, with ONBUILD's wrapped instruction substituted when `onbuild` is set. */
export function* instructions(ctx: RuleContext, onbuild: boolean): Generator<Instruction> {
  for (const ins of ctx.file.instructions) {
    if (ins.inner) {
      if (onbuild) yield { ...ins.inner, line: ins.line };
    } else yield ins;
  }
}

export function* runs(ctx: RuleContext, onbuild = true): Generator<RunView> {
  for (const ins of instructions(ctx, onbuild)) {
    if (ins.keyword === 'RUN') yield { ins, line: ins.line, shell: shellOf(ins), mounts: mountsOf(ins) };
  }
}

/** A rule that checks each instruction on its own (optionally inside ONBUILD too). */
export function simple(
  code: string,
  severity: Severity,
  message: string,
  ok: (ins: Instruction) => boolean,
  onbuild = false,
): Rule {
  return {
    code,
    severity,
    message,
    check(ctx) {
      const out: number[] = [];
      for (const ins of instructions(ctx, onbuild)) if (!ok(ins)) out.push(ins.line);
      return out;
    },
  };
}

/** A rule over RUN instructions' parsed shell (including ONBUILD RUN, as hadolint does). */
export function runRule(code: string, severity: Severity, message: string, ok: (r: RunView) => boolean): Rule {
  return {
    code,
    severity,
    message,
    check(ctx) {
      const out: number[] = [];
      for (const r of runs(ctx)) if (!ok(r)) out.push(r.line);
      return out;
    },
  };
}

export const dropQuotes = (s: string): string => s.replace(/^["']+|["']+$/g, '');

export function fromOf(ins: Instruction): BaseImage | undefined {
  return ins.keyword === 'FROM' ? parseFrom(ins) : undefined;
}

export const ARCHIVE_EXTENSIONS = ['.tar', '.Z', '.bz2', '.gz', '.lz', '.lzma', '.tZ', '.tb2', '.tbz', '.tbz2', '.tgz', '.tlz', '.tpz', '.txz', '.xz'];
