import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { GptOssModel } from '../../../operator/api/v1alpha1/gptOssModel.js';
import { EventQueue, type EventDropCause, type ModelEvent } from '../../../operator/controller/eventQueue.js';
import type { Logger } from '../../../contract/log.js';
import { FakeScheduler } from '../../helpers/fakeScheduler.js';

const model = { metadata: { namespace: 'ns', name: 'chat' } } as GptOssModel;
const event = (reason: string): ModelEvent => ({ model, type: 'Normal', reason, message: reason, at: new Date(0) });
const settle = () => new Promise((resolve) => setImmediate(resolve));

/**
 * The API server's Events endpoint as the queue's collaborator (a named fake: the queue is the unit under test):
 * each send waits until the test answers it.
 */
class FakeEventsEndpoint {
  readonly calls: Array<{ reason: string; answer: (error?: Error) => void }> = [];
  send = (e: ModelEvent) =>
    new Promise<void>((resolve, reject) =>
      this.calls.push({ reason: e.reason, answer: (error) => (error ? reject(error) : resolve()) }),
    );
  /** Answers every call not answered yet, in order. */
  answerAll(error?: Error) {
    for (const call of this.calls.splice(0)) call.answer(error);
  }
}

function setUp(options: ConstructorParameters<typeof EventQueue>[0]['options'] = {}) {
  const endpoint = new FakeEventsEndpoint();
  const scheduler = new FakeScheduler();
  const logged: Array<Record<string, unknown>> = [];
  const log = {
    error: (fields: Record<string, unknown>, msg: string) => logged.push({ ...fields, msg }),
  } as unknown as Logger;
  const drops: EventDropCause[] = [];
  const queue = new EventQueue({ send: endpoint.send, log, onDrop: (c) => drops.push(c), options, scheduler });
  return { endpoint, scheduler, logged, drops, queue };
}

describe('EventQueue: Events off the reconcile, never lost silently', () => {
  it('record returns at once; a few are in flight at a time, in order', async () => {
    const { endpoint, queue } = setUp({ concurrency: 2 });
    for (const reason of ['a', 'b', 'c']) queue.record(event(reason));
    expect(endpoint.calls.map((c) => c.reason)).toEqual(['a', 'b']);
    expect(queue.depth).toBe(3);
    endpoint.answerAll();
    await settle();
    expect(endpoint.calls.map((c) => c.reason)).toEqual(['c']);
    endpoint.answerAll();
    await settle();
    expect(queue.depth).toBe(0);
  });

  it('a failed send is tried again after a back-off, doubling; out of tries it is dropped and said', async () => {
    const { endpoint, scheduler, logged, drops, queue } = setUp({ maxAttempts: 3, backoffBaseMs: 100 });
    queue.record(event('Placed'));
    const unreachable = new Error('connect ECONNREFUSED');
    endpoint.answerAll(unreachable);
    await settle();
    expect(scheduler.pending).toEqual([100]);
    scheduler.advance(100);
    endpoint.answerAll(unreachable);
    await settle();
    expect(scheduler.pending).toEqual([200]);
    scheduler.advance(200);
    endpoint.answerAll(unreachable);
    await settle();
    expect(drops).toEqual(['retriesExhausted']);
    expect(logged).toEqual([
      expect.objectContaining({
        msg: 'Dropped model event',
        kind: 'GptOssModel',
        namespace: 'ns',
        name: 'chat',
        reason: 'Placed',
        cause: 'retriesExhausted',
      }),
    ]);
    expect(queue.depth).toBe(0);
  });

  it('by default one at a time, as client-go sends them', async () => {
    const { endpoint, queue } = setUp();
    for (const reason of ['a', 'b']) queue.record(event(reason));
    expect(endpoint.calls.map((c) => c.reason)).toEqual(['a']);
    endpoint.answerAll();
    await settle();
    expect(endpoint.calls.map((c) => c.reason)).toEqual(['b']);
  });

  it('a retry that succeeds is not said; a refusal (403: the namespace is going) is not tried again', async () => {
    const { endpoint, scheduler, drops, queue } = setUp({ concurrency: 2 });
    queue.record(event('retried'));
    queue.record(event('refused'));
    endpoint.calls[0]!.answer(new Error('socket hang up'));
    endpoint.calls[1]!.answer(new Error('creating event', { cause: new ApiException(403, 'Forbidden', {}, {}) }));
    endpoint.calls.splice(0);
    await settle();
    expect(drops).toEqual(['refused']);
    scheduler.advance(100);
    expect(endpoint.calls.map((c) => c.reason)).toEqual(['retried']);
    endpoint.answerAll();
    await settle();
    expect(drops).toEqual(['refused']);
    expect(queue.depth).toBe(0);
  });

  it('a full queue drops the new Event at once, said, and never blocks', () => {
    const { drops, logged, queue } = setUp({ capacity: 2, concurrency: 1 });
    for (const reason of ['a', 'b', 'c']) queue.record(event(reason));
    expect(queue.depth).toBe(2);
    expect(drops).toEqual(['queueFull']);
    expect(logged[0]).toMatchObject({ reason: 'c', cause: 'queueFull' });
  });

  it('close delivers what is queued (retries at once), drops what is left at the deadline, each said', async () => {
    const { endpoint, scheduler, drops, queue } = setUp({ concurrency: 1 });
    queue.record(event('a'));
    endpoint.answerAll(new Error('socket hang up'));
    await settle();
    queue.record(event('b'));
    const closed = queue.close(5000);
    await settle();
    expect(endpoint.calls.map((c) => c.reason)).toEqual(['b']);
    endpoint.answerAll();
    await settle();
    expect(endpoint.calls.map((c) => c.reason)).toEqual(['a']); // its back-off cut short
    scheduler.advance(5000); // 'a' never answers
    await closed;
    expect(drops).toEqual(['shutdown']);
    queue.record(event('late'));
    expect(drops).toEqual(['shutdown', 'shutdown']);
  });

  it('abandon (leadership lost) drops everything undelivered at once, each said', () => {
    const { drops, queue } = setUp({ concurrency: 1 });
    for (const reason of ['a', 'b']) queue.record(event(reason));
    queue.abandon('leadership was lost');
    expect(drops).toEqual(['shutdown', 'shutdown']);
    expect(queue.depth).toBe(0);
  });
});
