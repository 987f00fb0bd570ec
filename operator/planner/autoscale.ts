import { AUTOSCALING_DEFAULTS, type AutoscalingSpec, type AutoscalingStatus } from '../api/v1alpha1/gptOssModel.js';
import { AUTOSCALE_REASONS, type AutoscaleReason } from '../api/v1alpha1/reasons.js';

/**
 * The builtin autoscaler's decision, pure: from the policy, spec.replicas, what the ready runtime
 * pods said and what was decided before, the replicas to ask for and why. Times are epoch
 * milliseconds passed in; nothing here reads a clock or the network.
 *
 * The formula is HPA's on a sum: desired = ceil(Σ utilisation / target), where each pod's
 * gptoss_runtime_utilization is (busy slots + waiting requests) / slots. The sum is the demand in
 * "replicas' worth of slots", so it needs no knowledge of how many pods answered, and pods that are
 * still starting add capacity without adding demand. As in HPA:
 * - a change within `tolerance` of the target (ratio to current replicas) is no change;
 * - ready pods that did not answer count as idle when scaling up (never scale up on a guess) and as
 *   exactly at target when scaling down (an overloaded pod that times out must not look idle);
 * - scale-ups happen at once; scale-downs go to the highest recommendation of the stabilisation
 *   window, and only once `scaleDownDelaySeconds` have passed since the last scale-up;
 * - with no answer at all there is no signal: replicas stay (clamped to [min, max]).
 *
 * Requests the gateways hold for the model (it has no Ready replica) are demand too: each is one
 * slot's worth, so a burst at zero goes at once to as many replicas as it needs. With minReplicas 0
 * the last replica goes only once every replica has been idle for scaleToZeroAfterSeconds (the
 * runtime's own gptoss_runtime_idle_seconds) and nothing is held: that idle time, not the
 * stabilisation window or the delay, decides the step to zero.
 */

export interface AutoscalingPolicy {
  minReplicas: number;
  maxReplicas: number;
  targetUtilization: number;
  scaleDownDelaySeconds: number;
  stabilizationWindowSeconds: number;
  scaleToZeroAfterSeconds: number;
}

export function autoscalingPolicy(spec: AutoscalingSpec | undefined): AutoscalingPolicy {
  const minReplicas = spec?.minReplicas ?? AUTOSCALING_DEFAULTS.minReplicas;
  return {
    minReplicas,
    maxReplicas: spec?.maxReplicas ?? Math.max(minReplicas, AUTOSCALING_DEFAULTS.maxReplicas),
    targetUtilization: spec?.targetUtilization ?? AUTOSCALING_DEFAULTS.targetUtilization,
    scaleDownDelaySeconds: spec?.scaleDownDelaySeconds ?? AUTOSCALING_DEFAULTS.scaleDownDelaySeconds,
    stabilizationWindowSeconds: spec?.stabilizationWindowSeconds ?? AUTOSCALING_DEFAULTS.stabilizationWindowSeconds,
    scaleToZeroAfterSeconds: spec?.scaleToZeroAfterSeconds ?? AUTOSCALING_DEFAULTS.scaleToZeroAfterSeconds,
  };
}

export interface UtilizationSamples {
  /** gptoss_runtime_utilization of each ready runtime pod that answered. */
  values: readonly number[];
  /** Ready runtime pods that did not answer (error, timeout, no such gauge). */
  missing: number;
  /**
   * The least gptoss_runtime_idle_seconds of the pods that answered; null when one answered without
   * it (a runtime too old to say), undefined when not read. Only a known idle time allows zero.
   */
  leastIdleSeconds?: number | null;
}

/** Requests the gateways hold for the model, and what one replica serves at once. */
export interface HeldDemand {
  requests: number;
  slotsPerReplica: number;
}

/** What the autoscaler remembers of one model between decisions (in the leader's memory only). */
export interface AutoscalerMemory {
  /** When this process took its first decision for the model (a new leader starts afresh). */
  since: number;
  /** Recommendations of the last stabilisation window, oldest first. */
  history: Array<{ at: number; replicas: number }>;
  /** When spec.replicas last went up (by this autoscaler or anyone else); null: not seen. */
  lastScaleUpAt: number | null;
  /** spec.replicas after the previous decision: a rise since then is someone's scale-up. */
  replicas: number;
}

export interface AutoscaleDecision {
  desiredReplicas: number;
  reason: AutoscaleReason;
  message: string;
  /** Σ utilisation of the pods that answered. */
  utilization: number;
  sampledPods: number;
  memory: AutoscalerMemory;
}

