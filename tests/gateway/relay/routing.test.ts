import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chatAffinity } from '../../../gateway/routing/affinity.js';
import { chooseReplica, type ReplicaLoad, type RoutingReason } from '../../../gateway/routing/choose.js';
import { buildRing, clockwise } from '../../../gateway/routing/prefixHash.js';
import { Router, replicaKey } from '../../../gateway/routing/router.js';
import { utilizationIn } from '../../../gateway/routing/utilization.js';
import type { ServedModel } from '../../../gateway/types.js';
import { collect, startTestRuntime, type TestRuntime } from '../../helpers/runtime.js';
import { KEY, modelOn, startRelayBench, type RelayBench } from './bench.js';

type Unary = (request: object, metadata: Metadata, callback: (error: ServiceError | null) => void) => void;

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

/** team-a/chat served by these pods. */
const servedBy = (pods: string[]): ServedModel => ({
  namespace: 'team-a',
  name: 'chat',
  replicas: pods.map((pod, i) => ({ pod, ip: '10.0.0.1', httpPort: 8080 + i, grpcPort: 50051 + i })),
  scaling: { replicas: pods.length, mode: 'off' },
});

describe("Router: the gateway's own counts", () => {
  const model = servedBy(['a', 'b', 'c']);
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

describe('Router: prefix-hash routing', () => {
  const model = servedBy(['a', 'b', 'c']);
  const conversation = chatAffinity([{ role: 'user', content: 'Plan a trip to Lisbon' }])!;
  /** The pods in the order the key meets them on the ring of the model's replicas. */
  const walker = (m: ServedModel) => {
    const ring = buildRing(m.replicas.map((r) => replicaKey(m, r)));
    return (key: string) => [...clockwise(ring, key)].map((k) => k.split('/')[1]);
  };
  const walk = (m: ServedModel, key: string) => walker(m)(key);
  const prefixHash = { strategy: 'prefix-hash' as const, loadFactor: 1.25 };
  const podOf = (choice: ReturnType<Router['pick']>) => choice && { pod: choice.chosen.pod, reason: choice.reason };

  it("a conversation's turns to its home; one at once over the bound spills to the next on its walk", () => {
    const router = new Router(sequence(0, 0), prefixHash);
    const [home, next] = walk(model, conversation);
    expect(podOf(router.pick(model, new Set(), conversation))).toEqual({ pod: home, reason: 'prefix_hash' });
    const end = router.begin(model, router.pick(model, new Set(), conversation)!.chosen);
    // 1 outstanding over 3 replicas: the bound is ceil(1.25 × 2 / 3) = 1, which the home holds
    expect(podOf(router.pick(model, new Set(), conversation))).toEqual({ pod: next, reason: 'prefix_overflow' });
    end();
    expect(podOf(router.pick(model, new Set(), conversation))).toEqual({ pod: home, reason: 'prefix_hash' });
  });

  it('a retry skips the replicas tried', () => {
    const router = new Router(sequence(0, 0), prefixHash);
    const [home, next] = walk(model, conversation);
    expect(podOf(router.pick(model, new Set([replicaKey(model, { pod: home! })]), conversation))).toEqual({
      pod: next,
      reason: 'prefix_hash',
    });
  });

  it('no key, or the least-load strategy: the power of two choices', () => {
    const withoutKey = new Router(sequence(0, 0), prefixHash).pick(model, new Set());
    const leastLoad = new Router(sequence(0, 0), { strategy: 'least-load', loadFactor: 1.25 });
    expect(podOf(withoutKey)).toEqual({ pod: 'a', reason: 'random' });
    expect(podOf(leastLoad.pick(model, new Set(), conversation))).toEqual({ pod: 'a', reason: 'random' });
    expect(podOf(new Router(sequence(0, 0)).pick(model, new Set(), conversation))).toEqual({
      pod: 'a',
      reason: 'random',
    });
  });

  it("the ring follows the model's replicas as they change", () => {
    const router = new Router(sequence(0, 0), prefixHash);
    const keys = Array.from({ length: 64 }, (_, i) => `conversation-${i}`);
    for (const pods of [
      ['a', 'b', 'c'],
      ['a', 'b', 'c', 'd'],
      ['b', 'd'],
    ]) {
      const now = servedBy(pods);
      const walkOf = walker(now);
      const homes = keys.map((key) => walkOf(key)[0]);
      expect(keys.map((key) => router.pick(now, new Set(), key)?.chosen.pod)).toEqual(homes);
    }
  });

  it.each([0.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses a load factor of %s', (loadFactor) => {
    expect(() => new Router(Math.random, { strategy: 'prefix-hash', loadFactor })).toThrow(
      `routing.loadFactor must be a number of at least 1 (got ${loadFactor})`,
    );
  });
});

/**
 * The key threaded through the relay: two scripted runtimes, conversations over the OpenAI API and
 * gRPC, each turn's replica read from the access log.
 */
describe('prefix-hash routing through the relay', () => {
  let runtimes: TestRuntime[];
  let bench: RelayBench;
  const served = () => bench.logs.filter((line) => line.msg === 'Served request');
  const lastReplica = () => served().at(-1)?.replica as string;
  const start = (topic: string) => [
    { role: 'system' as const, content: 'You plan trips.' },
    { role: 'user' as const, content: `Plan a trip to ${topic}` },
  ];
  const topics = ['Lisbon', 'Porto', 'Oslo', 'Rome', 'Kyoto', 'Lima', 'Quito', 'Cairo'];
  const byPrefix = 'gptoss_gateway_routing_decisions_total{model="team-a/chat",reason="prefix_hash"}';
  /** Choices by the power of two: by counts, by the scraped utilisation, or by the coin. */
  const byLoad = async () => {
    const reasons = ['least_outstanding', 'utilization', 'random'];
    const counts = await Promise.all(
      reasons.map((reason) =>
        bench.metric(`gptoss_gateway_routing_decisions_total{model="team-a/chat",reason="${reason}"}`),
      ),
    );
    return counts.reduce((sum, count) => sum + count, 0);
  };
  const withKey = () => {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${KEY}`);
    return metadata;
  };

  beforeAll(async () => {
    // room for a completions prompt over 1,024 characters (the scripted model's tokens are about characters)
    const overrides = { modelName: 'chat', contextSize: 4096 };
    runtimes = await Promise.all([0, 1].map(() => startTestRuntime('scripted', overrides)));
    bench = await startRelayBench([modelOn('team-a', 'chat', runtimes)], {
      config: { routing: { strategy: 'prefix-hash', loadFactor: 1.25 } },
    });
  });
  afterAll(async () => {
    await bench?.close();
    await Promise.all((runtimes ?? []).map((t) => t.stop()));
  });
  beforeEach(() => (bench.logs.length = 0));

  it('chat: each conversation on one replica, turn after turn, the conversations on both; prefix_hash', async () => {
    const before = await bench.metric(byPrefix);
    const replicaOf = new Map<string, Set<string>>();
    for (const topic of topics) {
      const messages: Array<{ role: 'system' | 'user' | 'assistant'; content: string }> = start(topic);
      for (let turn = 0; turn < 3; turn++) {
        const answer = await bench.openai().chat.completions.create({ model: 'team-a/chat', messages, max_tokens: 8 });
        replicaOf.set(topic, (replicaOf.get(topic) ?? new Set()).add(lastReplica()));
        messages.push({ role: 'assistant', content: answer.choices[0]!.message.content ?? '' });
        messages.push({ role: 'user', content: `And turn ${turn + 2}?` });
      }
    }
    expect([...replicaOf.values()].map((replicas) => replicas.size)).toEqual(topics.map(() => 1));
    expect(new Set([...replicaOf.values()].flatMap((replicas) => [...replicas])).size).toBe(2);
    expect(await bench.metric(byPrefix)).toBe(before + topics.length * 3);
  });

  it('gRPC Chat and the Responses API: the same conversation on the same replica as over chat', async () => {
    // the bench's random source sends ties to the first replica: the counter shows the key decided
    const before = await bench.metric(byPrefix);
    for (const topic of topics.slice(0, 4)) {
      await bench.openai().chat.completions.create({ model: 'team-a/chat', messages: start(topic), max_tokens: 4 });
      const overChat = lastReplica();
      const grpc = bench.grpc();
      const { error } = await collect(
        grpc.Chat({ model: 'team-a/chat', messages: start(topic), max_tokens: 4 }, withKey() as never),
      );
      grpc.close();
      expect(error).toBeNull();
      expect(lastReplica()).toBe(overChat);
      const [system, user] = start(topic);
      const input = [{ role: 'developer' as const, content: system!.content }, user!];
      await bench.openai().responses.create({ model: 'team-a/chat', input, max_output_tokens: 16, store: false });
      const first = lastReplica();
      await bench.openai().responses.create({
        model: 'team-a/chat',
        input: [...input, { role: 'assistant', content: 'Sure.' }, { role: 'user', content: 'When?' }],
        max_output_tokens: 16,
        store: false,
      });
      expect(lastReplica()).toBe(first);
    }
    expect(await bench.metric(byPrefix)).toBe(before + 4 * 4);
  });

  it('completions: prompts that share their first 1,024 characters on one replica', async () => {
    const before = await bench.metric(byPrefix);
    const head = 'A long shared document. '.repeat(50);
    await bench.openai().completions.create({ model: 'team-a/chat', prompt: `${head} First question?`, max_tokens: 2 });
    const first = lastReplica();
    await bench.openai().completions.create({ model: 'team-a/chat', prompt: `${head} Second one?`, max_tokens: 2 });
    expect(lastReplica()).toBe(first);
    expect(await bench.metric(byPrefix)).toBe(before + 2);
  });

  it('gRPC CountTokens has no conversation to keep: the power of two choices', async () => {
    const [byPrefixBefore, byLoadBefore] = [await bench.metric(byPrefix), await byLoad()];
    const grpc = bench.grpc();
    const counted = await new Promise<ServiceError | null>((resolve) =>
      (grpc.CountTokens as unknown as Unary)({ model: 'team-a/chat', messages: start('Lisbon') }, withKey(), resolve),
    );
    grpc.close();
    expect(counted).toBeNull();
    expect(await bench.metric(byPrefix)).toBe(byPrefixBefore);
    expect(await byLoad()).toBe(byLoadBefore + 1);
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
