import { ApiError } from '../../contract/api/errors.js';

export interface Slot {
  readonly index: number;
}

interface Waiter {
  resolve: (slot: Slot) => void;
  reject: (error: unknown) => void;
  cleanup: () => void;
}

/**
 * N slots and a bounded FIFO queue of requests waiting for one. A request that finds the queue
 * full is refused at once (RESOURCE_EXHAUSTED / 429) rather than waiting without bound; a waiter
 * whose signal aborts leaves the queue.
 */
export class SlotPool {
  private readonly free: Slot[];
  private readonly waiters: Waiter[] = [];

  constructor(
    readonly size: number,
    readonly maxQueue: number,
  ) {
    this.free = Array.from({ length: size }, (_, index) => ({ index }));
  }

  get busy(): number {
    return this.size - this.free.length;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * A free slot, the one `preference` scores highest (the most recently freed among equals), or a
   * place in the queue: a waiter takes whichever slot frees first.
   */
  acquire(signal?: AbortSignal, preference?: (slot: Slot) => number): Promise<Slot> {
    if (signal?.aborted) return Promise.reject(new ApiError('cancelled', 'request cancelled while queued'));
    const slot = this.takeFree(preference);
    if (slot) return Promise.resolve(slot);
    if (this.waiters.length >= this.maxQueue) {
      return Promise.reject(
        new ApiError(
          'queue_full',
          `all ${this.size} slots are busy and the queue of ${this.maxQueue} is full; retry later`,
        ),
      );
    }
    return new Promise<Slot>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new ApiError('cancelled', 'request cancelled while queued'));
      };
      const waiter: Waiter = { resolve, reject, cleanup: () => signal?.removeEventListener('abort', onAbort) };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private takeFree(preference?: (slot: Slot) => number): Slot | undefined {
    if (!preference || this.free.length < 2) return this.free.pop();
    const scores = this.free.map(preference);
    let best = scores.length - 1;
    for (let i = best - 1; i >= 0; i--) if (scores[i]! > scores[best]!) best = i;
    return this.free.splice(best, 1)[0];
  }

  release(slot: Slot): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.cleanup();
      waiter.resolve(slot);
    } else {
      this.free.push(slot);
    }
  }

  /** Refuses everyone still waiting (shutdown). */
  rejectWaiting(error: unknown): void {
    for (const waiter of this.waiters.splice(0)) {
      waiter.cleanup();
      waiter.reject(error);
    }
  }
}
