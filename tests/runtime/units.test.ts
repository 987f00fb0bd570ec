import { describe, expect, it } from 'vitest';
import { ApiError } from '../../contract/api/errors.js';
import { SlotPool } from '../../runtime/engine/slotPool.js';
import { cpuBudget, defaultThreads } from '../../runtime/engine/threads.js';

describe('SlotPool (pure)', () => {
  it('hands out slots, queues FIFO up to the limit and refuses the overflow at once', async () => {
    const pool = new SlotPool(2, 2);
    const a = await pool.acquire();
    const b = await pool.acquire();
    expect(pool.busy).toBe(2);
    const order: string[] = [];
    const c = pool.acquire().then((s) => {
      order.push('c');
      return s;
    });
    const d = pool.acquire().then((s) => {
      order.push('d');
      return s;
    });
    expect(pool.waiting).toBe(2);
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'queue_full' });
    pool.release(a);
    pool.release(b);
    await Promise.all([c, d]);
    expect(order).toEqual(['c', 'd']);
    expect(pool.waiting).toBe(0);
  });

  it('a preference picks among free slots (the most recently freed among equals); none: the last freed', async () => {
    const pool = new SlotPool(3, 0);
    const prefer = (best: number) => (slot: { index: number }) => (slot.index === best ? 10 : 1);
    expect((await pool.acquire(undefined, prefer(0))).index).toBe(0);
    expect((await pool.acquire(undefined, () => 1)).index).toBe(2);
    expect((await pool.acquire()).index).toBe(1);
    pool.release({ index: 1 });
    pool.release({ index: 0 });
    pool.release({ index: 2 });
    expect((await pool.acquire(undefined, prefer(1))).index).toBe(1);
    expect((await pool.acquire()).index).toBe(2);
  });

  it('a waiter whose signal aborts leaves the queue; shutdown refuses the rest', async () => {
    const pool = new SlotPool(1, 5);
    const held = await pool.acquire();
    const controller = new AbortController();
    const cancelled = pool.acquire(controller.signal);
    const refused = pool.acquire();
    controller.abort();
    await expect(cancelled).rejects.toMatchObject({ code: 'cancelled' });
    expect(pool.waiting).toBe(1);
    pool.rejectWaiting(new ApiError('unavailable', 'shutting down'));
    await expect(refused).rejects.toMatchObject({ code: 'unavailable' });
    pool.release(held);
    expect(pool.busy).toBe(0);
  });
});

describe('CPU budget from the cgroup quota (fake file reader)', () => {
  const reader = (files: Record<string, string>) => (path: string) => files[path] ?? null;
  it('reads cgroup v2 cpu.max', () => {
    expect(cpuBudget(reader({ '/sys/fs/cgroup/cpu.max': '150000 100000\n' }))).toBe(1);
    expect(cpuBudget(reader({ '/sys/fs/cgroup/cpu.max': '400000 100000\n' }))).toBeLessThanOrEqual(4);
  });
  it('reads cgroup v1 quota and period', () => {
    expect(
      cpuBudget(
        reader({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '100000', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' }),
      ),
    ).toBe(1);
  });
  it('falls back to the visible cores with no quota, and never oversubscribes', () => {
    const unlimited = cpuBudget(reader({ '/sys/fs/cgroup/cpu.max': 'max 100000' }));
    expect(unlimited).toBeGreaterThanOrEqual(1);
    expect(defaultThreads(1)).toBe(1);
    expect(defaultThreads(2)).toBe(1);
    expect(defaultThreads(16)).toBe(15);
  });
});
