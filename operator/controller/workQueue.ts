/**
 * A work queue of keys in the manner of client-go's rate-limited queue: a key is queued at most
 * once; a key being processed that is added again is processed once more afterwards (never by two
 * workers at once); failures back off per key (5 ms doubling to 1000 s, as controller-runtime);
 * delays and timers come from an injected scheduler so tests need no wall clock.
 */

import { realScheduler, type Scheduler } from '../../contract/kube/scheduler.js';

export { realScheduler, type Scheduler };

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 5, maxMs: 1_000_000 };

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, unknown>();
  private readonly waiters: Array<(key: string | null) => void> = [];
  private closed = false;

  constructor(
    private readonly scheduler: Scheduler = realScheduler,
    private readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
  ) {}

  get length(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.closed) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    const waiter = this.waiters.shift();
    if (waiter) {
      this.queued.delete(key);
      this.processing.add(key);
      waiter(key);
    } else {
      this.queue.push(key);
    }
  }

  /** Adds the key after a delay; a later call for the same key replaces the earlier one. */
  addAfter(key: string, ms: number): void {
    if (this.closed) return;
    const existing = this.timers.get(key);
    if (existing !== undefined) this.scheduler.clearTimeout(existing);
    this.timers.set(
      key,
      this.scheduler.setTimeout(() => {
        this.timers.delete(key);
        this.add(key);
      }, ms),
    );
  }

  /** Re-adds a failed key after its backoff; returns the delay chosen. */
  addRateLimited(key: string): number {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    const delay = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** failures);
    this.addAfter(key, delay);
    return delay;
  }

  /** The key succeeded: its backoff starts again from the base. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** The next key to process (null once shut down); pair each with done(). */
  get(): Promise<string | null> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.queued.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  shutDown(): void {
    this.closed = true;
    for (const timer of this.timers.values()) this.scheduler.clearTimeout(timer);
    this.timers.clear();
    for (const waiter of this.waiters.splice(0)) waiter(null);
  }

  /**
   * Runs `workers` loops until shut down. The handler's outcome decides: done (forget the
   * backoff), retry (rate-limited), or requeue after a stated delay.
   */
  async run(
    workers: number,
    handle: (key: string) => Promise<{ requeueAfterMs?: number } | void>,
    onError: (key: string, error: unknown) => void,
  ): Promise<void> {
    const loop = async () => {
      for (let key = await this.get(); key !== null; key = await this.get()) {
        try {
          const result = await handle(key);
          this.forget(key);
          if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
        } catch (error) {
          onError(key, error);
          this.addRateLimited(key);
        } finally {
          this.done(key);
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, loop));
  }
}
