import { describe, expect, it } from 'vitest';
import { chooseReplica, type ReplicaLoad, type RoutingReason } from '../../../gateway/routing/choose.js';
import { Router, replicaKey } from '../../../gateway/routing/router.js';
import { utilizationIn } from '../../../gateway/routing/utilization.js';
import type { ServedModel } from '../../../gateway/types.js';

/** A source that returns the given numbers in turn (the test's coin). */
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe('chooseReplica: two random choices, fewer outstanding wins, utilisation breaks ties', () => {
  const loads: Record<string, ReplicaLoad> = {
    idle: { outstanding: 0, utilization: 0.5 },
    idleCool: { outstanding: 0, utilization: 0.1 },
    idleUnknown: { outstanding: 0, utilization: undefined },
    busy: { outstanding: 3, utilization: 0 },
    busier: { outstanding: 4, utilization: 0 },
  };
  const table: Array<[string, string[], number[], string | undefined, RoutingReason | undefined]> = [
    ['no candidate', [], [0.5], undefined, undefined],
    ['one candidate, whatever its load', ['busy'], [0.9], 'busy', 'only_replica'],
    // random 0 picks index 0, then 0 of the others (index 1)
    ['fewer outstanding wins over lower utilisation', ['busy', 'idle'], [0, 0], 'idle', 'least_outstanding'],
    ['fewer outstanding wins, in either order drawn', ['idle', 'busy'], [0, 0], 'idle', 'least_outstanding'],
    ['a tie on outstanding: lower utilisation', ['idle', 'idleCool'], [0, 0], 'idleCool', 'utilization'],
    [
      'a tie with an unknown utilisation: the first drawn',
      ['idleUnknown', 'idleCool'],
      [0, 0],
      'idleUnknown',
      'random',
    ],
    ['a tie on both: the first drawn', ['busy', 'busier', 'idle', 'idle'], [0.6, 0.7], 'idle', 'random'],
    // 0.99 draws the last (index 3); 0 draws index 0 of the other three
    [
      'the second is drawn among the others',
      ['busier', 'idle', 'idleCool', 'busy'],
      [0.99, 0],
      'busy',
      'least_outstanding',
    ],
    // of three, the draws 0.4 (index 1) and 0.5 (index 1 of the others, so index 2)
    ['the second skips the first', ['busy', 'busier', 'idle'], [0.4, 0.5], 'idle', 'least_outstanding'],
    ['a source at its top edge stays in range', ['busy', 'idle'], [1, 1], 'idle', 'least_outstanding'],
  ];
  for (const [title, candidates, draws, chosen, reason] of table) {
    it(title, () => {
      const choice = chooseReplica(candidates, (c) => loads[c]!, sequence(...draws));
      expect(choice && { chosen: choice.chosen, reason: choice.reason }).toEqual(
        chosen === undefined ? undefined : { chosen, reason },
      );
    });
  }
});

describe("Router: the gateway's own counts", () => {
  const model: ServedModel = {
    namespace: 'team-a',
    name: 'chat',
    replicas: ['a', 'b', 'c'].map((pod, i) => ({ pod, ip: '10.0.0.1', httpPort: 8080 + i, grpcPort: 50051 + i })),
  };
  const key = (pod: string) => replicaKey(model, { pod });

  it('spreads requests by outstanding counts, and forgets them as each ends once', () => {
    const router = new Router(sequence(0, 0));
    const first = router.pick(model, new Set())!;
    expect(first).toEqual({ chosen: model.replicas[0], reason: 'random' });
    const end = router.begin(model, first.chosen);
    expect(router.outstandingOn(key('a'))).toBe(1);
    expect(router.pick(model, new Set())).toEqual({ chosen: model.replicas[1], reason: 'least_outstanding' });
    end();
    end();
    expect(router.outstandingOn(key('a'))).toBe(0);
  });

  it('skips the replicas already tried, and has none once all were', () => {
    const router = new Router(sequence(0, 0));
    expect(router.pick(model, new Set([key('a'), key('b')]))).toEqual({
      chosen: model.replicas[2],
      reason: 'only_replica',
    });
    expect(router.pick(model, new Set([key('a'), key('b'), key('c')]))).toBeUndefined();
  });

  it('keeps the utilisation of served replicas only', () => {
    const router = new Router(sequence(0, 0));
    router.setUtilization(key('a'), 0.9);
    router.setUtilization(key('b'), 0.1);
    expect(router.pick(model, new Set([key('c')]))).toEqual({ chosen: model.replicas[1], reason: 'utilization' });
    router.retainUtilization(new Set([key('b')]));
    expect(router.utilizationOf(key('a'))).toBeUndefined();
    expect(router.utilizationOf(key('b'))).toBe(0.1);
    router.setUtilization(key('b'), undefined);
    expect(router.utilizationOf(key('b'))).toBeUndefined();
  });
});

describe("utilizationIn: the gauge in a runtime's exposition", () => {
  const table: Array<[string, string, number | undefined]> = [
    ['the sample', '# HELP x\ngptoss_runtime_utilization 0.75\ngptoss_runtime_slots_busy 3\n', 0.75],
    ['a sample with a timestamp', 'gptoss_runtime_utilization 1.5 1712345678\n', 1.5],
    ['not a prefix of another name', 'gptoss_runtime_utilization_other 3\n', undefined],
    ['absent', 'gptoss_runtime_slots_busy 3\n', undefined],
    ['not a number', 'gptoss_runtime_utilization NaN\n', undefined],
    ['negative', 'gptoss_runtime_utilization -1\n', undefined],
  ];
  for (const [title, text, value] of table) it(title, () => expect(utilizationIn(text)).toBe(value));
});
