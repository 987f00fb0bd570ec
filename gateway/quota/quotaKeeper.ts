import type { Clock } from '../../contract/clock.js';
import type { Admission, Caller, KeyPolicy, QuotaKeeper } from '../types.js';
import { KeyQuota, type ReplicaLimits } from './keyQuota.js';

export interface QuotaOptions {
  clock: Clock;
  /**
   * Gateway replicas sharing the keys' limits (the chart sets it from its replica count): each
   * replica enforces ceil(limit / replicas), so together they allow at most limit + replicas - 1.
   */
  replicas: number;
}

/** How often keys that are idle and fully refilled are forgotten, in seconds of the clock. */
const SWEEP_SECONDS = 60;

const unlimited = (): Admission => ({ ok: true, state: { requests: null, tokens: null }, settle: () => undefined });

/** This replica's share of a key's limits. */
export function replicaLimits(policy: KeyPolicy, replicas: number): ReplicaLimits {
  const share = (limit: number | null) => (limit === null ? null : Math.ceil(limit / replicas));
  return {
    requestsPerMinute: share(policy.requestsPerMinute),
    tokensPerMinute: share(policy.tokensPerMinute),
    maxConcurrent: share(policy.maxConcurrent),
  };
}

/**
 * The quotas of every key, kept in this replica's memory (no datastore: docs/gateway.md, "Quotas").
 * State is per key id and follows the key's current policy; keys with no limit keep none.
 */
export class LocalQuotaKeeper implements QuotaKeeper {
  private readonly keys = new Map<string, KeyQuota>();
  private readonly clock: Clock;
  private readonly replicas: number;
  private lastSweep: number;

  constructor({ clock, replicas }: QuotaOptions) {
    if (!Number.isInteger(replicas) || replicas < 1)
      throw new Error(`quota replicas must be a whole number of at least 1, not ${replicas}`);
    this.clock = clock;
    this.replicas = replicas;
    this.lastSweep = clock.now();
  }

  admit(caller: Caller): Admission {
    const now = this.clock.now();
    this.sweep(now);
    const limits = replicaLimits(caller.policy, this.replicas);
    let quota = this.keys.get(caller.keyId);
    if (!quota) {
      if (Object.values(limits).every((limit) => limit === null)) return unlimited();
      quota = new KeyQuota(this.clock);
      this.keys.set(caller.keyId, quota);
    }
    quota.apply(limits, now);
    return quota.admit(now);
  }

  /** Keys with quota state now: one is forgotten within a minute of being idle with full buckets. */
  get trackedKeys(): number {
    return this.keys.size;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_SECONDS) return;
    this.lastSweep = now;
    for (const [id, quota] of this.keys) if (quota.idle(now)) this.keys.delete(id);
  }
}

export const createQuotaKeeper = (options: QuotaOptions): QuotaKeeper => new LocalQuotaKeeper(options);
