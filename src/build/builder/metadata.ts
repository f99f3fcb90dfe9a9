// Instructions that change only the image config (ENV, LABEL, USER, EXPOSE, VOLUME, CMD, ENTRYPOINT, SHELL,
// STOPSIGNAL, HEALTHCHECK, ONBUILD, MAINTAINER, ARG), and the history `created_by` strings in BuildKit's
// style (`ENV A=b`, `RUN /bin/sh -c make # buildkit`, `CMD ["sh"]`, `EXPOSE map[80/tcp:{}]`).
import { BuildError } from '../errors.ts';
import type { CommandLine, Instruction } from '../dockerfile/ast.ts';
import type { ImageConfig } from './types.ts';

/** Go's %q of a string (what BuildKit's history strings show for argv elements). */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

function goList(xs: string[]): string {
  return `[${xs.map(goQuote).join(' ')}]`;
}

export function createdBy(kind: string, rest: string): string {
  return `${kind} ${rest} # buildkit`;
}

export function runCreatedBy(argv: string[], argPairs: string[], _shellForm: boolean): string {
  const prefix = argPairs.length > 0 ? `|${argPairs.length} ${argPairs.join(' ')} ` : '';
  return `RUN ${prefix}${argv.join(' ')} # buildkit`;
}

function setEnv(config: ImageConfig, key: string, value: string): void {
  const env = config.config.Env ?? [];
  const i = env.findIndex((e) => e === key || e.startsWith(`${key}=`));
  const entry = `${key}=${value}`;
  if (i >= 0) env[i] = entry;
  else env.push(entry);
  config.config.Env = env;
}

function commandOf(config: ImageConfig, cmd: CommandLine): string[] {
  if (!cmd.prependShell) return [...cmd.args];
  const shell = config.config.Shell ?? ['/bin/sh', '-c'];
  return [...shell, cmd.args.join(' ')];
}

export interface MetaContext {
  args: Map<string, string | undefined>;
  /** Set once CMD was given in this stage (ENTRYPOINT then keeps it). */
  cmdSet?: boolean;
}

function expandPorts(word: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(\w+))?$/.exec(word);
  if (!m) throw new BuildError('DOCKERFILE_INVALID', `EXPOSE: invalid port ${JSON.stringify(word)}`);
  const lo = Number(m[1]);
  const hi = m[2] !== undefined ? Number(m[2]) : lo;
  const proto = (m[3] ?? 'tcp').toLowerCase();
  if (hi < lo || hi > 65535)
    throw new BuildError('DOCKERFILE_INVALID', `EXPOSE: invalid port range ${JSON.stringify(word)}`);
  const out: string[] = [];
  for (let p = lo; p <= hi; p++) out.push(`${p}/${proto}`);
  return out;
}

/** Applies a metadata instruction to the config; returns its history `created_by`. */
export function applyMetadata(
  config: ImageConfig,
  instr: Instruction,
  expand: (w: string) => string,
  expandList: (ws: string[]) => string[],
  ctx: MetaContext,
): string {
  const c = config.config;
  switch (instr.kind) {
    case 'ENV': {
      const parts: string[] = [];
      for (const kv of instr.env) {
        const k = expand(kv.key);
        const v = expand(kv.value);
        setEnv(config, k, v);
        parts.push(`${k}=${v}`);
      }
      return `ENV ${parts.join(' ')}`;
    }
    case 'LABEL': {
      const parts: string[] = [];
      c.Labels ??= {};
      for (const kv of instr.labels) {
        const k = expand(kv.key);
        const v = expand(kv.value);
        c.Labels[k] = v;
        parts.push(`${k}=${v}`);
      }
      return `LABEL ${parts.join(' ')}`;
    }
    case 'USER': {
      c.User = expand(instr.user);
      return `USER ${c.User}`;
    }
    case 'EXPOSE': {
      c.ExposedPorts ??= {};
      for (const w of expandList(instr.ports)) for (const p of expandPorts(w)) c.ExposedPorts[p] = {};
      const keys = Object.keys(c.ExposedPorts).sort();
      return `EXPOSE map[${keys.map((k) => `${k}:{}`).join(' ')}]`;
    }
    case 'VOLUME': {
      c.Volumes ??= {};
      const vols = instr.volumes.map((v) => expand(v));
      for (const v of vols) {
        if (v.trim() === '') throw new BuildError('DOCKERFILE_INVALID', 'VOLUME specified can not be an empty string');
        c.Volumes[v] = {};
      }
      return `VOLUME [${vols.join(' ')}]`;
    }
    case 'CMD': {
      c.Cmd = commandOf(config, instr.command);
      ctx.cmdSet = true;
      return `CMD ${goList(c.Cmd)}`;
    }
    case 'ENTRYPOINT': {
      const ep = commandOf(config, instr.command);
      c.Entrypoint = instr.command.prependShell || ep.length > 0 ? ep : null;
      if (!ctx.cmdSet) c.Cmd = null;
      return `ENTRYPOINT ${goList(c.Entrypoint ?? [])}`;
    }
    case 'SHELL': {
      c.Shell = [...instr.shell];
      return `SHELL ${goList(c.Shell)}`;
    }
    case 'STOPSIGNAL': {
      c.StopSignal = expand(instr.signal);
      return `STOPSIGNAL ${c.StopSignal}`;
    }
    case 'HEALTHCHECK': {
      const h = instr.health;
      const hc: NonNullable<typeof c.Healthcheck> = { Test: [...h.test] };
      if (h.interval) hc.Interval = h.interval;
      if (h.timeout) hc.Timeout = h.timeout;
      if (h.startPeriod) hc.StartPeriod = h.startPeriod;
      if (h.startInterval) hc.StartInterval = h.startInterval;
      if (h.retries) hc.Retries = h.retries;
      c.Healthcheck = hc;
      return `HEALTHCHECK &{${goList(h.test)} ${fmtDur(h.interval)} ${fmtDur(h.timeout)} ${fmtDur(h.startPeriod)} ${fmtDur(h.startInterval)} ${h.retries}}`;
    }
    case 'ONBUILD': {
      c.OnBuild = [...(c.OnBuild ?? []), instr.expression];
      return `ONBUILD ${instr.expression}`;
    }
    case 'MAINTAINER': {
      config.author = expand(instr.maintainer);
      return `MAINTAINER ${config.author}`;
    }
    case 'ARG': {
      const parts = instr.args.map((a) => {
        const v = ctx.args.get(a.key);
        return v === undefined ? a.key : `${a.key}=${v}`;
      });
      return `ARG ${parts.join(' ')}`;
    }
    default:
      throw new BuildError('INTERNAL', `${instr.kind} is not a metadata instruction`);
  }
}

/** Go's time.Duration String() for whole nanoseconds (`30s`, `1m30s`, `0s`). */
function fmtDur(ns: number): string {
  if (!ns) return '0s';
  let s = ns / 1e9;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${Number(s.toFixed(9))}s`;
}
