import { ApiException, type KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: the holder renews
 * every retry period; another candidate takes over once renewTime + leaseDurationSeconds has
 * passed; a leader that stops cleanly releases the lease so the next takes over at once. No
 * library does this for @kubernetes/client-node, hence our own. Lease times are MicroTime: the
 * API server wants six fractional digits, which Date.toISOString() does not give.
 */

export interface LeaderElectionConfig {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  retryPeriodMs: number;
}

interface Lease extends KubernetesObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export const microTime = (date: Date) => date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export class LeaderElector {
  private readonly api: KubernetesObjectApi;
  private leading = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    kc: KubeConfig,
    private readonly config: LeaderElectionConfig,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.api = KubernetesObjectApi.makeApiClient(kc);
  }

  /** The acquire-or-renew request in flight, if any. */
  private attempt: Promise<boolean> | null = null;

  get isLeader(): boolean {
    return this.leading;
  }

  /** Tries every retry period; calls back on gaining and on losing the lease. */
  start(events: {
    onStartedLeading: () => void;
    onStoppedLeading: () => void;
    onError?: (error: unknown) => void;
  }): void {
    const tick = async () => {
      if (this.stopped) return;
      let leads = false;
      try {
        this.attempt = this.tryAcquireOrRenew();
        leads = await this.attempt;
      } catch (error) {
        events.onError?.(error);
      }
      if (this.stopped) return;
      if (leads && !this.leading) {
        this.leading = true;
        events.onStartedLeading();
      } else if (!leads && this.leading) {
        this.leading = false;
        events.onStoppedLeading();
      }
      this.timer = setTimeout(() => void tick(), this.config.retryPeriodMs);
    };
    void tick();
  }

  /**
   * Stops trying; with `release`, hands the lease back so another candidate need not wait. A renewal
   * in flight is let finish first: otherwise it could land after the release and hold the Lease.
   */
  async stop(release = true): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.attempt?.catch(() => undefined);
    if (release && this.leading) {
      // a conflict with our own last write is retried; a lease someone else holds is not ours to release
      for (let tries = 0; tries < 3; tries++) {
        const lease = await this.read().catch(() => null);
        if (lease?.spec?.holderIdentity !== this.config.identity) break;
        const released = await this.api
          .replace({
            ...lease,
            spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(this.now()) },
          })
          .then(
            () => true,
            () => false,
          );
        if (released) break;
      }
    }
    this.leading = false;
  }

  private async read(): Promise<Lease | null> {
    try {
      return await this.api.read<Lease>({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.config.name, namespace: this.config.namespace },
      });
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return null;
      throw new Error(`reading Lease ${this.config.namespace}/${this.config.name}`, { cause: error });
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationSeconds } = this.config;
    const now = this.now();
    const lease = await this.read();
    const mine = { holderIdentity: identity, leaseDurationSeconds, renewTime: microTime(now) };
    try {
      if (!lease) {
        await this.api.create({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: { ...mine, acquireTime: microTime(now), leaseTransitions: 0 },
        });
        return true;
      }
      const spec = lease.spec ?? {};
      if (spec.holderIdentity === identity) {
        await this.api.replace({ ...lease, spec: { ...spec, ...mine } });
        return true;
      }
      const expires = spec.renewTime
        ? Date.parse(spec.renewTime) + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000
        : 0;
      if (spec.holderIdentity && expires > now.getTime()) return false;
      await this.api.replace({
        ...lease,
        spec: { ...spec, ...mine, acquireTime: microTime(now), leaseTransitions: (spec.leaseTransitions ?? 0) + 1 },
      });
      return true;
    } catch (error) {
      // another candidate wrote first (AlreadyExists, Conflict): not the leader this round
      if (error instanceof ApiException && error.code === 409) return false;
      throw new Error(`acquiring or renewing Lease ${namespace}/${name}`, { cause: error });
    }
  }
}
