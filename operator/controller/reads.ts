import type { V1Deployment, V1Node, V1Pod } from '@kubernetes/client-node';
import type { GptOssModel } from '../api/v1alpha1/gptOssModel.js';
import type { NodeInfo } from '../planner/gpuClasses.js';
import type { ObservedDeployment } from '../planner/status.js';

/**
 * What a reconcile reads. The Executor answers from the API server; the operator process answers
 * from its informers' caches (the model itself is always read fresh, so status and events are
 * computed from what was last written).
 */
export interface WorldReads {
  readModel(namespace: string, name: string): Promise<GptOssModel | null>;
  listNodes(): Promise<NodeInfo[]>;
  observeDeployment(namespace: string, name: string): Promise<ObservedDeployment | null>;
  /** The scheduler's message for the first unschedulable pod with these labels, if any. */
  unschedulableMessage(namespace: string, labels: Record<string, string>): Promise<string | null>;
}

export function firstUnschedulable(pods: readonly V1Pod[]): string | null {
  for (const pod of pods) {
    const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') return scheduled.message ?? 'Unschedulable';
  }
  return null;
}

export const nodeInfo = (n: V1Node): NodeInfo => ({
  name: n.metadata!.name!, labels: n.metadata?.labels ?? {}, allocatable: (n.status?.allocatable ?? {}) as Record<string, string>,
});

export const observedDeployment = (d: V1Deployment): ObservedDeployment => ({
  replicas: d.status?.replicas ?? 0,
  readyReplicas: d.status?.readyReplicas ?? 0,
  updatedReplicas: d.status?.updatedReplicas ?? 0,
  upToDate: (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0),
});
