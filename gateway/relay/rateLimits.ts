import type { Admission, Caller, QuotaKeeper, RateLimitState } from '../types.js';
import { Refusal } from './refusal.js';

export type Admitted = Extract<Admission, { ok: true }>;

/** A number of seconds as Go writes a duration, as OpenAI's x-ratelimit-reset-* headers do: "1s", "6m0s", "17ms". */
export function goDuration(seconds: number): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const secs = `${(ms % 60_000) / 1000}s`;
  if (hours > 0) return `${hours}h${minutes}m${secs}`;
  return minutes > 0 ? `${minutes}m${secs}` : secs;
}

/**
 * OpenAI's rate-limit headers for the state, in the order OpenAI sends them; a limit the key does
 * not have sends none of its three.
 */
export function rateLimitHeaders(state: RateLimitState): Array<[string, string]> {
  const kinds = (['requests', 'tokens'] as const).flatMap((kind) => {
    const limit = state[kind];
    return limit ? [{ kind, ...limit }] : [];
  });
  return [
    ...kinds.map(({ kind, limit }): [string, string] => [`x-ratelimit-limit-${kind}`, String(limit)]),
    ...kinds.map(({ kind, remaining }): [string, string] => [`x-ratelimit-remaining-${kind}`, String(remaining)]),
    ...kinds.map(({ kind, resetSeconds }): [string, string] => [`x-ratelimit-reset-${kind}`, goDuration(resetSeconds)]),
  ];
}

const LIMIT_WORDS = {
  requests: 'requests per minute',
  tokens: 'tokens per minute',
  concurrent: 'concurrent requests',
} as const;

/** The limit that refused, in the words of the error: its name and this replica's share of it. */
function limitValue(caller: Caller, refusal: Extract<Admission, { ok: false }>): number | null {
  if (refusal.limit === 'concurrent') return caller.policy.maxConcurrent;
  return refusal.state[refusal.limit]?.limit ?? caller.policy[`${refusal.limit}PerMinute`];
}

/** The caller's admission; over a limit, 429 (rate_limit_exceeded) with when to retry and the limits' state. */
export function admit(quotas: QuotaKeeper, caller: Caller): Admitted {
  const admission = quotas.admit(caller);
  if (admission.ok) return admission;
  const retryAfterSeconds = Math.max(1, Math.ceil(admission.retryAfterSeconds));
  const limit = limitValue(caller, admission);
  throw new Refusal(
    'rate_limit_exceeded',
    `rate limit reached for ${LIMIT_WORDS[admission.limit]}${limit === null ? '' : ` (limit ${limit})`} ` +
      `on this API key; retry after ${retryAfterSeconds}s`,
    { retryAfterSeconds, rateLimits: admission.state },
  );
}
