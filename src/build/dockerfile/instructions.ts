// Node tree → typed instructions and stages, following BuildKit's frontend/dockerfile/instructions
// (flags, argument counts, RUN --mount/--network/--security, heredoc sources, error wording).
import { BuildError } from '../errors.ts';
import type {
  AddInstr,
  ArgDecl,
  ArgInstr,
  CommandLine,
  CopyInstr,
  Dockerfile,
  HealthConfig,
  Heredoc,
  InlineFile,
  Instruction,
  KeyValue,
  MountSharing,
  MountType,
  RunMount,
  SourceContent,
  Stage,
} from './ast.ts';
import {
  chompHeredocContent,
  mustParseHeredoc,
  parseNodes,
  ParseError,
  type Node,
  type ParseResult,
} from './parser.ts';

export const INSTRUCTION_NAMES = [
  'ADD',
  'ARG',
  'CMD',
  'COPY',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'FROM',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'RUN',
  'SHELL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
];

/** An error of the instruction layer; the caller adds the location. */
class InstrError extends Error {
  constructor(
    message: string,
    readonly token?: string,
  ) {
    super(message);
  }
}

// ---- suggestions (util/suggest) --------------------------------------------------------------

function levenshtein(a: string, b: string): number {
  const A = Array.from(a);
  const B = Array.from(b);
  let prev = Array.from({ length: B.length + 1 }, (_, i) => i);
  for (let i = 1; i <= A.length; i++) {
    const cur = [i];
    for (let j = 1; j <= B.length; j++) {
      const cost = A[i - 1] === B[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[B.length] ?? 0;
}

function matchCase(val: string, orig: string): string {
  if (orig === orig.toLowerCase()) return val.toLowerCase();
  if (orig === orig.toUpperCase()) return val.toUpperCase();
  return val;
}

/** BuildKit's suggest.Search: the closest option within edit distance 2, or undefined. */
export function suggest(val: string, options: string[], caseSensitive: boolean): string | undefined {
  const v = caseSensitive ? val : val.toLowerCase();
  let match: string | undefined;
  let min = 3;
  for (const o of [...options].sort()) {
    const opt = caseSensitive ? o : o.toLowerCase();
    if (v === opt) return undefined;
    const dist = levenshtein(v, opt);
    if (dist < min) {
      match = caseSensitive ? opt : matchCase(opt, val);
      min = dist;
    }
  }
  return match;
}

function withSuggestion(msg: string, val: string, options: string[], caseSensitive: boolean): string {
  const m = suggest(val, options, caseSensitive);
  return m ? `${msg} (did you mean ${m}?)` : msg;
}

// ---- flags (bflag.go) ------------------------------------------------------------------------

type FlagType = 'bool' | 'string' | 'strings';
interface Flag {
  type: FlagType;
  value: string;
  values: string[];
  used: boolean;
}

class BFlags {
  private readonly flags = new Map<string, Flag>();
  readonly used: string[] = [];
  constructor(private readonly args: string[]) {}
  add(name: string, type: FlagType, def = ''): Flag {
    const f: Flag = {
      type,
      value: type === 'bool' ? (def === 'true' ? 'true' : 'false') : def,
      values: [],
      used: false,
    };
    this.flags.set(name, f);
    return f;
  }
  parse(): void {
    for (const a of this.args) {
      if (a === '--') return;
      if (!a.startsWith('--')) throw new InstrError(`arg should start with -- : ${a}`, a);
      const eq = a.indexOf('=');
      const flagName = eq < 0 ? a : a.slice(0, eq);
      const value = eq < 0 ? '' : a.slice(eq + 1);
      const hasValue = eq >= 0;
      const arg = flagName.slice(2);
      const flag = this.flags.get(arg);
      if (!flag) {
        throw new InstrError(withSuggestion(`unknown flag: ${flagName}`, arg, [...this.flags.keys()], true), flagName);
      }
      if (flag.used && flag.type !== 'strings') throw new InstrError(`duplicate flag specified: ${flagName}`, flagName);
      flag.used = true;
      if (!this.used.includes(arg)) this.used.push(arg);
      switch (flag.type) {
        case 'bool':
          if (hasValue && value === '') throw new InstrError(`missing a value on flag: ${flagName}`, flagName);
          if (value.toLowerCase() === 'true' || value === '') flag.value = 'true';
          else if (value.toLowerCase() === 'false') flag.value = 'false';
          else throw new InstrError(`expecting boolean value for flag ${flagName}, not: ${value}`, flagName);
          break;
        case 'string':
          if (!hasValue) throw new InstrError(`missing a value on flag: ${flagName}`, flagName);
          flag.value = value;
          break;
        case 'strings':
          if (!hasValue) throw new InstrError(`missing a value on flag: ${flagName}`, flagName);
          flag.values.push(value);
          break;
      }
    }
  }
}

// ---- helpers ---------------------------------------------------------------------------------

function nodeArgs(node: Node): string[] {
  const out: string[] = [];
  for (let n: Node | undefined = node; n?.next; n = n.next) {
    const arg = n.next;
    if (arg.children.length === 0) out.push(arg.value);
    else if (arg.children.length === 1) {
      const c = arg.children[0];
      if (c) {
        out.push(c.value);
        out.push(...nodeArgs(c));
      }
    }
  }
  return out;
}

interface Req {
  command: string;
  args: string[];
  heredocs: Heredoc[];
  json: boolean;
  flags: BFlags;
  original: string;
  line: number;
  endLine: number;
  comments: string[];
  node: Node;
}

const errAtLeastOne = (c: string): InstrError => new InstrError(`${c} requires at least one argument`);
const errExactlyOne = (c: string): InstrError => new InstrError(`${c} requires exactly one argument`);
const errNoDest = (c: string): InstrError =>
  new InstrError(
    `${c} requires at least two arguments, but only one was provided. Destination could not be determined`,
  );
const errBlankNames = (c: string): InstrError => new InstrError(`${c} names can not be blank`);

function base(req: Req): { line: number; endLine: number; original: string; comments: string[] } {
  return { line: req.line, endLine: req.endLine, original: req.original, comments: req.comments };
}

function parseKvps(args: string[], cmd: string): KeyValue[] {
  if (args.length === 0) throw errAtLeastOne(cmd);
  if (args.length % 3 !== 0) throw new InstrError(`Bad input to ${cmd}, too many arguments`);
  const res: KeyValue[] = [];
  for (let j = 0; j < args.length; j += 3) {
    const key = args[j] ?? '';
    if (key.length === 0) throw errBlankNames(cmd);
    const kv: KeyValue = { key, value: args[j + 1] ?? '' };
    if ((args[j + 2] ?? '') === '') kv.noDelim = true;
    res.push(kv);
  }
  return res;
}

function handleJSONArgs(args: string[], json: boolean): string[] {
  if (args.length === 0) return [];
  if (json) return args;
  return [args.join(' ')];
}

function commandLine(req: Req): { command: CommandLine; files: InlineFile[] } {
  return {
    command: { args: handleJSONArgs(req.args, req.json), prependShell: !req.json },
    files: req.heredocs.map((h) => ({ name: h.name, data: h.content, chomp: h.chomp })),
  };
}

function sourcesAndDest(req: Req, cmd: string): { sources: string[]; sourceContents: SourceContent[]; dest: string } {
  const srcs = req.args.slice(0, -1);
  const dest = req.args[req.args.length - 1] ?? '';
  if (mustParseHeredoc(dest)) throw new InstrError(`${cmd} cannot accept a heredoc as a destination`);
  const lookup = new Map(req.heredocs.map((h) => [h.name, h]));
  const sources: string[] = [];
  const sourceContents: SourceContent[] = [];
  for (const src of srcs) {
    const h = mustParseHeredoc(src);
    if (h) {
      let data = lookup.get(h.name)?.content ?? '';
      if (h.chomp) data = chompHeredocContent(data);
      sourceContents.push({ path: h.name, data, expand: h.expand });
    } else sources.push(src);
  }
  return { sources, sourceContents, dest };
}

// ---- durations (Go time.ParseDuration) -------------------------------------------------------

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, in nanoseconds. */
export function parseGoDuration(s: string): number {
  const orig = s;
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw new InstrError(`time: invalid duration ${JSON.stringify(orig)}`);
  let total = 0;
  const re = /^([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length > 0) {
    const m = re.exec(s);
    if (!m || m[1] === '' || m[1] === '.') {
      if (/^[0-9.]+$/.test(s)) throw new InstrError(`time: missing unit in duration ${JSON.stringify(orig)}`);
      throw new InstrError(`time: invalid duration ${JSON.stringify(orig)}`);
    }
    total += Number(m[1]) * (UNIT_NS[m[2] ?? ''] ?? 0);
    s = s.slice(m[0].length);
  }
  return Math.round(neg ? -total : total);
}

function parseOptInterval(name: string, v: string): number {
  if (v === '') return 0;
  const d = parseGoDuration(v);
  if (d === 0) return 0;
  if (d < 1e6) throw new InstrError(`Interval ${JSON.stringify(name)} cannot be less than 1ms`);
  return d;
}

// ---- RUN --mount -----------------------------------------------------------------------------

const MOUNT_TYPES: MountType[] = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];
const SHARING: MountSharing[] = ['shared', 'private', 'locked'];

/** Splits one CSV record (encoding/csv rules: quotes, doubled quotes) as BuildKit's csvvalue. */
export function csvFields(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  if (s === '') return [''];
  for (;;) {
    let field = '';
    if (s[i] === '"') {
      i++;
      for (;;) {
        if (i >= s.length) throw new InstrError(`failed to parse csv mounts: extraneous or missing " in quoted-field`);
        const c = s[i] ?? '';
        if (c === '"') {
          if (s[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += c;
        i++;
      }
      if (i < s.length && s[i] !== ',')
        throw new InstrError(`failed to parse csv mounts: extraneous or missing " in quoted-field`);
    } else {
      const j = s.indexOf(',', i);
      field = j < 0 ? s.slice(i) : s.slice(i, j);
      if (field.includes('"')) throw new InstrError(`failed to parse csv mounts: bare " in non-quoted-field`);
      i = j < 0 ? s.length : j;
    }
    out.push(field);
    if (i >= s.length) return out;
    i++; // the comma
    if (i >= s.length) {
      out.push('');
      return out;
    }
  }
}

function parseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

function parseRamBytes(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgGtTpP]?)[iI]?[bB]?$/.exec(v);
  if (!m) return undefined;
  const mult: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
  return Math.floor(Number(m[1]) * (mult[(m[2] ?? '').toLowerCase()] ?? 1));
}

/**
 * Parses one `--mount=` value. With `expand`, every `key=value` value is expanded first (BuildKit does
 * this at dispatch time with the stage's env); without it, values are kept as written.
 */
export function parseMount(val: string, expand?: (word: string) => string): RunMount {
  const fields = csvFields(val);
  const m: RunMount = { type: 'bind', required: false, readonly: true, raw: val };
  let roAuto = true;
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    let value = eq < 0 ? '' : field.slice(eq + 1);
    if (eq < 0) {
      switch (key) {
        case 'readonly':
        case 'ro':
          m.readonly = true;
          roAuto = false;
          continue;
        case 'readwrite':
        case 'rw':
          m.readonly = false;
          roAuto = false;
          continue;
        case 'required':
          if (m.type === 'secret' || m.type === 'ssh') {
            m.required = true;
            continue;
          }
          throw new InstrError(`unexpected key '${key}' for mount type '${m.type}'`);
        default:
          throw new InstrError(`invalid field '${field}' must be a key=value pair`);
      }
    }
    if (expand) value = expand(value);
    else if (key === 'from') {
      const idx = value.indexOf('$');
      if (idx !== -1 && idx !== value.length - 1) {
        throw new InstrError(`'${key}' doesn't support variable expansion, define alias stage instead`);
      }
    }
    switch (key) {
      case 'type': {
        const t = value.toLowerCase() as MountType;
        if (!MOUNT_TYPES.includes(t))
          throw new InstrError(
            withSuggestion(`unsupported mount type ${JSON.stringify(value)}`, value, MOUNT_TYPES, true),
          );
        m.type = t;
        break;
      }
      case 'from':
        m.from = value;
        break;
      case 'source':
      case 'src':
        m.source = value;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.target = value;
        break;
      case 'readonly':
      case 'ro': {
        const b = parseBool(value);
        if (b === undefined) throw new InstrError(`invalid value for ${key}: ${value}`);
        m.readonly = b;
        roAuto = false;
        break;
      }
      case 'readwrite':
      case 'rw': {
        const b = parseBool(value);
        if (b === undefined) throw new InstrError(`invalid value for ${key}: ${value}`);
        m.readonly = !b;
        roAuto = false;
        break;
      }
      case 'required': {
        if (m.type !== 'secret' && m.type !== 'ssh')
          throw new InstrError(`unexpected key '${key}' for mount type '${m.type}'`);
        const b = parseBool(value);
        if (b === undefined) throw new InstrError(`invalid value for ${key}: ${value}`);
        m.required = b;
        break;
      }
      case 'size': {
        if (m.type !== 'tmpfs') throw new InstrError(`unexpected key '${key}' for mount type '${m.type}'`);
        const n = parseRamBytes(value);
        if (n === undefined) throw new InstrError(`invalid value for ${key}: ${value}`);
        m.size = n;
        break;
      }
      case 'id':
        m.id = value;
        break;
      case 'sharing': {
        const s = value.toLowerCase() as MountSharing;
        if (!SHARING.includes(s))
          throw new InstrError(
            withSuggestion(`unsupported sharing value ${JSON.stringify(value)}`, value, SHARING, true),
          );
        m.sharing = s;
        break;
      }
      case 'mode': {
        if (!/^[0-7]+$/.test(value)) throw new InstrError(`invalid value ${value} for mode`);
        m.mode = Number.parseInt(value, 8);
        break;
      }
      case 'uid':
      case 'gid': {
        if (!/^\d+$/.test(value) || Number(value) > 0xffffffff)
          throw new InstrError(`invalid value ${value} for ${key}`);
        m[key] = Number(value);
        break;
      }
      case 'env':
        m.env = value;
        break;
      default: {
        const all = [
          'type',
          'from',
          'source',
          'target',
          'readonly',
          'id',
          'sharing',
          'required',
          'size',
          'mode',
          'uid',
          'gid',
          'src',
          'dst',
          'destination',
          'ro',
          'rw',
          'readwrite',
          'env',
        ];
        throw new InstrError(withSuggestion(`unexpected key '${key}' in '${field}'`, key, all, true));
      }
    }
  }
  const fileInfoAllowed = m.type === 'secret' || m.type === 'ssh' || m.type === 'cache';
  if (!fileInfoAllowed) {
    if (m.mode !== undefined) throw new InstrError(`mode not allowed for ${JSON.stringify(m.type)} type mounts`);
    if (m.uid !== undefined) throw new InstrError(`uid not allowed for ${JSON.stringify(m.type)} type mounts`);
    if (m.gid !== undefined) throw new InstrError(`gid not allowed for ${JSON.stringify(m.type)} type mounts`);
  }
  if (roAuto) m.readonly = !(m.type === 'cache' || m.type === 'tmpfs');
  if (m.type === 'secret') {
    if (m.from !== undefined && m.from !== '') throw new InstrError('secret mount should not have a from');
    if (m.sharing) throw new InstrError('secret mount should not define sharing');
    if (!m.source && !m.target && !m.id) throw new InstrError('invalid secret mount. one of source, target required');
    if (m.source && m.id) throw new InstrError("both source and id can't be set");
  }
  if (m.sharing && m.type !== 'cache') throw new InstrError(`invalid cache sharing set for ${m.type} mount`);
  return m;
}

// ---- per-instruction parsing -----------------------------------------------------------------

const validStageName = /^[a-z][a-z0-9-_.]*$/;

interface FromResult {
  kind: 'FROM';
  image: string;
  name?: string;
  platform?: string;
}

function parseFrom(req: Req): FromResult {
  const a = req.args;
  let name: string | undefined;
  if (a.length === 3 && (a[1] ?? '').toLowerCase() === 'as') {
    name = (a[2] ?? '').toLowerCase();
    if (!validStageName.test(name)) {
      throw new InstrError(
        `invalid name for build stage: ${JSON.stringify(a[2])}, name can't start with a number or contain symbols`,
        a[2],
      );
    }
  } else if (a.length !== 1) throw new InstrError('FROM requires either one or three arguments');
  const platform = req.flags.add('platform', 'string');
  req.flags.parse();
  const r: FromResult = { kind: 'FROM', image: a[0] ?? '' };
  if (name) r.name = name;
  if (platform.value !== '') r.platform = platform.value;
  return r;
}

function parseInstructionReq(req: Req): Instruction | FromResult {
  const b = base(req);
  switch (req.command.toLowerCase()) {
    case 'env': {
      req.flags.parse();
      return { kind: 'ENV', ...b, env: parseKvps(req.args, 'ENV') };
    }
    case 'maintainer': {
      if (req.args.length !== 1) throw errExactlyOne('MAINTAINER');
      req.flags.parse();
      return { kind: 'MAINTAINER', ...b, maintainer: req.args[0] ?? '' };
    }
    case 'label': {
      req.flags.parse();
      return { kind: 'LABEL', ...b, labels: parseKvps(req.args, 'LABEL') };
    }
    case 'add': {
      if (req.args.length < 2) throw errNoDest('ADD');
      const chown = req.flags.add('chown', 'string');
      const chmod = req.flags.add('chmod', 'string');
      const link = req.flags.add('link', 'bool');
      const keepGit = req.flags.add('keep-git-dir', 'bool');
      const checksum = req.flags.add('checksum', 'string');
      const unpack = req.flags.add('unpack', 'bool');
      const exclude = req.flags.add('exclude', 'strings');
      req.flags.parse();
      const sd = sourcesAndDest(req, 'ADD');
      const r: AddInstr = {
        kind: 'ADD',
        ...b,
        ...sd,
        link: link.value === 'true',
        exclude: exclude.values,
        json: req.json,
        heredocs: req.heredocs,
      };
      if (chown.value) r.chown = chown.value;
      if (chmod.value) r.chmod = chmod.value;
      if (keepGit.used) r.keepGitDir = keepGit.value === 'true';
      if (checksum.value) r.checksum = checksum.value;
      if (unpack.used) r.unpack = unpack.value === 'true';
      return r;
    }
    case 'copy': {
      if (req.args.length < 2) throw errNoDest('COPY');
      const chown = req.flags.add('chown', 'string');
      const from = req.flags.add('from', 'string');
      const chmod = req.flags.add('chmod', 'string');
      const link = req.flags.add('link', 'bool');
      const exclude = req.flags.add('exclude', 'strings');
      const parents = req.flags.add('parents', 'bool');
      req.flags.parse();
      const sd = sourcesAndDest(req, 'COPY');
      const r: CopyInstr = {
        kind: 'COPY',
        ...b,
        ...sd,
        link: link.value === 'true',
        parents: parents.value === 'true',
        exclude: exclude.values,
        json: req.json,
        heredocs: req.heredocs,
      };
      if (chown.value) r.chown = chown.value;
      if (chmod.value) r.chmod = chmod.value;
      if (from.value) r.from = from.value;
      return r;
    }
    case 'from':
      return parseFrom(req);
    case 'onbuild': {
      if (req.args.length === 0) throw errAtLeastOne('ONBUILD');
      req.flags.parse();
      const trig = (req.args[0] ?? '').trim().toUpperCase();
      if (trig === 'ONBUILD') throw new InstrError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      if (trig === 'MAINTAINER' || trig === 'FROM') throw new InstrError(`${trig} isn't allowed as an ONBUILD trigger`);
      let expression = req.original.replace(/^\s*ONBUILD\s*/i, '');
      if (req.heredocs.length > 0) {
        for (const h of req.heredocs) expression += '\n' + h.content + h.name;
      }
      const child = req.node.next?.children[0];
      if (!child) throw errAtLeastOne('ONBUILD');
      const sub = parseInstructionReq(makeReq(child, req.line, req.endLine, req.heredocs));
      if (sub.kind === 'FROM') throw new InstrError("FROM isn't allowed as an ONBUILD trigger");
      return { kind: 'ONBUILD', ...b, expression, trigger: sub };
    }
    case 'workdir': {
      if (req.args.length !== 1) throw errExactlyOne('WORKDIR');
      req.flags.parse();
      return { kind: 'WORKDIR', ...b, path: req.args[0] ?? '' };
    }
    case 'run': {
      const mount = req.flags.add('mount', 'strings');
      const network = req.flags.add('network', 'string', 'default');
      const security = req.flags.add('security', 'string', 'sandbox');
      req.flags.parse();
      const { command, files } = commandLine(req);
      const mounts = mount.values.map((v) => parseMount(v));
      if (!['default', 'none', 'host'].includes(network.value))
        throw new InstrError(`invalid network mode ${JSON.stringify(network.value)}`);
      if (!['sandbox', 'insecure'].includes(security.value))
        throw new InstrError(`security ${JSON.stringify(security.value)} is not valid`);
      return {
        kind: 'RUN',
        ...b,
        command,
        files,
        heredocs: req.heredocs,
        mounts,
        network: network.value as 'default' | 'none' | 'host',
        security: security.value as 'sandbox' | 'insecure',
        flagsUsed: [...req.flags.used],
      };
    }
    case 'cmd': {
      req.flags.parse();
      return { kind: 'CMD', ...b, ...commandLine(req) };
    }
    case 'entrypoint': {
      req.flags.parse();
      return { kind: 'ENTRYPOINT', ...b, ...commandLine(req) };
    }
    case 'healthcheck': {
      if (req.args.length === 0) throw errAtLeastOne('HEALTHCHECK');
      let typ = (req.args[0] ?? '').toUpperCase();
      const args = req.args.slice(1);
      const health: HealthConfig = { test: [], interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 };
      if (typ === 'NONE') {
        if (args.length !== 0) throw new InstrError('HEALTHCHECK NONE takes no arguments');
        health.test = [typ];
      } else {
        const interval = req.flags.add('interval', 'string');
        const timeout = req.flags.add('timeout', 'string');
        const startPeriod = req.flags.add('start-period', 'string');
        const startInterval = req.flags.add('start-interval', 'string');
        const retries = req.flags.add('retries', 'string');
        req.flags.parse();
        if (typ !== 'CMD') throw new InstrError(`Unknown type ${JSON.stringify(typ)} in HEALTHCHECK (try CMD)`);
        const cmd = handleJSONArgs(args, req.json);
        if (cmd.length === 0) throw new InstrError('Missing command after HEALTHCHECK CMD');
        if (!req.json) typ = 'CMD-SHELL';
        health.test = [typ, ...cmd];
        health.interval = parseOptInterval('interval', interval.value);
        health.timeout = parseOptInterval('timeout', timeout.value);
        health.startPeriod = parseOptInterval('start-period', startPeriod.value);
        health.startInterval = parseOptInterval('start-interval', startInterval.value);
        if (retries.value !== '') {
          if (!/^[+-]?\d+$/.test(retries.value)) {
            throw new InstrError(`strconv.ParseInt: parsing ${JSON.stringify(retries.value)}: invalid syntax`);
          }
          const n = Number(retries.value);
          if (n < 0) throw new InstrError(`--retries cannot be negative (${n})`);
          health.retries = n;
        }
      }
      return { kind: 'HEALTHCHECK', ...b, health };
    }
    case 'expose': {
      if (req.args.length === 0) throw errAtLeastOne('EXPOSE');
      req.flags.parse();
      return { kind: 'EXPOSE', ...b, ports: [...req.args].sort() };
    }
    case 'user': {
      if (req.args.length !== 1) throw errExactlyOne('USER');
      req.flags.parse();
      return { kind: 'USER', ...b, user: req.args[0] ?? '' };
    }
    case 'volume': {
      if (req.args.length === 0) throw errAtLeastOne('VOLUME');
      req.flags.parse();
      const volumes: string[] = [];
      for (const v of req.args) {
        const t = v.trim();
        if (t === '') throw new InstrError('VOLUME specified can not be an empty string');
        volumes.push(t);
      }
      return { kind: 'VOLUME', ...b, volumes };
    }
    case 'stopsignal': {
      if (req.args.length !== 1) throw errExactlyOne('STOPSIGNAL');
      return { kind: 'STOPSIGNAL', ...b, signal: req.args[0] ?? '' };
    }
    case 'arg': {
      if (req.args.length < 1) throw errAtLeastOne('ARG');
      const args: ArgDecl[] = req.args.map((a) => {
        const i = a.indexOf('=');
        if (i < 0) return { key: a };
        if (i === 0) throw errBlankNames('ARG');
        return { key: a.slice(0, i), value: a.slice(i + 1) };
      });
      return { kind: 'ARG', ...b, args };
    }
    case 'shell': {
      req.flags.parse();
      const s = handleJSONArgs(req.args, req.json);
      if (s.length === 0) throw errAtLeastOne('SHELL');
      if (!req.json) throw new InstrError(`SHELL requires the arguments to be in JSON form`);
      return { kind: 'SHELL', ...b, shell: s };
    }
  }
  throw new InstrError(
    withSuggestion(`unknown instruction: ${req.command}`, req.command, INSTRUCTION_NAMES, false),
    req.command,
  );
}

function makeReq(node: Node, line: number, endLine: number, heredocs?: Heredoc[]): Req {
  return {
    command: node.value,
    args: nodeArgs(node),
    heredocs:
      heredocs ??
      node.heredocs.map((h) => ({
        name: h.name,
        fd: h.fileDescriptor,
        expand: h.expand,
        chomp: h.chomp,
        content: h.content,
      })),
    json: node.attributes.json === true,
    flags: new BFlags(node.flags),
    original: node.original,
    line,
    endLine,
    comments: node.prevComment,
    node,
  };
}

/** Column (1-based) of `token` in the first source line of an instruction, or the first non-blank column. */
function columnOf(lines: string[], line: number, token?: string): number {
  const src = lines[line - 1] ?? '';
  if (token) {
    const i = src.indexOf(token);
    if (i >= 0) return i + 1;
  }
  const m = /\S/.exec(src);
  return m ? m.index + 1 : 1;
}

export function parseError(
  file: string,
  row: number,
  col: number,
  message: string,
  code: 'DOCKERFILE_PARSE' | 'DOCKERFILE_INVALID' = 'DOCKERFILE_PARSE',
  cause?: unknown,
): BuildError {
  return new BuildError(code, message, { location: { file, row, col }, cause });
}

/** Full parse: text → Dockerfile (stages, meta ARGs). Throws BuildError DOCKERFILE_PARSE with a location. */
export function parseDockerfileText(text: string, file: string): Dockerfile {
  const lines = text.split('\n');
  let res: ParseResult;
  try {
    res = parseNodes(text);
  } catch (e) {
    if (e instanceof ParseError) {
      const row = Math.max(1, e.startLine);
      throw parseError(file, row, columnOf(lines, row), e.message, 'DOCKERFILE_PARSE', e);
    }
    throw e;
  }
  const stages: Stage[] = [];
  const metaArgs: ArgDecl[] = [];
  const metaArgInstrs: ArgInstr[] = [];
  for (const n of res.ast.children) {
    let ins: Instruction | FromResult;
    try {
      ins = parseInstructionReq(makeReq(n, n.startLine, n.endLine));
    } catch (e) {
      if (e instanceof InstrError)
        throw parseError(file, n.startLine, columnOf(lines, n.startLine, e.token), e.message, 'DOCKERFILE_PARSE', e);
      throw e;
    }
    if (ins.kind === 'FROM') {
      const st: Stage = {
        index: stages.length,
        from: { image: ins.image, line: n.startLine, original: n.original.trim() },
        instructions: [],
        comments: n.prevComment,
      };
      if (ins.name) st.name = ins.name;
      if (ins.platform) st.from.platform = ins.platform;
      stages.push(st);
      continue;
    }
    const cur = stages[stages.length - 1];
    if (!cur) {
      if (ins.kind === 'ARG') {
        metaArgs.push(...ins.args);
        metaArgInstrs.push(ins);
        continue;
      }
      throw parseError(
        file,
        n.startLine,
        columnOf(lines, n.startLine),
        'no build stage in current context',
        'DOCKERFILE_INVALID',
      );
    }
    cur.instructions.push(ins);
  }
  if (stages.length === 0) {
    throw parseError(
      file,
      res.ast.endLine,
      1,
      'the Dockerfile has no FROM instruction: no build stage',
      'DOCKERFILE_INVALID',
    );
  }
  const names = new Map<string, number>();
  for (const s of stages) {
    if (s.name === undefined) continue;
    if (names.has(s.name)) {
      throw parseError(
        file,
        s.from.line,
        columnOf(lines, s.from.line, s.name),
        `duplicate stage name ${JSON.stringify(s.name)}`,
        'DOCKERFILE_INVALID',
      );
    }
    names.set(s.name, s.index);
  }
  const directives: Dockerfile['directives'] = { escape: res.escapeToken };
  if (res.directives.syntax !== undefined) directives.syntax = res.directives.syntax;
  if (res.directives.check !== undefined) directives.check = res.directives.check;
  return {
    file,
    directives,
    metaArgs,
    metaArgInstrs,
    stages,
    warnings: res.warnings.map((w) => ({ message: w.message, line: w.line })),
  };
}
