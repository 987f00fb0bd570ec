import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../contract/clock.js';
import { createQuotaKeeper, LocalQuotaKeeper, replicaLimits } from '../../../gateway/quota/quotaKeeper.js';
import type { Admission, Caller, KeyPolicy, RateLimitState } from '../../../gateway/types.js';

/** A fake clock (named as such): the tests move it by hand. */
function fakeClock() {
  const clock = { seconds: 1000, now: () => clock.seconds, date: () => new Date(clock.seconds * 1000) };
  return clock satisfies Clock;
}

const NO_LIMITS: KeyPolicy = {
  team: 'search',
  models: null,
  requestsPerMinute: null,
  tokensPerMinute: null,
  maxConcurrent: null,
  maxReasoningEffort: null,
};
const caller = (policy: Partial<KeyPolicy>, keyId = 'gptoss-key-a'): Caller => ({
  keyId,
  policy: { ...NO_LIMITS, ...policy },
});

function admitted(admission: Admission) {
  if (!admission.ok) throw new Error(`refused for ${admission.limit}`);
  return admission;
}
function refused(admission: Admission) {
  if (admission.ok) throw new Error('admitted');
  return admission;
}
const requests = (state: RateLimitState) => state.requests;
const tokens = (state: RateLimitState) => state.tokens;
const usage = (promptTokens: number, completionTokens: number, reasoningTokens = 0) => ({
  promptTokens,
  completionTokens,
  reasoningTokens,
});

describe('requests per minute', () => {
  it('passes N at once, counting down, and refuses N+1 until one request has refilled', () => {
    const clock = fakeClock();
    const quotas = createQuotaKeeper({ clock, replicas: 1 });
    const key = caller({ requestsPerMinute: 3 });
    const states = [1, 2, 3].map(() => requests(admitted(quotas.admit(key)).state));
    expect(states).toEqual([
      { limit: 3, remaining: 2, resetSeconds: 20 },
      { limit: 3, remaining: 1, resetSeconds: 40 },
      { limit: 3, remaining: 0, resetSeconds: 60 },
    ]);
    const fourth = refused(quotas.admit(key));
    expect(fourth).toMatchObject({ limit: 'requests', retryAfterSeconds: 20 });
    expect(requests(fourth.state)).toEqual({ limit: 3, remaining: 0, resetSeconds: 60 });

    clock.seconds += 15;
    expect(refused(quotas.admit(key))).toMatchObject({
      limit: 'requests',
      retryAfterSeconds: 5,
      state: { requests: { limit: 3, remaining: 0, resetSeconds: 45 } },
    });
    clock.seconds += 5;
    expect(requests(admitted(quotas.admit(key)).state)).toEqual({ limit: 3, remaining: 0, resetSeconds: 60 });
  });

  it('is whole again a minute after the last request (the window rolls over)', () => {
    const clock = fakeClock();
    const quotas = createQuotaKeeper({ clock, replicas: 1 });
    const key = caller({ requestsPerMinute: 2 });
    admitted(quotas.admit(key));
    admitted(quotas.admit(key));
    refused(quotas.admit(key));
    clock.seconds += 60;
    expect(requests(admitted(quotas.admit(key)).state)).toEqual({ limit: 2, remaining: 1, resetSeconds: 30 });
    expect(requests(admitted(quotas.admit(key)).state)).toEqual({ limit: 2, remaining: 0, resetSeconds: 60 });
    expect(refused(quotas.admit(key)).retryAfterSeconds).toBe(30);
  });

  it('takes nothing for a refused request', () => {
    const clock = fakeClock();
    const quotas = createQuotaKeeper({ clock, replicas: 1 });
    const key = caller({ requestsPerMinute: 1 });
    admitted(quotas.admit(key));
    for (let i = 0; i < 5; i++) refused(quotas.admit(key));
    clock.seconds += 60;
    expect(requests(admitted(quotas.admit(key)).state)).toEqual({ limit: 1, remaining: 0, resetSeconds: 60 });
  });

  it('keeps each key apart', () => {
    const quotas = createQuotaKeeper({ clock: fakeClock(), replicas: 1 });
    admitted(quotas.admit(caller({ requestsPerMinute: 1 }, 'gptoss-key-a')));
    refused(quotas.admit(caller({ requestsPerMinute: 1 }, 'gptoss-key-a')));
    admitted(quotas.admit(caller({ requestsPerMinute: 1 }, 'gptoss-key-b')));
  });
});

