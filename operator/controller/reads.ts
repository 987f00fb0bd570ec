import type {
  KubernetesObject,
  V1Deployment,
  V1Job,
  V1Node,
  V1PersistentVolumeClaim,
  V1Pod,
  V1StorageClass,
} from '@kubernetes/client-node';
import type { ChildRef, StorageClassInfo, WeightCachePlan } from '../planner/children.js';
import type { GptOssModel } from '../api/v1alpha1/gptOssModel.js';
import type { NodeInfo } from '../planner/gpuClasses.js';
import { hostPort } from '../../contract/names.js';
import type { ObservedDeployment, ObservedPods, ObservedWeightCache } from '../planner/status.js';
import { PROGRESS_LIMITS, readPodEndpoint } from './podEndpoint.js';
import { byCodeUnits } from '../../contract/order.js';

/**
 * What a reconcile reads. The Executor answers from the API server; the operator process answers
 * from its informers' caches, the model included: status and events are still computed from what
 * was last written, as the reconciler tells the reads what its status write returned.
 */
export interface WorldReads {
  readModel(namespace: string, name: string): Promise<GptOssModel | null>;
  /** The reconcile wrote the status of `read`; `returned` is the model as the API server answered (ModelReads). */
  wroteStatus?(read: GptOssModel, returned: GptOssModel): void;
  listNodes(): Promise<NodeInfo[]>;
  observeDeployment(namespace: string, name: string): Promise<ObservedDeployment | null>;
  /** What the model's pods say: unschedulable, failing containers, weights download progress. */
  observePods(namespace: string, labels: Record<string, string>): Promise<ObservedPods>;
  listStorageClasses(): Promise<StorageClassInfo[]>;
  /** The model's weight cache objects (claims, download Jobs, their pods), read with readWeightCache. */
  findWeightCache(namespace: string, model: string): Promise<FoundWeightCache>;
  /**
   * The child `ref` names, with its uid, when it is there and the model of uid `owner` controls it (ownedChild); else
   * null: what is not there costs no delete, and what the operator did not make is never pruned.
   */
  findOwnedChild(ref: ChildRef, owner: string | undefined): Promise<ChildRef | null>;
}

/** Whether the object of uid `owner` is among its owners (with `controller`, as its controller). */
const ownedBy = (o: KubernetesObject | null | undefined, owner: string | undefined, controller = false) =>
  !!owner && (o?.metadata?.ownerReferences?.some((r) => r.uid === owner && (!controller || r.controller)) ?? false);

/** `ref` with the uid of `found` when `found` is there and the model of uid `owner` is its controller, else null. */
export function ownedChild(
  ref: ChildRef,
  found: KubernetesObject | null | undefined,
  owner: string | undefined,
): ChildRef | null {
  const uid = found?.metadata?.uid;
  return uid && ownedBy(found, owner, true) ? { ...ref, uid } : null;
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
      // the runtime pod's init container, or the cache's download Job's container
      const fetching = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find(
        (c) => c.name === 'fetch' && c.state?.running,
      );
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

export function firstFailing(pods: readonly V1Pod[]): string | null {
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

export const storageClassInfo = (sc: V1StorageClass): StorageClassInfo => ({
  name: sc.metadata?.name ?? '',
  provisioner: sc.provisioner,
  isDefault: sc.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true',
});

/** The Job's state from its conditions (Complete and Failed are final). */
function jobState(job: V1Job): NonNullable<ObservedWeightCache['job']> {
  const holds = (type: string) => job.status?.conditions?.some((c) => c.type === type && c.status === 'True');
  return holds('Complete') ? 'Complete' : holds('Failed') ? 'Failed' : 'Running';
}

/** The last line of the latest failed download pod's fetch, as the Job's pods say why (the Job says only "failed"). */
function lastFailure(pods: readonly V1Pod[]): string | null {
  const failed = pods
    .flatMap((pod) =>
      (pod.status?.containerStatuses ?? [])
        .filter((c) => c.name === 'fetch' && c.state?.terminated && c.state.terminated.exitCode !== 0)
        .map((c) => ({ pod, terminated: c.state!.terminated! })),
    )
    .sort((a, b) => byCodeUnits(String(a.terminated.finishedAt ?? ''), String(b.terminated.finishedAt ?? '')));
  const last = failed.at(-1);
  if (!last) return null;
  const why = last.terminated.message?.trim().split('\n').at(-1) ?? `exit code ${last.terminated.exitCode}`;
  return `pod ${last.pod.metadata?.name}: ${why}`;
}

/** A model's weight cache objects as found: its claims, Jobs and the download pods in its namespace. */
export interface FoundWeightCache {
  claims: readonly V1PersistentVolumeClaim[];
  jobs: readonly V1Job[];
  pods: readonly V1Pod[];
}

/** What a reconcile learns of a model's weight cache: the wanted one's state, and what is left of earlier ones. */
export interface WeightCacheReading {
  observed?: ObservedWeightCache;
  /**
   * To delete: Jobs of other files (their pods would write beside the new ones) and, once the source has no cache, the
   * claim unless it is retained (a retained claim has no owner).
   */
  stale: ChildRef[];
}

/**
 * The wanted cache's claim, the Job of the wanted files and that Job's pods (the Job controller labels them with its
 * name): its state, why it failed, and its running pod's download progress; and the objects of the model that the
 * plan no longer wants.
 */
export async function readWeightCache(
  model: { namespace: string; name: string; uid?: string },
  cache: Pick<WeightCachePlan, 'claimName' | 'jobName'> | undefined,
  found: FoundWeightCache,
  fetchPort: number,
  report: ReportUnreadable = () => undefined,
): Promise<WeightCacheReading> {
  const ref = (kind: 'Job' | 'PersistentVolumeClaim', name: string): ChildRef => ({
    apiVersion: kind === 'Job' ? 'batch/v1' : 'v1',
    kind,
    namespace: model.namespace,
    name,
  });
  const stale = [
    ...found.jobs.filter((j) => j.metadata?.name !== cache?.jobName).map((j) => ref('Job', j.metadata!.name!)),
    ...(cache
      ? []
      : found.claims.filter((c) => ownedBy(c, model.uid)).map((c) => ref('PersistentVolumeClaim', c.metadata!.name!))),
  ];
  if (!cache) return { stale };
  const claim = found.claims.find((c) => c.metadata?.name === cache.claimName);
  const job = found.jobs.find((j) => j.metadata?.name === cache.jobName);
  const pods = found.pods.filter((p) => p.metadata?.labels?.['batch.kubernetes.io/job-name'] === cache.jobName);
  const running = job ? pods.filter((p) => p.status?.phase === 'Running') : [];
  const { download } = await observePods(running, fetchPort, report);
  const observed = {
    claimName: cache.claimName,
    jobName: cache.jobName,
    claimPhase: claim ? (claim.status?.phase ?? 'Pending') : null,
    job: job ? jobState(job) : null,
    failure: lastFailure(pods),
    unschedulable: firstUnschedulable(pods),
    download,
  };
  return { observed, stale };
}
