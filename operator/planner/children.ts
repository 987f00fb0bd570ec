import type { GptOssModel } from '../api/v1alpha1/gptOssModel.js';
import { REASONS } from '../api/v1alpha1/reasons.js';
import type { ChildrenConfig } from './children/containers.js';
import { PDB_TYPE, deployment, disruptionBudget, grpcService, httpService, specHashOf } from './children/objects.js';
import { podSpec } from './children/pod.js';
import { weights } from './children/weights.js';
import type { Placed } from './placement.js';

/**
 * The objects that serve one GptOssModel, as plain data: a Deployment running `gptoss serve`, a
 * ClusterIP Service for HTTP (OpenAI API and /metrics), a headless Service for gRPC and, with more
 * than one replica, a PodDisruptionBudget. Pure: the executor applies them with server-side apply.
 * Built in layers: containers (children/containers.ts), the pod (children/pod.ts), the objects
 * (children/objects.ts).
 */

export type { ChildrenConfig };
export { cpuCount } from './children/containers.js';
export { labelsFor, selectorText } from './children/objects.js';

/** A child the plan no longer wants (the PodDisruptionBudget below two replicas). */
export interface ChildRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

export type PlannedChildren =
  | { ok: true; objects: Record<string, unknown>[]; prune: ChildRef[]; specHash: string }
  | { ok: false; reason: typeof REASONS.invalidSource; message: string };

const MiB = 1024 * 1024;

export function planChildren(model: GptOssModel, placement: Placed, config: ChildrenConfig): PlannedChildren {
  const w = weights(model, placement.need.weightsMiB * MiB, config.fetchAllowances);
  if ('problem' in w) return { ok: false, reason: REASONS.invalidSource, message: `spec.source.url: ${w.problem}` };
  const pod = podSpec(model, placement, w, config);
  const specHash = specHashOf(pod);
  const objects = [deployment(model, pod, specHash), httpService(model), grpcService(model)];
  // a budget of one unavailable protects nothing below two replicas: the children match the plan exactly
  if (model.spec.replicas > 1) return { ok: true, objects: [...objects, disruptionBudget(model)], prune: [], specHash };
  return {
    ok: true,
    objects,
    prune: [{ ...PDB_TYPE, namespace: model.metadata.namespace!, name: model.metadata.name }],
    specHash,
  };
}