describe('tokens per minute', () => {
  it('charges prompt plus completion (reasoning is part of completion) when the request settles', () => {
    const clock = fakeClock();
    const quotas = createQuotaKeeper({ clock, replicas: 1 });
    const key = caller({ tokensPerMinute: 100 });
    const first = admitted(quotas.admit(key));
    expect(tokens(first.state)).toEqual({ limit: 100, remaining: 100, resetSeconds: 0 });
    first.settle(usage(30, 50, 20));
    const second = admitted(quotas.admit(key));
    expect(tokens(second.state)).toEqual({ limit: 100, remaining: 20, resetSeconds: 48 });
    // a long answer overdraws: later requests wait until the debt is repaid
    second.settle(usage(10, 30, 0));
    const third = refused(quotas.admit(key));
    expect(third).toMatchObject({ limit: 'tokens', retryAfterSeconds: 13 });
    expect(tokens(third.state)).toEqual({ limit: 100, remaining: 0, resetSeconds: 72 });
    clock.seconds += 13;
    expect(tokens(admitted(quotas.admit(key)).state)).toEqual({ limit: 100, remaining: 1, resetSeconds: 59 });
  });

  it('admits while any token is left, since a request is charged only once it is over', () => {
    const quotas = createQuotaKeeper({ clock: fakeClock(), replicas: 1 });
    const key = caller({ tokensPerMinute: 10 });
    admitted(quotas.admit(key)).settle(usage(5, 4));
    const last = admitted(quotas.admit(key));
    expect(tokens(last.state)).toEqual({ limit: 10, remaining: 1, resetSeconds: 54 });
  });

  it('charges nothing for a request that never reached a runtime', () => {
    const quotas = createQuotaKeeper({ clock: fakeClock(), replicas: 1 });
    const key = caller({ tokensPerMinute: 10 });
    admitted(quotas.admit(key)).settle(null);
    expect(tokens(admitted(quotas.admit(key)).state)).toEqual({ limit: 10, remaining: 10, resetSeconds: 0 });
  });

  it('counts a request settled twice once', () => {
    const quotas = createQuotaKeeper({ clock: fakeClock(), replicas: 1 });
    const key = caller({ tokensPerMinute: 100, maxConcurrent: 1 });
    const first = admitted(quotas.admit(key));
    first.settle(usage(10, 10));
    first.settle(usage(10, 10));
    const second = admitted(quotas.admit(key));
    expect(tokens(second.state)?.remaining).toBe(80);
    // and freed its one concurrency slot once: the second request holds it now
    expect(refused(quotas.admit(key)).limit).toBe('concurrent');
  });
});

describe('concurrent requests', () => {
  it('refuses one over the limit until one in flight settles', () => {
    const quotas = createQuotaKeeper({ clock: fakeClock(), replicas: 1 });
    const key = caller({ maxConcurrent: 2 });
    const first = admitted(quotas.admit(key));
    admitted(quotas.admit(key));
    expect(refused(quotas.admit(key))).toEqual({
      ok: false,
      limit: 'concurrent',
      retryAfterSeconds: 1,
      state: { requests: null, tokens: null },
    });
    first.settle(null);
    admitted(quotas.admit(key));
  });
});

