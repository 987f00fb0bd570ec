import { describe, expect, it } from 'vitest';
import { AUTOSCALING_DEFAULTS } from '../../../operator/api/v1alpha1/gptOssModel.js';
import {
  autoscalingPolicy,
  autoscalingStatus,
  decideReplicas,
  type AutoscaleDecision,
  type AutoscalerMemory,
  type AutoscalingPolicy,
} from '../../../operator/planner/autoscale.js';
import { AUTOSCALE_REASONS as R } from '../../../operator/api/v1alpha1/reasons.js';

const policy = (p: Partial<AutoscalingPolicy> = {}): AutoscalingPolicy => ({
  minReplicas: 1,
  maxReplicas: 4,
  targetUtilization: 0.5,
  scaleDownDelaySeconds: 0,
  stabilizationWindowSeconds: 0,
  scaleToZeroAfterSeconds: 900,
  ...p,
});
const TOLERANCE = 0.1;
const once = (
  p: AutoscalingPolicy,
  replicas: number,
  values: number[],
  missing = 0,
  memory?: AutoscalerMemory,
  now = 0,
) => decideReplicas({ policy: p, tolerance: TOLERANCE, replicas, samples: { values, missing }, memory, now });

/**
 * The loop the controller runs, with times injected: one decision per interval, spec.replicas
 * following each decision. `signal(i)` is the utilisation sum at interval i, spread over the
 * current replicas as a Service would spread it.
 */
function simulate(
  p: AutoscalingPolicy,
  intervals: number,
  signal: (i: number) => number,
  { start = 1, intervalSeconds = 15 } = {},
) {
  let replicas = start;
  let memory: AutoscalerMemory | undefined;
  const decisions: AutoscaleDecision[] = [];
  for (let i = 0; i < intervals; i++) {
    const sum = signal(i);
    const values = replicas === 0 ? [] : Array.from({ length: replicas }, () => sum / replicas);
    const d = decideReplicas({
      policy: p,
      tolerance: TOLERANCE,
      replicas,
      samples: { values, missing: 0 },
      memory,
      now: i * intervalSeconds * 1000,
    });
    decisions.push(d);
    replicas = d.desiredReplicas;
    memory = d.memory;
  }
  return decisions;
}
const replicasOf = (ds: AutoscaleDecision[]) => ds.map((d) => d.desiredReplicas);
const directionChanges = (series: number[]) => {
  const steps = series
    .slice(1)
    .map((r, i) => Math.sign(r - series[i]!))
    .filter((s) => s !== 0);
  return steps.slice(1).filter((s, i) => s !== steps[i]).length;
};

