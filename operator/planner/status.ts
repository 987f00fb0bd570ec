import type { AutoscalingStatus, GptOssModel, GptOssModelStatus } from '../api/v1alpha1/gptOssModel.js';
import { REASONS, type ConditionType, type Reason } from '../api/v1alpha1/reasons.js';
import { RUNTIME_GRPC_PORT, RUNTIME_HTTP_PORT, grpcServiceName, httpServiceName } from '../../contract/names.js';
import type { Placement } from './placement.js';

/**
 * The model's status from what the planner decided and what the cluster shows: conditions with
 * constant reasons, placement and endpoint. Pure; `now` is injected, and a condition keeps its
 * lastTransitionTime while its status does not change, so an unchanged world writes nothing.
 */

type Condition = NonNullable<GptOssModelStatus['conditions']>[number];

export interface ObservedDeployment {
  replicas: number;
  readyReplicas: number;
  updatedReplicas: number;
  /** metadata.generation === status.observedGeneration: the controller has seen the latest spec. */
  upToDate: boolean;
  /** Why its pods cannot be created (the Deployment's ReplicaFailure condition: reason and message), if so. */
  replicaFailure: string | null;
}

export interface ObservedPods {
  /** The scheduler's message for a Pending runtime pod, if any. */
  unschedulable: string | null;
  /** The last failure of a container that keeps failing, if any. */
  failing: string | null;
  /**
   * Weights downloads in progress (url sources), summed over pods; `unreadable` names the pods whose progress could
   * not be read, and why (they count as 0 of unknown bytes).
   */
  download: { bytesDone: number; bytesTotal: number; unreadable?: string[] } | null;
}

/** The shared weight cache (spec.source.url.cache) as the cluster shows it. */
export interface ObservedWeightCache {
  claimName: string;
  jobName: string;
  /** The claim's phase (Pending, Bound, Lost); null before it exists. */
  claimPhase: string | null;
  /** The download Job's state; null before it exists. */
  job: 'Running' | 'Complete' | 'Failed' | null;
  /** Why the Job's last failed pod failed (its fetch's last line), if one did. */
  failure: string | null;
  /** The scheduler's message for the Job's pod, while it cannot place it. */
  unschedulable: string | null;
  /** Its pod's download in progress. */
  download: ObservedPods['download'];
}

export interface Observed extends ObservedPods {
  /** null: no Deployment exists. */
  deployment: ObservedDeployment | null;
  selector: string;
  weightCache?: ObservedWeightCache;
}

const GiB = 1024 ** 3;

export function planStatus(
  model: GptOssModel,
  placement: Placement,
  childrenProblem: { reason: string; message: string } | null,
  observed: Observed,
  now: Date,
  /**
   * The builtin autoscaler's last decision in this process; without one (a new leader), status keeps the last written.
   */
  autoscaling?: AutoscalingStatus,
): GptOssModelStatus {
  const previous = new Map((model.status?.conditions ?? []).map((c) => [c.type, c]));
  const at = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const condition = (type: ConditionType, status: Condition['status'], reason: string, message: string): Condition => {
    const before = previous.get(type);
    return {
      type,
      status,
      reason,
      message,
      observedGeneration: model.metadata.generation ?? 0,
      lastTransitionTime: before && before.status === status ? before.lastTransitionTime : at,
    };
  };
  const desired = model.spec.replicas;
  const lastAutoscaling =
    model.spec.autoscaling?.mode === 'builtin' ? (autoscaling ?? model.status?.autoscaling) : undefined;
  const d = observed.deployment;
  const ready = d?.readyReplicas ?? 0;

  const placedCondition = !placement.placed
    ? condition('Placed', 'False', placement.reason, placement.message)
    : childrenProblem
      ? condition('Placed', 'False', childrenProblem.reason, childrenProblem.message)
      : condition(
          'Placed',
          'True',
          REASONS.placed,
          `${placement.gpusPerReplica} x ${placement.gpuClass} (${placement.gpuMemoryMiB} MiB) per replica, ` +
            `needing ${placement.need.perGpuMiB} MiB each; ${placement.fittingNodes} node(s) fit`,
        );
  const readyCondition =
    desired === 0
      ? condition('Ready', 'False', REASONS.scaledToZero, 'spec.replicas is 0: no runtime runs and no GPU is held')
      : ready > 0
        ? condition('Ready', 'True', REASONS.ready, `${ready}/${desired} replicas ready`)
        : condition('Ready', 'False', REASONS.noReplicaReady, `0/${desired} replicas ready`);
  const rolling =
    d !== null && (!d.upToDate || d.updatedReplicas < desired || ready !== desired || d.replicas !== desired);
  const download = observed.download;
  const cache = observed.weightCache;
  const cacheProgress = cache && cache.job !== 'Complete' ? weightCacheProgress(cache) : null;
  const progressingCondition = cacheProgress
    ? condition('Progressing', cacheProgress.status, cacheProgress.reason, cacheProgress.message)
    : download
      ? condition('Progressing', 'True', REASONS.downloadingWeights, downloadMessage(download))
      : rolling
        ? condition(
            'Progressing',
            'True',
            REASONS.rollingOut,
            `${d.updatedReplicas} updated, ${ready} ready, ${desired} desired`,
          )
        : condition('Progressing', 'False', REASONS.stable, d ? 'the runtime matches the spec' : 'nothing to roll out');
  const degraded = degradedBecause(observed, placedCondition, childrenProblem);
  const degradedCondition = degraded
    ? condition('Degraded', 'True', degraded.reason, degraded.message)
    : condition('Degraded', 'False', REASONS.healthy, 'no problem seen');

  return {
    observedGeneration: model.metadata.generation ?? 0,
    replicas: d?.replicas ?? 0,
    readyReplicas: ready,
    selector: observed.selector,
    ...(placement.placed
      ? {
          placement: {
            memoryMiB: {
              total: placement.need.totalMiB,
              weights: placement.need.weightsMiB,
              kvCache: placement.need.kvCacheMiB,
              compute: placement.need.computeMiB,
              margin: placement.need.marginMiB,
              ...(placement.need.adaptersMiB ? { adapters: placement.need.adaptersMiB } : {}),
            },
            gpusPerReplica: placement.gpusPerReplica,
            gpuResource: placement.resourceName,
            gpuClass: placement.gpuClass,
            fittingNodes: placement.fittingNodes,
            planHash: placement.planHash,
            labelSources: placement.labelSources,
          },
        }
      : {}),
    ...(lastAutoscaling ? { autoscaling: lastAutoscaling } : {}),
    ...(cache
      ? { weightCache: { claimName: cache.claimName, jobName: cache.jobName, complete: cache.job === 'Complete' } }
      : {}),
    endpoint: {
      httpService: httpServiceName(model.metadata.name),
      httpPort: RUNTIME_HTTP_PORT,
      grpcService: grpcServiceName(model.metadata.name),
      grpcPort: RUNTIME_GRPC_PORT,
    },
    conditions: [readyCondition, placedCondition, progressingCondition, degradedCondition],
  };
}

