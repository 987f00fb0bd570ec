import type { V1Deployment, V1Node, V1Pod } from '@kubernetes/client-node';
import type { GptOssModel } from '../api/v1alpha1/gptOssModel.js';
import type { NodeInfo } from '../planner/gpuClasses.js';
import type { ObservedDeployment, ObservedPods } from '../planner/status.js';

/**
 * What a reconcile reads. The Executor answers from the API server; the operator process answers
 * from its informers' caches (the model itself is always read fresh, so status and events are
 * computed from what was last written).
 */
export interface WorldReads {
  readModel(namespace: string, name: string): Promise<GptOssModel | null>;
  listNodes(): Promise<NodeInfo[]>;
  observeDeployment(namespace: string, name: string): Promise<ObservedDeployment | null>;
  /** What the model's pods say: unschedulable, failing containers, weights download progress. */
  observePods(namespace: string, labels: Record<string, string>): Promise<ObservedPods>;
}

/** How long the operator waits for a pod's /progress before it shows none. */
const PROGRESS_TIMEOUT_MS = 1000;

/**
 * The pods' story in three parts, each null when there is nothing to say: the scheduler's message
 * for an unschedulable pod, the last failure of a container that keeps failing (CrashLoopBackOff or
 * restarted, with its termination message), and the sum of the weights downloads in progress (read
 * from each fetching pod's /progress on its IP, as the runtime knows nothing of Kubernetes; a pod
 * whose fetch does not answer yet counts as a download at 0 of unknown bytes).
 */
export async function observePods(pods: readonly V1Pod[], fetchPort: number): Promise<ObservedPods> {
  const downloads = await Promise.all(
    pods.map(async (pod) => {
      const fetching = pod.status?.initContainerStatuses?.find((c) => c.name === 'fetch' && c.state?.running);
      if (!fetching || !pod.status?.podIP) return null;
      try {
        const response = await fetch(`http://${pod.status.podIP}:${fetchPort}/progress`, {
          signal: AbortSignal.timeout(PROGRESS_TIMEOUT_MS),
        });
        const body = (await response.json()) as { bytesDone?: number; bytesTotal?: number | null };
        return { bytesDone: body.bytesDone ?? 0, bytesTotal: body.bytesTotal ?? 0 };
      } catch {
        // not listening yet: still a download under way, so the reconcile asks again soon
        return { bytesDone: 0, bytesTotal: 0 };
      }
    }),
  );
  const active = downloads.filter((d) => d !== null);
  return {
    unschedulable: firstUnschedulable(pods),
    failing: firstFailing(pods),
    download: active.length
      ? active.reduce((a, b) => ({ bytesDone: a.bytesDone + b.bytesDone, bytesTotal: a.bytesTotal + b.bytesTotal }))
      : null,
  };
}

function firstFailing(pods: readonly V1Pod[]): string | null {
  for (const pod of pods) {
    for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
      const last = c.state?.terminated ?? c.lastState?.terminated;
      const looping = c.state?.waiting?.reason === 'CrashLoopBackOff' || c.restartCount > 0;
      if (last && last.exitCode !== 0 && looping) {
        const why = last.message ? `: ${last.message.trim().split('\n').at(-1)}` : ` (${last.reason ?? 'Error'})`;
        const container = `container ${c.name} of pod ${pod.metadata?.name}`;
        return `${container} exited ${last.exitCode}${why}; restarts: ${c.restartCount}`;
      }
      if (
        c.state?.waiting?.reason &&
        !['ContainerCreating', 'PodInitializing', 'CrashLoopBackOff'].includes(c.state.waiting.reason)
      ) {
        const { reason, message } = c.state.waiting;
        return `container ${c.name} of pod ${pod.metadata?.name} is waiting: ${reason}${message ? `: ${message}` : ''}`;
      }
    }
  }
  return null;
}

export function firstUnschedulable(pods: readonly V1Pod[]): string | null {
  for (const pod of pods) {
    const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable')
      return scheduled.message ?? 'Unschedulable';
  }
  return null;
}

export const nodeInfo = (n: V1Node): NodeInfo => ({
  name: n.metadata!.name!,
  labels: n.metadata?.labels ?? {},
  allocatable: n.status?.allocatable ?? {},
});

export const observedDeployment = (d: V1Deployment): ObservedDeployment => ({
  replicas: d.status?.replicas ?? 0,
  readyReplicas: d.status?.readyReplicas ?? 0,
  updatedReplicas: d.status?.updatedReplicas ?? 0,
  upToDate: (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0),
});
