import { describe, expect, it } from 'vitest';
import type { Clock } from '../../contract/clock.js';
import { IDLE_METRIC } from '../../contract/metrics.js';
import type { Engine } from '../../runtime/engine/engine.js';
import { EngineRef } from '../../runtime/engine/engineRef.js';
import type { EngineStats, Outcome } from '../../runtime/engine/types.js';
import { RuntimeMetrics } from '../../runtime/metrics.js';

/**
 * gptoss_runtime_idle_seconds, what the autoscaler's scale to zero waits on: a fake engine (its slot
 * counts set by the test) and a clock the test moves.
 */
describe('the runtime idle gauge (fake engine, injected clock)', () => {
  it('counts from the load, is 0 while a request runs or waits, and counts again from its end', async () => {
    let seconds = 1000;
    const clock: Clock = { now: () => seconds, date: () => new Date(seconds * 1000) };
    const load: EngineStats = { slotsBusy: 0, slotsTotal: 2, requestsWaiting: 0, kvCellsUsed: 0, kvCellsTotal: 0 };
    const engines = new EngineRef();
    engines.set({ stats: () => load, deviceMemory: async () => null } as unknown as Engine);
    const metrics = new RuntimeMetrics(engines, 2, clock);
    const idle = async () => {
      const line = (await metrics.registry.metrics()).split('\n').find((l) => l.startsWith(`${IDLE_METRIC} `));
      return Number(line!.slice(IDLE_METRIC.length + 1));
    };

    seconds += 30;
    expect(await idle()).toBe(30);
    // loading took 240 s: idle counts from the load, not the start
    seconds += 240;
    metrics.loaded();
    seconds += 5;
    expect(await idle()).toBe(5);
    load.slotsBusy = 1;
    seconds += 100;
    expect(await idle()).toBe(0);
    load.slotsBusy = 0;
    load.requestsWaiting = 1;
    expect(await idle()).toBe(0);
    load.requestsWaiting = 0;
    const outcome = { finishReason: 'stop', usage: { promptTokens: 5, completionTokens: 3 } } as Outcome;
    metrics.finished(outcome, 100);
    seconds += 7;
    expect(await idle()).toBe(7);
    // a refused request is a request too: somebody wants the model
    metrics.rejected('invalid_argument');
    seconds += 2;
    expect(await idle()).toBe(2);
  });
});
