import type { KubernetesObject } from '@kubernetes/client-node';
import { AUTOSCALING_MODES } from '../../contract/models.js';
import type { Replica, ServedModel } from '../types.js';
import { readAdapters, type SkippedAdapter } from './adapters.js';

/** A model's id and the key of the maps below: `<namespace>/<name>`. */
export const modelKey = (namespace: string, name: string) => `${namespace}/${name}`;

/** One Ready replica of the model with this key, as a replica source found it. */
export interface KeyedReplica {
  model: string;
  replica: Replica;
}

/** Replicas grouped by model key, each model's in a stable order (by pod name). */
export function groupReplicas(found: Iterable<KeyedReplica>): Map<string, Replica[]> {
  const byModel = new Map<string, Replica[]>();
  for (const { model, replica } of found) {
    const replicas = byModel.get(model) ?? [];
    byModel.set(model, [...replicas, replica]);
  }
  for (const replicas of byModel.values()) replicas.sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0));
  return byModel;
}

/**
 * spec.replicas and spec.autoscaling.mode, as the API server defaulted them (1, off); read
 * defensively, since the object comes as plain JSON.
 */
export function scalingOf(model: KubernetesObject): ServedModel['scaling'] {
  const spec = (model as { spec?: { replicas?: unknown; autoscaling?: { mode?: unknown } } }).spec;
  const replicas = typeof spec?.replicas === 'number' ? spec.replicas : 1;
  const mode = AUTOSCALING_MODES.find((m) => m === spec?.autoscaling?.mode) ?? 'off';
  return { replicas, mode };
}

/**
 * The models the gateway serves: every GptOssModel the informer holds that is not being deleted (its
 * pods are on their way out), with its Ready replicas (none: the model exists but cannot answer now),
 * how it is scaled and the adapters it serves (adapters.ts). Read as plain objects. Sorted by id.
 */
export function servedModels(
  models: Iterable<KubernetesObject>,
  replicas: ReadonlyMap<string, readonly Replica[]>,
): ServedModel[] {
  const served: ServedModel[] = [];
  for (const model of models) {
    const { metadata } = model;
    if (!metadata?.namespace || !metadata.name || metadata.deletionTimestamp) continue;
    const { namespace, name } = metadata;
    served.push({
      namespace,
      name,
      replicas: replicas.get(modelKey(namespace, name)) ?? [],
      scaling: scalingOf(model),
      adapters: readAdapters(model).names,
    });
  }
  const id = (m: ServedModel) => modelKey(m.namespace, m.name);
  return served.sort((a, b) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));
}

/** A spec.adapters entry not served, with the model it belongs to: what discovery warns about. */
export interface AdapterWarning extends SkippedAdapter {
  namespace: string;
  name: string;
}

/**
 * What of each model's spec.adapters is skipped now (by model id, as text), and the warnings to give:
 * only for models whose skipped entries changed since `before`, so a model rebuilt on every replica
 * change is warned about once, and again when it is edited. Pure.
 */
export function skippedAdapters(
  models: Iterable<KubernetesObject>,
  before: ReadonlyMap<string, string>,
): { now: Map<string, string>; warnings: AdapterWarning[] } {
  const now = new Map<string, string>();
  const warnings: AdapterWarning[] = [];
  for (const model of models) {
    const { namespace, name } = model.metadata ?? {};
    if (!namespace || !name) continue;
    const { skipped } = readAdapters(model);
    if (skipped.length === 0) continue;
    const id = modelKey(namespace, name);
    const text = JSON.stringify(skipped);
    now.set(id, text);
    if (before.get(id) !== text) warnings.push(...skipped.map((entry) => ({ namespace, name, ...entry })));
  }
  return { now, warnings };
}
