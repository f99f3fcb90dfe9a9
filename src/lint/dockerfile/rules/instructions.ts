// Rules on single instructions and per-stage instruction counts (no shell parsing needed).
import type { Instruction } from '../parse.ts';
import { parsePairs, splitWords } from '../pairs.ts';
import { ARCHIVE_EXTENSIONS, dropQuotes, fromOf, shellOf, simple, stateful, type Rule } from '../rule.ts';

const isWindowsAbsolute = (p: string): boolean => /^[A-Za-z]:/.test(p);

export const DL3000 = simple('DL3000', 'error', 'Use absolute WORKDIR', (ins) => {
  if (ins.keyword !== 'WORKDIR') return true;
  const p = dropQuotes(ins.args);
  return p.startsWith('$') || p.startsWith('/') || isWindowsAbsolute(p);
});

export const DL3011 = simple('DL3011', 'error', 'Valid UNIX ports range from 0 to 65535', (ins) => {
  if (ins.keyword !== 'EXPOSE') return true;
  for (const w of ins.args.split(/\s+/)) {
    const port = w.split('/')[0] ?? '';
    for (const part of port.split('-')) if (/^\d+$/.test(part) && parseInt(part, 10) > 65535) return false;
  }
  return true;
});

export const DL3012 = stateful('DL3012', 'error', 'Multiple `HEALTHCHECK` instructions', (list) => {
  const out: number[] = [];
  let seen = false;
  for (const ins of list) {
    if (ins.keyword === 'FROM') seen = false;
    else if (ins.keyword === 'HEALTHCHECK') {
      if (seen) out.push(ins.line);
      seen = true;
    }
  }
  return out;
}, false);

