// Typed access to a step's `with:` inputs, with errors that name the step and the input.
import { isAbsolute, resolve } from 'node:path';
import { PipelineError } from '../errors.ts';
import { toStr, type Value } from '../expr.ts';
import type { StepContext } from '../types.ts';

export class Inputs {
  constructor(private readonly ctx: StepContext) {}

  private bad(name: string, want: string): never {
    throw new PipelineError('pipeline_invalid', `step ${this.ctx.step.id}: input ${name} must be ${want}`);
  }

  has(name: string): boolean {
    const v = this.ctx.inputs[name];
    return v !== undefined && v !== null && v !== '';
  }

  str(name: string, dflt?: string): string {
    const v = this.ctx.inputs[name];
    if (v === undefined || v === null || v === '') {
      if (dflt === undefined)
        throw new PipelineError('pipeline_invalid', `step ${this.ctx.step.id}: input ${name} is required`);
      return dflt;
    }
    if (typeof v === 'object') this.bad(name, 'a string');
    return toStr(v);
  }

  optStr(name: string): string | undefined {
    return this.has(name) ? this.str(name) : undefined;
  }

  bool(name: string, dflt: boolean): boolean {
    const v = this.ctx.inputs[name];
    if (v === undefined || v === null || v === '') return dflt;
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
    return this.bad(name, 'true or false');
  }

  /** A list: a YAML sequence, or a comma/newline separated string. */
  list(name: string): string[] {
    const v: Value | undefined = this.ctx.inputs[name];
    if (v === undefined || v === null || v === '') return [];
    if (Array.isArray(v)) return v.map(toStr).filter((s) => s !== '');
    if (typeof v === 'object') return this.bad(name, 'a list');
    return toStr(v)
      .split(/[,\n]/)
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }

  map(name: string): Record<string, string> {
    const v = this.ctx.inputs[name];
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) return this.bad(name, 'a mapping');
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toStr(x)]));
  }

  /** A path input resolved against the workspace. */
  path(name: string, dflt?: string): string {
    const p = this.str(name, dflt);
    return isAbsolute(p) ? p : resolve(this.ctx.workspace, p);
  }

  optPath(name: string): string | undefined {
    return this.has(name) ? this.path(name) : undefined;
  }
}
