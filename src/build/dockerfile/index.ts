// Public surface of the Dockerfile frontend: parse, expand, and work out which stages a build needs.
import { BuildError } from '../errors.ts';
import type { ArgDecl, Dockerfile, Instruction, RunInstr, RunMount, Stage } from './ast.ts';
import { parseDockerfileText, parseMount, suggest } from './instructions.ts';
import { chompHeredocContent, mustParseHeredoc } from './parser.ts';
import { ShellLex, ShellLexError, type EnvLookup } from './shell-lex.ts';

export type * from './ast.ts';
export { parseMount, INSTRUCTION_NAMES, suggest, parseGoDuration } from './instructions.ts';
export { ShellLex, ShellLexError, type EnvLookup } from './shell-lex.ts';
export { parseNodes, dumpNode, type Node } from './parser.ts';

/**
 * Parses a Dockerfile. Throws BuildError `DOCKERFILE_PARSE` (syntax, flags, argument counts) or
 * `DOCKERFILE_INVALID` (no FROM, duplicate stage names) with `location` {file, row, col}; the message is
 * worded like BuildKit's, and `describe()` prefixes it with `file:row:col:`.
 */
export function parseDockerfile(text: string, opts: { file?: string } = {}): Dockerfile {
  return parseDockerfileText(text, opts.file ?? 'Dockerfile');
}

export interface ExpandOptions {
  /** Escape token of the Dockerfile (`df.directives.escape`), default `\`. */
  escape?: string;
  /** Where to point an error. */
  location?: { file: string; row: number; col?: number };
}

function lexError(e: unknown, opts: ExpandOptions): never {
  if (e instanceof ShellLexError) {
    const loc = opts.location;
    const msg = e.message;
    throw new BuildError('DOCKERFILE_INVALID', msg, loc ? { location: loc, cause: e } : { cause: e });
  }
  throw e;
}

/** Expands one word with BuildKit's shell-lex rules (quotes removed, no splitting): `$V`, `${V:-x}`, `${V#p}`... */
export function expandWord(word: string, lookup: EnvLookup, opts: ExpandOptions = {}): string {
  try {
    return new ShellLex(opts.escape ?? '\\').processWord(word, lookup);
  } catch (e) {
    return lexError(e, opts);
  }
}

/** Expands and splits into words (BuildKit's ProcessWords), as for EXPOSE. */
export function expandWords(word: string, lookup: EnvLookup, opts: ExpandOptions = {}): string[] {
  try {
    return new ShellLex(opts.escape ?? '\\').processWords(word, lookup);
  } catch (e) {
    return lexError(e, opts);
  }
}

/** Expands a heredoc body (`$VAR` only; quotes are kept), as BuildKit's ExpandRaw. */
export function expandHeredocBody(body: string, lookup: EnvLookup, opts: ExpandOptions = {}): string {
  try {
    const lex = new ShellLex('\\');
    lex.skipProcessQuotes = true;
    return lex.processWord(body, lookup);
  } catch (e) {
    return lexError(e, opts);
  }
}

/** A lookup over an ordered list of `KEY=value` strings (later wins), or a plain record. */
export function envLookup(env: string[] | Record<string, string>): EnvLookup {
  const m = new Map<string, string>();
  if (Array.isArray(env)) {
    for (const e of env) {
      const i = e.indexOf('=');
      if (i < 0) m.set(e, '');
      else m.set(e.slice(0, i), e.slice(i + 1));
    }
  } else for (const [k, v] of Object.entries(env)) m.set(k, v);
  return (name) => m.get(name);
}

/**
 * Returns a copy of the instruction with the words BuildKit expands replaced by their values:
 * ENV/LABEL keys and values, ADD/COPY sources, dest, --chown, --chmod, --checksum (and heredoc bodies with
 * an unquoted delimiter), WORKDIR, USER, VOLUME, STOPSIGNAL, EXPOSE (split into words), ARG key/default,
 * RUN --mount values. RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK/MAINTAINER/ONBUILD are left as written.
 */
