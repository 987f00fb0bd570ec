import type { Replica, ServedModel } from '../types.js';
import { chooseReplica, type Choice } from './choose.js';
import { buildRing, choosePrefixHash, type HashRing } from './prefixHash.js';

/** A replica's identity across address changes: its pod, in its model's namespace. */
export const replicaKey = (model: Pick<ServedModel, 'namespace'>, replica: Pick<Replica, 'pod'>) =>
  `${model.namespace}/${replica.pod}`;

/**
 * prefix-hash: a request with an affinity key goes to its conversation's replica within a load bound
 * (prefixHash.ts); least-load: every request by the power of two choices (choose.ts).
 */
export const ROUTING_STRATEGIES = ['prefix-hash', 'least-load'] as const;
export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number];

export interface RoutingSettings {
  strategy: RoutingStrategy;
  /** prefix-hash: how far above the mean load a replica may go before its keys spill over (at least 1). */
  loadFactor: number;
}

/** A model's ring, with the replicas it was built of (sorted, joined) to tell when they changed. */
interface CachedRing {
  replicas: string;
  ring: HashRing;
}

/**
 * The routing state of one gateway process: requests outstanding per replica (counted here, so
 * exact and current), each runtime's utilisation (scraped every few seconds: utilization.ts) and,
 * for prefix-hash routing, each model's hash ring. The choice itself is choose.ts or prefixHash.ts.
 */
export class Router {
  private readonly outstanding = new Map<string, number>();
  private readonly utilization = new Map<string, number>();
  /** By model id: built once per set of replicas (128 hashes each), not per request. */
  private readonly rings = new Map<string, CachedRing>();

  /** Without settings, every request goes by the power of two choices. */
  constructor(
    private readonly random: () => number = Math.random,
    private readonly routing?: RoutingSettings,
  ) {
    if (routing && !(routing.loadFactor >= 1 && Number.isFinite(routing.loadFactor))) {
      throw new RangeError(`routing.loadFactor must be a number of at least 1 (got ${routing.loadFactor})`);
    }
  }

  /**
   * A replica of the model that `tried` does not hold (keys of replicaKey), or undefined when none is
   * left; with prefix-hash routing and the request's affinity key, the key's replica within the bound.
   */
  pick(model: ServedModel, tried: ReadonlySet<string>, affinity?: string): Choice<Replica> | undefined {
    const candidates = model.replicas.filter((replica) => !tried.has(replicaKey(model, replica)));
    if (affinity !== undefined && this.routing?.strategy === 'prefix-hash') {
      return choosePrefixHash({
        ring: this.ringOf(model),
        key: affinity,
        candidates,
        keyOf: (replica) => replicaKey(model, replica),
        loadOf: (replica) => this.outstandingOn(replicaKey(model, replica)),
        loadFactor: this.routing.loadFactor,
      });
    }
    return chooseReplica(
      candidates,
      (replica) => {
        const key = replicaKey(model, replica);
        return { outstanding: this.outstanding.get(key) ?? 0, utilization: this.utilization.get(key) };
      },
      this.random,
    );
  }

  /** Counts a request as outstanding on the replica until the returned function is called (once is enough). */
  begin(model: ServedModel, replica: Replica): () => void {
    const key = replicaKey(model, replica);
    this.outstanding.set(key, (this.outstanding.get(key) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = (this.outstanding.get(key) ?? 1) - 1;
      if (left > 0) this.outstanding.set(key, left);
      else this.outstanding.delete(key);
    };
  }

  outstandingOn(key: string): number {
    return this.outstanding.get(key) ?? 0;
  }

  utilizationOf(key: string): number | undefined {
    return this.utilization.get(key);
  }

  /** The replica's last scraped utilisation; undefined forgets it (a failed scrape is no information). */
  setUtilization(key: string, value: number | undefined): void {
    if (value === undefined) this.utilization.delete(key);
    else this.utilization.set(key, value);
  }

  /**
   * Forgets the utilisation of replicas no longer served (their outstanding counts end with their
   * requests), and the rings of models none of whose replicas is.
   */
  retainUtilization(live: ReadonlySet<string>): void {
    for (const key of this.utilization.keys()) if (!live.has(key)) this.utilization.delete(key);
    for (const [model, { ring }] of this.rings) {
      if (!ring.members.some((key) => live.has(key))) this.rings.delete(model);
    }
  }

  /** The ring of the model's replicas as they are now: the cached one unless they changed. */
  private ringOf(model: ServedModel): HashRing {
    const keys = model.replicas.map((replica) => replicaKey(model, replica)).sort();
    const replicas = keys.join('\n');
    const id = `${model.namespace}/${model.name}`;
    const cached = this.rings.get(id);
    if (cached?.replicas === replicas) return cached.ring;
    const ring = buildRing(keys);
    this.rings.set(id, { replicas, ring });
    return ring;
  }
}
