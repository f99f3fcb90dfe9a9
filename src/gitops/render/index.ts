// Rendering a source at a commit into plain objects: plain directories (YAML and JSON, multi-document,
// `List` kinds expanded; recurse/include/exclude), Kustomize (`kubectl kustomize`, with the
// Application's kustomize options applied through an overlay) and Helm (`helm template`, when helm is
// installed). Results are cached by commit, path and options.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { isObject, type KubeObject } from '../../kube/index.ts';
import { GitOpsError } from '../errors.ts';
import type { ProcessRunner } from '../process.ts';
import type { ApplicationSource } from '../types.ts';
import { matchGlob } from './glob.ts';

export interface RenderOptions {
  run: ProcessRunner;
  kubectl?: string;
  helm?: string;
}
export interface Rendered {
  sourceType: 'Directory' | 'Kustomize' | 'Helm';
  objects: KubeObject[];
}

const KUSTOMIZATION = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** Parses a multi-document YAML or JSON text into objects; errors name the file, line and column. */
export function parseManifests(text: string, file: string): KubeObject[] {
  const out: KubeObject[] = [];
  const docs = parseAllDocuments(text, { prettyErrors: false });
  const arr = Array.isArray(docs) ? docs : [docs];
  for (const doc of arr) {
    const err = doc.errors[0];
    if (err) {
      const lp = err.linePos?.[0];
      throw new GitOpsError('gitops_manifest_invalid', `${file}:${lp?.line ?? 0}:${lp?.col ?? 0}: ${err.message}`, {
        location: { file, row: lp?.line ?? 0, col: lp?.col ?? 0 },
      });
    }
    const v: unknown = doc.toJS();
    if (v === null || v === undefined) continue;
    const line = doc.contents ? lineOf(text, doc.contents.range?.[0] ?? 0) : 1;
    pushObject(out, v, file, line);
  }
  return out;
}

function lineOf(text: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

function pushObject(out: KubeObject[], v: unknown, file: string, line: number): void {
  if (!isObject(v))
    throw new GitOpsError('gitops_manifest_invalid', `${file}:${line}:1: a manifest must be a mapping`, {
      location: { file, row: line, col: 1 },
    });
  if (typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items)) {
    for (const item of v.items) pushObject(out, item, file, line);
    return;
  }
  if (typeof v.apiVersion !== 'string' || typeof v.kind !== 'string' || !v.apiVersion || !v.kind)
    throw new GitOpsError('gitops_manifest_invalid', `${file}:${line}:1: object has no apiVersion or kind`, {
      location: { file, row: line, col: 1 },
    });
  const md = v.metadata;
  if (!isObject(md) || (typeof md.name !== 'string' && typeof md.generateName !== 'string'))
    throw new GitOpsError('gitops_manifest_invalid', `${file}:${line}:1: ${v.kind} has no metadata.name`, {
      location: { file, row: line, col: 1 },
    });
  out.push(v as KubeObject);
}

export class Renderer {
  private readonly cache = new Map<string, Rendered>();
  constructor(private readonly o: RenderOptions) {}

  /** Renders `source` from the exported tree `root` of commit `sha`. */
  async render(root: string, sha: string, source: ApplicationSource): Promise<Rendered> {
    const key = JSON.stringify([sha, source.repoURL, source.path, source.directory, source.kustomize, source.helm]);
    const hit = this.cache.get(key);
    if (hit) return { sourceType: hit.sourceType, objects: structuredClone(hit.objects) };
    const dir = resolve(root, source.path ?? '.');
    if (dir !== root && !dir.startsWith(root + sep))
      throw new GitOpsError('gitops_invalid_spec', `source path "${source.path}" leaves the repository`);
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw new GitOpsError('gitops_render_error', `app path does not exist: ${source.path ?? '.'}`);
    let r: Rendered;
    if (source.helm || existsSync(join(dir, 'Chart.yaml'))) r = await this.helm(dir, source);
    else if (source.kustomize || KUSTOMIZATION.some((k) => existsSync(join(dir, k))))
      r = await this.kustomize(dir, source);
    else r = { sourceType: 'Directory', objects: this.directory(dir, source) };
    if (this.cache.size > 2000) this.cache.clear();
    this.cache.set(key, r);
    return { sourceType: r.sourceType, objects: structuredClone(r.objects) };
  }