describe('the builtin autoscaler decision (pure, times injected)', () => {
  it('scales up at once to ceil(sum of utilisation / target), saying what it read', () => {
    const d = once(policy(), 1, [1.4]);
    expect(d).toMatchObject({ desiredReplicas: 3, reason: R.scaledUp, utilization: 1.4, sampledPods: 1 });
    expect(d.message).toBe('utilisation 1.40 over 1 pod(s), target 0.5 per replica: 1 -> 3 replicas');
    // pods still starting add capacity, not demand: the sum decides, not the pods that answered
    expect(once(policy(), 3, [1.4]).desiredReplicas).toBe(3);
    // 0.9 / 0.3 is 3.0000000000000004 in floating point: still 3
    expect(once(policy({ targetUtilization: 0.3 }), 3, [0.45, 0.45]).desiredReplicas).toBe(3);
  });

  it.each([
    [
      'above max: limited, and says so',
      1,
      [5],
      4,
      R.scaledUp,
      /1 -> 4 replicas \(limited by maxReplicas; 10 wanted\)$/,
    ],
    [
      'at max under more load: ScalingLimited',
      4,
      [1, 1, 1, 1],
      4,
      R.limited,
      /8 replicas wanted, held at maxReplicas 4$/,
    ],
    ['idle at min: steady', 1, [0], 1, R.steady, /: 1 replicas fit$/],
    [
      'below min (kubectl scale to 0): back to min at once',
      0,
      [],
      1,
      R.scaledUp,
      /no runtime runs.*: 0 -> 1 replicas \(below minReplicas\)$/,
    ],
    [
      'above max (kubectl scale 9): back to max at once, delay or not',
      9,
      [0.1],
      4,
      R.scaledDown,
      /9 -> 4 replicas \(above maxReplicas\)$/,
    ],
  ] as const)('clamps to [min, max]: %s', (_name, replicas, values, desired, reason, message) => {
    const d = once(policy({ scaleDownDelaySeconds: 600, stabilizationWindowSeconds: 600 }), replicas, [...values]);
    expect(d).toMatchObject({ desiredReplicas: desired, reason });
    expect(d.message).toMatch(message);
  });

  it('never leaves [min, max], whatever the signal', () => {
    const p = policy({ minReplicas: 2, maxReplicas: 5, stabilizationWindowSeconds: 30, scaleDownDelaySeconds: 15 });
    const wild = simulate(p, 300, (i) => Math.abs(Math.sin(i * 0.37) * 6 + Math.cos(i * 1.3) * 3), { start: 2 });
    expect(Math.min(...replicasOf(wild))).toBe(2);
    expect(Math.max(...replicasOf(wild))).toBe(5);
  });

  it("a change within the tolerance of the target is no change (HPA's 10%)", () => {
    expect(once(policy(), 2, [0.55, 0.5])).toMatchObject({ desiredReplicas: 2, reason: R.steady }); // 1.05 of target
    expect(once(policy(), 2, [0.6, 0.55]).desiredReplicas).toBe(3); // 1.15 of target
  });

  it('no scale-down inside the delay after a scale-up, then at the first interval past it', () => {
    const ds = simulate(policy({ scaleDownDelaySeconds: 60 }), 8, (i) => (i === 0 ? 1.4 : 0.2));
    expect(replicasOf(ds)).toEqual([3, 3, 3, 3, 1, 1, 1, 1]);
    expect(ds.slice(1, 4).map((d) => d.reason)).toEqual([R.delayed, R.delayed, R.delayed]);
    expect(ds[3]!.message).toMatch(/the last scale-up was 45s ago \(delay 60s\): holding 3$/);
    expect(ds[4]).toMatchObject({ reason: R.scaledDown });
    expect(ds[4]!.message).toMatch(/3 -> 1 replicas$/);
  });

  it('a scale-up by someone else (kubectl scale) starts the delay too', () => {
    const p = policy({ scaleDownDelaySeconds: 60 });
    const steady = once(p, 1, [0.3], 0, undefined, 0);
    const after = once(p, 3, [0.3], 0, steady.memory, 15_000);
    expect(after).toMatchObject({ desiredReplicas: 3, reason: R.delayed });
    expect(once(p, 3, [0.3], 0, after.memory, 75_000)).toMatchObject({ desiredReplicas: 1, reason: R.scaledDown });
  });

  it('stabilisation: a scale-down goes to the highest recommendation over the window', () => {
    // 4 replicas busy for long enough to have watched a full 60 s window, then the load falls in steps
    const sums = [1.9, 1.9, 1.9, 1.9, 1.9, 1.4, 0.9, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2];
    const ds = simulate(policy({ stabilizationWindowSeconds: 60 }), sums.length, (i) => sums[i]!, { start: 4 });
    // recommendations: 4 x5, 3, 2, 1...; each interval takes the max of the last 60 s (this one and the 3 before)
    expect(replicasOf(ds)).toEqual([4, 4, 4, 4, 4, 4, 4, 4, 3, 2, 1, 1, 1]);
    expect(ds[6]).toMatchObject({ reason: R.stabilizing });
    expect(ds[6]!.message).toMatch(
      /2 replicas would do, but the highest recommendation of the last 60s is 4: holding 4$/,
    );
  });

  it.each([10, 15, 30, 45])(
    // the scale-down comes at interval ceil(max(window, delay) / interval)
    'decisions are counted in intervals: after a spike, with a %ss interval',
    (interval) => {
      const p = policy({ stabilizationWindowSeconds: 120, scaleDownDelaySeconds: 60 });
      const ds = simulate(p, 20, (i) => (i === 0 ? 1.4 : 0.2), { intervalSeconds: interval });
      const first = replicasOf(ds).indexOf(1);
      expect(first).toBe(Math.ceil(120 / interval));
      expect(
        replicasOf(ds)
          .slice(0, first)
          .every((r) => r === 3),
      ).toBe(true);
    },
  );

  it('no flapping under a steady noisy signal: the direction changes at most once', () => {
    const p = policy({ stabilizationWindowSeconds: 120, scaleDownDelaySeconds: 60 });
    for (const level of [0.4, 0.98, 1.5, 1.52, 2.3]) {
      // ±12% noise around a level, some right on a replica boundary (1.5 / 0.5 = 3)
      const ds = simulate(p, 400, (i) => level * (1 + 0.12 * Math.sin(i * 1.7) * Math.cos(i * 0.31)));
      expect(directionChanges(replicasOf(ds)), `level ${level}`).toBeLessThanOrEqual(1);
    }
    // a load that comes and goes faster than the window: one scale-up, never down
    const bursty = simulate(p, 200, (i) => (i % 6 < 3 ? 1.8 : 0.1));
    expect(directionChanges(replicasOf(bursty))).toBe(0);
    expect(new Set(replicasOf(bursty))).toEqual(new Set([4]));
  });

  it('ready pods that do not answer count as idle when scaling up and as at target when scaling down', () => {
    expect(once(policy(), 2, [1.5], 1).desiredReplicas).toBe(3); // not 4: no guess adds replicas
    const d = once(policy(), 2, [0.2], 1);
    expect(d).toMatchObject({ desiredReplicas: 2, reason: R.steady }); // not 1: a pod timing out under load is not idle
    expect(d.message).toMatch(/^utilisation 0.20 over 1 pod\(s\) \(1 ready pod\(s\) did not answer\)/);
  });

  it.each([
    ['no pod ready yet', 2, 0, 0, 2, /^no runtime pod is ready yet: holding 2 replicas$/],
    ['no ready pod answers', 2, 2, 0, 2, /^none of the 2 ready pod\(s\) answered: holding 2 replicas$/],
    [
      'scaled to zero (min 0): no runtime, no signal, stays at zero',
      0,
      0,
      0,
      0,
      /^no runtime runs, so there is no utilisation to read: holding 0 replicas until a gateway holds a request for it$/,
    ],
  ] as const)('no signal holds the replicas: %s', (_name, replicas, missing, min, desired, message) => {
    const d = once(policy({ minReplicas: min }), replicas, [], missing);
    expect(d).toMatchObject({ desiredReplicas: desired, reason: R.noSignal, sampledPods: 0 });
    expect(d.message).toMatch(message);
  });

  it('minReplicas 0: the last replica stays until every replica has been idle scaleToZeroAfterSeconds', () => {
    const p = policy({ minReplicas: 0, scaleToZeroAfterSeconds: 60 });
    const at = (replicas: number, values: number[], leastIdleSeconds: number | null | undefined, missing = 0) =>
      decideReplicas({
        policy: p,
        tolerance: TOLERANCE,
        replicas,
        samples: { values, missing, leastIdleSeconds },
        memory: undefined,
        now: 0,
      });
    const waiting = at(1, [0], 30);
    expect(waiting).toMatchObject({ desiredReplicas: 1, reason: R.steady });
    expect(waiting.message).toBe(
      'utilisation 0.00 over 1 pod(s), target 0.5 per replica: 1 replicas fit (zero once every replica is idle 60s)',
    );
    const idle = at(1, [0], 60);
    expect(idle).toMatchObject({ desiredReplicas: 0, reason: R.scaledDown });
    expect(idle.message).toBe(
      'utilisation 0.00 over 1 pod(s), target 0.5 per replica: every replica idle for 60.00s ' +
        '(scaleToZeroAfterSeconds 60): 1 -> 0 replicas',
    );
    // two idle replicas go straight to zero, past the stabilisation window and delay (the idle time is the window)
    expect(at(2, [0, 0], 600).desiredReplicas).toBe(0);
    // not while a replica is unaccounted for: one not ready yet, one that did not answer, one too old to say
    expect(at(2, [0], 600).desiredReplicas).toBe(1);
    expect(at(1, [0], 600, 1).desiredReplicas).toBe(1);
    expect(at(1, [0], null).desiredReplicas).toBe(1);
    expect(at(1, [0], undefined).desiredReplicas).toBe(1);
    // minReplicas 1 never goes to zero, however idle
    expect(once(policy(), 1, [0]).desiredReplicas).toBe(1);
    // the simulated loop: one replica, idle: held at 1, never 0 without an idle time
    expect(replicasOf(simulate(p, 5, () => 0))).toEqual([1, 1, 1, 1, 1]);
  });

  it('requests held at the gateways are demand: at zero, a burst goes at once to the replicas it needs', () => {
    const p = policy({ minReplicas: 0, maxReplicas: 8, targetUtilization: 1 });
    const withHeld = (replicas: number, values: number[], requests: number, idle = 0) =>
      decideReplicas({
        policy: p,
        tolerance: TOLERANCE,
        replicas,
        samples: { values, missing: 0, leastIdleSeconds: idle },
        held: { requests, slotsPerReplica: 4 },
        memory: undefined,
        now: 0,
      });
    const one = withHeld(0, [], 1);
    expect(one).toMatchObject({ desiredReplicas: 1, reason: R.scaledUp, utilization: 0.25 });
    expect(one.message).toBe('1 request(s) held at the gateways, target 1 per replica: 0 -> 1 replicas');
    expect(withHeld(0, [], 9).desiredReplicas).toBe(3); // 9 requests at 4 slots a replica
    expect(withHeld(0, [], 100).message).toMatch(/0 -> 8 replicas \(limited by maxReplicas; 25 wanted\)$/);
    // a replica starting (not ready) while requests wait: the held ones still count
    expect(withHeld(1, [], 9).desiredReplicas).toBe(3);
    // with replicas serving, the held requests add to their utilisation
    expect(withHeld(1, [1], 4).desiredReplicas).toBe(2);
    // a request held keeps an idle model from going to zero
    expect(withHeld(1, [0], 1, 10_000).desiredReplicas).toBe(1);
  });

  it('a new leader (no memory) scales up at once but scales down only after watching a full window itself', () => {
    const p = policy({ stabilizationWindowSeconds: 60 });
    expect(once(p, 1, [1.4], 0, undefined, 1_000_000).desiredReplicas).toBe(3);
    const fresh = once(p, 3, [0.1], 0, undefined, 1_000_000);
    expect(fresh).toMatchObject({ desiredReplicas: 3, reason: R.stabilizing });
    expect(fresh.message).toMatch(/but watched for 0s of the 60s window: holding 3$/);
    expect(once(p, 3, [0.1], 0, fresh.memory, 1_060_000)).toMatchObject({ desiredReplicas: 1, reason: R.scaledDown });
  });

  it('history keeps only the window', () => {
    const ds = simulate(policy({ stabilizationWindowSeconds: 60 }), 30, () => 0.3);
    expect(ds.at(-1)!.memory.history.map((h) => h.at)).toEqual([390_000, 405_000, 420_000, 435_000]);
  });

  it('defaults: min 1, max 4 (or min when larger), target 0.8, delay and window 300 s', () => {
    expect(autoscalingPolicy(undefined)).toEqual(AUTOSCALING_DEFAULTS);
    expect(autoscalingPolicy({ mode: 'builtin', minReplicas: 6 })).toMatchObject({ minReplicas: 6, maxReplicas: 6 });
    expect(
      autoscalingPolicy({
        mode: 'builtin',
        minReplicas: 0,
        maxReplicas: 2,
        targetUtilization: 1.5,
        scaleDownDelaySeconds: 0,
        stabilizationWindowSeconds: 10,
      }),
    ).toEqual({
      minReplicas: 0,
      maxReplicas: 2,
      targetUtilization: 1.5,
      scaleDownDelaySeconds: 0,
      stabilizationWindowSeconds: 10,
      scaleToZeroAfterSeconds: 900,
    });
  });

  it('status changes when the decision does, not at every interval', () => {
    const up = once(policy(), 1, [1.4]);
    const first = autoscalingStatus(undefined, up, 1, Date.UTC(2026, 10, 28, 12));
    expect(first).toEqual({
      desiredReplicas: 3,
      utilization: 1.4,
      sampledPods: 1,
      lastScaleTime: '2026-11-28T12:00:00Z',
      lastDecision: { reason: 'ScaledUp', message: up.message, time: '2026-11-28T12:00:00Z' },
    });
    const steady = once(policy(), 3, [0.5, 0.5, 0.4], 0, up.memory, 15_000);
    const second = autoscalingStatus(first, steady, 3, Date.UTC(2026, 10, 28, 12, 0, 15));
    expect(second).toMatchObject({
      lastScaleTime: '2026-11-28T12:00:00Z',
      lastDecision: { reason: 'Steady', time: '2026-11-28T12:00:15Z' },
    });
    const again = once(policy(), 3, [0.5, 0.5, 0.5], 0, steady.memory, 30_000);
    expect(autoscalingStatus(second, again, 3, Date.UTC(2026, 10, 28, 12, 0, 30))).toBe(second);
  });
});