export function expandInstruction<T extends Instruction>(instr: T, lookup: EnvLookup, opts: ExpandOptions = {}): T {
  const o: ExpandOptions = { ...opts };
  const w = (s: string): string => expandWord(s, lookup, o);
  const i = instr as Instruction;
  switch (i.kind) {
    case 'ENV':
      return { ...i, env: i.env.map((kv) => ({ ...kv, key: w(kv.key), value: w(kv.value) })) } as T;
    case 'LABEL':
      return { ...i, labels: i.labels.map((kv) => ({ ...kv, key: w(kv.key), value: w(kv.value) })) } as T;
    case 'ADD':
    case 'COPY': {
      const r = {
        ...i,
        sources: i.sources.map(w),
        dest: w(i.dest),
        sourceContents: i.sourceContents.map((c) =>
          c.expand ? { ...c, data: expandHeredocBody(c.data, lookup, o) } : c,
        ),
      };
      if (i.chown !== undefined) r.chown = w(i.chown);
      if (i.chmod !== undefined) r.chmod = w(i.chmod);
      if (i.kind === 'ADD' && i.checksum !== undefined) (r as typeof i).checksum = w(i.checksum);
      return r as T;
    }
    case 'WORKDIR':
      return { ...i, path: w(i.path) } as T;
    case 'USER':
      return { ...i, user: w(i.user) } as T;
    case 'VOLUME':
      return { ...i, volumes: i.volumes.map(w) } as T;
    case 'STOPSIGNAL':
      return { ...i, signal: w(i.signal) } as T;
    case 'EXPOSE':
      return { ...i, ports: i.ports.flatMap((p) => expandWords(p, lookup, o)) } as T;
    case 'ARG':
      return {
        ...i,
        args: i.args.map((a) => (a.value === undefined ? { key: w(a.key) } : { key: w(a.key), value: w(a.value) })),
      } as T;
    case 'RUN': {
      try {
        return { ...i, mounts: i.mounts.map((m) => parseMount(m.raw, w)) } as T;
      } catch (e) {
        if (e instanceof BuildError) throw e;
        const loc = o.location;
        throw new BuildError(
          'DOCKERFILE_INVALID',
          (e as Error).message,
          loc ? { location: loc, cause: e } : { cause: e },
        );
      }
    }
    default:
      return instr;
  }
}

/**
 * What to execute for a RUN: BuildKit turns a RUN whose command is a single heredoc into the heredoc's
 * body (run through the shell), or — when the body starts with `#!` — into a script file mounted at
 * `/dev/pipes/<name>` (mode 0755) and executed directly; other heredoc uses are re-joined for the shell.
 * `argv` still needs the stage's SHELL prepended when `prependShell` is true.
 */
export function runCommand(run: RunInstr): {
  argv: string[];
  prependShell: boolean;
  scriptFile?: { dir: string; name: string; data: string; mode: number };
} {
  let args = run.command.args;
  const prependShell = run.command.prependShell;
  if (run.files.length === 0) return { argv: args, prependShell };
  const first = run.files[0];
  if (args.length !== 1 || !prependShell || !first) {
    throw new BuildError('DOCKERFILE_INVALID', `parsing produced an invalid run command: ${JSON.stringify(args)}`);
  }
  if (mustParseHeredoc(args[0] ?? '')) {
    const data = first.chomp ? chompHeredocContent(first.data) : first.data;
    if (data.startsWith('#!')) {
      return {
        argv: [`/dev/pipes/${first.name}`],
        prependShell,
        scriptFile: { dir: '/dev/pipes', name: first.name, data, mode: 0o755 },
      };
    }
    return { argv: [data], prependShell };
  }
  let b = args[0] ?? '';
  for (const f of run.files) b += '\n' + f.data + f.name;
  args = [b];
  return { argv: args, prependShell };
}

/** The platform ARGs BuildKit predefines in the global scope (`TARGETPLATFORM`, `BUILDARCH`, ...). */
export function platformArgs(platform: { os: string; architecture: string; variant?: string }): Record<string, string> {
  const p = `${platform.os}/${platform.architecture}${platform.variant ? `/${platform.variant}` : ''}`;
  const out: Record<string, string> = {};
  for (const pre of ['BUILD', 'TARGET']) {
    out[`${pre}PLATFORM`] = p;
    out[`${pre}OS`] = platform.os;
    out[`${pre}ARCH`] = platform.architecture;
    out[`${pre}VARIANT`] = platform.variant ?? '';
  }
  return out;
}

/**
 * Values of the meta ARGs (ARG before the first FROM): a build arg wins, else the default expanded with
 * the ARGs above it; an ARG with neither stays unset. `predefined` (e.g. `platformArgs(...)`) comes first.
 */
export function resolveMetaArgs(
  df: Dockerfile,
  buildArgs: Record<string, string>,
  predefined: Record<string, string> = {},
): Map<string, string> {
  const env = new Map(Object.entries(predefined));
  for (const instr of df.metaArgInstrs) {
    for (const a of instr.args) {
      let v: string | undefined = buildArgs[a.key];
      if (v === undefined && a.value !== undefined) {
        v = expandWord(a.value, (n) => env.get(n), {
          escape: df.directives.escape,
          location: { file: df.file, row: instr.line },
        });
      }
      if (v !== undefined) env.set(a.key, v);
    }
  }
  return env;
}

/** The FROM of a stage with meta ARGs expanded; `stage` is set when it names an earlier stage. */
export function resolveFrom(
  df: Dockerfile,
  stageIndex: number,
  metaArgs: Map<string, string>,
): { image: string; stage?: number; platform?: string } {
  const st = df.stages[stageIndex];
  if (!st) throw new BuildError('INTERNAL', `no stage ${stageIndex}`);
  const loc = { file: df.file, row: st.from.line };
  const image = expandWord(st.from.image, (n) => metaArgs.get(n), { escape: df.directives.escape, location: loc });
  if (image === '') {
    throw new BuildError('DOCKERFILE_INVALID', `base name (${st.from.image}) should not be blank`, { location: loc });
  }
  const r: { image: string; stage?: number; platform?: string } = { image };
  const lower = image.toLowerCase();
  for (const s of df.stages) {
    if (s.index >= stageIndex) break;
    if (s.name === lower) r.stage = s.index;
  }
  if (st.from.platform)
    r.platform = expandWord(st.from.platform, (n) => metaArgs.get(n), { escape: df.directives.escape, location: loc });
  return r;
}

