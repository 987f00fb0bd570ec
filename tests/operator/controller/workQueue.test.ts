import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../../../operator/controller/workQueue.js';
import { FakeScheduler } from '../../helpers/fakeScheduler.js';

describe('WorkQueue (pure, fake scheduler)', () => {
  it('queues a key at most once, in order', async () => {
    const q = new WorkQueue(new FakeScheduler());
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
  });

  it('a key added while it is processed runs once more afterwards, never twice at once', async () => {
    const q = new WorkQueue(new FakeScheduler());
    q.add('a');
    const key = (await q.get())!;
    q.add('a');
    q.add('a');
    expect(q.length).toBe(0); // not handed to a second worker while processing
    q.done(key);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('a');
  });

  it('failures back off per key, 5 ms doubling up to the cap; forget starts again', () => {
    const q = new WorkQueue(new FakeScheduler(), { baseMs: 5, maxMs: 40 });
    expect([1, 2, 3, 4, 5].map(() => q.addRateLimited('a'))).toEqual([5, 10, 20, 40, 40]);
    expect(q.addRateLimited('b')).toBe(5);
    q.forget('a');
    expect(q.addRateLimited('a')).toBe(5);
  });

  it('addAfter waits for the scheduler, and a later call replaces the earlier one', () => {
    const s = new FakeScheduler();
    const q = new WorkQueue(s);
    q.addAfter('a', 100);
    q.addAfter('a', 300);
    expect(s.pending).toEqual([300]);
    s.advance(299);
    expect(q.length).toBe(0);
    s.advance(1);
    expect(q.length).toBe(1);
  });

  it('run: bounded concurrency, retries with backoff, requeue after, and stops on shutdown', async () => {
    const s = new FakeScheduler();
    const q = new WorkQueue(s, { baseMs: 5, maxMs: 1000 });
    let running = 0;
    let most = 0;
    const seen: string[] = [];
    let failOnce = true;
    const errors: string[] = [];
    const finished = q.run(
      2,
      async (key) => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setImmediate(r));
        seen.push(key);
        running--;
        if (key === 'flaky' && failOnce) {
          failOnce = false;
          throw new Error('conflict');
        }
        if (key === 'waiting' && seen.filter((k) => k === 'waiting').length === 1) return { requeueAfterMs: 50 };
        return undefined;
      },
      (key) => errors.push(key),
    );
    for (const k of ['a', 'b', 'c', 'flaky', 'waiting']) q.add(k);
    await new Promise((r) => setTimeout(r, 20));
    expect(most).toBe(2);
    expect(errors).toEqual(['flaky']);
    expect(s.pending).toEqual([5, 50]); // flaky's backoff, waiting's requeue
    s.advance(50);
    await new Promise((r) => setTimeout(r, 20));
    expect(seen.filter((k) => k === 'flaky')).toHaveLength(2);
    expect(seen.filter((k) => k === 'waiting')).toHaveLength(2);
    q.shutDown();
    await finished;
  });
});
