import { describe, expect, it } from 'vitest';
import { MinuteBucket } from '../../../gateway/quota/minuteBucket.js';

/** A bucket of `capacity` made at 0, `taken` out of it at 0, seen at `seconds`. */
function seen(capacity: number, taken: number, seconds: number) {
  const bucket = new MinuteBucket(capacity, 0);
  bucket.take(taken, 0);
  return { view: bucket.view(seconds), holdsOne: bucket.holds(1, seconds), untilOne: bucket.secondsUntil(1, seconds) };
}

describe('a per-minute token bucket', () => {
  it.each([
    // capacity, taken, seconds later -> remaining, seconds until full, holds one, seconds until one
    [60, 0, 0, 60, 0, true, 0],
    [60, 1, 0, 59, 1, true, 0],
    [60, 60, 0, 0, 60, false, 1],
    [60, 60, 0.5, 0, 59.5, false, 0.5],
    [60, 60, 30, 30, 30, true, 0],
    [60, 60, 60, 60, 0, true, 0],
    [60, 60, 600, 60, 0, true, 0],
    [3, 3, 0, 0, 60, false, 20],
    [3, 3, 19.999, 0, 40.001, false, 0.001],
    [3, 3, 20, 1, 40, true, 0],
    [100, 120, 0, 0, 72, false, 12.6],
    [100, 120, 12.6, 1, 59.4, true, 0],
    [7, 1, 60 / 7, 7, 0, true, 0],
  ])('%i, %i taken, %f s later: %i left, full in %f s', (capacity, taken, seconds, remaining, reset, holds, until) => {
    const { view, holdsOne, untilOne } = seen(capacity, taken, seconds);
    expect(view).toEqual({ limit: capacity, remaining, resetSeconds: reset });
    expect(holdsOne).toBe(holds);
    expect(untilOne).toBeCloseTo(until, 9);
  });

  it('keeps what was used when its capacity changes', () => {
    const bucket = new MinuteBucket(10, 0);
    bucket.take(8, 0);
    bucket.resize(20, 0);
    expect(bucket.view(0)).toEqual({ limit: 20, remaining: 2, resetSeconds: 54 });
    bucket.resize(1, 0);
    expect(bucket.view(0)).toEqual({ limit: 1, remaining: 1, resetSeconds: 0 });
  });
});