function downloadMessage(download: NonNullable<ObservedPods['download']>, into = ''): string {
  const { bytesDone, bytesTotal, unreadable } = download;
  const progress =
    bytesTotal > 0
      ? `downloading weights${into}: ${Math.floor((100 * bytesDone) / bytesTotal)}% ` +
        `(${(bytesDone / GiB).toFixed(1)} of ${(bytesTotal / GiB).toFixed(1)} GiB)`
      : `downloading weights${into}: ${(bytesDone / GiB).toFixed(1)} GiB so far`;
  return unreadable?.length ? `${progress}; progress not readable from ${unreadable.join('; ')}` : progress;
}

/** The download Job's failure, as Progressing (stopped) and Degraded say it: runtime pods wait on the cache. */
const cacheFailure = (cache: ObservedWeightCache) =>
  `download Job ${cache.jobName} failed${cache.failure ? `: ${cache.failure}` : ''}; runtime pods wait for the ` +
  'cache (a change to spec.source.url starts another Job; deleting this one tries again)';

/** Where an incomplete weight cache stands: waiting for its claim, downloading, or failed. */
function weightCacheProgress(cache: ObservedWeightCache): {
  status: Condition['status'];
  reason: Reason;
  message: string;
} {
  if (cache.job === 'Failed')
    return { status: 'False', reason: REASONS.weightsDownloadFailed, message: cacheFailure(cache) };
  if (cache.claimPhase !== 'Bound') {
    return {
      status: 'True',
      reason: REASONS.waitingForWeightCache,
      message:
        `claim ${cache.claimName} is ${cache.claimPhase ?? 'not created yet'}: ` +
        'the download starts once it is bound',
    };
  }
  const retried = cache.failure ? `; an attempt failed: ${cache.failure}` : '';
  const message = cache.download
    ? downloadMessage(cache.download, ` into claim ${cache.claimName}`)
    : cache.unschedulable
      ? `the pod of download Job ${cache.jobName} cannot be scheduled: ${cache.unschedulable}`
      : `download Job ${cache.jobName} is starting`;
  return { status: 'True', reason: REASONS.downloadingWeights, message: message + retried };
}

/**
 * The first problem, in this order: pods that cannot even be created, pods the scheduler cannot place, containers
 * that keep failing, and a plan not carried out (no fitting GPU, a child the API server refused) while a Deployment
 * from an earlier plan serves.
 */
function degradedBecause(
  observed: Observed,
  placed: Condition,
  childrenProblem: { reason: string; message: string } | null,
): { reason: Reason; message: string } | null {
  const d = observed.deployment;
  if (d?.replicaFailure) return { reason: REASONS.podsNotCreated, message: d.replicaFailure };
  if (observed.unschedulable) return { reason: REASONS.podsUnschedulable, message: observed.unschedulable };
  if (observed.weightCache?.job === 'Failed')
    return { reason: REASONS.weightsDownloadFailed, message: cacheFailure(observed.weightCache) };
  if (observed.failing) return { reason: REASONS.containersFailing, message: observed.failing };
  if (placed.status === 'True' || d === null) return null;
  if (childrenProblem?.reason === REASONS.childRejected)
    return { reason: REASONS.childRejected, message: childrenProblem.message };
  return { reason: REASONS.notPlaced, message: `serving with the last good Deployment: ${placed.message}` };
}

/**
 * Whether two JSON values say the same: key order aside (the API server's JSON has its keys sorted, ours is built in
 * code order), a field set to undefined counting as absent, as in JSON. Compared in place, on every reconcile: sorting
 * and serialising both (as this once did) allocated two copies each time.
 */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(b)) return false;
  const [left, right] = [a as Record<string, unknown>, b as Record<string, unknown>];
  const defined = (o: Record<string, unknown>) => Object.keys(o).filter((k) => o[k] !== undefined);
  const keys = defined(left);
  return keys.length === defined(right).length && keys.every((k) => sameJson(left[k], right[k]));
}

/** Status is written only when this says it changed (key order aside). */
export function statusChanged(before: GptOssModelStatus | undefined, after: GptOssModelStatus): boolean {
  return !sameJson(before ?? {}, after);
}