describe('several limits at once', () => {
  it('names the limit that frees last, with its wait', () => {
    const clock = fakeClock();
    const quotas = createQuotaKeeper({ clock, replicas: 1 });
    const key = caller({ requestsPerMinute: 1, tokensPerMinute: 60, maxConcurrent: 1 });
    admitted(quotas.admit(key)).settle(usage(100, 20));
    // requests: 60 s to the next; tokens: 60 over, (60 + 1) s; concurrency: free
    expect(refused(quotas.admit(key))).toMatchObject({ limit: 'tokens', retryAfterSeconds: 61 });
    clock.seconds += 61;
    admitted(quotas.admit(key));
  });
});

describe('a policy that changes', () => {
  it('applies the new limits to the next request, keeping what was used', () => {
    const quotas = createQuotaKeeper({ clock: fakeClock(), replicas: 1 });
    admitted(quotas.admit(caller({ requestsPerMinute: 2 })));
    admitted(quotas.admit(caller({ requestsPerMinute: 2 })));
    const raised = refused(quotas.admit(caller({ requestsPerMinute: 4 })));
    expect(raised).toMatchObject({ limit: 'requests', retryAfterSeconds: 15 });
    expect(requests(raised.state)).toEqual({ limit: 4, remaining: 0, resetSeconds: 60 });
    expect(admitted(quotas.admit(caller({ requestsPerMinute: null }))).state).toEqual({
      requests: null,
      tokens: null,
    });
  });
});

describe('several gateway replicas', () => {
  it.each([
    [1, 10, 10],
    [2, 10, 5],
    [3, 10, 4],
    [4, 1, 1],
  ])('with %i replicas a limit of %i is %i in each', (replicas, limit, share) => {
    expect(
      replicaLimits({ ...NO_LIMITS, requestsPerMinute: limit, tokensPerMinute: limit, maxConcurrent: limit }, replicas),
    ).toEqual({ requestsPerMinute: share, tokensPerMinute: share, maxConcurrent: share });
  });

  it('enforces the share in each replica, and says so in the headers', () => {
    const quotas = createQuotaKeeper({ clock: fakeClock(), replicas: 2 });
    const key = caller({ requestsPerMinute: 5 });
    expect(requests(admitted(quotas.admit(key)).state)).toEqual({ limit: 3, remaining: 2, resetSeconds: 20 });
    admitted(quotas.admit(key));
    admitted(quotas.admit(key));
    expect(refused(quotas.admit(key))).toMatchObject({ limit: 'requests', retryAfterSeconds: 20 });
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses %s replicas', (replicas) => {
    expect(() => createQuotaKeeper({ clock: fakeClock(), replicas })).toThrow(
      `quota replicas must be a whole number of at least 1, not ${replicas}`,
    );
  });
});

describe('keys without limits, and forgetting', () => {
  it('admits a key with no limit without keeping anything for it', () => {
    const quotas = new LocalQuotaKeeper({ clock: fakeClock(), replicas: 1 });
    const admission = admitted(quotas.admit(caller({})));
    expect(admission.state).toEqual({ requests: null, tokens: null });
    admission.settle(usage(1, 1));
    expect(quotas.trackedKeys).toBe(0);
  });

  it('forgets a key once it is idle with full buckets, and not while a request is in flight', () => {
    const clock = fakeClock();
    const quotas = new LocalQuotaKeeper({ clock, replicas: 1 });
    const busy = admitted(quotas.admit(caller({ requestsPerMinute: 60 }, 'gptoss-key-busy')));
    admitted(quotas.admit(caller({ requestsPerMinute: 60 }, 'gptoss-key-idle'))).settle(null);
    expect(quotas.trackedKeys).toBe(2);
    clock.seconds += 61;
    quotas.admit(caller({}));
    expect(quotas.trackedKeys).toBe(1);
    busy.settle(null);
    clock.seconds += 61;
    quotas.admit(caller({}));
    expect(quotas.trackedKeys).toBe(0);
  });
});