export interface AutoscaleInput {
  policy: AutoscalingPolicy;
  /** HPA's tolerance: |demand / current - 1| at most this is no change. */
  tolerance: number;
  /** spec.replicas now (read fresh from the scale subresource). */
  replicas: number;
  samples: UtilizationSamples;
  /** undefined: no gateway reports to this operator. */
  held?: HeldDemand;
  /** undefined: the first decision of this process for the model. */
  memory: AutoscalerMemory | undefined;
  now: number;
}

/** ceil that does not round 0.9 / 0.3 = 3.0000000000000004 up to 4. */
const ceilReplicas = (x: number) => Math.max(0, Math.ceil(x - 1e-9));
const fixed = (x: number) => x.toFixed(2);

/** What the decision read, said first in its message. */
function readings(samples: UtilizationSamples, held: number, current: number, target: number): string {
  const said: string[] = [];
  const pods = samples.values.length;
  if (pods > 0)
    said.push(
      `utilisation ${fixed(samples.values.reduce((a, b) => a + b, 0))} over ${pods} pod(s)` +
        `${samples.missing ? ` (${samples.missing} ready pod(s) did not answer)` : ''}`,
    );
  if (held > 0) said.push(`${held} request(s) held at the gateways`);
  if (said.length > 0) return `${said.join(', ')}, target ${target} per replica`;
  if (samples.missing) return `none of the ${samples.missing} ready pod(s) answered`;
  return current === 0 ? 'no runtime runs, so there is no utilisation to read' : 'no runtime pod is ready yet';
}

/**
 * With minReplicas 0, whether the model may go to zero now: every replica ready, answering and idle
 * long enough, and no request held for it.
 */
function idleLongEnough(policy: AutoscalingPolicy, samples: UtilizationSamples, held: number, current: number) {
  const idle = samples.leastIdleSeconds;
  return (
    policy.minReplicas === 0 &&
    current > 0 &&
    held === 0 &&
    samples.missing === 0 &&
    samples.values.length >= current &&
    typeof idle === 'number' &&
    idle >= policy.scaleToZeroAfterSeconds
  );
}

export function decideReplicas({
  policy,
  tolerance,
  replicas: current,
  samples,
  held: heldDemand,
  memory,
  now,
}: AutoscaleInput): AutoscaleDecision {
  const { minReplicas: min, maxReplicas: max, targetUtilization: target } = policy;
  const windowMs = policy.stabilizationWindowSeconds * 1000;
  const before = memory ?? { since: now, history: [], lastScaleUpAt: null, replicas: current };
  const lastScaleUpAt = current > before.replicas ? now : before.lastScaleUpAt;
  const held = heldDemand?.requests ?? 0;
  const toZero = idleLongEnough(policy, samples, held, current);
  // minReplicas 0 keeps one replica until the model has been idle long enough
  const floor = min === 0 && current > 0 && !toZero ? 1 : min;
  const clamp = (n: number) => Math.min(max, Math.max(floor, n));
  // each held request is one slot's worth of demand
  const utilization = samples.values.reduce((a, b) => a + b, 0) + (held > 0 ? held / heldDemand!.slotsPerReplica : 0);
  const sampledPods = samples.values.length;
  const signal = sampledPods > 0 || held > 0;

  // the recommendation of this interval, before the scale-down rules
  let wanted = current;
  if (signal) {
    const up = ceilReplicas(utilization / target);
    // missing pods: idle when going up, at target when going down (as HPA)
    const demand = up > current ? utilization : utilization + samples.missing * target;
    const withinTolerance = current > 0 && Math.abs(demand / (target * current) - 1) <= tolerance;
    wanted = withinTolerance ? current : up > current ? up : Math.min(current, ceilReplicas(demand / target));
  }
  const recommended = clamp(wanted);
  const history = [...before.history.filter((h) => h.at > now - windowMs), { at: now, replicas: recommended }];
  const read = readings(samples, held, current, target);
  const decide = (desiredReplicas: number, reason: AutoscaleReason, why: string): AutoscaleDecision => ({
    desiredReplicas,
    reason,
    message: `${read}: ${why}`,
    utilization,
    sampledPods,
    memory: {
      since: before.since,
      history,
      lastScaleUpAt: desiredReplicas > current ? now : lastScaleUpAt,
      replicas: desiredReplicas,
    },
  });
  const change = (to: number) => `${current} -> ${to} replicas`;

  // the bounds are hard: outside them, back inside at once
  if (current > max) return decide(max, AUTOSCALE_REASONS.scaledDown, `${change(max)} (above maxReplicas)`);
  if (toZero)
    return decide(
      0,
      AUTOSCALE_REASONS.scaledDown,
      `every replica idle for ${fixed(samples.leastIdleSeconds!)}s (scaleToZeroAfterSeconds ` +
        `${policy.scaleToZeroAfterSeconds}): ${change(0)}`,
    );
  if (recommended > current) {
    const note =
      current < min ? ' (below minReplicas)' : wanted > max ? ` (limited by maxReplicas; ${wanted} wanted)` : '';
    return decide(recommended, AUTOSCALE_REASONS.scaledUp, change(recommended) + note);
  }
  if (!signal) {
    // at zero only with minReplicas 0 (below a higher minimum it scaled up above)
    const hint = current === 0 ? ' until a gateway holds a request for it' : '';
    return decide(current, AUTOSCALE_REASONS.noSignal, `holding ${current} replicas${hint}`);
  }
  if (recommended === current) {
    if (wanted > max)
      return decide(current, AUTOSCALE_REASONS.limited, `${wanted} replicas wanted, held at maxReplicas ${max}`);
    const untilZero =
      min === 0 && wanted < floor ? ` (zero once every replica is idle ${policy.scaleToZeroAfterSeconds}s)` : '';
    return decide(current, AUTOSCALE_REASONS.steady, `${current} replicas fit${untilZero}`);
  }
  return scaleDown({ policy, current, recommended, history, before, lastScaleUpAt, now, decide, change });
}

