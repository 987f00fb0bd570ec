import type { AutoscalingStatus, GptOssModelStatus } from '../api/v1alpha1/gptOssModel.js';
import { gptOssModelSpec } from '../api/v1alpha1/gptOssModel.js';
import { labelsFor, planChildren, selectorText, type ChildrenConfig } from '../planner/children.js';
import { gpuClasses, nodesMatching } from '../planner/gpuClasses.js';
import { planPlacement, type PlacementSettings } from '../planner/placement.js';
import { planStatus, statusChanged } from '../planner/status.js';
import type { Executor } from './executor.js';
import type { WorldReads } from './reads.js';

export interface ReconcileConfig extends ChildrenConfig, PlacementSettings {}

export interface ReconcileOutcome {
  /** What the reconcile did, for logs and tests. */
  applied: string[];
  statusWritten: boolean;
  status: GptOssModelStatus | null;
  desiredReplicas: number;
  /** Reconcile again after this long even if no watch fires. */
  requeueAfterMs?: number;
}

const DOWNLOAD_POLL_MS = 2000;

/**
 * Level-based: from a key, re-read the world, plan (pure), apply the children, then write status
 * only when it changed. A model that no longer exists needs nothing: its children go by garbage
 * collection. A model that cannot be placed gets no new Deployment; one already serving keeps it.
 * `reads` defaults to the executor (straight from the API server).
 */
export async function reconcileModel(
  key: { namespace: string; name: string },
  executor: Executor,
  config: ReconcileConfig,
  now: () => Date,
  reads: WorldReads = executor,
  /** The builtin autoscaler's last decision for a model (it keeps it in memory; status has one writer: this). */
  autoscaling: (namespace: string, name: string) => AutoscalingStatus | undefined = () => undefined,
): Promise<ReconcileOutcome> {
  const model = await reads.readModel(key.namespace, key.name);
  if (!model) return { applied: [], statusWritten: false, status: null, desiredReplicas: 0 };
  // the API server defaulted the spec; parsing again types it and catches a CRD older than us
  model.spec = gptOssModelSpec.parse(model.spec);
  const nodes = nodesMatching(await reads.listNodes(), model.spec.gpu?.nodeSelector);
  const placement = planPlacement(model.spec, gpuClasses(nodes, config.catalogue), config, model.status?.placement);
  const applied: string[] = [];
  let childrenProblem: { reason: string; message: string } | null = null;
  if (placement.placed) {
    const planned = planChildren(model, placement, config);
    if (planned.ok) {
      for (const object of planned.objects) {
        if (await executor.apply(object)) applied.push(`${String(object.kind)}/${(object.metadata as { name: string }).name}`);
      }
      for (const ref of planned.prune) {
        if (await executor.deleteIfPresent(ref)) applied.push(`-${ref.kind}/${ref.name}`);
      }
    } else {
      childrenProblem = planned;
    }
  }
  const labels = labelsFor(model);
  const observed = {
    deployment: await reads.observeDeployment(key.namespace, key.name),
    ...await reads.observePods(key.namespace, labels),
    selector: selectorText(labels),
  };
  const status = planStatus(model, placement, childrenProblem, observed, now(), autoscaling(key.namespace, key.name));
  const changed = statusChanged(model.status, status);
  if (changed) {
    await executor.writeStatus(model, status);
    // an Event for every condition that changed status: decisions (Normal) and problems (Warning)
    const before = new Map((model.status?.conditions ?? []).map((c) => [c.type, c.status]));
    for (const c of status.conditions ?? []) {
      if (before.get(c.type) === c.status) continue;
      const problem = (c.type === 'Degraded' && c.status === 'True') || (c.type === 'Placed' && c.status === 'False');
      await executor.recordEvent(model, problem ? 'Warning' : 'Normal', c.reason, c.message, now());
    }
  }
  return {
    applied, statusWritten: changed, status, desiredReplicas: model.spec.replicas,
    // nothing in the API server changes while a download advances: look again soon
    ...(observed.download ? { requeueAfterMs: DOWNLOAD_POLL_MS } : {}),
  };
}
