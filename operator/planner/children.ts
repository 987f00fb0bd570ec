import type { GptOssModel } from '../api/v1alpha1/gptOssModel.js';
import { adapterFiles } from './children/adapters.js';
import type { ChildrenConfig } from './children/containers.js';
import { PDB_TYPE, deployment, disruptionBudget, grpcService, httpService, specHashOf } from './children/objects.js';
import { podSpec } from './children/pod.js';
import {
  storageClassProblem,
  weightCacheClaim,
  weightsDownloadJob,
  type StorageClassInfo,
} from './children/weightCache.js';
import { weights, type WeightCachePlan } from './children/weights.js';
import type { Placed } from './placement.js';

/**
 * The objects that serve one GptOssModel, as plain data: a Deployment running `gptoss serve`, a
 * ClusterIP Service for HTTP (OpenAI API and /metrics), a headless Service for gRPC and, with more
 * than one replica, a PodDisruptionBudget; a cached url source adds its claim and download Job.
 * Pure: the executor applies them with server-side apply. Built in layers: containers
 * (children/containers.ts), the pod (children/pod.ts), the objects (children/objects.ts).
 */

export type { ChildrenConfig, StorageClassInfo, WeightCachePlan };
export { cpuCount } from './children/containers.js';
export { labelsFor, selectorText, weightsLabelsFor } from './children/objects.js';

/** A child the plan no longer wants (the PodDisruptionBudget below two replicas). */
export interface ChildRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  /** When set, only the object of this uid is deleted (a precondition): not one made again under its name since. */
  uid?: string;
}

export type PlannedChildren =
  | {
      ok: true;
      objects: Record<string, unknown>[];
      prune: ChildRef[];
      specHash: string;
      /** The shared weight cache, when the source has one. */
      cache?: WeightCachePlan;
    }
  | { ok: false; reason: string; message: string };

/** What of the cluster, beyond the model, the plan depends on. */
export interface ClusterFacts {
  storageClasses: readonly StorageClassInfo[];
}

const MiB = 1024 * 1024;

export function planChildren(
  model: GptOssModel,
  placement: Placed,
  config: ChildrenConfig,
  cluster: ClusterFacts,
): PlannedChildren {
  const w = weights(model, placement.need.weightsMiB * MiB, config.fetchAllowances);
  if ('problem' in w) return { ok: false, reason: w.reason, message: w.problem };
  const adapters = adapterFiles(model, config.fetchAllowances);
  if ('problem' in adapters) return { ok: false, reason: adapters.reason, message: adapters.problem };
  const classProblem = w.cache ? storageClassProblem(w.cache, cluster.storageClasses) : null;
  if (classProblem) return { ok: false, reason: classProblem.reason, message: classProblem.problem };
  const pod = podSpec(model, placement, { weights: w, adapters }, config);
  const specHash = specHashOf(pod);
  const cacheObjects = w.cache
    ? [weightCacheClaim(model, w.cache), weightsDownloadJob(model, w.cache, placement, config)]
    : [];
  const objects = [...cacheObjects, deployment(model, pod, specHash), httpService(model), grpcService(model)];
  const cache = w.cache ? { cache: w.cache } : {};
  // a budget of one unavailable protects nothing below two replicas: the children match the plan exactly
  if (model.spec.replicas > 1)
    return { ok: true, objects: [...objects, disruptionBudget(model)], prune: [], specHash, ...cache };
  return {
    ok: true,
    objects,
    prune: [{ ...PDB_TYPE, namespace: model.metadata.namespace!, name: model.metadata.name }],
    specHash,
    ...cache,
  };
}
