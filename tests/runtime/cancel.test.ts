import { Writable } from 'node:stream';
import { status } from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { collect, counter, metric, startTestRuntime, waitFor, type TestRuntime } from '../helpers/runtime.js';

/**
 * A client that leaves while its prompt is still being evaluated (before the first token): the
 * request is counted as cancelled, never as an internal failure, and logged without a stack.
 */
describe('cancelling before the first token', () => {
  let t: TestRuntime;
  const lines: Array<Record<string, unknown>> = [];
  // about 7,000 tokens of the tiny model: a second or so of prompt evaluation on one thread; each
  // test its own, as a slot keeps its last prompt and would not evaluate the same one again
  const longPrompt = (word: string) => `${word} `.repeat(1400);

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    });
    const log = pino({ level: 'debug' }, sink);
    t = await startTestRuntime('tiny', { parallel: 1, maxQueue: 0, contextSize: 8192 }, { log });
  });
  afterAll(() => t?.stop());
  beforeEach(() => {
    lines.length = 0;
  });

  const rejected = (reason: string) => counter(t.httpUrl, `gptoss_runtime_requests_rejected_total{reason="${reason}"}`);
  const finishedCancelled = () => counter(t.httpUrl, 'gptoss_runtime_requests_total{finish_reason="cancelled"}');
  const busy = () => metric(t.httpUrl, 'gptoss_runtime_slots_busy');
  const cancelledSoFar = async () => (await rejected('cancelled')) + (await finishedCancelled());

  async function expectCountedAsCancelled(before: { cancelled: number; internal: number }, api: string) {
    await waitFor(async () => (await busy()) === 0, 10_000, 'the slot to free');
    await waitFor(async () => (await cancelledSoFar()) === before.cancelled + 1, 5_000, 'the cancel to be counted');
    expect(await rejected('internal')).toBe(before.internal);
    expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
    const logged = lines.filter((l) => l.msg === 'Cancelled request' || l.msg === 'Failed request');
    for (const line of logged) {
      expect(line).toMatchObject({ level: 20, msg: 'Cancelled request', api });
      expect(line).not.toHaveProperty('err');
    }
  }

  it('HTTP: a client that disconnects while its prompt is evaluated', async () => {
    const before = { cancelled: await cancelledSoFar(), internal: await rejected('internal') };
    const controller = new AbortController();
    const request = fetch(`${t.httpUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: longPrompt('word') }], max_tokens: 8 }),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    await waitFor(async () => (await busy()) === 1, 10_000, 'the prompt to take the slot');
    controller.abort();
    expect(await request).toMatchObject({ name: 'AbortError' });
    await expectCountedAsCancelled(before, 'http');
  });

  it('gRPC: a call cancelled while its prompt is evaluated', async () => {
    const before = { cancelled: await cancelledSoFar(), internal: await rejected('internal') };
    const call = t.grpc.Chat({ messages: [{ role: 'user', content: longPrompt('term') }], max_tokens: 8 });
    const result = collect(call);
    await waitFor(async () => (await busy()) === 1, 10_000, 'the prompt to take the slot');
    call.cancel();
    const { messages, error } = await result;
    expect(error?.code).toBe(status.CANCELLED);
    expect(messages).toEqual([]);
    await expectCountedAsCancelled(before, 'grpc');
  });
});