  directory(dir: string, source: ApplicationSource): KubeObject[] {
    const d = source.directory ?? {};
    const includes = splitPatterns(d.include);
    const excludes = splitPatterns(d.exclude);
    const files: string[] = [];
    const walk = (p: string) => {
      for (const e of readdirSync(p, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        if (e.name.startsWith('.')) continue;
        const full = join(p, e.name);
        if (e.isDirectory()) {
          if (d.recurse) walk(full);
        } else if (/\.(ya?ml|json)$/.test(e.name)) files.push(full);
      }
    };
    walk(dir);
    const out: KubeObject[] = [];
    for (const f of files) {
      const rel = relative(dir, f).split(sep).join('/');
      if (includes.length && !includes.some((g) => matchGlob(g, rel))) continue;
      if (excludes.some((g) => matchGlob(g, rel))) continue;
      const text = readFileSync(f, 'utf8');
      const label = (source.path ? source.path.replace(/\/+$/, '') + '/' : '') + rel;
      if (f.endsWith('.json')) {
        let v: unknown;
        try {
          v = JSON.parse(text);
        } catch (err) {
          throw new GitOpsError('gitops_manifest_invalid', `${label}: ${(err as Error).message}`, {
            location: { file: label, row: 0, col: 0 },
          });
        }
        pushObject(out, v, label, 1);
      } else out.push(...parseManifests(text, label));
    }
    return out;
  }

  private async kustomize(dir: string, source: ApplicationSource): Promise<Rendered> {
    const k = source.kustomize;
    let target = dir;
    let tmp: string | undefined;
    if (k && Object.keys(k).some((key) => key !== 'version')) {
      // Argo CD runs `kustomize edit` in a copy; an overlay with the same settings gives the same output
      tmp = mkdtempSync(join(tmpdir(), 'sekisho-kustomize-'));
      const overlay: Record<string, unknown> = {
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resources: [relative(tmp, dir)],
      };
      if (k.namePrefix) overlay.namePrefix = k.namePrefix;
      if (k.nameSuffix) overlay.nameSuffix = k.nameSuffix;
      if (k.namespace) overlay.namespace = k.namespace;
      if (k.commonLabels) overlay.commonLabels = k.commonLabels;
      if (k.commonAnnotations) overlay.commonAnnotations = k.commonAnnotations;
      if (k.images?.length)
        overlay.images = k.images.map((img) => {
          const eq = img.indexOf('=');
          const name = eq > 0 ? img.slice(0, eq) : img.replace(/[:@].*$/, '');
          const ref = eq > 0 ? img.slice(eq + 1) : img;
          const at = ref.indexOf('@');
          const colon = ref.lastIndexOf(':');
          const o: Record<string, string> = { name };
          const newName = at > 0 ? ref.slice(0, at) : colon > ref.lastIndexOf('/') ? ref.slice(0, colon) : ref;
          if (newName !== name) o.newName = newName;
          if (at > 0) o.digest = ref.slice(at + 1);
          else if (colon > ref.lastIndexOf('/')) o.newTag = ref.slice(colon + 1);
          return o;
        });
      if (k.replicas?.length) overlay.replicas = k.replicas.map((r) => ({ name: r.name, count: Number(r.count) }));
      if (k.patches?.length) overlay.patches = k.patches;
      if (k.components?.length) overlay.components = k.components.map((c) => join(relative(tmp!, dir), c));
      writeFileSync(join(tmp, 'kustomization.yaml'), stringify(overlay));
      target = tmp;
    }
    try {
      const r = await this.o.run(this.o.kubectl ?? 'kubectl', ['kustomize', target], { timeoutMs: 120_000 });
      if (r.code !== 0)
        throw new GitOpsError(
          'gitops_render_error',
          `kustomize build ${source.path ?? '.'} failed: ${r.stderr.trim()}`,
        );
      return {
        sourceType: 'Kustomize',
        objects: parseManifests(r.stdout.toString('utf8'), `${source.path ?? '.'} (kustomize)`),
      };
    } finally {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    }
  }

  private async helm(dir: string, source: ApplicationSource): Promise<Rendered> {
    const helm = this.o.helm ?? 'helm';
    const probe = await this.o.run(helm, ['version', '--short']).catch(() => undefined);
    if (!probe || probe.code !== 0)
      throw new GitOpsError(
        'gitops_helm_not_installed',
        `source path "${source.path ?? '.'}" is a Helm chart, and rendering it needs the helm binary, which is not installed (looked for "${helm}" on PATH)`,
      );
    const h = source.helm ?? {};
    const args = ['template', h.releaseName ?? 'release', dir, '--include-crds'];
    if (h.namespace) args.push('--namespace', h.namespace);
    for (const f of h.valueFiles ?? []) args.push('--values', resolve(dir, f));
    for (const p of h.parameters ?? []) args.push(p.forceString ? '--set-string' : '--set', `${p.name}=${p.value}`);
    let tmp: string | undefined;
    const values = h.valuesObject ? stringify(h.valuesObject) : h.values;
    if (values) {
      tmp = mkdtempSync(join(tmpdir(), 'sekisho-helm-'));
      writeFileSync(join(tmp, 'values.yaml'), values);
      args.push('--values', join(tmp, 'values.yaml'));
    }
    try {
      const r = await this.o.run(helm, args, { timeoutMs: 120_000 });
      if (r.code !== 0) throw new GitOpsError('gitops_render_error', `helm template failed: ${r.stderr.trim()}`);
      return { sourceType: 'Helm', objects: parseManifests(r.stdout.toString('utf8'), `${source.path ?? '.'} (helm)`) };
    } finally {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    }
  }
}

function splitPatterns(p: string | undefined): string[] {
  if (!p) return [];
  // Argo CD: a single glob, or `{a,b}` — keep braces for the glob itself
  return [p];
}
