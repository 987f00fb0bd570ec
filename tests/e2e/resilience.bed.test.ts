import type { V1Pod } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { pidOf } from '../helpers/agent.js';
import { kubectl, waitFor } from '../helpers/cluster.js';
import { converged } from '../helpers/operator.js';
import { collect } from '../helpers/runtime.js';
import { applyModel, e2eModel, podClients, readyRuntimePods, useStack } from '../helpers/stack.js';

/**
 * Two replicas on the dev agent: a runtime killed under load, and a rollout, never leave clients without a ready
 * replica or a silent failure.
 */
describe('end to end: failures and rollouts with two replicas', () => {
  const stack = useStack('e2e-res');
  const { ns, agent } = stack;
  beforeAll(async () => {
    applyModel(e2eModel(ns.name, 'chat', agent.nodeName, 'tiny', { replicas: 2 }));
    await waitFor(() => converged(ns.name, 'chat', 2), 120_000, `two ready replicas: ${stack.operator.logs()}`);
  });

  const generate = (pod: V1Pod, i: number) => {
    const { grpc } = podClients(pod);
    return collect(grpc.Generate({ prompt: `load ${i}`, max_tokens: 600, seed: i })).finally(() => grpc.close());
  };

  // every request completes or fails visibly
  it('a runtime killed under load restarts in place while the other replica keeps serving', async () => {
    const [a, b] = await readyRuntimePods(ns.name, 'chat');
    // four streams held open on each replica (two decode, two wait in its queue)
    const onA = Array.from({ length: 4 }, (_, i) => generate(a!, i));
    const onB = Array.from({ length: 4 }, (_, i) => generate(b!, 10 + i));
    const pid = pidOf(a!.status!.containerStatuses![0]!.containerID);
    await new Promise((r) => setTimeout(r, 300));
    process.kill(pid, 'SIGKILL');

    const resultsA = await Promise.all(onA);
    const resultsB = await Promise.all(onB);
    for (const r of resultsB) {
      expect(r.error).toBeNull();
      expect(r.messages.at(-1)?.finish_reason).toMatch(/^FINISH_REASON_(LENGTH|STOP)$/);
    }
    // on the killed replica: each request either finished before the kill or ended with an error its client saw
    for (const r of resultsA) {
      const finished =
        r.error === null && /^FINISH_REASON_/.test(`${r.messages.at(-1)?.finish_reason as string | undefined}`);
      expect(finished || r.error !== null).toBe(true);
    }
    expect(resultsA.some((r) => r.error !== null)).toBe(true);

    await waitFor(
      async () => {
        const pods = await readyRuntimePods(ns.name, 'chat');
        const same = pods.find((p) => p.metadata!.name === a!.metadata!.name);
        return pods.length === 2 && (same?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1;
      },
      60_000,
      'the killed runtime to be restarted in place and ready',
    );
    const again = await generate(
      (await readyRuntimePods(ns.name, 'chat')).find((p) => p.metadata!.name === a!.metadata!.name)!,
      99,
    );
    expect(again.error).toBeNull();
  });

  it('changing reasoningEffort rolls out with at least one ready replica at every moment', async () => {
    const before = new Set((await readyRuntimePods(ns.name, 'chat')).map((p) => p.metadata!.name));
    kubectl(['patch', 'gom', 'chat', '-n', ns.name, '--type=merge', '-p', '{"spec":{"reasoningEffort":"high"}}']);
    let fewestReady = Infinity;
    await waitFor(
      async () => {
        const ready = await readyRuntimePods(ns.name, 'chat');
        fewestReady = Math.min(fewestReady, ready.length);
        const rolled = ready.filter((p) => !before.has(p.metadata!.name));
        return (
          rolled.length === 2 &&
          ready.length === 2 &&
          rolled.every((p) => p.spec!.containers[0]!.args!.join(' ').includes('--reasoning-effort high'))
        );
      },
      180_000,
      'the rollout to finish',
      100,
    );
    expect(fewestReady).toBeGreaterThanOrEqual(1);
    await waitFor(() => converged(ns.name, 'chat', 2), 60_000, 'the model to settle');
  });
});
