// ConstraintTemplate (templates.gatekeeper.sh/v1, v1beta1, v1alpha1) → a compiled template for the target
// `admission.k8s.gatekeeper.sh`. The module environment is Gatekeeper's: the template's `rego` is one module
// defining `violation[{"msg": msg, "details": ...}]`, each entry of `libs` is a module whose package starts
// with `lib.` (reached as `data.lib...`), `input` is `{"review": <review>, "parameters": <constraint params>}`
// and referential data is `data.inventory`. Rego is v0 syntax unless the source asks for v1 (Gatekeeper's
// `version: "v1"`); `import rego.v1` works in v0 modules as in OPA.

import {
  compilePolicy,
  parseModule,
  RegoErrors,
  RegoError,
  RObject,
  type Policy,
  type PreparedQuery,
  type Value,
} from '../rego/index.ts';
import { AdmissionError } from './errors.ts';
import { compileCel, type CelProgram } from './cel.ts';
import { isObj, str, type Obj } from './yaml-load.ts';

export const TARGET = 'admission.k8s.gatekeeper.sh';
export const TEMPLATE_GROUP = 'templates.gatekeeper.sh';
export const CONSTRAINT_GROUP = 'constraints.gatekeeper.sh';

export interface TemplateErrorRecord {
  /** Gatekeeper's status.byPod[].errors[] shape: code, message, location. */
  code: string;
  message: string;
  location?: string;
}

export interface RegoProgram {
  readonly engine: 'Rego';
  readonly policy: Policy;
  /** The `data` document the policy was compiled with; `inventory` is swapped in before each evaluation. */
  readonly data: RObject;
  readonly query: PreparedQuery;
}

export interface CompiledTemplate {
  /** metadata.name of the template (the lower-cased kind). */
  readonly name: string;
  /** The constraint kind this template creates (spec.crd.spec.names.kind). */
  readonly kind: string;
  readonly source: Obj;
  readonly rego: RegoProgram | undefined;
  readonly cel: CelProgram | undefined;
  /** Compile errors, per engine; a template with errors reviews nothing. */
  readonly errors: TemplateErrorRecord[];
  /** The openAPIV3Schema for the constraint's parameters, when given. */
  readonly parametersSchema: unknown;
}

const TEMPLATE_VERSIONS = new Set(['v1', 'v1beta1', 'v1alpha1']);

/** Validates a ConstraintTemplate object and compiles its code. Malformed templates throw; code errors are collected. */
export function compileTemplate(obj: Obj, file = '<template>'): CompiledTemplate {
  const loc = { file, row: 0, col: 0 };
  const apiVersion = str(obj.apiVersion) ?? '';
  const [group, version] = apiVersion.split('/');
  if (obj.kind !== 'ConstraintTemplate' || group !== TEMPLATE_GROUP || !version || !TEMPLATE_VERSIONS.has(version)) {
    throw new AdmissionError(
      'admission_template_error',
      `not a ConstraintTemplate (want apiVersion ${TEMPLATE_GROUP}/v1 and kind ConstraintTemplate, got ${apiVersion || '<none>'} ${String(obj.kind ?? '<none>')})`,
      loc,
    );
  }
  const meta = isObj(obj.metadata) ? obj.metadata : {};
  const name = str(meta.name) ?? '';
  const spec = isObj(obj.spec) ? obj.spec : {};
  const crd = isObj(spec.crd) && isObj(spec.crd.spec) ? spec.crd.spec : {};
  const names = isObj(crd.names) ? crd.names : {};
  const kind = str(names.kind) ?? '';
  if (!kind)
    throw new AdmissionError(
      'admission_template_error',
      `template ${name || '<unnamed>'}: spec.crd.spec.names.kind is required`,
      loc,
    );
  if (name !== kind.toLowerCase()) {
    throw new AdmissionError(
      'admission_template_error',
      `template's name ${name} is not equal to the lowercase of CRD's Kind: ${kind.toLowerCase()}`,
      loc,
    );
  }
  const validation = isObj(crd.validation) ? crd.validation : {};
  const targets = Array.isArray(spec.targets) ? spec.targets : [];
  if (targets.length !== 1) {
    throw new AdmissionError(
      'admission_template_error',
      `template ${name}: expected exactly 1 item in targets, got ${targets.length}`,
      loc,
    );
  }
  const target = targets[0];
  if (!isObj(target) || target.target !== TARGET) {
    throw new AdmissionError(
      'admission_template_error',
      `template ${name}: target name "${isObj(target) ? String(target.target) : ''}" is not ${TARGET}`,
      loc,
    );
  }
  const errors: TemplateErrorRecord[] = [];
  let rego: RegoProgram | undefined;
  let cel: CelProgram | undefined;
  const regoSources: { rego: string; libs: string[]; version: 0 | 1 }[] = [];
  if (typeof target.rego === 'string' && target.rego.trim() !== '') {
    regoSources.push({ rego: target.rego, libs: strings(target.libs), version: 0 });
  }
  const code = Array.isArray(target.code) ? target.code : [];
  for (const c of code) {
    if (!isObj(c)) continue;
    const source = isObj(c.source) ? c.source : {};
    if (c.engine === 'Rego') {
      if (regoSources.length > 0) {
        errors.push({ code: 'ingest_error', message: 'a Rego engine is specified both in `rego` and in `code`' });
        continue;
      }
      const v = str(source.version);
      regoSources.push({ rego: str(source.rego) ?? '', libs: strings(source.libs), version: v === 'v1' ? 1 : 0 });
    } else if (c.engine === 'K8sNativeValidation') {
      try {
        cel = compileCel(source);
      } catch (e) {
        errors.push({ code: 'ingest_error', message: `K8sNativeValidation: ${(e as Error).message}` });
      }
    }
  }
  const first = regoSources[0];
  if (first) {
    try {
      rego = compileRego(name, first.rego, first.libs, first.version);
    } catch (e) {
      if (e instanceof RegoErrors) {
        for (const r of e.errors) errors.push(regoRecord(r));
      } else if (e instanceof RegoError) errors.push(regoRecord(e));
      else if (e instanceof AdmissionError) errors.push({ code: 'ingest_error', message: e.message });
      else throw e;
    }
  }
  if (!rego && !cel && errors.length === 0) {
    errors.push({ code: 'ingest_error', message: `template ${name} has no code for target ${TARGET}` });
  }
  return { name, kind, source: obj, rego, cel, errors, parametersSchema: validation.openAPIV3Schema };
}

