/** The clock, injected so tests and timings do not depend on the wall. */
export interface Clock {
  /** Monotonic seconds. */
  now(): number;
  date(): Date;
}

export const systemClock: Clock = {
  now: () => performance.now() / 1000,
  date: () => new Date(),
};
