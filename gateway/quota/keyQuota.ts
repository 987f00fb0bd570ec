import type { Clock } from '../../contract/clock.js';
import type { Admission, RateLimitState, TokenUsage } from '../types.js';
import { MinuteBucket, toMilliseconds } from './minuteBucket.js';

/** The limits one gateway replica enforces for a key (its share of the policy's); null: none. */
export interface ReplicaLimits {
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
  maxConcurrent: number | null;
}

type Limit = 'requests' | 'tokens' | 'concurrent';

/**
 * What a refusal for concurrency asks the client to wait: a slot frees when one of the key's own
 * requests ends, which nothing here can predict.
 */
const CONCURRENT_RETRY_SECONDS = 1;

/**
 * The tokens a request is charged: prompt plus completion as the runtime reports them. The
 * runtime's completion tokens include the reasoning (analysis channel) tokens, as OpenAI's do, so
 * reasoning is counted once, inside completion.
 */
export const chargedTokens = (usage: TokenUsage) => usage.promptTokens + usage.completionTokens;

/** A bucket for `capacity`, keeping what was used when the capacity changes; null when unlimited. */
function fitted(bucket: MinuteBucket | null, capacity: number | null, now: number): MinuteBucket | null {
  if (capacity === null) return null;
  if (bucket === null) return new MinuteBucket(capacity, now);
  if (bucket.capacity !== capacity) bucket.resize(capacity, now);
  return bucket;
}

/**
 * One key's quota in one replica: requests and tokens per minute (token buckets) and the requests
 * in flight. Admission takes one request; the tokens are charged when the request settles, so a
 * request is admitted while the key has any token left and a long answer can leave the bucket
 * below zero, which later requests wait out.
 */
export class KeyQuota {
  private requests: MinuteBucket | null = null;
  private tokens: MinuteBucket | null = null;
  private maxConcurrent: number | null = null;
  private inFlight = 0;

  constructor(private readonly clock: Clock) {}

  /** Brings the limits in line with the key's policy: an edited Secret applies to the next request. */
  apply(limits: ReplicaLimits, now: number): void {
    this.requests = fitted(this.requests, limits.requestsPerMinute, now);
    this.tokens = fitted(this.tokens, limits.tokensPerMinute, now);
    this.maxConcurrent = limits.maxConcurrent;
  }

  admit(now: number): Admission {
    const refusals = this.refusals(now);
    if (refusals.length > 0) {
      const longest = refusals.reduce((a, b) => (b.seconds > a.seconds ? b : a));
      return {
        ok: false,
        limit: longest.limit,
        retryAfterSeconds: Math.max(1, Math.ceil(toMilliseconds(longest.seconds))),
        state: this.state(now),
      };
    }
    this.requests?.take(1, now);
    this.inFlight += 1;
    let settled = false;
    return {
      ok: true,
      state: this.state(now),
      // the first call counts; a second would count the request's tokens twice
      settle: (usage) => {
        if (settled) return;
        settled = true;
        this.inFlight -= 1;
        if (usage) this.tokens?.take(chargedTokens(usage), this.clock.now());
      },
    };
  }

  /** Nothing in flight and every bucket full: forgetting it changes nothing. */
  idle(now: number): boolean {
    const full = (bucket: MinuteBucket | null) => bucket === null || bucket.holds(bucket.capacity, now);
    return this.inFlight === 0 && full(this.requests) && full(this.tokens);
  }

  private refusals(now: number): Array<{ limit: Limit; seconds: number }> {
    const refusals: Array<{ limit: Limit; seconds: number }> = [];
    if (this.requests && !this.requests.holds(1, now))
      refusals.push({ limit: 'requests', seconds: this.requests.secondsUntil(1, now) });
    if (this.tokens && !this.tokens.holds(1, now))
      refusals.push({ limit: 'tokens', seconds: this.tokens.secondsUntil(1, now) });
    if (this.maxConcurrent !== null && this.inFlight >= this.maxConcurrent)
      refusals.push({ limit: 'concurrent', seconds: CONCURRENT_RETRY_SECONDS });
    return refusals;
  }

  private state(now: number): RateLimitState {
    return { requests: this.requests?.view(now) ?? null, tokens: this.tokens?.view(now) ?? null };
  }
}
