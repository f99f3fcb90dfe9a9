// FROM / stage rules: tags, registries, platforms, stage aliases and COPY --from references.
import { parseImageRef, type Instruction } from '../parse.ts';
import { dropQuotes, fromOf, mountsOf, simple, type Rule, type RuleContext } from '../rule.ts';

const copyFrom = (ins: Instruction): string | undefined =>
  ins.keyword === 'COPY' ? ins.flags.find((f) => f.name === 'from')?.value : undefined;

export const DL3006: Rule = {
  code: 'DL3006',
  severity: 'warning',
  message: 'Always tag the version of an image explicitly',
  check(ctx) {
    const out: number[] = [];
    const aliases = new Set<string>();
    for (const ins of ctx.file.instructions) {
      const f = fromOf(ins);
      if (!f) continue;
      const known = aliases.has(f.imageName) || aliases.has(f.image);
      if (f.alias) aliases.add(f.alias);
      if (f.image === 'scratch' || f.digest !== undefined || f.tag !== undefined) continue;
      if (f.image.startsWith('$') || known) continue;
      out.push(ins.line);
    }
    return out;
  },
};

export const DL3007 = simple(
  'DL3007',
  'warning',
  'Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag',
  (ins) => {
    const f = fromOf(ins);
    if (!f || f.tag === undefined || f.digest !== undefined) return true;
    return f.tag !== 'latest';
  },
);

export const DL3029 = simple('DL3029', 'warning', 'Do not use --platform flag with FROM', (ins) => {
  const p = fromOf(ins)?.platform;
  return p === undefined || p.includes('BUILDPLATFORM') || p.includes('TARGETPLATFORM');
});

export const DL3022: Rule = {
  code: 'DL3022',
  severity: 'warning',
  message: '`COPY --from` should reference a previously defined `FROM` alias',
  check(ctx) {
    const out: number[] = [];
    let count = 0;
    const names = new Set<string>();
    for (const ins of ctx.file.instructions) {
      const f = fromOf(ins);
      if (f) {
        count++;
        if (f.alias) names.add(f.alias);
        continue;
      }
      const src = copyFrom(ins);
      if (src === undefined) continue;
      if (dropQuotes(src).includes(':') || names.has(src)) continue;
      if (/^\d+/.test(src) && parseInt(src, 10) < count) continue;
      out.push(ins.line);
    }
    return out;
  },
};

export const DL3023: Rule = {
  code: 'DL3023',
  severity: 'error',
  message: '`COPY --from` cannot reference its own `FROM` alias',
  check(ctx) {
    const out: number[] = [];
    let current: string | undefined;
    let seenFrom = false;
    for (const ins of ctx.file.instructions) {
      const f = fromOf(ins);
      if (f) {
        current = f.alias;
        seenFrom = true;
        continue;
      }
      const src = copyFrom(ins);
      if (src !== undefined && seenFrom && current !== undefined && current === src) out.push(ins.line);
    }
    return out;
  },
};

export const DL3024: Rule = {
  code: 'DL3024',
  severity: 'error',
  message: 'FROM aliases (stage names) must be unique',
  check(ctx) {
    const out: number[] = [];
    const seen = new Set<string>();
    for (const ins of ctx.file.instructions) {
      const a = fromOf(ins)?.alias;
      if (a === undefined) continue;
      if (seen.has(a)) out.push(ins.line);
      else seen.add(a);
    }
    return out;
  },
};

export function matchRegistry(allow: string, registry: string): boolean {
  if (allow === '*') return true;
  if (allow.startsWith('*')) return registry.endsWith(allow.slice(1));
  if (allow.endsWith('*')) return registry.startsWith(allow.slice(0, -1));
  return registry === allow;
}

export const DL3026: Rule = {
  code: 'DL3026',
  severity: 'error',
  message: 'Use only an allowed registry in the FROM image',
  check(ctx: RuleContext) {
    const allowed = ctx.trustedRegistries;
    const out: number[] = [];
    const aliases = new Set<string>();
    const isAllowed = (ref: string): boolean => {
      const img = parseImageRef(ref);
      if (aliases.has(img.imageName) || allowed.length === 0) return true;
      const ok = (r: string): boolean => allowed.some((a) => matchRegistry(a, r));
      if (img.registry !== undefined) return ok(img.registry);
      return img.imageName === 'scratch' || ok('docker.io') || ok('hub.docker.com');
    };
    for (const ins of ctx.file.instructions) {
      const f = fromOf(ins);
      if (f) {
        const ref = ins.args.split(/\s+/)[0] ?? '';
        const good = isAllowed(ref);
        if (f.alias) aliases.add(f.alias);
        if (!good) out.push(ins.line);
        continue;
      }
      const src = copyFrom(ins);
      if (src !== undefined) {
        if (!isAllowed(src)) out.push(ins.line);
        continue;
      }
      if (ins.keyword === 'RUN') {
        const bad = mountsOf(ins).some(
          (m) => (m.type === 'cache' || m.type === 'bind') && !isAllowed(m.from ?? 'scratch'),
        );
        if (bad) out.push(ins.line);
      }
    }
    return out;
  },
};


export const DL3061: Rule = {
  code: 'DL3061',
  severity: 'error',
  message: 'Invalid instruction order. Dockerfile must begin with `FROM`, `ARG` or comment.',
  check(ctx) {
    const out: number[] = [];
    let seenFrom = false;
    for (const ins of ctx.file.instructions) {
      if (ins.keyword === 'FROM') seenFrom = true;
      else if (ins.keyword !== 'ARG' && !seenFrom) out.push(ins.line);
    }
    return out;
  },
};

export const DL3063 = simple('DL3063', 'warning', 'stage name should not be a reserved word', (ins) => {
  const a = fromOf(ins)?.alias;
  return a === undefined || !['scratch', 'context'].includes(a);
});

export const DL3065 = simple(
  'DL3065',
  'warning',
  'Setting `FROM --platform` to predefined `$TARGETPLATFORM` in is redundant as this is the default behavior',
  (ins) => {
    const p = fromOf(ins)?.platform;
    return p === undefined || (p !== '$TARGETPLATFORM' && p !== '${TARGETPLATFORM}');
  },
);

export const DL3067 = simple('DL3067', 'warning', 'Do not copy an entire filesystem from another stage', (ins) => {
  if (ins.keyword !== 'COPY' || copyFrom(ins) === undefined) return true;
  const words = ins.json ?? ins.args.split(/\s+/).filter((w) => w !== '');
  const srcs = words.slice(0, -1).map(dropQuotes);
  return !(srcs.includes('/') && dropQuotes(words[words.length - 1] ?? '') === '/');
});

export const imageRules: Rule[] = [DL3006, DL3007, DL3022, DL3023, DL3024, DL3026, DL3029, DL3061, DL3063, DL3065, DL3067];
