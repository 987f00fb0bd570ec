import { Metadata } from '@grpc/grpc-js';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RELAY_DEFAULTS } from '../../../gateway/relay/config.js';
import type { ServedModel } from '../../../gateway/types.js';
import { collect, startTestRuntime, waitFor, type TestRuntime } from '../../helpers/runtime.js';
import { KEY, modelOn, startRelayBench, type RelayBench } from './bench.js';

/**
 * Requests for a model with no Ready replica, held at the relay (gateway/relay/hold.ts), in front of
 * a real runtime on the scripted model with one slot (so it serves in the order requests reach it).
 * The fake waker stands in for the scale write: waking puts the runtime into the directory.
 */
describe('requests held while a model wakes from zero', () => {
  let runtime: TestRuntime;
  let bench: RelayBench;
  const id = 'team-a/chat';
  const atZero = (mode: ServedModel['scaling']['mode'] = 'builtin'): ServedModel => ({
    namespace: 'team-a',
    name: 'chat',
    replicas: [],
    scaling: { replicas: 0, mode },
  });
  const awake = () => modelOn('team-a', 'chat', [runtime]);
  const held = () => bench.metric(`gptoss_gateway_held_requests{model="${id}"}`);
  const ended = (outcome: string) =>
    bench.metric(`gptoss_gateway_held_requests_total{model="${id}",outcome="${outcome}"}`);
  const ask = (n: number, signal?: AbortSignal) =>
    bench
      .openai()
      .chat.completions.create(
        { model: id, messages: [{ role: 'user', content: `question ${n}` }], max_tokens: 24 },
        { signal },
      );

  beforeAll(async () => {
    runtime = await startTestRuntime('scripted', { modelName: 'chat', parallel: 1, maxQueue: 16 });
    // a hold limit far above any test's steps: eight requests held one after another on a loaded machine take
    // seconds, and none may time out before its turn (the limit itself has its own relay below)
    bench = await startRelayBench([atZero()], {
      config: { hold: { ...RELAY_DEFAULTS.hold, holdSeconds: 60, maxHeldPerModel: 9 } },
    });
  });
  afterEach(() => {
    bench.directory.set([atZero()]);
    bench.waker.onWake = () => Promise.resolve();
  });
  afterAll(async () => {
    await bench?.close();
    await runtime?.stop();
  });

  it('eight requests at zero wake it once and all complete, in the order they came, with their tokens', async () => {
    const wakes = bench.waker.woken.length;
    const finished: number[] = [];
    const answers: Array<Promise<Awaited<ReturnType<typeof ask>>>> = [];
    // one after another, each sent once the one before is held, so that their order is known; a request answered
    // before it was held fails the wait with its answer (a refusal, say), not with a bare timeout
    for (let n = 0; n < 8; n++) {
      let settled: unknown;
      const answer = ask(n).then(
        (a) => {
          finished.push(n);
          return a;
        },
        (error: unknown) => {
          settled = error;
          throw error;
        },
      );
      answer.catch(() => undefined);
      answers.push(answer);
      // waitFor stops early once the request is answered: held it never was, and its answer says why
      await waitFor(async () => settled !== undefined || (await held()) === n + 1, 15_000, `request ${n} held`);
      if (settled !== undefined) throw new Error(`request ${n} was answered before it was held`, { cause: settled });
    }
    // the model at zero was woken by the first held request, once
    expect(await held()).toBe(8);
    expect(bench.waker.woken.slice(wakes)).toEqual([id]);
    // its replica turns Ready
    bench.directory.set([awake()]);
    const done = await Promise.all(answers);
    expect(finished).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const answer of done) {
      expect(answer.choices[0]!.message.content).toBeTruthy();
      expect(answer.usage!.completion_tokens).toBeGreaterThan(0);
    }
    expect(await held()).toBe(0);
    expect(await ended('served')).toBe(8);
  });

  it('a held request whose client leaves is dropped from the queue at once', async () => {
    const leaving = new AbortController();
    const gone = ask(0, leaving.signal).catch((error: unknown) => error);
    const staying = ask(1);
    await waitFor(async () => (await held()) === 2, 5000, 'two requests held');
    leaving.abort();
    expect(await gone).toBeInstanceOf(OpenAI.APIUserAbortError);
    await waitFor(async () => (await held()) === 1, 5000, 'the one left dropped');
    expect(await ended('left')).toBe(1);
    bench.directory.set([awake()]);
    expect((await staying).choices[0]!.message.content).toBeTruthy();
  });

  it('held past the hold limit: 503 with retry-after, in OpenAI shape', async () => {
    const limited = await startRelayBench([atZero()], {
      config: { hold: { ...RELAY_DEFAULTS.hold, holdSeconds: 2 } },
    });
    try {
      const started = Date.now();
      const res = await fetch(`${limited.relay.httpUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: id, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(503);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
      expect(res.headers.get('retry-after')).toBe(String(RELAY_DEFAULTS.hold.retryAfterSeconds));
      expect(await res.json()).toEqual({
        error: {
          message: `model "${id}" had no ready replica within the hold limit of 2s; retry later`,
          type: 'server_error',
          param: null,
          code: 'unavailable',
        },
      });
      expect(await limited.metric(`gptoss_gateway_held_requests_total{model="${id}",outcome="timeout"}`)).toBe(1);
      expect(await limited.metric(`gptoss_gateway_held_requests{model="${id}"}`)).toBe(0);
    } finally {
      await limited.close();
    }
  });

  it('the queue is bounded: one more than it holds is refused at once', async () => {
    const leaving = new AbortController();
    const holding = Array.from({ length: 9 }, (_, n) => ask(n, leaving.signal).catch(() => undefined));
    await waitFor(async () => (await held()) === 9, 5000, 'nine requests held');
    const refused = await ask(9).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((refused as InstanceType<typeof OpenAI.APIError>).message).toBe(
      `503 model "${id}" has no ready replica yet and already holds 9 requests; retry later`,
    );
    expect(await ended('full')).toBe(1);
    leaving.abort();
    await Promise.all(holding);
  });

  it('gRPC Chat is held and served as HTTP is; a model at zero that nothing scales is refused at once', async () => {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${KEY}`);
    const grpc = bench.grpc();
    try {
      const stream = collect(
        grpc.Chat({ model: id, messages: [{ role: 'user', content: 'hi' }], max_tokens: 16 }, metadata as never),
      );
      await waitFor(async () => (await held()) === 1, 5000, 'the gRPC call held');
      bench.directory.set([awake()]);
      const { messages, error } = await stream;
      expect(error).toBeNull();
      expect(messages.length).toBeGreaterThan(0);

      bench.directory.set([atZero('off')]);
      const admittedBefore = bench.quotas.admitted.length;
      const refused = await ask(0).catch((error: unknown) => error);
      expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
      expect((refused as InstanceType<typeof OpenAI.APIError>).message).toBe(
        `503 model "${id}" has no ready replica; retry later`,
      );
      expect(bench.quotas.admitted.length).toBe(admittedBefore);
    } finally {
      grpc.close();
    }
  });
});