/** A scale down to the highest recommendation of a window watched in full, not within the delay after a scale-up. */
function scaleDown(step: {
  policy: AutoscalingPolicy;
  current: number;
  recommended: number;
  history: AutoscalerMemory['history'];
  before: AutoscalerMemory;
  lastScaleUpAt: number | null;
  now: number;
  decide: (desiredReplicas: number, reason: AutoscaleReason, why: string) => AutoscaleDecision;
  change: (to: number) => string;
}): AutoscaleDecision {
  const { policy, current, recommended, history, before, lastScaleUpAt, now, decide, change } = step;
  const windowMs = policy.stabilizationWindowSeconds * 1000;
  const stabilized = Math.max(...history.map((h) => h.replicas));
  const watchedMs = now - before.since;
  if (stabilized >= current || watchedMs < windowMs) {
    const why =
      watchedMs < windowMs
        ? `watched for ${watchedMs / 1000}s of the ${policy.stabilizationWindowSeconds}s window`
        : `the highest recommendation of the last ${policy.stabilizationWindowSeconds}s is ${stabilized}`;
    return decide(
      current,
      AUTOSCALE_REASONS.stabilizing,
      `${recommended} replicas would do, but ${why}: holding ${current}`,
    );
  }
  const sinceScaleUpMs = now - (lastScaleUpAt ?? before.since);
  if (sinceScaleUpMs < policy.scaleDownDelaySeconds * 1000) {
    return decide(
      current,
      AUTOSCALE_REASONS.delayed,
      `${stabilized} replicas would do, but the last scale-up was ${sinceScaleUpMs / 1000}s ago ` +
        `(delay ${policy.scaleDownDelaySeconds}s): holding ${current}`,
    );
  }
  return decide(stabilized, AUTOSCALE_REASONS.scaledDown, change(stabilized));
}

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * status.autoscaling after a decision: the decision's time moves only when the decision (reason
 * or replicas) changes, so a model whose load hums along costs no status write per interval.
 */
export function autoscalingStatus(
  previous: AutoscalingStatus | undefined,
  decision: AutoscaleDecision,
  replicasBefore: number,
  now: number,
): AutoscalingStatus {
  const same =
    previous &&
    previous.lastDecision.reason === decision.reason &&
    previous.desiredReplicas === decision.desiredReplicas;
  if (same && decision.desiredReplicas === replicasBefore) return previous;
  const lastScaleTime = decision.desiredReplicas !== replicasBefore ? rfc3339(now) : previous?.lastScaleTime;
  return {
    desiredReplicas: decision.desiredReplicas,
    utilization: Number(fixed(decision.utilization)),
    sampledPods: decision.sampledPods,
    ...(lastScaleTime ? { lastScaleTime } : {}),
    lastDecision: { reason: decision.reason, message: decision.message, time: rfc3339(now) },
  };
}
