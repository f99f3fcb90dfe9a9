// The Pipeline resource (ci.sekisho.dev/v1alpha1): parsing with source positions and validation.
// Every error names file:line:col of the offending node; all errors of a file are collected at once.
import { LineCounter, parseDocument, isScalar, type Document, type Node as YamlNode } from 'yaml';
import { PipelineError, PipelineErrors, type PipelineLocation } from './errors.ts';
import { ExprError, parseTemplate, references, type Template } from './expr.ts';

export const GROUP = 'ci.sekisho.dev';
export const API_VERSION = `${GROUP}/v1alpha1`;
/** the namespace where the platform (`sekisho up`) keeps PipelineRuns and ChangeRequests */
export const CI_NAMESPACE = 'sekisho-ci';

export const STEP_KINDS = [
  'build',
  'lint',
  'scan',
  'sbom',
  'sign',
  'attest',
  'push',
  'policy-test',
  'promote',
  'run',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/** Where a secret's value comes from: an environment variable of the runner or a file. Never the value itself. */
export interface SecretRef {
  env?: string;
  file?: string;
}
export interface ParamSpec {
  name: string;
  default?: string;
  description?: string;
}
export interface SecretSpec {
  name: string;
  secretRef: SecretRef;
}
export type EnvValue = string | { secretRef: SecretRef };

export interface StepSpec {
  id: string;
  uses: StepKind;
  /** shell script of a `run` step */
  run?: string;
  /** image a `run` step runs in (under runc); without it the step runs on the host */
  image?: string;
  shell?: string;
  workingDirectory?: string;
  with: Record<string, unknown>;
  needs: string[];
  when?: string;
  timeoutMs?: number;
  retries: number;
  continueOnError: boolean;
  env: Record<string, EnvValue>;
}

export interface Pipeline {
  apiVersion: string;
  kind: 'Pipeline';
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  spec: {
    params: ParamSpec[];
    secrets: SecretSpec[];
    env: Record<string, EnvValue>;
    /** most steps running at once (default 4) */
    concurrency?: number;
    /** after the run, push its record and step logs as an OCI artifact referring to this image */
    logs?: { attachTo: string; insecure?: boolean };
    steps: StepSpec[];
  };
}

/** A parsed pipeline with the means to point at its source. */
export interface LoadedPipeline {
  pipeline: Pipeline;
  file: string;
  /** source position of the node at a path (`['spec','steps',0,'with','tags']`), or of its nearest parent */
  locate(path: Array<string | number>, offset?: number, key?: boolean): PipelineLocation;
}

const STEP_KEYS = new Set([
  'id',
  'name',
  'uses',
  'run',
  'image',
  'shell',
  'working-directory',
  'workingDirectory',
  'with',
  'needs',
  'when',
  'if',
  'timeout',
  'retries',
  'continue-on-error',
  'continueOnError',
  'env',
]);
const ID_RE = /^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?$/;
const ROOTS = new Set(['params', 'steps', 'env', 'secrets', 'run']);

/** Parses a duration: `90s`, `5m`, `1h30m`, `250ms`, or a number of seconds. */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v === 'number' && v > 0 && Number.isFinite(v)) return Math.round(v * 1000);
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(s)) !== null) {
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
    end = re.lastIndex;
  }
  return end === s.length && end > 0 && total > 0 ? Math.round(total) : undefined;
}

