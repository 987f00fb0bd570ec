import type { V1Deployment, V1Node, V1Pod } from '@kubernetes/client-node';
import type { GptOssModel } from '../api/v1alpha1/gptOssModel.js';
import type { NodeInfo } from '../planner/gpuClasses.js';
import { hostPort } from '../../contract/names.js';
import type { ObservedDeployment, ObservedPods } from '../planner/status.js';
import { PROGRESS_LIMITS, readPodEndpoint } from './podEndpoint.js';

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

/** A pod's endpoint that answered but could not be trusted: said in a log line (and the model's status). */
export type ReportUnreadable = (pod: V1Pod, endpoint: string, problem: string) => void;

/** bytesDone and bytesTotal of `gptoss fetch`'s /progress; null for anything else. */
export function progressFrom(text: string): { bytesDone: number; bytesTotal: number } | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  const { bytesDone, bytesTotal } = (body ?? {}) as { bytesDone?: unknown; bytesTotal?: unknown };
  const count = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  const total = bytesTotal ?? 0; // null (or absent) while the sizes are not all known
  if (!count(bytesDone) || !count(total) || (total > 0 && bytesDone > total)) return null;
  return { bytesDone, bytesTotal: total };
}

/**
 * One fetching pod's download. A pod not listening yet counts as a download at 0 of unknown bytes
 * (the reconcile asks again soon); so does one whose answer is not to be trusted (too long, too
 * slow, an error, not progress), which is also said: in `unreadable` and through `report`.
 */
async function podDownload(pod: V1Pod, ip: string, fetchPort: number, report: ReportUnreadable) {
  const answer = await readPodEndpoint(`http://${hostPort(ip, fetchPort)}/progress`, PROGRESS_LIMITS);
  if (!answer.ok && !answer.listening) return { bytesDone: 0, bytesTotal: 0, unreadable: [] };
  const progress = answer.ok ? progressFrom(answer.text) : null;
  if (progress) return { ...progress, unreadable: [] };
  const problem = answer.ok ? 'answered something that is not gptoss fetch progress' : answer.problem;
  report(pod, '/progress', problem);
  return { bytesDone: 0, bytesTotal: 0, unreadable: [`pod ${pod.metadata?.name}: ${problem}`] };
}

/**
 * The pods' story in three parts, each null when there is nothing to say: the scheduler's message
 * for an unschedulable pod, the last failure of a container that keeps failing (CrashLoopBackOff or
 * restarted, with its termination message), and the sum of the weights downloads in progress (read
 * from each fetching pod's /progress on its IP, as the runtime knows nothing of Kubernetes).
 */
export async function observePods(
  pods: readonly V1Pod[],
  fetchPort: number,
  report: ReportUnreadable = () => undefined,
): Promise<ObservedPods> {
  const downloads = await Promise.all(
    pods.map(async (pod) => {
      const fetching = pod.status?.initContainerStatuses?.find((c) => c.name === 'fetch' && c.state?.running);
      const ip = pod.status?.podIP;
      return fetching && ip ? podDownload(pod, ip, fetchPort, report) : null;
    }),
  );
  const active = downloads.filter((d) => d !== null);
  const unreadable = active.flatMap((d) => d.unreadable);
  const sum = (key: 'bytesDone' | 'bytesTotal') => active.reduce((total, d) => total + d[key], 0);
  return {
    unschedulable: firstUnschedulable(pods),
    failing: firstFailing(pods),
    download: active.length
      ? { bytesDone: sum('bytesDone'), bytesTotal: sum('bytesTotal'), ...(unreadable.length ? { unreadable } : {}) }
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

/**
 * The Deployment's status; `replicaFailure` is the Deployment controller's ReplicaFailure condition, copied from a
 * ReplicaSet that cannot create pods (a quota, Pod Security admission, a webhook), with the server's message.
 */
export function observedDeployment(d: V1Deployment): ObservedDeployment {
  const failure = d.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  return {
    replicas: d.status?.replicas ?? 0,
    readyReplicas: d.status?.readyReplicas ?? 0,
    updatedReplicas: d.status?.updatedReplicas ?? 0,
    upToDate: (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0),
    replicaFailure: failure ? `${failure.reason ?? 'ReplicaFailure'}: ${failure.message ?? ''}`.trim() : null,
  };
}