function regoRecord(e: RegoError): TemplateErrorRecord {
  const l = e.location;
  return { code: e.code, message: e.message, ...(l ? { location: `${l.file}:${l.row}` } : {}) };
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function refPath(path: { terms: { type: string; value?: unknown; name?: string }[] }): string[] {
  return path.terms.slice(1).map((t) => String(t.value ?? t.name ?? ''));
}

/** Compiles a template's Rego with its libs, checking Gatekeeper's module rules. */
export function compileRego(name: string, rego: string, libs: string[], regoVersion: 0 | 1): RegoProgram {
  const file = `${name}.rego`;
  const main = parseModule(file, rego, { regoVersion });
  const pkg = refPath(main.package.path);
  if (pkg.length === 0) throw new AdmissionError('admission_template_error', 'template rego has no package');
  if (pkg[0] === 'lib')
    throw new AdmissionError('admission_template_error', `template package ${pkg.join('.')} must not be under lib`);
  if (!main.rules.some((r) => refHeadName(r) === 'violation')) {
    throw new AdmissionError(
      'admission_template_error',
      `invalid rego: missing required rule "violation" in template ${name}`,
    );
  }
  const modules = [{ file, text: rego }];
  libs.forEach((text, i) => {
    const f = `${name}.lib${i}.rego`;
    const m = parseModule(f, text, { regoVersion });
    const p = refPath(m.package.path);
    if (p[0] !== 'lib') {
      throw new AdmissionError(
        'admission_template_error',
        `invalid lib package ${p.join('.')}: library packages must begin with "lib"`,
      );
    }
    modules.push({ file: f, text });
  });
  const data = new RObject();
  data.set('inventory', new RObject());
  const policy = compilePolicy({ modules, data, regoVersion });
  const query = policy.prepare(`data${pkg.map((p) => `[${JSON.stringify(p)}]`).join('')}.violation[result]`);
  return { engine: 'Rego', policy, data, query };
}

function refHeadName(rule: unknown): string | undefined {
  const head = isObj(rule) && isObj(rule.head) ? rule.head : undefined;
  const t0: unknown = head && Array.isArray(head.ref) ? head.ref[0] : undefined;
  if (isObj(t0)) return str(t0.name) ?? str(t0.value);
  return undefined;
}

export interface RawViolation {
  msg: string;
  details: unknown;
}

/** Evaluates a template's Rego for one review. Throws AdmissionError on evaluation errors. */
export function evalRego(p: RegoProgram, input: Value, inventory: Value): RawViolation[] {
  p.data.set('inventory', inventory);
  let results;
  try {
    results = p.query.eval({ input });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new AdmissionError('admission_eval_error', msg, undefined, { cause: e });
  }
  const out: RawViolation[] = [];
  for (const r of results) {
    const v = r.bindings.get('result');
    if (!(v instanceof RObject)) continue;
    const msg = v.getStr('msg');
    out.push({ msg: typeof msg === 'string' ? msg : '', details: v.getStr('details') });
  }
  return out;
}
