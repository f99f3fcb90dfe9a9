// A small Dockerfile parser for linting: instructions with 1-based line numbers, the escape
// directive, line continuations (with comment/blank lines inside them), heredocs and ONBUILD.
export interface Instruction {
  /** Upper-cased keyword, e.g. RUN. */
  keyword: string;
  /** 1-based line of the keyword. */
  line: number;
  /** Last line the instruction covers (heredoc bodies included). */
  endLine: number;
  /** `--name=value` flags in front of the arguments (FROM, RUN, COPY, ADD, HEALTHCHECK). */
  flags: Array<{ name: string; value: string }>;
  /** Arguments after the flags, continuations joined with a space, heredoc bodies appended. */
  args: string;
  /** When the arguments are a JSON array (exec form), its items. */
  json: string[] | undefined;
  /** Heredoc bodies (in order). */
  heredocs: string[];
  /** For ONBUILD, the wrapped instruction. */
  inner: Instruction | undefined;
}

export interface Comment {
  line: number;
  text: string;
}

export interface ParsedDockerfile {
  instructions: Instruction[];
  comments: Comment[];
  escape: string;
}

const FLAG_KEYWORDS = new Set(['FROM', 'RUN', 'COPY', 'ADD', 'HEALTHCHECK']);

export function parseDockerfile(text: string): ParsedDockerfile {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let escape = '\\';
  // Parser directives: only leading comment lines of the form `# key=value`.
  for (const raw of lines) {
    const m = /^\s*#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$/.exec(raw);
    if (!m) break;
    if (m[1]!.toLowerCase() === 'escape' && (m[2] === '`' || m[2] === '\\')) escape = m[2];
  }
  const instructions: Instruction[] = [];
  const comments: Comment[] = [];
  let i = 0;
  while (i < lines.length) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (trimmed === '') {
      i++;
      continue;
    }
    if (trimmed.startsWith('#')) {
      comments.push({ line: i + 1, text: trimmed });
      i++;
      continue;
    }
    const start = i;
    let logical = '';
    let cur = raw;
    for (;;) {
      const t = cur.replace(/\s+$/, '');
      if (t.endsWith(escape) && !(escape === '\\' && t.endsWith('\\\\') && false)) {
        logical += t.slice(0, -1);
        i++;
        // skip comment and empty lines inside continuation
        while (i < lines.length && (lines[i]!.trim() === '' || lines[i]!.trim().startsWith('#'))) i++;
        if (i >= lines.length) break;
        cur = lines[i]!;
        logical += ' ';
        continue;
      }
      logical += cur;
      i++;
      break;
    }
    const endBefore = i;
    const ins = parseInstruction(logical.trim(), start + 1);
    // heredocs: `<<EOF`, `<<-EOF`, `<<"EOF"`
    const markers = heredocMarkers(ins);
    for (const m of markers) {
      const body: string[] = [];
      while (i < lines.length) {
        const l = lines[i]!;
        i++;
        const cmp = m.strip ? l.replace(/^\t+/, '') : l;
        if (cmp === m.word) break;
        body.push(m.strip ? l.replace(/^\t+/, '') : l);
      }
      ins.heredocs.push(body.join('\n'));
    }
    ins.endLine = Math.max(endBefore, i);
    instructions.push(ins);
  }
  return { instructions, comments, escape };
}

function heredocMarkers(ins: Instruction): Array<{ word: string; strip: boolean }> {
  const target = ins.inner ?? ins;
  if (!['RUN', 'COPY', 'ADD'].includes(target.keyword) || target.json) return [];
  const out: Array<{ word: string; strip: boolean }> = [];
  const re = /<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(target.args))) out.push({ word: m[3]!, strip: m[1] === '-' });
  return out;
}

export function parseInstruction(text: string, line: number): Instruction {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(text);
  const keyword = (m?.[1] ?? text).toUpperCase();
  let rest = m?.[2] ?? '';
  const ins: Instruction = { keyword, line, endLine: line, flags: [], args: '', json: undefined, heredocs: [], inner: undefined };
  if (keyword === 'ONBUILD') {
    ins.args = rest;
    ins.inner = parseInstruction(rest, line);
    return ins;
  }
  if (FLAG_KEYWORDS.has(keyword)) {
    for (;;) {
      const f = /^--([A-Za-z0-9-]+)(?:=("[^"]*"|\S*))?\s*/.exec(rest);
      if (!f) break;
      let value = f[2] ?? '';
      if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
      ins.flags.push({ name: f[1]!.toLowerCase(), value });
      rest = rest.slice(f[0].length);
    }
  }
  ins.args = rest.trim();
  if (ins.args.startsWith('[')) {
    try {
      const v: unknown = JSON.parse(ins.args);
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) ins.json = v as string[];
    } catch {
      /* shell form */
    }
  }
  return ins;
}

/** The shell script a RUN instruction executes (exec form joined, heredoc bodies substituted). */
export function runScript(ins: Instruction): string {
  if (ins.json) return ins.json.join(' ');
  if (ins.heredocs.length > 0) {
    const head = ins.args.replace(/<<-?(["']?)[A-Za-z_][A-Za-z0-9_]*\1/g, '').trim();
    return [head, ...ins.heredocs].filter((s) => s !== '').join('\n');
  }
  return ins.args;
}

export interface BaseImage {
  image: string;
  registry: string | undefined;
  imageName: string;
  tag: string | undefined;
  digest: string | undefined;
  alias: string | undefined;
  platform: string | undefined;
}

export function parseFrom(ins: Instruction): BaseImage {
  const words = ins.args.split(/\s+/).filter((w) => w !== '');
  const ref = words[0] ?? '';
  const alias = words.length >= 3 && words[1]!.toLowerCase() === 'as' ? words[2] : undefined;
  const platform = ins.flags.find((f) => f.name === 'platform')?.value;
  return { ...parseImageRef(ref), alias, platform };
}

export function parseImageRef(ref: string): Omit<BaseImage, 'alias' | 'platform'> {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  let registry: string | undefined;
  let imageName = rest;
  const first = rest.indexOf('/');
  if (first > 0) {
    const head = rest.slice(0, first);
    if (head.includes('.') || head.includes(':') || head === 'localhost') {
      registry = head;
      imageName = rest.slice(first + 1);
    }
  }
  return { image: rest, registry, imageName, tag, digest };
}
