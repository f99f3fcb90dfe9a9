// Diff of a desired object (config) against the live one. With a server-side dry-run result
// (`predictedLive`) the server's defaults, webhooks and field ownership are accounted for; without one
// the config is merged onto the live object the way an apply would (maps merged, keyed lists merged by
// name, other lists replaced), so server-populated fields never show as drift. Both sides are then
// normalised (server metadata, status, ignoreDifferences, Secret masking) and compared.
import { stringify } from 'yaml';
import { clone, deepEqual, isObject, type KubeObject } from '../../kube/index.ts';
import type { ResourceIgnoreDifferences } from '../types.ts';
import { applyIgnores, foldSecretStringData, maskSecrets, matchingIgnores, stripServerFields } from './normalize.ts';
import { unifiedDiff } from './unified.ts';

export { unifiedDiff } from './unified.ts';
export {
  removePointer,
  removeJqPath,
  removeManagedFields,
  maskSecrets,
  stripServerFields,
  respectIgnores,
  jqPathParts,
} from './normalize.ts';

export interface DiffOptions {
  /** the server-side dry-run apply of config over live */
  predictedLive?: KubeObject;
  ignoreDifferences?: ResourceIgnoreDifferences[];
}

export interface DiffResult {
  modified: boolean;
  /** the normalised live object (undefined when it does not exist) */
  normalizedLive?: KubeObject;
  /** the normalised object the cluster would hold after a sync (undefined for a prune) */
  predictedLive?: KubeObject;
  /** unified YAML diff live → predicted ('' when equal) */
  diff: string;
}

/** Merges `config` onto `live` like an apply: maps recurse, lists of maps keyed by name merge by name. */
export function mergeApply(live: unknown, config: unknown): unknown {
  if (isObject(live) && isObject(config)) {
    const out: Record<string, unknown> = { ...live };
    for (const [k, v] of Object.entries(config)) out[k] = v === null ? undefined : mergeApply(live[k], v);
    for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
    return out;
  }
  if (Array.isArray(live) && Array.isArray(config)) {
    const keyOf = (e: unknown) =>
      isObject(e)
        ? typeof e.name === 'string'
          ? e.name
          : typeof e.containerPort === 'number'
            ? `p${e.containerPort}`
            : typeof e.port === 'number'
              ? `p${e.port}`
              : undefined
        : undefined;
    if (config.length && config.every((e) => keyOf(e) !== undefined)) {
      return config.map((c) => {
        const l = live.find((e) => keyOf(e) === keyOf(c));
        return l === undefined ? clone(c) : mergeApply(l, c);
      });
    }
    return clone(config);
  }
  return clone(config);
}

export function diffObjects(
  config: KubeObject | undefined,
  live: KubeObject | undefined,
  o: DiffOptions = {},
): DiffResult {
  const ref = config ?? live;
  if (!ref) return { modified: false, diff: '' };
  const rules = matchingIgnores(ref, o.ignoreDifferences);
  let predicted: KubeObject | undefined;
  if (config)
    predicted = o.predictedLive
      ? clone(o.predictedLive)
      : live
        ? (mergeApply(live, foldSecretStringData(config)) as KubeObject)
        : foldSecretStringData(config);
  const nLive = live ? stripServerFields(live) : undefined;
  const nPred = predicted ? stripServerFields(predicted) : undefined;
  if (nLive) applyIgnores(nLive, rules, live);
  if (nPred) applyIgnores(nPred, rules, live);
  maskSecrets(nLive, nPred);
  const modified = !nLive || !nPred || !deepEqual(nLive, nPred);
  const name = `${ref.kind}/${ref.metadata.namespace ? ref.metadata.namespace + '/' : ''}${ref.metadata.name ?? ''}`;
  const diff = modified
    ? unifiedDiff(
        nLive ? stringify(nLive, { sortMapEntries: true }) : '',
        nPred ? stringify(nPred, { sortMapEntries: true }) : '',
        `live ${name}`,
        `desired ${name}`,
      )
    : '';
  return { modified, ...(nLive ? { normalizedLive: nLive } : {}), ...(nPred ? { predictedLive: nPred } : {}), diff };
}
