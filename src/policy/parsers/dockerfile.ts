// Dockerfiles in Conftest's shape: the file's value is `[[command, ...]]` (one document: the list of
// commands), each command `{Cmd, SubCmd, JSON, Flags, Value, Stage}` as BuildKit's parser gives it —
// lower-cased instruction, `--flags` apart, the arguments split the way BuildKit splits each
// instruction, comments as `{Cmd: "comment"}` entries, Stage counting FROMs. Lines come from
// dockerfile-ast (continuations, escape directive).
import { DockerfileParser, ModifiableInstruction } from 'dockerfile-ast';
import type { ParseContext, ParsedFile, Parser } from './parser.ts';

export interface DockerCommand {
  Cmd: string;
  SubCmd: string;
  JSON: boolean;
  Flags: string[];
  Value: string[];
  Stage: number;
}

const JSON_FORM = new Set(['run', 'cmd', 'entrypoint', 'shell', 'copy', 'add', 'volume']);
const WHOLE_STRING = new Set(['run', 'cmd', 'entrypoint', 'shell', 'workdir', 'user', 'maintainer', 'stopsignal', 'healthcheck_cmd']);
const KEY_VALUE = new Set(['env', 'label']);

function splitFlags(content: string): { flags: string[]; rest: string } {
  const flags: string[] = [];
  let rest = content.trimStart();
  for (;;) {
    const m = /^--[^\s]+/.exec(rest);
    if (!m) break;
    flags.push(m[0]);
    rest = rest.slice(m[0].length).trimStart();
  }
  return { flags, rest };
}

function jsonArray(rest: string): string[] | undefined {
  const t = rest.trim();
  if (!t.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    // not JSON: shell form
  }
  return undefined;
}

/** Splits `a=b c="d e"` (or the legacy `KEY value`) into BuildKit's key, value, separator triples. */
function keyValues(rest: string): string[] {
  const out: string[] = [];
  const words = shellWords(rest);
  if (words.length > 0 && !(words[0] ?? '').includes('=')) {
    // legacy form: ENV KEY the rest of the line
    const key = words[0] ?? '';
    const value = rest.trim().slice(key.length).trim();
    return [key, value, ''];
  }
  for (const w of words) {
    const i = w.indexOf('=');
    const key = i < 0 ? w : w.slice(0, i);
    const value = i < 0 ? '' : unquote(w.slice(i + 1));
    out.push(key, value, '=');
  }
  return out;
}

function unquote(s: string): string {
  if (s.length >= 2 && ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")))) {
    return s.slice(1, -1);
  }
  return s;
}

/** Whitespace-split respecting quotes (quotes kept). */
function shellWords(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  let any = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? '';
    if (quote) {
      cur += c;
      if (c === '\\' && i + 1 < s.length) cur += s[++i] ?? '';
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      cur += c;
      any = true;
    } else if (/\s/.test(c)) {
      if (any) out.push(cur);
      cur = '';
      any = false;
    } else {
      cur += c;
      any = true;
    }
  }
  if (any) out.push(cur);
  return out;
}

function commandFor(keyword: string, content: string, stage: number): DockerCommand {
  const cmd = keyword.toLowerCase();
  const { flags, rest } = splitFlags(content);
  const command: DockerCommand = { Cmd: cmd, SubCmd: '', JSON: false, Flags: flags, Value: [], Stage: stage };
  const json = JSON_FORM.has(cmd) ? jsonArray(rest) : undefined;
  if (json) {
    command.JSON = true;
    command.Value = json;
  } else if (cmd === 'onbuild') {
    const m = /^(\S+)\s*([\s\S]*)$/.exec(rest.trim());
    if (m) {
      const sub = commandFor(m[1] ?? '', m[2] ?? '', stage);
      command.SubCmd = (m[1] ?? '').toLowerCase();
      command.JSON = sub.JSON;
      command.Value = sub.Value;
    }
  } else if (KEY_VALUE.has(cmd)) {
    command.Value = keyValues(rest);
  } else if (WHOLE_STRING.has(cmd)) {
    command.Value = rest.length > 0 ? [rest.trim()] : [];
  } else {
    command.Value = rest.trim().split(/\s+/).filter((w) => w.length > 0);
  }
  return command;
}

export const dockerfileParser: Parser = {
  name: 'dockerfile',
  parse(text: string, _ctx: ParseContext): ParsedFile {
    const doc = DockerfileParser.parse(text);
    type Item = { line: number; comment?: string; keyword?: string; content?: string; flags?: string[] };
    const items: Item[] = [];
    const directiveLines = new Set(doc.getDirectives().map((d) => d.getRange().start.line));
    for (const c of doc.getComments()) {
      const line = c.getRange().start.line;
      if (!directiveLines.has(line)) items.push({ line, comment: c.getContent() });
    }
    for (const ins of doc.getInstructions()) {
      // dockerfile-ast takes `--flags` out of the arguments of the instructions that have them
      const flags = ins instanceof ModifiableInstruction ? ins.getFlags().map((f) => f.toString()) : [];
      items.push({ line: ins.getRange().start.line, keyword: ins.getKeyword(), content: ins.getArgumentsContent() ?? '', flags });
    }
    items.sort((a, b) => a.line - b.line);
    const commands: DockerCommand[] = [];
    let froms = 0;
    for (const it of items) {
      if (it.comment !== undefined) {
        // BuildKit attaches comments to the next instruction: they belong to that instruction's stage.
        commands.push({ Cmd: 'comment', SubCmd: '', JSON: false, Flags: [], Value: [it.comment], Stage: Math.max(0, froms - 1) });
        continue;
      }
      if ((it.keyword ?? '').toLowerCase() === 'from') froms++;
      const command = commandFor(it.keyword ?? '', it.content ?? '', Math.max(0, froms - 1));
      if (it.flags && it.flags.length > 0) command.Flags = [...it.flags, ...command.Flags];
      commands.push(command);
    }
    // A comment before a FROM belongs to that FROM's stage in BuildKit's output.
    for (let i = commands.length - 1, next = -1; i >= 0; i--) {
      const c = commands[i];
      if (!c) continue;
      if (c.Cmd !== 'comment') next = c.Stage;
      else if (next >= 0) c.Stage = next;
    }
    return { value: [commands], lines: [1] };
  },
};
