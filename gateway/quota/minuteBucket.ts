/** Below a millionth of a request or token: the refill's float noise, not a real amount. */
const EPSILON = 1e-6;

/**
 * A per-minute limit as a token bucket: it holds up to `capacity` and refills at capacity/60 a
 * second, continuously. That is what OpenAI's x-ratelimit headers describe (remaining now; reset =
 * time until the bucket is full again) and it needs two numbers per limit, where an exact sliding
 * window would keep a log of every request. A burst of `capacity` passes at once; after that the
 * key gets capacity/60 a second, so any 60 s window holds at most twice the capacity (docs/gateway.md,
 * "Quotas"). Pure: the time is passed in (seconds of the injected clock).
 */
export class MinuteBucket {
  private level: number;
  private at: number;

  constructor(
    private capacityNow: number,
    now: number,
  ) {
    this.level = capacityNow;
    this.at = now;
  }

  get capacity(): number {
    return this.capacityNow;
  }

  /** What the bucket holds at `now`; below 0 when a settled request used more than it held. */
  levelAt(now: number): number {
    return Math.min(this.capacityNow, this.level + (Math.max(0, now - this.at) * this.capacityNow) / 60);
  }

  /** Whether it holds `needed` at `now` (float noise of the refill aside). */
  holds(needed: number, now: number): boolean {
    return this.levelAt(now) >= needed - EPSILON;
  }

  take(amount: number, now: number): void {
    this.level = this.levelAt(now) - amount;
    this.at = now;
  }

  /** Seconds until the bucket holds `needed` (0 when it does now). */
  secondsUntil(needed: number, now: number): number {
    return Math.max(0, ((needed - this.levelAt(now)) * 60) / this.capacityNow);
  }

  /** A new limit keeps what was used: the level never rises above the new capacity. */
  resize(capacity: number, now: number): void {
    this.level = Math.min(capacity, this.levelAt(now));
    this.at = now;
    this.capacityNow = capacity;
  }

  /** OpenAI's view: the limit, whole units remaining, seconds until full. */
  view(now: number): { limit: number; remaining: number; resetSeconds: number } {
    const level = this.levelAt(now);
    return {
      limit: this.capacityNow,
      remaining: Math.max(0, Math.floor(level + EPSILON)),
      resetSeconds: toMilliseconds(this.secondsUntil(this.capacityNow, now)),
    };
  }
}

/** Seconds rounded to the millisecond: the headers need no more, and float noise goes away. */
export const toMilliseconds = (seconds: number) => Math.round(seconds * 1000) / 1000;
