// Typed AST of a Dockerfile, as BuildKit's `instructions` package sees it after parsing.
// Every word is kept UNEXPANDED here: the builder expands with `expandInstruction` (or `expandWord`)
// once it knows the stage's ARG/ENV values, exactly when BuildKit's dispatcher does.

/** Parser directives from the top of the file (`# syntax=`, `# escape=`, `# check=`). */
export interface Directives {
  syntax?: string;
  /** `\` (default) or `` ` ``. */
  escape: string;
  check?: string;
}

/** `ARG name[=default]`. `value` is undefined when no default was given. */
export interface ArgDecl {
  key: string;
  value?: string;
}

export interface KeyValue {
  key: string;
  value: string;
  /** True for the legacy `ENV key value` form (no `=`). */
  noDelim?: boolean;
}

/** A heredoc body attached to an instruction (`<<EOF ... EOF`). */
export interface Heredoc {
  /** The delimiter word with quotes removed (`EOF`). */
  name: string;
  /** File descriptor prefix (`3<<EOF`), 0 when none. */
  fd: number;
  /** False when any part of the delimiter was quoted: the body is then taken literally. */
  expand: boolean;
  /** `<<-`: leading tabs are stripped from body lines. */
  chomp: boolean;
  /** The body as written (each line with its newline), leading tabs NOT yet stripped. */
  content: string;
}

interface InstrBase {
  /** 1-based first line of the instruction. */
  line: number;
  /** 1-based last line (continuations and heredoc bodies included). */
  endLine: number;
  /** The instruction text after joining continuation lines (comments removed), as BuildKit's `Original`. */
  original: string;
  /** Comment lines right above the instruction (without `#`). */
  comments: string[];
}

/** A command line of RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK CMD. */
export interface CommandLine {
  /** Exec form (JSON array): argv as written; shell form: one element, the command string. */
  args: string[];
  /** True for shell form (run through the stage's SHELL). */
  prependShell: boolean;
}

/** A heredoc given to RUN as an inline file (the first one is the script when it is the command). */
export interface InlineFile {
  name: string;
  data: string;
  chomp: boolean;
}

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type MountSharing = 'shared' | 'private' | 'locked';

/** One `RUN --mount=...`, with BuildKit's defaults applied. Values are unexpanded unless produced by `expandInstruction`. */
export interface RunMount {
  type: MountType;
  target?: string;
  source?: string;
  from?: string;
  /** Cache id (`id=`) or secret id. */
  id?: string;
  sharing?: MountSharing;
  /** Octal mode for cache/secret/ssh mounts. */
  mode?: number;
  uid?: number;
  gid?: number;
  /** Secret/ssh: fail when it is not provided. */
  required: boolean;
  readonly: boolean;
  /** tmpfs size in bytes. */
  size?: number;
  /** Secret mounted as an env variable (`env=NAME`). */
  env?: string;
  /** The `--mount` value as written. */
  raw: string;
}

export interface RunInstr extends InstrBase {
  kind: 'RUN';
  command: CommandLine;
  /** Heredocs of the line; when `command.args[0]` starts with `<<NAME`, the first is the script. */
  files: InlineFile[];
  heredocs: Heredoc[];
  mounts: RunMount[];
  network: 'default' | 'none' | 'host';
  security: 'sandbox' | 'insecure';
  /** Names of the flags used (for linting / cache keys). */
  flagsUsed: string[];
}

/** A heredoc used as a COPY/ADD source (`COPY <<EOF /dst`): the body becomes a file named `path`. */
export interface SourceContent {
  path: string;
  data: string;
  /** Expand `$VAR` in the body (unquoted delimiter). */
  expand: boolean;
}

interface CopyAddBase extends InstrBase {
  sources: string[];
  sourceContents: SourceContent[];
  dest: string;
  chown?: string;
  chmod?: string;
  link: boolean;
  exclude: string[];
  /** True when written as a JSON array. */
  json: boolean;
  heredocs: Heredoc[];
}

