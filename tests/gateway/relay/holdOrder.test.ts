import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../contract/log.js';
import { GatewayMetrics } from '../../../gateway/metrics.js';
import { RELAY_DEFAULTS } from '../../../gateway/relay/config.js';
import { HeldRequests, type ReadyModel } from '../../../gateway/relay/hold.js';
import type { ServedModel } from '../../../gateway/types.js';
import { FixedModelDirectory, RecordingWaker, replicaAt } from './fakes.js';

/**
 * The order held requests go on in (gateway/relay/hold.ts), on fake timers and the named fakes: each goes on once the
 * one before it was handed on (written to its replica), and one that comes meanwhile queues behind them. The relay
 * with a real runtime is tests/gateway/relay/hold.test.ts.
 */
describe('held requests go on one after another', () => {
  const config = { ...RELAY_DEFAULTS.hold, pollMs: 50, handOffTimeoutMs: 2000 };
  const atZero: ServedModel = {
    namespace: 'team-a',
    name: 'chat',
    replicas: [],
    scaling: { replicas: 0, mode: 'builtin' },
  };
  const awake: ServedModel = {
    ...atZero,
    replicas: [replicaAt('chat-0', 'http://127.0.0.1:1', '127.0.0.1:2')],
    scaling: { replicas: 1, mode: 'builtin' },
  };
  let directory: FixedModelDirectory;
  let holds: HeldRequests;
  let gone: AbortController;

  beforeEach(() => {
    vi.useFakeTimers();
    directory = new FixedModelDirectory([atZero]);
    const metrics = new GatewayMetrics(new Registry());
    holds = new HeldRequests({ directory, waker: new RecordingWaker(), metrics, log: createLogger('silent'), config });
    gone = new AbortController();
  });
  afterEach(() => {
    holds.close();
    vi.useRealTimers();
  });

  /** Holds a request numbered n; `went` lists, in order, those that went on, and keeps what each was given. */
  const went: number[] = [];
  const given = new Map<number, ReadyModel>();
  const send = (n: number, model: ServedModel) =>
    holds.ready(model, gone.signal).then((ready) => {
      went.push(n);
      given.set(n, ready);
    });
  beforeEach(() => {
    went.length = 0;
    given.clear();
  });

  it('the next goes on once the one before it is handed on, not before', async () => {
    for (const n of [0, 1, 2]) void send(n, atZero);
    directory.set([awake]);
    await vi.advanceTimersByTimeAsync(0);
    expect(went).toEqual([0]);
    // however long the first takes to reach its replica, short of the bound
    await vi.advanceTimersByTimeAsync(config.handOffTimeoutMs - 1);
    expect(went).toEqual([0]);
    given.get(0)!.handedOn();
    await vi.advanceTimersByTimeAsync(0);
    expect(went).toEqual([0, 1]);
    // said twice (written, then the attempt settled) it lets one more go, not two
    given.get(0)!.handedOn();
    await vi.advanceTimersByTimeAsync(0);
    expect(went).toEqual([0, 1]);
    given.get(1)!.handedOn();
    await vi.advanceTimersByTimeAsync(0);
    expect(went).toEqual([0, 1, 2]);
    expect(given.get(2)!.model).toBe(awake);
  });

  it('one that comes while the last held is being handed on queues behind it', async () => {
    for (const n of [0, 1]) void send(n, atZero);
    directory.set([awake]);
    await vi.advanceTimersByTimeAsync(0);
    given.get(0)!.handedOn();
    await vi.advanceTimersByTimeAsync(0);
    expect(went).toEqual([0, 1]);
    // the replica is Ready and nothing is held, but 1 may not have reached it yet: 2 waits for it
    void send(2, awake);
    await vi.advanceTimersByTimeAsync(0);
    expect(went).toEqual([0, 1]);
    given.get(1)!.handedOn();
    await vi.advanceTimersByTimeAsync(0);
    expect(went).toEqual([0, 1, 2]);
    // once the last is handed on the queue is gone: the next goes on at once, and its hand-on is nobody's wait
    given.get(2)!.handedOn();
    await vi.advanceTimersByTimeAsync(0);
    void send(3, awake);
    await vi.advanceTimersByTimeAsync(0);
    expect(went).toEqual([0, 1, 2, 3]);
  });

  it('a request never said handed on holds the next back for handOffTimeoutMs at most', async () => {
    for (const n of [0, 1]) void send(n, atZero);
    directory.set([awake]);
    await vi.advanceTimersByTimeAsync(0);
    expect(went).toEqual([0]);
    await vi.advanceTimersByTimeAsync(config.handOffTimeoutMs - 1);
    expect(went).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(went).toEqual([0, 1]);
  });

  it('a request not held goes on at once, and its hand-on holds nothing', async () => {
    directory.set([awake]);
    await send(0, awake);
    given.get(0)!.handedOn();
    await send(1, awake);
    expect(went).toEqual([0, 1]);
  });
});
