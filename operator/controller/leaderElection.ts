import type { KubeClient } from '../../contract/kube/client.js';
import { isConflict, LeaseLock, microTime, type Lease, type LeaseSpec } from './leaseLock.js';

export { microTime };

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it. Every candidate tries
 * every retry period. The leader renews; a failed renewal is retried, and only when no renewal has
 * succeeded for the renew deadline does it stop leading. That deadline is shorter than the lease
 * duration, and a follower counts the lease duration from when it first saw the last renewal, on
 * its own clock (client-go's observedTime, so clocks need not agree): the old leader has stopped
 * before anyone can take over. Every Lease request times out at half the renew deadline, so a
 * frozen connection cannot hold a renewal past it. A leader that stops cleanly releases the Lease
 * so the next takes over at once. No library does this for @kubernetes/client-node, hence our own.
 */

export interface LeaderElectionConfig {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  /** A leader with no successful renewal for this long stops leading; shorter than the lease duration. */
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface LeaderEvents {
  onStartedLeading: () => void;
  /** Why: another candidate holds the Lease, or the renew deadline passed. */
  onStoppedLeading: (why: string) => void;
  /** A failed try; `leading` says whether it was a leader's renewal. */
  onError?: (error: unknown, leading: boolean) => void;
}

/** What one try found: we hold the Lease, another candidate does, or someone wrote it between our read and write. */
type Outcome = 'held' | 'heldByOther' | 'conflict';

export class LeaderElector {
  private readonly lock: LeaseLock;
  private leading = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  /** Fires when the renew deadline passes without a successful renewal. */
  private deadline: NodeJS.Timeout | null = null;
  /** The acquire-or-renew request in flight, if any. */
  private attempt: Promise<Outcome> | null = null;
  /** Another holder's Lease record as first seen, and when, on this process's clock. */
  private observed: { record: string; at: number } | null = null;

  constructor(
    client: KubeClient,
    private readonly config: LeaderElectionConfig,
    private readonly now: () => Date = () => new Date(),
  ) {
    // client-go's heuristic (resourcelock.NewFromKubeconfig): one hung request must not use up the whole deadline
    this.lock = new LeaseLock(
      client,
      { namespace: config.namespace, name: config.name },
      Math.floor(config.renewDeadlineMs / 2),
    );
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Tries every retry period; calls back on gaining and on losing the lease. */
  start(events: LeaderEvents): void {
    const tick = async () => {
      if (this.stopped) return;
      const startedAt = Date.now();
      let outcome: Outcome | 'failed';
      try {
        this.attempt = this.tryAcquireOrRenew();
        outcome = await this.attempt;
      } catch (error) {
        outcome = 'failed';
        events.onError?.(error, this.leading);
      }
      if (this.stopped) return;
      if (outcome === 'held') this.renewed(startedAt, events);
      else if (outcome === 'heldByOther') this.lose(events, 'another candidate holds the Lease');
      // failed, or a conflict: a leader retries until its renew deadline
      this.timer = setTimeout(() => void tick(), this.config.retryPeriodMs);
    };
    void tick();
  }

  /**
   * Stops trying; with `release`, hands the lease back so another candidate need not wait. A renewal in flight is
   * let finish first (its requests time out): otherwise it could land after the release and hold the Lease.
   */
  async stop(release = true): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.deadline) clearTimeout(this.deadline);
    await this.attempt?.catch(() => undefined);
    // a conflict with our own last write is retried; a lease someone else holds is not ours to release
    for (let tries = 0; release && tries < 3; tries++) {
      const lease = await this.lock.read().catch(() => null);
      if (!lease || lease.spec?.holderIdentity !== this.config.identity) break;
      const spec = { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(this.now()) };
      const released = await this.lock.replace(lease, spec).then(
        () => true,
        () => false,
      );
      if (released) break;
    }
    this.leading = false;
  }

  /** A try that began at startedAt succeeded: the renew deadline counts from then (our renewTime is no earlier). */
  private renewed(startedAt: number, events: LeaderEvents): void {
    const left = startedAt + this.config.renewDeadlineMs - Date.now();
    if (left <= 0) return; // too late to count: the deadline has passed since this try began
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = setTimeout(
      () => this.lose(events, `no successful renewal of the Lease for ${this.config.renewDeadlineMs} ms`),
      left,
    );
    if (this.leading) return;
    this.leading = true;
    events.onStartedLeading();
  }

  private lose(events: LeaderEvents, why: string): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = null;
    if (!this.leading) return;
    this.leading = false;
    events.onStoppedLeading(why);
  }

  /**
   * True when another holder's Lease has gone unrenewed for its duration since this process first
   * saw that record (a changed record starts the count again).
   */
  private expired(spec: LeaseSpec): boolean {
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseDurationSeconds]);
    if (this.observed?.record !== record) this.observed = { record, at: Date.now() };
    const durationMs = (spec.leaseDurationSeconds ?? this.config.leaseDurationSeconds) * 1000;
    return Date.now() >= this.observed.at + durationMs;
  }

  private async tryAcquireOrRenew(): Promise<Outcome> {
    const { identity, leaseDurationSeconds } = this.config;
    const now = this.now();
    const mine = { holderIdentity: identity, leaseDurationSeconds, renewTime: microTime(now) };
    const lease: Lease | null = await this.lock.read();
    try {
      if (!lease) {
        await this.lock.create({ ...mine, acquireTime: microTime(now), leaseTransitions: 0 });
        return 'held';
      }
      const spec = lease.spec ?? {};
      if (spec.holderIdentity === identity) {
        await this.lock.replace(lease, { ...spec, ...mine });
        return 'held';
      }
      if (spec.holderIdentity && !this.expired(spec)) return 'heldByOther';
      const transitions = (spec.leaseTransitions ?? 0) + 1;
      await this.lock.replace(lease, { ...spec, ...mine, acquireTime: microTime(now), leaseTransitions: transitions });
      return 'held';
    } catch (error) {
      // another candidate wrote first (AlreadyExists, Conflict), or our own last write landed unanswered
      if (isConflict(error)) return 'conflict';
      throw error;
    }
  }
}