export interface CopyInstr extends CopyAddBase {
  kind: 'COPY';
  /** Stage name, stage index or image reference. */
  from?: string;
  parents: boolean;
}

export interface AddInstr extends CopyAddBase {
  kind: 'ADD';
  keepGitDir?: boolean;
  checksum?: string;
  unpack?: boolean;
}

export interface EnvInstr extends InstrBase {
  kind: 'ENV';
  env: KeyValue[];
}

export interface ArgInstr extends InstrBase {
  kind: 'ARG';
  args: ArgDecl[];
}

export interface WorkdirInstr extends InstrBase {
  kind: 'WORKDIR';
  path: string;
}

export interface UserInstr extends InstrBase {
  kind: 'USER';
  user: string;
}

export interface LabelInstr extends InstrBase {
  kind: 'LABEL';
  labels: KeyValue[];
}

export interface ExposeInstr extends InstrBase {
  kind: 'EXPOSE';
  /** Unexpanded port words (BuildKit sorts them). */
  ports: string[];
}

export interface VolumeInstr extends InstrBase {
  kind: 'VOLUME';
  volumes: string[];
}

export interface CmdInstr extends InstrBase {
  kind: 'CMD';
  command: CommandLine;
  files: InlineFile[];
}

export interface EntrypointInstr extends InstrBase {
  kind: 'ENTRYPOINT';
  /** `ENTRYPOINT []` or `ENTRYPOINT` with no args gives an empty list (clears the entrypoint). */
  command: CommandLine;
  files: InlineFile[];
}

export interface ShellInstr extends InstrBase {
  kind: 'SHELL';
  shell: string[];
}

/** Durations in nanoseconds, as the OCI/Docker image config stores them; 0 = not set. */
export interface HealthConfig {
  /** `['NONE']`, `['CMD', ...argv]` or `['CMD-SHELL', command]`. */
  test: string[];
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}

export interface HealthcheckInstr extends InstrBase {
  kind: 'HEALTHCHECK';
  health: HealthConfig;
}

export interface StopsignalInstr extends InstrBase {
  kind: 'STOPSIGNAL';
  signal: string;
}

export interface OnbuildInstr extends InstrBase {
  kind: 'ONBUILD';
  /** The trigger as stored in the image config's OnBuild list (e.g. `RUN echo hi`), heredoc bodies appended. */
  expression: string;
  /** The trigger parsed as an instruction (for validation / later execution). */
  trigger: Instruction;
}

export interface MaintainerInstr extends InstrBase {
  kind: 'MAINTAINER';
  maintainer: string;
}

export type Instruction =
  | RunInstr
  | CopyInstr
  | AddInstr
  | EnvInstr
  | ArgInstr
  | WorkdirInstr
  | UserInstr
  | LabelInstr
  | ExposeInstr
  | VolumeInstr
  | CmdInstr
  | EntrypointInstr
  | ShellInstr
  | HealthcheckInstr
  | StopsignalInstr
  | OnbuildInstr
  | MaintainerInstr;

export type InstructionKind = Instruction['kind'];

export interface StageFrom {
  /** Base image or earlier stage name, unexpanded (meta ARGs apply). */
  image: string;
  /** `--platform` value, unexpanded. */
  platform?: string;
  line: number;
  /** The FROM line as written (continuations joined). */
  original: string;
}

export interface Stage {
  index: number;
  /** Lower-cased `AS name`, when given. */
  name?: string;
  from: StageFrom;
  instructions: Instruction[];
  /** Comment lines right above FROM. */
  comments: string[];
}

export interface ParseWarning {
  message: string;
  line: number;
}

export interface Dockerfile {
  /** File name used in error locations. */
  file: string;
  directives: Directives;
  /** ARGs declared before the first FROM (usable only in FROM lines, and re-declared inside stages). */
  metaArgs: ArgDecl[];
  /** Location of each meta ARG instruction. */
  metaArgInstrs: ArgInstr[];
  stages: Stage[];
  warnings: ParseWarning[];
}
