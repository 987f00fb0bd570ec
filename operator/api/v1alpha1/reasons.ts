/**
 * Every condition type and reason a GptOssModel's status, the builtin autoscaler's decisions and
 * the operator's Events carry, in one catalogue. Reasons are constant CamelCase words (users and
 * alerts match on them); messages say the rest.
 */

export const CONDITION_TYPES = ['Ready', 'Placed', 'Progressing', 'Degraded'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

/** Condition reasons, by the condition that carries them. */
export const REASONS = {
  // Placed
  placed: 'Placed',
  noFittingGpu: 'NoFittingGPU',
  insufficientGpuMemory: 'InsufficientGPUMemory',
  invalidSource: 'InvalidSource',
  /** The API server refused a child (422 Invalid, 400 Bad Request); the message is the server's. Also Degraded. */
  childRejected: 'ChildRejected',
  /** The weights' source is outside what the admin policy allows (a hostPath folder, a URL scheme or host). */
  sourceNotAllowed: 'SourceNotAllowed',
  /** Something else in the spec is outside the admin policy (image, priority class, env from Secrets, pod labels). */
  policyDenied: 'PolicyDenied',
  /** spec.source.url.cache.size cannot hold the files of the variant. */
  weightCacheTooSmall: 'WeightCacheTooSmall',
  /** The cache's storage class (named, or the default) does not exist. */
  storageClassNotFound: 'StorageClassNotFound',
  /** The cache's storage class is known to offer only ReadWriteOnce volumes. */
  storageClassNotReadWriteMany: 'StorageClassNotReadWriteMany',
  // Ready
  ready: 'Ready',
  scaledToZero: 'ScaledToZero',
  noReplicaReady: 'NoReplicaReady',
  // Progressing
  downloadingWeights: 'DownloadingWeights',
  /** The cache's claim is not bound yet (its provisioner's message, when it gave one). */
  waitingForWeightCache: 'WaitingForWeightCache',
  rollingOut: 'RollingOut',
  stable: 'Stable',
  // Degraded
  /** The Deployment's ReplicaSet cannot create pods (quota, Pod Security admission): its FailedCreate message. */
  podsNotCreated: 'PodsNotCreated',
  podsUnschedulable: 'PodsUnschedulable',
  containersFailing: 'ContainersFailing',
  /** The cache's download Job failed (a checksum mismatch, a file too large): runtime pods wait. */
  weightsDownloadFailed: 'WeightsDownloadFailed',
  notPlaced: 'NotPlaced',
  healthy: 'Healthy',
} as const;
export type Reason = (typeof REASONS)[keyof typeof REASONS];

/** The builtin autoscaler's decisions: status.autoscaling.lastDecision.reason and the Event of a scale. */
export const AUTOSCALE_REASONS = {
  scaledUp: 'ScaledUp',
  scaledDown: 'ScaledDown',
  steady: 'Steady',
  limited: 'ScalingLimited',
  stabilizing: 'ScaleDownStabilizing',
  delayed: 'ScaleDownDelayed',
  noSignal: 'NoSignal',
} as const;
export type AutoscaleReason = (typeof AUTOSCALE_REASONS)[keyof typeof AUTOSCALE_REASONS];

/** A condition that calls for attention: its Event is a Warning. */
export const isProblem = (type: string, status: string) =>
  (type === 'Degraded' && status === 'True') || (type === 'Placed' && status === 'False');
