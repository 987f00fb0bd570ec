import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { kubectl, waitFor } from '../helpers/cluster.js';
import { converged, readModel } from '../helpers/operator.js';
import { collect } from '../helpers/runtime.js';
import { applyModel, e2eModel, podClients, readyRuntimePods, useStack } from '../helpers/stack.js';

const INTERVAL_S = 2;
const DELAY_S = 8;
const WINDOW_S = 4;
const STREAMS = 4;
/** Stated bound: the first scale-up within this many autoscaler intervals of the load starting. */
const UP_WITHIN_INTERVALS = 3;

/**
 * Builtin autoscaling end to end: real runtimes on the dev agent report gptoss_runtime_utilization,
 * the operator's autoscaler scales the model through its scale subresource, the Deployment follows.
 * Load: STREAMS concurrent streams held open against one replica of 2 slots (utilisation 2.0,
 * target 0.5: 4 replicas wanted, 3 allowed).
 */
describe('end to end: builtin autoscaling on runtime utilisation', () => {
  const stack = useStack('e2e-scale', { autoscaler: { intervalSeconds: INTERVAL_S, scrapeTimeoutMs: 1000 } });
  const { ns, agent } = stack;

  // never leaves [1, 3]
  it(`up within ${UP_WITHIN_INTERVALS} intervals under load, steady, down after the delay`, async () => {
    applyModel(
      e2eModel(ns.name, 'chat', agent.nodeName, 'tiny', {
        contextSize: 2048,
        parallelSlots: 2,
        autoscaling: {
          mode: 'builtin',
          minReplicas: 1,
          maxReplicas: 3,
          targetUtilization: 0.5,
          scaleDownDelaySeconds: DELAY_S,
          stabilizationWindowSeconds: WINDOW_S,
        },
      }),
    );
    await waitFor(() => converged(ns.name, 'chat', 1), 120_000, `one ready replica: ${stack.operator.logs()}`);
    const [pod] = await readyRuntimePods(ns.name, 'chat');

    const replicas: Array<{ at: number; n: number }> = [];
    const record = () =>
      replicas.push({
        at: Date.now(),
        n: Number(kubectl(['get', 'gom', 'chat', '-n', ns.name, '-o', 'jsonpath={.spec.replicas}'])),
      });
    // the first sample before the load: a scale-up can come before the interval's first tick
    record();
    const sampler = setInterval(record, 250);
    let loading = true;
    const stream = async (p: V1Pod, i: number) => {
      while (loading) {
        const { grpc } = podClients(p);
        await collect(grpc.Generate({ prompt: `load ${i}`, max_tokens: 1500, seed: i })).finally(() => grpc.close());
      }
    };
    try {
      const loadStarted = Date.now();
      const load = Array.from({ length: STREAMS }, (_, i) => stream(pod!, i));
      await waitFor(() => replicas.some((r) => r.n > 1), UP_WITHIN_INTERVALS * INTERVAL_S * 1000 + 2000, 'a scale-up');
      const upAfterS = (replicas.find((r) => r.n > 1)!.at - loadStarted) / 1000;
      await waitFor(() => converged(ns.name, 'chat', 3), 120_000, 'three ready replicas under load');
      // steady load for a while: the count must stay
      const steadyFrom = replicas.length;
      await new Promise((r) => setTimeout(r, 4 * INTERVAL_S * 1000));
      expect(new Set(replicas.slice(steadyFrom).map((r) => r.n))).toEqual(new Set([3]));
      loading = false;
      await Promise.all(load);
      const loadStopped = Date.now();

      await waitFor(() => replicas.at(-1)?.n === 1, 120_000, 'the scale-down to the minimum');
      const downAt = replicas.find((r) => r.at > loadStopped && r.n < 3)!.at;
      const lastUp = readModel(ns.name, 'chat').status as { autoscaling?: { lastDecision?: { reason: string } } };
      expect(lastUp.autoscaling?.lastDecision?.reason).toBe('ScaledDown');
      // not before the delay since the scale-up (which happened before loadStopped)
      expect(downAt - loadStopped).toBeGreaterThanOrEqual(0);
      expect((downAt - replicas.find((r) => r.n === 3)!.at) / 1000).toBeGreaterThanOrEqual(DELAY_S);
      expect(upAfterS).toBeLessThanOrEqual(UP_WITHIN_INTERVALS * INTERVAL_S + 2);
    } finally {
      loading = false;
      clearInterval(sampler);
    }
    // never outside the bounds; the direction changed once (up, then down), no flapping
    expect(replicas.every((r) => r.n >= 1 && r.n <= 3)).toBe(true);
    const steps = replicas.map((r) => r.n).filter((n, i, all) => i === 0 || n !== all[i - 1]);
    const directions = steps
      .slice(1)
      .map((n, i) => Math.sign(n - steps[i]!))
      .filter((d, i, all) => i === 0 || d !== all[i - 1]);
    expect(directions, `spec.replicas as sampled: ${steps.join(' -> ')}`).toEqual([1, -1]);
    const events = kubectl([
      'get',
      'events',
      '-n',
      ns.name,
      '--field-selector',
      'involvedObject.name=chat',
      '-o',
      'jsonpath={.items[*].reason}',
    ]);
    expect(events).toContain('ScaledUp');
    expect(events).toContain('ScaledDown');
  }, 300_000);
});