function findStage(df: Dockerfile, ref: string): number | undefined {
  if (/^\d+$/.test(ref)) {
    const n = Number(ref);
    return n < df.stages.length ? n : undefined;
  }
  const lower = ref.toLowerCase();
  return df.stages.find((s) => s.name === lower)?.index;
}

export interface StageDependencies {
  /** Stage indexes this stage needs (its FROM stage, COPY --from, RUN --mount from=), without duplicates. */
  stages: number[];
  /** Image references used by COPY --from / RUN --mount from= that are not stages (extra pulls). */
  images: string[];
}

/** The stages (and extra images) a stage depends on. `buildArgs` are used to resolve meta ARGs in FROM. */
export function stageDependencies(
  df: Dockerfile,
  stageIndex: number,
  buildArgs: Record<string, string> = {},
  predefined: Record<string, string> = {},
): StageDependencies {
  const st = df.stages[stageIndex];
  if (!st) throw new BuildError('INTERNAL', `no stage ${stageIndex}`);
  const meta = resolveMetaArgs(df, buildArgs, predefined);
  const stages: number[] = [];
  const images: string[] = [];
  const addRef = (ref: string, instr: Instruction, what: string): void => {
    if (ref !== expandWord(ref, () => undefined)) {
      throw new BuildError(
        'DOCKERFILE_INVALID',
        `variable expansion is not supported for ${what}, define a new stage with FROM using ARG from global scope as a workaround`,
        { location: { file: df.file, row: instr.line } },
      );
    }
    const i = /^\d+$/.test(ref) ? Number(ref) : findStage(df, ref);
    if (/^\d+$/.test(ref) && (i === undefined || i >= df.stages.length)) {
      throw new BuildError('DOCKERFILE_INVALID', `invalid stage index ${ref}`, {
        location: { file: df.file, row: instr.line },
      });
    }
    if (i !== undefined) {
      if (!stages.includes(i)) stages.push(i);
    } else if (!images.includes(ref)) images.push(ref);
  };
  const from = resolveFrom(df, stageIndex, meta);
  if (from.stage !== undefined) stages.push(from.stage);
  const visit = (instr: Instruction): void => {
    if (instr.kind === 'COPY' && instr.from) addRef(instr.from, instr, '--from');
    if (instr.kind === 'RUN') for (const m of instr.mounts) if (m.from) addRef(m.from, instr, 'mount from');
    if (instr.kind === 'ONBUILD') return;
  };
  for (const instr of st.instructions) visit(instr);
  return { stages, images };
}

/** Index of the target stage: by name (case-insensitive), or the last stage when no target is given. */
export function targetStage(df: Dockerfile, target?: string): number {
  if (target === undefined || target === '') return df.stages.length - 1;
  const i = df.stages.find((s) => s.name === target.toLowerCase())?.index;
  if (i === undefined) {
    const names = df.stages.flatMap((s) => (s.name ? [s.name] : []));
    const hint = suggest(target, names, true);
    throw new BuildError(
      'DOCKERFILE_INVALID',
      `target stage ${JSON.stringify(target)} could not be found${hint ? ` (did you mean ${hint}?)` : ''}`,
    );
  }
  return i;
}

/**
 * The stage indexes needed to build `target` (default: the last stage), dependencies first (a topological
 * order; among independent stages, file order). Unused stages are left out. Cycles → DOCKERFILE_INVALID.
 */
export function selectStages(
  df: Dockerfile,
  target?: string,
  buildArgs: Record<string, string> = {},
  predefined: Record<string, string> = {},
): number[] {
  const t = targetStage(df, target);
  const order: number[] = [];
  const state = new Map<number, 'visiting' | 'done'>();
  const visit = (i: number): void => {
    const s = state.get(i);
    if (s === 'done') return;
    const st = df.stages[i] as Stage;
    if (s === 'visiting') {
      throw new BuildError('DOCKERFILE_INVALID', `circular dependency detected on stage: ${st.name ?? String(i)}`, {
        location: { file: df.file, row: st.from.line },
      });
    }
    state.set(i, 'visiting');
    for (const d of [...stageDependencies(df, i, buildArgs, predefined).stages].sort((a, b) => a - b)) visit(d);
    state.set(i, 'done');
    order.push(i);
  };
  visit(t);
  return order;
}

/** ARG declarations of a stage in order (for the builder's scope handling). */
export function stageArgs(stage: Stage): ArgDecl[] {
  return stage.instructions.flatMap((i) => (i.kind === 'ARG' ? i.args : []));
}

/** Mounts of a RUN with their values expanded (BuildKit expands them with the stage env at dispatch). */
export function expandMounts(run: RunInstr, lookup: EnvLookup, opts: ExpandOptions = {}): RunMount[] {
  return expandInstruction(run, lookup, opts).mounts;
}