function locator(doc: Document, lc: LineCounter, file: string) {
  return (path: Array<string | number>, offset = 0, key = false): PipelineLocation => {
    if (key && path.length > 0) {
      const parent = doc.getIn(path.slice(0, -1), true);
      if (isMap(parent) && 'items' in parent && Array.isArray(parent.items)) {
        for (const pair of parent.items as Array<{ key?: YamlNode }>) {
          const k = pair.key;
          if (k && isScalar(k) && k.value === path[path.length - 1] && k.range) {
            const p = lc.linePos(k.range[0]);
            return { file, row: p.line, col: p.col };
          }
        }
      }
    }
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as YamlNode | undefined;
      if (node && typeof node === 'object' && 'range' in node && node.range) {
        let start = node.range[0];
        if (n === path.length && offset > 0 && isScalar(node)) {
          const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
          start += offset + (quoted ? 1 : 0);
        }
        const p = lc.linePos(start);
        return { file, row: p.line, col: p.col };
      }
    }
    return { file, row: 1, col: 1 };
  };
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses and validates a Pipeline YAML text. Throws PipelineErrors (all problems, each with file:line:col). */
export function parsePipeline(text: string, file: string): LoadedPipeline {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const errors: PipelineError[] = [];
  for (const e of doc.errors) {
    const lp = e.linePos?.[0];
    const location = { file, row: lp?.line ?? 1, col: lp?.col ?? 1 };
    errors.push(new PipelineError('pipeline_parse_error', e.message.split('\n')[0]!, { location }));
  }
  if (errors.length) throw new PipelineErrors(errors);
  const locate = locator(doc, lc, file);
  const fail = (path: Array<string | number>, msg: string, offset = 0, key = false) => {
    const location = locate(path, offset, key);
    errors.push(new PipelineError('pipeline_invalid', msg, { location }));
  };
  const raw: unknown = doc.toJS();
  if (!isMap(raw)) {
    fail([], 'a Pipeline must be a mapping');
    throw new PipelineErrors(errors);
  }
  if (raw.apiVersion !== API_VERSION) fail(['apiVersion'], `apiVersion must be ${API_VERSION}`);
  if (raw.kind !== 'Pipeline') fail(['kind'], 'kind must be Pipeline');
  const md = isMap(raw.metadata) ? raw.metadata : {};
  if (typeof md.name !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(md.name))
    fail(['metadata', 'name'], 'metadata.name must be a DNS-1123 name');
  const spec = isMap(raw.spec) ? raw.spec : undefined;
  if (!spec) {
    fail(['spec'], 'spec is required');
    throw new PipelineErrors(errors);
  }

  const params: ParamSpec[] = [];
  if (spec.params !== undefined) {
    if (!Array.isArray(spec.params)) fail(['spec', 'params'], 'params must be a list');
    else
      spec.params.forEach((p: unknown, i) => {
        if (!isMap(p) || typeof p.name !== 'string' || !ID_RE.test(p.name))
          return fail(['spec', 'params', i], 'a param needs a name (letters, digits, - and _)');
        if (params.some((q) => q.name === p.name)) fail(['spec', 'params', i, 'name'], `duplicate param ${p.name}`);
        if (
          p.default !== undefined &&
          typeof p.default !== 'string' &&
          typeof p.default !== 'number' &&
          typeof p.default !== 'boolean'
        )
          fail(['spec', 'params', i, 'default'], 'a param default must be a scalar');
        params.push({
          name: p.name,
          ...(p.default !== undefined && p.default !== null ? { default: String(p.default) } : {}),
          ...(typeof p.description === 'string' ? { description: p.description } : {}),
        });
      });
  }

  const secretRef = (v: unknown, path: Array<string | number>): SecretRef | undefined => {
    if (!isMap(v) || (typeof v.env !== 'string') === (typeof v.file !== 'string')) {
      fail(path, 'secretRef needs exactly one of env (a variable name) or file (a path)');
      return undefined;
    }
    return typeof v.env === 'string' ? { env: v.env } : { file: v.file as string };
  };
  const secrets: SecretSpec[] = [];
  if (spec.secrets !== undefined) {
    if (!Array.isArray(spec.secrets)) fail(['spec', 'secrets'], 'secrets must be a list');
    else
      spec.secrets.forEach((s: unknown, i) => {
        if (!isMap(s) || typeof s.name !== 'string' || !ID_RE.test(s.name))
          return fail(['spec', 'secrets', i], 'a secret needs a name');
        if (secrets.some((q) => q.name === s.name)) fail(['spec', 'secrets', i, 'name'], `duplicate secret ${s.name}`);
        if ('value' in s)
          fail(
            ['spec', 'secrets', i, 'value'],
            'secrets are references: use secretRef {env|file}, never a value',
            0,
            true,
          );
        const ref = secretRef(s.secretRef, ['spec', 'secrets', i, 'secretRef']);
        if (ref) secrets.push({ name: s.name, secretRef: ref });
      });
  }

  const envMap = (v: unknown, path: Array<string | number>): Record<string, EnvValue> => {
    const out: Record<string, EnvValue> = {};
    if (v === undefined || v === null) return out;
    if (!isMap(v)) {
      fail(path, 'env must be a mapping of NAME: value');
      return out;
    }
    for (const [k, val] of Object.entries(v)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
        fail([...path, k], `invalid environment variable name ${JSON.stringify(k)}`);
      if (isMap(val) && 'secretRef' in val) {
        const ref = secretRef(val.secretRef, [...path, k, 'secretRef']);
        if (ref) out[k] = { secretRef: ref };
      } else if (typeof val === 'string' || typeof val === 'number' || typeof val === 'boolean') out[k] = String(val);
      else fail([...path, k], 'an env value must be a string or {secretRef: {env|file}}');
    }
    return out;
  };
  const env = envMap(spec.env, ['spec', 'env']);

  let concurrency: number | undefined;
  if (spec.concurrency !== undefined) {
    if (typeof spec.concurrency !== 'number' || !Number.isInteger(spec.concurrency) || spec.concurrency < 1)
      fail(['spec', 'concurrency'], 'concurrency must be a positive integer');
    else concurrency = spec.concurrency;
  }

  let logs: Pipeline['spec']['logs'];
  if (spec.logs !== undefined) {
    if (!isMap(spec.logs) || typeof spec.logs.attachTo !== 'string' || spec.logs.attachTo === '')
      fail(['spec', 'logs'], 'logs needs attachTo: an image reference (e.g. ${{ steps.build.outputs.image }})');
    else if (spec.logs.insecure !== undefined && typeof spec.logs.insecure !== 'boolean')
      fail(['spec', 'logs', 'insecure'], 'insecure must be true or false');
    else logs = { attachTo: spec.logs.attachTo, ...(spec.logs.insecure === true ? { insecure: true } : {}) };
  }

  const steps: StepSpec[] = [];
  if (!Array.isArray(spec.steps) || spec.steps.length === 0) fail(['spec', 'steps'], 'steps must be a non-empty list');
  else
    spec.steps.forEach((s: unknown, i) => {
      const at = (...rest: Array<string | number>) => ['spec', 'steps', i, ...rest];
      if (!isMap(s)) return fail(at(), 'a step must be a mapping');
      for (const k of Object.keys(s))
        if (!STEP_KEYS.has(k)) fail(at(k), `unknown step field ${JSON.stringify(k)}`, 0, true);
      if (typeof s.id !== 'string' || !ID_RE.test(s.id))
        return fail(at('id'), 'a step needs an id (letters, digits, - and _)');
      if (steps.some((q) => q.id === s.id)) fail(at('id'), `duplicate step id ${s.id}`);
      let uses: StepKind;
      if (s.uses === undefined) {
        if (typeof s.run !== 'string') return fail(at(), `step ${s.id}: give uses (${STEP_KINDS.join(', ')}) or run`);
        uses = 'run';
      } else if (typeof s.uses !== 'string' || !(STEP_KINDS as readonly string[]).includes(s.uses)) {
        return fail(
          at('uses'),
          `step ${s.id}: unknown uses ${JSON.stringify(s.uses)} (want one of ${STEP_KINDS.join(', ')})`,
        );
      } else uses = s.uses as StepKind;
      if (uses === 'run' && typeof s.run !== 'string') fail(at(), `step ${s.id}: a run step needs run: <shell script>`);
      if (uses !== 'run' && s.run !== undefined)
        fail(at('run'), `step ${s.id}: run is only for run steps (uses: ${uses})`);
      if (s.image !== undefined && (uses !== 'run' || typeof s.image !== 'string'))
        fail(at('image'), 'image is a string, for run steps only');
      const needs = s.needs === undefined ? [] : typeof s.needs === 'string' ? [s.needs] : s.needs;
      if (!Array.isArray(needs) || needs.some((n) => typeof n !== 'string'))
        fail(at('needs'), 'needs must be a step id or a list of them');
      const w = s.with ?? {};
      if (!isMap(w)) fail(at('with'), 'with must be a mapping of inputs');
      const when = s.when ?? s.if;
      if (when !== undefined && typeof when !== 'string' && typeof when !== 'boolean')
        fail(at(s.when !== undefined ? 'when' : 'if'), 'when must be an expression');
      let timeoutMs: number | undefined;
      if (s.timeout !== undefined) {
        timeoutMs = parseDuration(s.timeout);
        if (timeoutMs === undefined)
          fail(at('timeout'), `invalid timeout ${JSON.stringify(s.timeout)} (e.g. 30s, 5m, 1h30m)`);
      }
      const retries = s.retries ?? 0;
      if (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0 || retries > 10)
        fail(at('retries'), 'retries must be an integer from 0 to 10');
      const coe = s['continue-on-error'] ?? s.continueOnError ?? false;
      if (typeof coe !== 'boolean') fail(at('continue-on-error'), 'continue-on-error must be true or false');
      const wd = s['working-directory'] ?? s.workingDirectory;
      steps.push({
        id: s.id,
        uses,
        ...(typeof s.run === 'string' ? { run: s.run } : {}),
        ...(typeof s.image === 'string' ? { image: s.image } : {}),
        ...(typeof s.shell === 'string' ? { shell: s.shell } : {}),
        ...(typeof wd === 'string' ? { workingDirectory: wd } : {}),
        with: isMap(w) ? w : {},
        needs: Array.isArray(needs) ? (needs as string[]) : [],
        ...(when !== undefined ? { when: String(when) } : {}),
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        retries: typeof retries === 'number' ? retries : 0,
        continueOnError: coe === true,
        env: envMap(s.env, at('env')),
      });
    });

  // the graph: known needs, no cycles
  const index = new Map(steps.map((s, i) => [s.id, i]));
  const stepPath = (id: string) => [
    'spec',
    'steps',
    (spec.steps as unknown[]).findIndex((x) => isMap(x) && x.id === id),
  ];
  for (const s of steps)
    s.needs.forEach((n, j) => {
      if (!index.has(n)) fail([...stepPath(s.id), 'needs', j], `step ${s.id} needs unknown step ${JSON.stringify(n)}`);
      if (n === s.id) fail([...stepPath(s.id), 'needs', j], `step ${s.id} needs itself`);
    });
  const ancestors = new Map<string, Set<string>>();
  const visiting = new Set<string>();
  const cyclic = new Set<string>();
  const anc = (id: string): Set<string> => {
    const hit = ancestors.get(id);
    if (hit) return hit;
    const out = new Set<string>();
    if (visiting.has(id)) {
      if (!cyclic.has(id)) {
        cyclic.add(id);
        fail(stepPath(id), `step ${id} is part of a needs cycle`);
      }
      return out;
    }
    visiting.add(id);
    const s = steps[index.get(id) ?? -1];
    for (const n of s?.needs ?? []) {
      if (!index.has(n) || n === id) continue;
      out.add(n);
      for (const a of anc(n)) out.add(a);
    }
    visiting.delete(id);
    ancestors.set(id, out);
    return out;
  };
  for (const s of steps) anc(s.id);

  // expressions: parse them all and check what they reference
  const paramNames = new Set(params.map((p) => p.name));
  const secretNames = new Set(secrets.map((p) => p.name));
  const checkString = (str: string, path: Array<string | number>, stepId: string | undefined, shift = 0) => {
    let t: Template;
    try {
      t = parseTemplate(str);
    } catch (e) {
      if (e instanceof ExprError) return fail(path, `invalid expression: ${e.message}`, Math.max(0, e.offset - shift));
      throw e;
    }
    for (const part of t.parts) {
      if (!('expr' in part)) continue;
      for (const ref of references(part.expr)) {
        const [root, a, b] = ref.path;
        const off = Math.max(0, part.at + 3 + ref.at - shift);
        if (!ROOTS.has(root!))
          fail(
            path,
            `unknown name ${JSON.stringify(root)} in \${{ ${part.src} }} (use params, steps, env, secrets or run)`,
            off,
          );
        else if (root === 'params' && a !== undefined && !paramNames.has(a))
          fail(path, `unknown param ${JSON.stringify(a)}`, off);
        else if (root === 'secrets' && a !== undefined && !secretNames.has(a))
          fail(path, `unknown secret ${JSON.stringify(a)}`, off);
        else if (root === 'steps') {
          if (a === undefined) continue;
          if (!index.has(a)) fail(path, `unknown step ${JSON.stringify(a)}`, off);
          else if (stepId === '*') continue;
          else if (stepId === undefined) fail(path, `steps.${a} is not available here`, off);
          else if (!ancestors.get(stepId)?.has(a))
            fail(path, `step ${stepId} reads steps.${a} but does not need it (add it to needs)`, off);
          else if (b !== undefined && b !== 'outputs' && b !== 'outcome' && b !== 'phase')
            fail(path, `steps.${a}.${b}: want outputs, outcome or phase`, off);
        }
      }
    }
  };
  const walk = (v: unknown, path: Array<string | number>, stepId: string | undefined) => {
    if (typeof v === 'string') checkString(v, path, stepId);
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i], stepId));
    else if (isMap(v)) for (const [k, x] of Object.entries(v)) walk(x, [...path, k], stepId);
  };
  walk(spec.env, ['spec', 'env'], undefined);
  // spec.logs is evaluated when every step is done: it may read any step
  if (logs) walk(logs.attachTo, ['spec', 'logs', 'attachTo'], '*');
  for (const s of steps) {
    const p = stepPath(s.id);
    walk(s.with, [...p, 'with'], s.id);
    walk(s.env, [...p, 'env'], s.id);
    if (s.run !== undefined) walk(s.run, [...p, 'run'], s.id);
    if (s.image !== undefined) walk(s.image, [...p, 'image'], s.id);
    if (s.workingDirectory !== undefined) walk(s.workingDirectory, [...p, 'working-directory'], s.id);
    if (s.when !== undefined) {
      const src = s.when.includes('${{') ? s.when : `\${{ ${s.when} }}`;
      const key = (spec.steps as Array<Record<string, unknown>>)[p[2] as number]?.when !== undefined ? 'when' : 'if';
      checkString(src, [...p, key], s.id, src === s.when ? 0 : 4);
    }
  }

  if (errors.length) {
    errors.sort(
      (x, y) => (x.location?.row ?? 0) - (y.location?.row ?? 0) || (x.location?.col ?? 0) - (y.location?.col ?? 0),
    );
    throw new PipelineErrors(errors);
  }
  const pipeline: Pipeline = {
    apiVersion: API_VERSION,
    kind: 'Pipeline',
    metadata: md as Pipeline['metadata'],
    spec: {
      params,
      secrets,
      env,
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(logs ? { logs } : {}),
      steps,
    },
  };
  return { pipeline, file, locate };
}