const sourcesAndTarget = (ins: Instruction): { srcs: string[]; target: string } => {
  const words = ins.json ?? splitWords(ins.args.replace(/<<-?(["']?)[A-Za-z_][A-Za-z0-9_]*\1/g, ''), false);
  return { srcs: words.slice(0, -1), target: words[words.length - 1] ?? '' };
};

export const DL3020 = simple('DL3020', 'error', 'Use COPY instead of ADD for files and folders', (ins) => {
  if (ins.keyword !== 'ADD') return true;
  return sourcesAndTarget(ins).srcs.every(
    (s) => ARCHIVE_EXTENSIONS.some((e) => dropQuotes(s).endsWith(e)) || /^https?:\/\//.test(dropQuotes(s)),
  );
});

export const DL3021 = simple(
  'DL3021',
  'error',
  'COPY with more than 2 arguments requires the last argument to end with /',
  (ins) => {
    if (ins.keyword !== 'COPY') return true;
    const { srcs, target } = sourcesAndTarget(ins);
    return srcs.length <= 1 || dropQuotes(target).endsWith('/');
  },
);

export const DL3025 = simple('DL3025', 'warning', 'Use arguments JSON notation for CMD and ENTRYPOINT arguments', (ins) => {
  if (ins.keyword === 'CMD' || ins.keyword === 'ENTRYPOINT') return ins.json !== undefined;
  if (ins.keyword === 'HEALTHCHECK') {
    const m = /^CMD\s+([\s\S]*)$/i.exec(ins.args);
    if (!m) return true;
    try {
      return Array.isArray(JSON.parse(m[1]!));
    } catch {
      return false;
    }
  }
  return true;
});

export const DL3043: Rule = {
  code: 'DL3043',
  severity: 'error',
  message: '`ONBUILD`, `FROM` or `MAINTAINER` triggered from within `ONBUILD` instruction.',
  check(ctx) {
    return ctx.file.instructions
      .filter((i) => i.inner && ['ONBUILD', 'FROM', 'MAINTAINER'].includes(i.inner.keyword))
      .map((i) => i.line);
  },
};

function refersTo(v: string, text: string): boolean {
  if (text.includes('${' + v + '}')) return true;
  const parts = text.split('$' + v);
  return parts.length > 1 && parts.slice(1).some((x) => x === '' || !/^[0-9A-Za-z_]/.test(x));
}

export const DL3044: Rule = {
  code: 'DL3044',
  severity: 'error',
  message: 'Do not refer to an environment variable within the same `ENV` statement where it is defined.',
  check(ctx) {
    const out: number[] = [];
    const known = new Set<string>();
    for (const ins of ctx.file.instructions) {
      if (ins.keyword === 'ARG') {
        const name = (ins.args.split('=')[0] ?? '').trim();
        if (name) known.add(name);
      }
      if (ins.keyword !== 'ENV') continue;
      const pairs = parsePairs(ins.args);
      const refs = pairs
        .filter(([k], idx) => pairs.some(([, v], j) => j !== idx && refersTo(k, v)))
        .map(([k]) => k);
      if (refs.some((r) => !known.has(r))) out.push(ins.line);
      for (const [k] of pairs) known.add(k);
    }
    return out;
  },
};

/** Per-stage flag with inheritance from the parent stage (FROM <alias>), as DL3042/DL3045 track it. */
export class StageFlags {
  private current = '\0none';
  private readonly set = new Map<string, boolean>();
  from(ins: Instruction): void {
    const f = fromOf(ins)!;
    const parent = this.set.get(f.imageName) ?? this.set.get(f.image) ?? false;
    this.current = f.alias ?? f.imageName;
    this.set.set(this.current, parent);
  }
  mark(): void {
    this.set.set(this.current, true);
  }
  get(): boolean {
    return this.set.get(this.current) === true;
  }
}

export const DL3045: Rule = {
  code: 'DL3045',
  severity: 'warning',
  message: '`COPY` to a relative destination without `WORKDIR` set.',
  check(ctx) {
    const out: number[] = [];
    const st = new StageFlags();
    for (const ins of ctx.file.instructions) {
      if (ins.keyword === 'FROM') st.from(ins);
      else if (ins.keyword === 'WORKDIR') st.mark();
      else if (ins.keyword === 'COPY') {
        if (st.get()) continue;
        const dest = sourcesAndTarget(ins).target.replace(/^["']+|["']+$/g, '');
        if (dest.startsWith('/') || isWindowsAbsolute(dest) || dest.startsWith('$')) continue;
        out.push(ins.line);
      }
    }
    return out;
  },
};

export const DL3048 = simple('DL3048', 'style', 'Invalid label key.', (ins) => {
  if (ins.keyword !== 'LABEL') return true;
  return parsePairs(ins.args).every(
    ([l]) =>
      /^[a-z]/.test(l) &&
      /[a-z0-9]$/.test(l) &&
      /^[0-9a-z._/-]*$/.test(l) &&
      !/^(com\.docker\.|io\.docker\.|org\.dockerproject\.)/.test(l) &&
      !l.includes('..') &&
      !l.includes('--'),
  );
});

export const DL3057: Rule = {
  code: 'DL3057',
  severity: 'ignore',
  message: '`HEALTHCHECK` instruction missing.',
  check(ctx) {
    // hadolint's bookkeeping: a stage is good once it (or a stage it builds on) has a HEALTHCHECK;
    // a HEALTHCHECK also redeems the stages the current one builds on.
    type Stage = { src: string; name: string; line: number };
    let current: Stage | undefined;
    const good = new Set<Stage>();
    const bad = new Set<Stage>();
    for (const ins of ctx.file.instructions) {
      const f = fromOf(ins);
      if (f) {
        current = { src: f.imageName, name: f.alias ?? f.imageName, line: ins.line };
        if ([...good].some((g) => g.name === f.imageName)) good.add(current);
        else bad.add(current);
      } else if (ins.keyword === 'HEALTHCHECK' && current) {
        // like hadolint, the stages this one builds on (transitively) count as good too
        const redeem = (src: string, seen: Set<string>): void => {
          if (seen.has(src)) return;
          seen.add(src);
          for (const b of [...bad]) {
            if (b.name !== src) continue;
            bad.delete(b);
            good.add(b);
            redeem(b.src, seen);
          }
        };
        redeem(current.src, new Set());
        good.add(current);
        bad.delete(current);
      }
    }
    return [...bad].map((s) => s.line).sort((x, y) => x - y);
  },
};

export const DL4000 = simple('DL4000', 'error', 'MAINTAINER is deprecated', (ins) => ins.keyword !== 'MAINTAINER');

const lastWins = (code: string, severity: 'warning' | 'error', message: string, keyword: string): Rule =>
  stateful(code, severity, message, (list) => {
    const out: number[] = [];
    let seen = false;
    for (const ins of list) {
      if (ins.keyword === 'FROM') seen = false;
      else if (ins.keyword === keyword) {
        if (seen) out.push(ins.line);
        seen = true;
      }
    }
    return out;
  }, false);

export const DL4003 = lastWins(
  'DL4003',
  'warning',
  'Multiple `CMD` instructions found. If you list more than one `CMD` then only the last `CMD` will take effect',
  'CMD',
);
export const DL4004 = lastWins(
  'DL4004',
  'error',
  'Multiple `ENTRYPOINT` instructions found. If you list more than one `ENTRYPOINT` then only the last `ENTRYPOINT` will take effect',
  'ENTRYPOINT',
);

export const DL3002: Rule = {
  code: 'DL3002',
  severity: 'warning',
  message: 'Last USER should not be root',
  check(ctx) {
    const perStage = new Map<number, number>();
    let stage: number | undefined;
    for (const ins of ctx.file.instructions) {
      if (ins.keyword === 'FROM') stage = ins.line;
      else if (ins.keyword === 'USER' && stage !== undefined) {
        const u = ins.args.trim();
        const root = u === 'root' || u === '0' || u.startsWith('root:') || u.startsWith('0:');
        if (root) perStage.set(stage, ins.line);
        else perStage.delete(stage);
      }
    }
    return [...perStage.values()];
  },
};

export const DL3059: Rule = {
  code: 'DL3059',
  severity: 'info',
  message: 'Multiple consecutive `RUN` instructions. Consider consolidation.',
  check(ctx) {
    const out: number[] = [];
    let prev: { flags: string; count: number } | undefined;
    for (const ins of ctx.file.instructions) {
      if (ins.keyword !== 'RUN') {
        prev = undefined;
        continue;
      }
      const flags = JSON.stringify(ins.flags);
      // hadolint counts each simple command twice (ShellCheck yields the redirect wrapper and the command)
      const count = 2 * shellOf(ins).commands.length;
      if (!prev || prev.flags !== flags || count > 2 || prev.count > 2) prev = { flags, count };
      else out.push(ins.line);
    }
    return out;
  },
};


// Names and name fragments hadolint treats as secrets in ARG/ENV.
const SENSITIVE_NAMES = new Set(
  'ACCESS_TOKEN APPLICATION_KEY APP_SECRET AUTH_TOKEN AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY BITTREX_API_KEY BITTREX_API_SECRET CF_PASSWORD CF_USERNAME CIRCLE_TOKEN CI_DEPLOY_PASSWORD CI_DEPLOY_USER DOCKERHUB_PASSWORD DOCKER_EMAIL DOCKER_PASSWORD DOCKER_USERNAME FACEBOOK_ACCESS_TOKEN FACEBOOK_APP_ID FACEBOOK_APP_SECRET FIREBASE_API_TOKEN FIREBASE_TOKEN FOSSA_API_KEY GH_ENTERPRISE_TOKEN GH_TOKEN GITHUB_ENTERPRISE_TOKEN GITHUB_TOKEN HEROKU_API_KEY HEROKU_API_USER NPM_AUTH_TOKEN NPM_TOKEN OKTA_AUTHN_GROUPID OKTA_CLIENT_ORGURL OKTA_CLIENT_TOKEN OKTA_OAUTH2_CLIENTID OKTA_OAUTH2_CLIENTSECRET OPENAI_API_KEY OS_PASSWORD OS_USERNAME POSTGRES_PASSWORD SLACK_TOKEN STRIPE_API_KEY STRIPE_DEVICE_NAME TRAVIS_OS_NAME TRAVIS_SECURE_ENV_VARS TRAVIS_SUDO VAULT_CLIENT_KEY VAULT_TOKEN'.split(' '),
);
const SUSPICIOUS = ['api_key', 'client_key', 'password', 'private', 'secret', 'token', 'username'];
const sensitive = (name: string): boolean =>
  SENSITIVE_NAMES.has(name.toUpperCase()) || SUSPICIOUS.some((s) => name.toLowerCase().includes(s));
const argName = (ins: Instruction): string => (ins.args.split('=')[0] ?? '').trim();

export const DL3064 = simple(
  'DL3064',
  'warning',
  'Potentially sensitive data should not be used in the `ARG` or `ENV` commands',
  (ins) => {
    if (ins.keyword === 'ARG') return !sensitive(argName(ins));
    if (ins.keyword === 'ENV') return !parsePairs(ins.args).some(([k]) => sensitive(k));
    return true;
  },
  true,
);

export const DL3066: Rule = {
  code: 'DL3066',
  severity: 'info',
  message: 'Non-numeric user-id may not be resolvable by host system',
  check(ctx) {
    const out: number[] = [];
    const args = new Set<string>();
    for (const ins of ctx.file.instructions) {
      if (ins.keyword === 'ARG') args.add(argName(ins));
      if (ins.keyword !== 'USER') continue;
      const u = ins.args.trim();
      const uid = u.includes(':') ? (u.split(':')[0] ?? '') : u;
      if (/^\d*$/.test(uid)) continue;
      if ([...args].some((a) => u.includes('${' + a + '}') || u.includes('$' + a))) continue;
      out.push(ins.line);
    }
    return out;
  },
};

export const instructionRules: Rule[] = [
  DL3000, DL3002, DL3011, DL3012, DL3020, DL3021, DL3025, DL3043, DL3044, DL3045, DL3048, DL3057, DL3059, DL4000, DL4003, DL4004, DL3064, DL3066,
];
