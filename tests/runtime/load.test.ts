import { status } from '@grpc/grpc-js';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, metric, startTestRuntime, waitFor, type TestRuntime } from '../helpers/runtime.js';

/** Random tiny gpt-oss: its text is noise, but it never stops early (control tokens have zero logits). */
describe('parallel slots, the bounded queue and cancellation', () => {
  let t: TestRuntime;
  const SLOTS = 2;
  const QUEUE = 2;
  beforeAll(async () => {
    t = await startTestRuntime('tiny', { parallel: SLOTS, maxQueue: QUEUE, contextSize: 8192 });
  });
  afterAll(() => t?.stop());

  const gauge = (name: string) => metric(t.httpUrl, `gptoss_runtime_${name}`);
  const idle = () =>
    waitFor(
      async () => (await gauge('slots_busy')) === 0 && (await gauge('requests_waiting')) === 0,
      15_000,
      'idle slots',
    );

  it('N parallel streams all finish, decoded together', async () => {
    const results = await Promise.all(
      Array.from({ length: SLOTS + QUEUE }, (_, i) =>
        collect(t.grpc.Generate({ prompt: `request ${i}`, max_tokens: 64, seed: i })),
      ),
    );
    for (const { messages, error } of results) {
      expect(error).toBeNull();
      expect(messages.at(-1)).toMatchObject({
        finish_reason: 'FINISH_REASON_LENGTH',
        usage: { completion_tokens: 64 },
      });
    }
    await idle();
  });

  it('the queue limit rejects exactly the overflow at once, and utilization counts the queue', async () => {
    const overflow = 3;
    const calls = Array.from({ length: SLOTS + QUEUE + overflow }, (_, i) =>
      t.grpc.Generate({ prompt: `long ${i}`, max_tokens: 6000, seed: i }),
    );
    const streams = calls.map(collect);
    await waitFor(async () => (await gauge('requests_waiting')) === QUEUE, 10_000, 'a full queue');
    expect(await gauge('slots_busy')).toBe(SLOTS);
    expect(await gauge('utilization')).toBe((SLOTS + QUEUE) / SLOTS);
    // HTTP sees the same full queue as a 429 in OpenAI's shape
    const refused = await t.openai.completions
      .create({ model: '', prompt: 'x', max_tokens: 5 })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    for (const call of calls) call.cancel();
    const results = await Promise.all(streams);
    const exhausted = results.filter((r) => r.error?.code === status.RESOURCE_EXHAUSTED);
    expect(exhausted).toHaveLength(overflow);
    expect(exhausted[0]!.error!.details).toMatch(/all 2 slots are busy and the queue of 2 is full/);
    await idle();
    expect(await gauge('utilization')).toBe(0);
  });
});

describe('cancel, deadline and disconnect free the slot', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime('tiny', { parallel: 1, maxQueue: 0, contextSize: 8192 });
  });
  afterAll(() => t?.stop());

  const busy = () => metric(t.httpUrl, 'gptoss_runtime_slots_busy');
  const cancelled = async () => {
    const text = await (await fetch(`${t.httpUrl}/metrics`)).text();
    return Number(/gptoss_runtime_requests_total\{finish_reason="cancelled"\} (\d+)/.exec(text)?.[1] ?? 0);
  };

  it('a gRPC cancel stops generation and frees the slot', async () => {
    const before = await cancelled();
    const call = t.grpc.Generate({ prompt: 'go on', max_tokens: 8000 });
    const result = collect(call);
    await new Promise((resolve) => call.once('data', resolve));
    expect(await busy()).toBe(1);
    call.cancel();
    expect((await result).error?.code).toBe(status.CANCELLED);
    await waitFor(async () => (await busy()) === 0, 2000, 'the slot to free');
    expect(await cancelled()).toBe(before + 1);
    // the freed slot serves the next request at once (the queue is 0, so it would be refused otherwise)
    const next = await collect(t.grpc.Generate({ prompt: 'next', max_tokens: 8 }));
    expect(next.error).toBeNull();
  });

  it('an expired deadline stops generation and frees the slot', async () => {
    const before = await cancelled();
    const result = await collect(
      t.grpc.Chat(
        { messages: [{ role: 'user', content: 'go on' }], max_tokens: 7000 },
        { deadline: new Date(Date.now() + 400) },
      ),
    );
    expect(result.error?.code).toBe(status.DEADLINE_EXCEEDED);
    await waitFor(async () => (await busy()) === 0, 2000, 'the slot to free');
    expect(await cancelled()).toBe(before + 1);
  });

  it('an HTTP client that disconnects mid-stream stops its generation', async () => {
    const before = await cancelled();
    const controller = new AbortController();
    const res = await fetch(`${t.httpUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      signal: controller.signal,
      body: JSON.stringify({ messages: [{ role: 'user', content: 'go on' }], max_tokens: 7000, stream: true }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    expect(await busy()).toBe(1);
    controller.abort();
    await waitFor(async () => (await busy()) === 0, 2000, 'the slot to free');
    expect(await cancelled()).toBe(before + 1);
  });
});
