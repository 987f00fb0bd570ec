import { describe, expect, it } from 'vitest';
import type { RoutingReason } from '../../../gateway/routing/choose.js';
import {
  buildRing,
  choosePrefixHash,
  clockwise,
  loadBound,
  POINTS_PER_REPLICA,
  type HashRing,
} from '../../../gateway/routing/prefixHash.js';

const replicas = (n: number) => Array.from({ length: n }, (_, i) => `team-a/chat-${i}`);
const keys = (n: number) => Array.from({ length: n }, (_, i) => `conversation-${i}`);

/** A choice over replicas named by their keys, each with the given load (0 when not given). */
function choose(ring: HashRing, key: string, candidates: string[], loads: Record<string, number> = {}, factor = 1.25) {
  return choosePrefixHash({
    ring,
    key,
    candidates,
    keyOf: (replica) => replica,
    loadOf: (replica) => loads[replica] ?? 0,
    loadFactor: factor,
  });
}

/** The same numbers every run (a linear congruential generator): the test's stream of keys. */
function seeded(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('buildRing', () => {
  it('each replica at POINTS_PER_REPLICA points, ascending; the same ring whatever the order given', () => {
    const ring = buildRing(replicas(3));
    expect(ring.positions).toHaveLength(3 * POINTS_PER_REPLICA);
    expect(ring.size).toBe(3);
    expect(ring.positions.every((p, i) => i === 0 || ring.positions[i - 1]! <= p)).toBe(true);
    expect(buildRing([...replicas(3)].reverse())).toEqual(ring);
    expect(buildRing([...replicas(3), 'team-a/chat-0'])).toEqual(ring);
  });

  it('a walk meets every replica once, and an empty ring meets none', () => {
    expect([...clockwise(buildRing(replicas(4)), 'k')].sort()).toEqual(replicas(4));
    expect([...clockwise(buildRing([]), 'k')]).toEqual([]);
  });
});

describe('loadBound: ceil(factor × (total + 1) / replicas)', () => {
  const table: Array<[number, number, number, number]> = [
    // total, replicas, factor, bound
    [0, 2, 1.25, 1],
    [1, 2, 1.25, 2],
    [2, 2, 1.25, 2],
    [3, 2, 1.25, 3],
    [99, 4, 1.25, 32],
    [49, 5, 1.1, 11], // 1.1 × 50 / 5 is 11.000000000000002 in floating point
    [7, 4, 1, 2],
  ];
  for (const [total, n, factor, bound] of table) {
    it(`${total} outstanding over ${n}, factor ${factor}: ${bound}`, () =>
      expect(loadBound(total, n, factor)).toBe(bound));
  }
});

describe('choosePrefixHash', () => {
  const ring = buildRing(replicas(4));
  const home = (key: string) => [...clockwise(ring, key)][0]!;
  const second = (key: string) => [...clockwise(ring, key)][1]!;

  it("a key's home takes it, the same every time, whatever the order of the candidates", () => {
    for (const key of keys(200)) {
      expect(choose(ring, key, replicas(4))).toEqual({ chosen: home(key), reason: 'prefix_hash' });
      expect(choose(ring, key, [...replicas(4)].reverse())?.chosen).toBe(home(key));
    }
  });

  it('the homes spread over the replicas (128 points each: every share near a quarter)', () => {
    const count = new Map<string, number>();
    for (const key of keys(10_000)) count.set(home(key), (count.get(home(key)) ?? 0) + 1);
    expect(count.size).toBe(4);
    for (const share of count.values()) {
      expect(share / 10_000).toBeGreaterThan(0.15);
      expect(share / 10_000).toBeLessThan(0.35);
    }
  });

  it('adding a replica moves only the keys it becomes home of: about 1/n of them', () => {
    const bigger = buildRing(replicas(5));
    const moved = keys(10_000).filter((key) => choose(bigger, key, replicas(5))!.chosen !== home(key));
    expect(moved.length / 10_000).toBeGreaterThan(0.12);
    expect(moved.length / 10_000).toBeLessThan(0.28);
    expect(new Set(moved.map((key) => choose(bigger, key, replicas(5))!.chosen))).toEqual(new Set(['team-a/chat-4']));
  });

  it('removing a replica moves only the keys whose home it was, each to the next on its walk', () => {
    const smaller = buildRing(replicas(3));
    for (const key of keys(2000)) {
      const now = choose(smaller, key, replicas(3))!.chosen;
      expect(now).toBe(home(key) === 'team-a/chat-3' ? second(key) : home(key));
    }
  });

  const key = 'conversation-7';
  const [first, next, third] = [...clockwise(ring, key)] as [string, string, string];
  const table: Array<[string, Record<string, number>, string[], string | undefined, RoutingReason | undefined]> = [
    ['idle: the home', {}, replicas(4), first, 'prefix_hash'],
    // 1 outstanding in all: bound ceil(1.25 × 2 / 4) = 1, the home holds 1 already
    ['the home holds the only request: the next replica', { [first]: 1 }, replicas(4), next, 'prefix_overflow'],
    [
      'the home and the next over the bound: the third',
      { [first]: 2, [next]: 2 },
      replicas(4),
      third,
      'prefix_overflow',
    ],
    // 4 outstanding elsewhere: bound ceil(1.25 × 6 / 4) = 2, the home's 1 + 1 fits
    ['others busier: the home within the bound', { [first]: 1, [third]: 4 }, replicas(4), first, 'prefix_hash'],
    [
      'the home tried: the next is the home among the candidates',
      {},
      replicas(4).filter((r) => r !== first),
      next,
      'prefix_hash',
    ],
    ['one candidate, whatever its load', { [third]: 9 }, [third], third, 'only_replica'],
    ['every replica tried', {}, [], undefined, undefined],
  ];
  for (const [title, loads, candidates, chosen, reason] of table) {
    it(title, () => {
      expect(choose(ring, key, candidates, loads)).toEqual(chosen === undefined ? undefined : { chosen, reason });
    });
  }

  it('a factor under 1 (the router refuses it) still chooses: the least loaded', () => {
    expect(choose(ring, key, replicas(4), { [first]: 1, [next]: 1, [third]: 1 }, 0.5)).toMatchObject({
      reason: 'prefix_overflow',
    });
  });

  it('a candidate missing from the ring is still chosen when the walk finds no taker', () => {
    expect(choose(buildRing([]), key, ['a', 'b'], { a: 3, b: 1 })).toEqual({ chosen: 'b', reason: 'prefix_overflow' });
  });

  it('a skewed stream of keys, requests arriving and ending: no replica ever over the bound', () => {
    const random = seeded(42);
    const loads: Record<string, number> = {};
    const open: string[] = [];
    const reasons = new Map<RoutingReason, number>();
    for (let step = 0; step < 5000; step++) {
      if (open.length > 0 && random() < 0.45) {
        const [ended] = open.splice(Math.floor(random() * open.length), 1);
        loads[ended!]!--;
        continue;
      }
      // half the requests are one hot conversation, the rest a Zipf-like tail of 100
      const hot = random() < 0.5;
      const streamKey = hot ? 'hot' : `conversation-${Math.floor(100 * random() ** 2)}`;
      const total = open.length;
      const choice = choose(ring, streamKey, replicas(4), loads)!;
      expect((loads[choice.chosen] ?? 0) + 1).toBeLessThanOrEqual(loadBound(total, 4, 1.25));
      reasons.set(choice.reason, (reasons.get(choice.reason) ?? 0) + 1);
      loads[choice.chosen] = (loads[choice.chosen] ?? 0) + 1;
      open.push(choice.chosen);
    }
    // the hot conversation filled its home, and spilled over
    expect(reasons.get('prefix_hash')).toBeGreaterThan(0);
    expect(reasons.get('prefix_overflow')).toBeGreaterThan(0);
  });

  it('one conversation alone, requests only arriving: spread to the bound, home first, then along its walk', () => {
    const loads: Record<string, number> = {};
    for (let n = 0; n < 100; n++) {
      const { chosen } = choose(ring, key, replicas(4), loads)!;
      loads[chosen] = (loads[chosen] ?? 0) + 1;
    }
    // bound at the last request: ceil(1.25 × 100 / 4) = 32
    expect(Math.max(...Object.values(loads))).toBeLessThanOrEqual(32);
    expect(loads[first]).toBe(32);
  });
});
